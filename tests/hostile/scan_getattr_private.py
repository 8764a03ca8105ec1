# BASE: assignment1/correct_naive/convolution.py
# ATTACK: a private torch namespace reached by getattr with a constant name, where only
# attribute chains were looked at: torch._C._VariableFunctions holds torch's own conv1d.
# MUST: conv1d is `forbidden` (the finding names torch._C), and the getattr is flagged for review.
import torch


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    functions = getattr(getattr(torch, "_C"), "_VariableFunctions")
    return functions.conv1d(input, weight, bias, stride, padding, dilation, groups)
