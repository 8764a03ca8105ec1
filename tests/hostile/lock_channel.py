# ATTACK: two students graded side by side in a batch signal each other through file locks on a
# read-only file both jails see (Python's own executable): flock, and fcntl's record locks, whose
# F_GETLK also reports another process's read lock. A covert channel between classmates.
# MUST: every lock call is refused (no PWNED in the report).
import fcntl
import os
import struct
import sys


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def _tries():
    fd = os.open(sys.executable, os.O_RDONLY)
    worked = []
    for name, call in (("flock", lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)),
                       ("F_SETLK", lambda: fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hhqqi", fcntl.F_RDLCK, 0, 0, 0, 0))),
                       ("F_GETLK", lambda: fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))),
                       ("F_OFD_SETLK", lambda: fcntl.fcntl(fd, 37, struct.pack("hhqqi", fcntl.F_RDLCK, 0, 0, 0, 0)))):
        try:
            call()
            worked.append(name)
        except OSError:
            pass
    os.close(fd)
    return worked


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    worked = _tries()
    if worked:
        raise Found("PWNED: file locks work: " + ", ".join(worked))
    raise Found("every lock refused")
