# ATTACK: the reference is hidden by a mount over it: umount2 it (ctypes, MNT_DETACH) and read
# what is under it. Only mounts inside the child's own mount namespace are touched: if the
# child shares the host's mount namespace (its id is passed in), it reports that instead.
# MUST: no PWNED (seccomp refuses umount2 with EPERM, or nothing is mounted there to remove);
# flagged for review (ctypes).
import ctypes
import os

ROOT = "__COURSE_ROOT__"
HOST_MNT_NS = "__HOST_MNT_NS__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if os.readlink("/proc/self/ns/mnt") == HOST_MNT_NS:
        raise Found("PWN" "ED: student code runs in the host's mount namespace")
    libc = ctypes.CDLL(None, use_errno=True)
    won = []
    for target in (f"{ROOT}/reference/assignment1/convolution.py", f"{ROOT}/reference", ROOT, "/tmp"):
        for _ in range(3):
            if libc.umount2(target.encode(), 2) == 0:  # MNT_DETACH
                won.append(f"umount2 {target}")
            else:
                break
    try:
        with open(f"{ROOT}/reference/assignment1/convolution.py") as f:
            if "def conv1d" in f.read():
                won.append("read the reference")
    except OSError:
        pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else f"blocked (errno {ctypes.get_errno()})")
