# ATTACK: fill the disk: allocate 15 MiB files (just under the per-file limit; posix_fallocate,
# so that the blocks are really taken, and fast) in the scratch folder until 330 MiB are taken
# or the file system says no; then free them.
# MUST: no PWNED: the scratch is capped well under 256 MiB (a tmpfs of limited size).
import os


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


CHUNK = 15 << 20


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    taken = 0
    try:
        for index in range(22):
            fd = os.open(f"filler-{index}", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, CHUNK)
                taken += CHUNK
            finally:
                os.close(fd)
    except OSError:
        pass
    for index in range(22):
        try:
            os.unlink(f"filler-{index}")
        except OSError:
            pass
    mib = taken >> 20
    raise Found("PWN" f"ED: took {mib} MiB of disk" if mib > 256 else f"blocked after {mib} MiB")
