# ATTACK: open the reference solution and the spec for appending, by their path and through
# /proc/*/root (nothing is written).
# MUST: every attempt fails and reference/ is unchanged.
import os

ROOT = "__COURSE_ROOT__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    paths = [os.path.join(ROOT, "reference/assignment1", n) for n in ("convolution.py", "spec.py")]
    pids = [p for p in os.listdir("/proc") if p.isdigit()][:4000]
    paths += [f"/proc/{pid}/root{ROOT}/reference/assignment1/convolution.py" for pid in pids]
    for path in paths:
        try:
            with open(path, "a"):
                won.append(f"opened {path} for appending")
                break
        except OSError:
            pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
