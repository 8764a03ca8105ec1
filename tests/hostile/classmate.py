# ATTACK: another student's submission sits in a folder next door (its path is passed in): read
# it, and overwrite it with a broken one.
# MUST: no PWNED, the classmate's canary text is not in the report, and their file is unchanged.
import os

CLASSMATE = "__CLASSMATE__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    path = os.path.join(CLASSMATE, "convolution.py")
    try:
        with open(path) as f:
            won.append("read: " + f.read()[:120])
    except OSError:
        pass
    try:
        with open(path, "a") as f:
            f.write("\nraise SystemExit('sabotaged by a classmate')\n")
        won.append("appended")
    except OSError:
        pass
    try:
        with open(os.path.join(CLASSMATE, "planted.py"), "w") as f:
            f.write("x = 1\n")
        won.append("planted")
    except OSError:
        pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
