"""Buggy and hostile assignment 4 submissions: correct_alt with a few edits each (see mutants.py)."""
from mutants import registry

BASE = "assignment4/correct_alt/transposed.py"
MUTANTS, make = registry(BASE)


PADS = "        edge = d * (k - 1) - p\n        pads += [edge, edge + op]\n"
ROTATE = "    rotated = weight.flip(list(range(2, n + 2)))\n"
CT1D = ("def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):\n"
        "    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)\n")
CT2D = ("def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):\n"
        "    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)\n")
CT1D_HEAD, CT2D_HEAD = CT1D.splitlines(True)[0], CT2D.splitlines(True)[0]

# ------------------------------------------------------------------ buggy
make("output_padding_both_sides", """
    SUBMISSION output_padding_both_sides (buggy): a copy of correct_alt with ONE bug.
    BUG: output_padding is added at the start of each dimension as well as at the end.
    SHOULD HURT: conv_transpose1d, conv_transpose2d and conv_transpose2d_matrix (which uses
    conv_transpose2d) in cases with output_padding > 0.
    """, [(PADS, "        edge = d * (k - 1) - p\n        pads += [edge + op, edge + op]  # BUG: both sides\n")])

make("output_padding_ignored", """
    SUBMISSION output_padding_ignored (buggy): a copy of correct_alt with ONE bug.
    BUG: output_padding is validated but never added to the output.
    SHOULD HURT: all three conv tasks in cases with output_padding > 0.
    """, [(PADS, "        edge = d * (k - 1) - p\n        pads += [edge, edge]  # BUG: output_padding dropped\n")])

make("padding_added", """
    SUBMISSION padding_added (buggy): a copy of correct_alt with ONE bug.
    BUG: padding makes the output larger, as a conv's padding would, instead of cropping it.
    SHOULD HURT: all three conv tasks in cases with padding > 0.
    """, [(PADS, "        edge = d * (k - 1) + p  # BUG: padding added, not cropped\n        pads += [edge, edge + op]\n")])

make("kernel_not_flipped", """
    SUBMISSION kernel_not_flipped (buggy): a copy of correct_alt with ONE bug.
    BUG: the zero-stuffed input is correlated with the kernel as it is, not rotated by 180 degrees:
    the adjoint of conv2d is wrong, so the adjointness cases fail along with the values.
    SHOULD HURT: all three conv tasks (any kernel that is not symmetric).
    """, [(ROTATE, "    rotated = weight  # BUG: not flipped\n")])

make("weight_layout_out_in", """
    SUBMISSION weight_layout_out_in (buggy): a copy of correct_alt with ONE bug.
    BUG: the weight is read in conv2d's layout (C_out, C_in / groups, k...) instead of the
    transposed conv's (C_in, C_out / groups, k...). With C_in != C_out it raises on valid input;
    with C_in == C_out it computes with the channel axes swapped (and the adjoint is wrong).
    SHOULD HURT: all three conv tasks.
    """, [("    c_in, c_out_g = weight.shape[0], weight.shape[1]\n",
           "    c_in, c_out_g = weight.shape[1] * groups, weight.shape[0] // groups  # BUG: conv2d's layout\n"),
          ("    w = rotated.reshape(groups, c_in_g, c_out_g, *ks)\n",
           "    w = rotated.reshape(groups, c_out_g, c_in_g, *ks).transpose(1, 2)  # BUG\n")])

make("stride_as_dilation", """
    SUBMISSION stride_as_dilation (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_transpose1d hands stride and dilation over the wrong way round.
    SHOULD HURT: conv_transpose1d where stride != dilation.
    """, [(CT1D, CT1D_HEAD + "    return _transposed(input, weight, bias, dilation, padding, output_padding, groups, stride, 1)"
                             "  # BUG: swapped\n")])

make("bias_missing", """
    SUBMISSION bias_missing (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_transpose2d never adds the bias.
    SHOULD HURT: conv_transpose2d in cases with a bias (the matrix has no bias: unaffected).
    """, [(CT2D, CT2D_HEAD + "    return _transposed(input, weight, None, stride, padding, output_padding, groups, dilation, 2)"
                             "  # BUG: bias dropped\n")])

make("matrix_transposed", """
    SUBMISSION matrix_transposed (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_transpose2d_matrix returns M.T (rows index the input values).
    SHOULD HURT: conv_transpose2d_matrix only.
    """, [("    return columns.reshape(c_in * h * w, -1).T\n",
           "    return columns.reshape(c_in * h * w, -1)  # BUG: not transposed\n")])

make("overlap_ignored", """
    SUBMISSION overlap_ignored (buggy): a copy of correct_alt with ONE bug.
    BUG: overlap_count marks covered pixels (= 1) instead of counting the stamps (+= 1).
    SHOULD HURT: overlap_count where stamps overlap (kernel larger than the stride).
    """, [("            count[i * sh:i * sh + kh, j * sw:j * sw + kw] += 1\n",
           "            count[i * sh:i * sh + kh, j * sw:j * sw + kw] = 1  # BUG: no counting\n")])

make("dtype_float64", """
    SUBMISSION dtype_float64 (buggy): a copy of correct_alt with ONE bug.
    BUG: conv_transpose1d always returns float64 (right values, wrong dtype for float32 input).
    SHOULD HURT: conv_transpose1d with float32 input.
    """, [(CT1D, CT1D_HEAD + "    out = _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)\n"
                             "    return out.to(torch.float64)  # BUG: dtype not preserved\n")])

make("no_raise", """
    SUBMISSION no_raise (buggy): a copy of correct_alt with ONE bug.
    BUG: output_padding equal to the stride (or the dilation) is accepted instead of raising
    RuntimeError: the check uses > where torch uses >=.
    SHOULD HURT: the invalid-argument probes on output_padding of all three conv tasks, only.
    """, [("    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):\n",
           "    if any(op > s and op > d for op, s, d in zip(output_padding, stride, dilation)):  # BUG: > not >=\n")])

# ------------------------------------------------------------------ hostile
make("forbidden_dynamic", """
    SUBMISSION forbidden_dynamic (hostile): correct_alt except conv_transpose2d, which fetches torch's
    functional conv_transpose2d by a computed name (forbidden, invisible to a plain static scan).
    SHOULD HURT: conv_transpose2d and conv_transpose2d_matrix (which calls it), as forbidden.
    """, [(CT2D, CT2D_HEAD + '    fn = getattr(F, "conv_" + "transpose2d")  # FORBIDDEN, hidden\n'
                             "    return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)\n")])

make("autograd", """
    SUBMISSION autograd (hostile): correct_alt except conv_transpose1d, which takes the adjoint of a
    hand-written conv1d from torch.autograd.grad (forbidden: that is the point of the assignment).
    SHOULD HURT: conv_transpose1d, as forbidden.
    """, [(CT1D, CT1D_HEAD + '''    k = weight.shape[-1]
    size = (input.shape[-1] - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    x = torch.zeros(*input.shape[:-2], weight.shape[1], size, dtype=input.dtype, requires_grad=True)
    windows = F.pad(x, (padding, padding)).unfold(-1, dilation * (k - 1) + 1, stride)[..., ::dilation]
    conv = torch.einsum("...clk,ock->...ol", windows, weight)  # conv1d by hand
    (out,) = torch.autograd.grad(conv, x, grad_outputs=input, create_graph=True)  # FORBIDDEN
    return out if bias is None else out + bias[:, None]
''')])

make("bias_detached", """
    SUBMISSION bias_detached (buggy): a copy of correct_alt with ONE bug.
    BUG: the bias is added detached: right values, but no gradient reaches it.
    SHOULD HURT: conv_transpose1d and conv_transpose2d, their gradient cases.
    """, [("        out = out + bias.to(out.dtype).view(1, c_out, *[1] * n)\n",
           "        out = out + bias.detach().to(out.dtype).view(1, c_out, *[1] * n)  # BUG\n")])
