"""Buggy assignment 2 submissions: correct_alt with a few edits each (see mutants.py)."""
from mutants import registry

BASE = "assignment2/correct_alt/shapes.py"
MUTANTS, make = registry(BASE)


CONV_RET = '''    return _positive_result(_conv_len(size, kernel_size, stride, padding, dilation),
                            "conv_output_size")
'''
make("ceil_instead_of_floor", """
    SUBMISSION ceil_instead_of_floor (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_output_size rounds (size + 2p - d(k-1) - 1) / stride UP instead of down.
    SHOULD HURT: conv_output_size when stride > 1 and the division is not exact.
    (trace_shapes uses its own private helper and stays correct.)
    """, [(CONV_RET, '''    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    return _positive_result(-(-span // stride) + 1, "conv_output_size")  # BUG: ceil
''')])

make("dilation_ignored", """
    SUBMISSION dilation_ignored (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_output_size ignores dilation (uses kernel_size as the window span).
    SHOULD HURT: conv_output_size with dilation > 1 and kernel_size > 1.
    """, [(CONV_RET, '''    return _positive_result(_conv_len(size, kernel_size, stride, padding, 1),  # BUG: dilation ignored
                            "conv_output_size")
''')])

make("padding_once", """
    SUBMISSION padding_once (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_output_size adds the padding once instead of on both sides (size + p, not + 2p).
    SHOULD HURT: conv_output_size with padding > 0.
    """, [(CONV_RET, '''    span = size + padding - dilation * (kernel_size - 1) - 1  # BUG: padding only once
    return _positive_result(span // stride + 1, "conv_output_size")
''')])

make("no_ceil_correction", """
    SUBMISSION no_ceil_correction (buggy): a copy of correct_alt with ONE bug.
    BUG: pool_output_size with ceil_mode=True just rounds up, without torch's rule that drops a
    last window starting at or after size + padding.
    SHOULD HURT: pool_output_size with ceil_mode=True where that last window exists, e.g.
    size=5, kernel=2, stride=2, padding=1 (torch 3, this 4).
    """, [('''    return _positive_result(
        _pool_len(size, kernel_size, stride, padding, dilation, bool(ceil_mode)),
        "pool_output_size")
''', '''    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = -(-span // stride) + 1 if ceil_mode else span // stride + 1  # BUG: no correction
    return _positive_result(out, "pool_output_size")
''')])

make("same_left", """
    SUBMISSION same_left (buggy): a copy of correct_alt with ONE bug.
    BUG: same_padding puts the extra (odd) padding element on the LEFT.
    SHOULD HURT: same_padding when dilation * (kernel_size - 1) is odd.
    """, [("    return total // 2, total - total // 2\n", "    return total - total // 2, total // 2  # BUG: extra on the left\n")])

make("runs_model", """
    SUBMISSION runs_model (buggy): a copy of correct_alt with ONE bug.
    BUG: trace_shapes runs the model layer by layer on a zero tensor instead of computing the
    shapes from the hyper-parameters (gives right answers for ordinary models).
    SHOULD HURT: trace_shapes with the grader's models whose forward raises.
    """, [('''    shape = tuple(operator.index(n) for n in input_shape)
    shapes = []
    for layer in model:
        shape = _step(layer, shape)
        shapes.append(shape)
    return shapes
''', '''    import torch  # BUG: runs the model
    x = torch.zeros(*input_shape)
    shapes = []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            shapes.append(tuple(int(n) for n in x.shape))
    return shapes
''')])

make("params_no_groups", """
    SUBMISSION params_no_groups (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_parameters ignores groups (every filter sees all in_channels).
    SHOULD HURT: conv_parameters with groups > 1 (e.g. the depthwise 27-weight example).
    """, [("    weights = out_channels * (in_channels // groups) * kh * kw\n",
           "    weights = out_channels * in_channels * kh * kw  # BUG: groups ignored\n")])

make("returns_float", """
    SUBMISSION returns_float (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_output_size returns a float (e.g. 26.0) - numerically right, wrong type.
    SHOULD HURT: conv_output_size, but only for a grader that checks the type (26.0 == 26).
    """, [(CONV_RET, '''    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    return _positive_result(span / stride // 1 + 1, "conv_output_size")  # BUG: float
''')])
