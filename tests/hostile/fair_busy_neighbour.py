# ATTACK: starve the classmates graded beside it: on import, start 60 busy processes, each in a
# session of its own (so that the kernel's autogroups would give each one a share of the cores),
# and spin in every function, so that each task's child stays busy until it is stopped.
# MUST: a correct submission graded beside it in `grade batch -j 2` scores full marks; this one
# scores 0, its tasks stopped by their CPU time limit; no spinner outlives the grading.
import ctypes
import os

SPINNERS = 60


def _spin() -> None:
    while True:
        pass


def _start_spinners() -> None:
    for _ in range(SPINNERS):
        try:
            pid = os.fork()
        except OSError:  # the process cap
            return
        if pid == 0:
            try:
                os.setsid()
            except OSError:  # refused in the jail: the spinner stays in the child's session
                pass
            ctypes.CDLL(None).prctl(15, b"fair-spinner", 0, 0, 0)  # PR_SET_NAME, to look for survivors
            _spin()


_start_spinners()


def pad(input, pad, mode="constant", value=0.0):
    _spin()


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _spin()


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _spin()


def convolve2d(image, kernel):
    _spin()
