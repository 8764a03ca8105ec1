# ATTACK: join the host's network namespace (setns on /proc/1/ns/net, also /proc/<ppid>/ns/net)
# through ctypes, then connect to a TCP listener the test opened on the host's loopback.
# MUST: no PWNED (seccomp refuses setns; /proc/1 is the child's own init) and the listener
# gets no connection; flagged for review (ctypes).
import ctypes
import os
import socket

PORT = int("__PORT__")


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    libc = ctypes.CDLL(None, use_errno=True)
    won = []
    for pid in ("1", str(os.getppid())):
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        except OSError:
            continue
        if libc.setns(fd, 0x40000000) == 0:  # CLONE_NEWNET
            won.append(f"setns into /proc/{pid}/ns/net")
        os.close(fd)
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        won.append(f"connected to 127.0.0.1:{PORT}")
    except OSError:
        pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
