# BASE: assignment1/correct_naive/convolution.py
# ATTACK: torch's private namespaces hold its own Python implementations (torch._refs:
# constant_pad_nd; torch._decomp.decompositions: im2col, pools, upsampling; torch._prims ...).
# No task's glob names them (a glob never crosses a dot), so `pad` built on torch._refs passed
# every constant-mode case with no code of its own.
# MUST: pad is `forbidden`, the finding names torch._refs, and the import is flagged for review.
from torch import _refs


def pad(input, pad, mode="constant", value=0.0):
    return _refs.constant_pad_nd(input, list(pad), 0.0 if value is None else value)
