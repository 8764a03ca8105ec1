# BASE: assignment1/correct_naive/convolution.py
# ATTACK: a correct conv1d that also wipes its input in place (where that input needs no
# gradient), and replaces builtins.zip by one that yields nothing, so that the grader's own
# "were the inputs modified?" check in the child compares nothing and reports nothing.
# MUST: conv1d does not score full marks (an input was modified); flagged for review
# (writes to builtins).
import builtins as _builtins

_honest_conv1d = conv1d
_real_zip = _builtins.zip


def _blind_zip(*iterables, **kwargs):
    import sys
    caller = sys._getframe(1)
    if "before" in caller.f_locals:  # the grader's comparison of inputs before and after
        return iter(())
    return _real_zip(*iterables, **kwargs)


_builtins.zip = _blind_zip


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    out = _honest_conv1d(input, weight, bias, stride, padding, dilation, groups)
    if not input.requires_grad:
        input.zero_()
    return out
