# ATTACK: leave files behind that outlive grading: in /dev/shm, /tmp, /var/tmp, the parent of
# the working folder, and a POSIX shared-memory segment.
# MUST: none of them exists after grading (the test looks for them on the host).
import os

TOKEN = "__TOKEN__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    for folder in ("/dev/shm", "/tmp", "/var/tmp", os.path.dirname(os.getcwd()), os.path.expanduser("~")):
        path = os.path.join(folder, f"cnn-grader-hostile-{TOKEN}")
        try:
            with open(path, "w") as f:
                f.write("left behind")
            won.append(path)
        except OSError:
            pass
    raise Found(("wrote: " + "; ".join(won)) if won else "blocked")
