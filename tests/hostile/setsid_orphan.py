# ATTACK: a grandchild that escapes: double fork, setsid, ignore SIGHUP/SIGTERM, rename itself
# `hostile-orphan` (prctl PR_SET_NAME) and sleep for a minute.
# MUST: no process named hostile-orphan is left once grading returns.
import ctypes
import os
import signal
import time


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"hostile-orphan", 0, 0, 0)  # PR_SET_NAME
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(60)
        os._exit(0)
    time.sleep(0.3)
    raise Found("orphan started")
