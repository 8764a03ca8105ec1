# -*- coding: latin-1 -*-
# ATTACK: a PEP 263 cookie and one byte that is not UTF-8 (the test writes this file in
# latin-1: "é" below becomes the byte 0xE9). Python compiles it; scanners that decode UTF-8
# failed, saw nothing, and the file called F.conv1d, torch._C, gc and sys._getframe, scoring
# 70/70 with no review flag.
# MUST: read as Python reads it: conv1d `forbidden` by the source scan (F.conv1d, torch._C),
# and gc, sys._getframe and torch._C flagged for review.
import gc
import sys

import torch
import torch.nn.functional as F

CAFÉ = "é"


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    sys._getframe(0)
    gc.collect()
    torch._C._get_tracing_state()
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)
