# ATTACK: conv1d calls torch's conv1d (name built at run time, so the static scan misses it)
# and then forges its code object's co_filename, so that the tripwire's "is the student's
# file on the stack?" test says no.
# MUST: conv1d scores nothing (status `forbidden`); flagged for review (__code__ surgery).
import torch.nn.functional as F


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return getattr(F, "conv" + "1d")(input, weight, bias, stride, padding, dilation, groups)


conv1d.__code__ = conv1d.__code__.replace(co_filename="/usr/lib/python3/dist-packages/innocent.py")
