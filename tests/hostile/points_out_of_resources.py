# ATTACK: argument checks for free. Nearly every probe of assignment 1 expects a RuntimeError, and
# running out of memory or stack raises one: torch's CPU allocator raises RuntimeError("... can't
# allocate memory ..."), RecursionError is a RuntimeError, and a class may be both a MemoryError and a
# RuntimeError. So a body that exhausts a resource on every call "rejects" every invalid call, without
# computing anything (it scored 9/100 before issue 18).
# MUST: no argument check passes (diagnosis `memory` or `exception`), and every task scores 0.
import torch


class Exhausted(MemoryError, RuntimeError):
    pass


def pad(input, pad, mode="constant", value=0.0):
    return torch.empty(2 ** 42)  # 16 TiB: torch's out-of-memory RuntimeError, whatever the limits


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv1d(input, weight, bias, stride, padding, dilation, groups)  # RecursionError


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return torch.empty(2 ** 33)  # 32 GiB: beyond the jail's address-space limit (never touched)


def convolve2d(image, kernel):
    raise Exhausted("can't allocate memory")
