# ATTACK: ptrace and cross-process memory: fork a child, PTRACE_ATTACH to it, read its memory
# with process_vm_readv and through /proc/<child>/mem, and PTRACE_TRACEME.
# MUST: no PWNED (seccomp refuses ptrace and process_vm_readv); flagged for review (ctypes).
import ctypes
import os
import signal
import time


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    won = []
    secret = ctypes.create_string_buffer(b"sibling-secret", 32)
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    try:
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            won.append("ptrace attach")
            os.waitpid(pid, 0)
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH

        class iovec(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
        buffer = ctypes.create_string_buffer(32)
        local, remote = iovec(ctypes.addressof(buffer), 14), iovec(ctypes.addressof(secret), 14)
        if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) == 14:
            won.append("process_vm_readv")
        try:
            with open(f"/proc/{pid}/mem", "rb") as mem:
                mem.seek(ctypes.addressof(secret))
                if mem.read(14) == b"sibling-secret":
                    won.append("/proc/<pid>/mem")
        except OSError:
            pass
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if os.fork() == 0:  # PTRACE_TRACEME in a throwaway child
        os._exit(0 if libc.ptrace(0, 0, None, None) == 0 else 1)
    if os.waitstatus_to_exitcode(os.wait()[1]) == 0:
        won.append("ptrace traceme")
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
