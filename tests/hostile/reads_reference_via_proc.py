# ATTACK: read the reference through another process's view of the file system:
# /proc/<pid>/root/<course>/reference/... and /proc/<pid>/cwd/reference/... for every pid in
# /proc (the grader's among them), /proc/1/root, and /proc/self/root.
# MUST: nothing of the reference reaches the report (no PWNED).
import os

ROOT = "__COURSE_ROOT__"
FILE = "reference/assignment1/convolution.py"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    pids = ["1", "self", str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()][:4000]
    for pid in pids:
        for path in (f"/proc/{pid}/root{ROOT}/{FILE}", f"/proc/{pid}/cwd/{FILE}"):
            try:
                with open(path) as f:
                    if "def conv1d" in f.read():
                        won.append(f"read {path}")
            except OSError:
                pass
        if won:
            break
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
