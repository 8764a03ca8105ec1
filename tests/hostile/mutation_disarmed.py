# BASE: assignment1/correct_naive/convolution.py
# ATTACK: the grader's "were the inputs modified?" check compares copies it took with functions
# saved from torch before the student's code ran (grader.engine.run._equal and _clone). Reach that
# module through `from sys import modules` (no attribute chain, no gc walk) and make the copies
# the tensors themselves and every comparison "equal"; then a correct conv1d wipes its input.
# MUST: conv1d does not score full marks, and its report names input_modified; flagged for
# review (sys.modules).
from sys import modules as _modules

_honest_conv1d = conv1d
for _name in [name for name in list(_modules) if name.endswith("run")]:
    _module = _modules[_name]
    if hasattr(_module, "_equal") and hasattr(_module, "_clone"):
        _module._equal = lambda a, b: True
        _module._clone = lambda tensor: tensor


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    out = _honest_conv1d(input, weight, bias, stride, padding, dilation, groups)
    if not input.requires_grad:
        input.zero_()
    return out
