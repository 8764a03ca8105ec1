# ATTACK: print a fake passing report on stdout, stderr, the raw fds 1 and 2 and /dev/tty,
# then return zeros.
# MUST: conv1d scores 0; the fake lines appear nowhere in the report.
import os
import sys

import torch

FAKE = "  conv1d  passed  58/58  20 / 20\n  Total: 100 / 100 (100.0%) FAKE-REPORT-LINE\n"


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    print(FAKE)
    print(FAKE, file=sys.stderr)
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.write(FAKE)
            stream.flush()
        except Exception:
            pass
    for fd in (1, 2):
        try:
            os.write(fd, FAKE.encode())
        except OSError:
            pass
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(FAKE)
    except OSError:
        pass
    return torch.zeros(1)
