"""Buggy and hostile assignment 3 submissions: correct_alt with a few edits each (see mutants.py)."""
from mutants import registry

POOLING = "assignment3/correct_alt/pooling.py"
IM2COL = "assignment3/correct_alt/im2col.py"
MUTANTS, make = registry(POOLING)


# max_pool2d_backward reuses the forward's _max_pool; a forward bug gets a switch that only
# max_pool2d turns on, so that the backward stays correct and the bug hurts one task.
MAX_DEF = "def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode):\n"
MAX_CALL = "    values, indices = _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode)\n    if return_indices:\n"


def forward_only(definition_extra, call_extra):
    return [(MAX_DEF, MAX_DEF.replace("ceil_mode)", f"ceil_mode, {definition_extra})")),
            (MAX_CALL, MAX_CALL.replace("ceil_mode)", f"ceil_mode, {call_extra})  # BUG switched on"))]


# ------------------------------------------------------------------ buggy: max_pool2d
make("ceil_no_rule", """
    SUBMISSION ceil_no_rule (buggy): a copy of correct_alt with ONE bug.
    BUG: max_pool2d with ceil_mode=True rounds the window count up and keeps a last window
    that starts in the right padding (torch drops it); that window holds only -inf.
    SHOULD HURT: max_pool2d with ceil_mode where the last-window rule bites (the output is
    one larger), e.g. size 5, kernel 2, stride 2, padding 1.
    """, forward_only("rule=True", "rule=False") + [
    ("def _n_windows(size, k, s, p, d, ceil_mode):\n", "def _n_windows(size, k, s, p, d, ceil_mode, rule=True):\n"),
    ("        if (n - 1) * s >= size + p:", "        if rule and (n - 1) * s >= size + p:"),
    ("    oh = _n_windows(H, kh, sh, ph, dh, ceil_mode)\n    ow = _n_windows(W, kw, sw, pw, dw, ceil_mode)\n",
     "    oh = _n_windows(H, kh, sh, ph, dh, ceil_mode, rule)\n    ow = _n_windows(W, kw, sw, pw, dw, ceil_mode, rule)\n"),
])

make("pool_padding_zeros", """
    SUBMISSION pool_padding_zeros (buggy): a copy of correct_alt with ONE bug.
    BUG: max_pool2d pads with 0 instead of -inf, so for an all-negative window that reaches
    into the padding the result is 0.
    SHOULD HURT: max_pool2d with padding (or ceil_mode overhang) on negative values.
    """, forward_only('fill=float("-inf")', "fill=0.0") + [
    ('    xp = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=float("-inf"))\n',
     "    xp = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=fill)\n"),
])

make("indices_within_window", """
    SUBMISSION indices_within_window (buggy): a copy of correct_alt with ONE bug.
    BUG: max_pool2d(return_indices=True) returns the arg-max's position inside its window
    (0 .. kh*kw-1) instead of torch's flat index h * W + w into the input plane.
    SHOULD HURT: max_pool2d cases with return_indices=True (values stay right).
    """, forward_only("relative=False", "relative=True") + [
    ("            row_indices.append(r * W + q)\n",
     "            row_indices.append(best[..., 0] if relative else r * W + q)\n"),
])

make("forbidden_dynamic", """
    SUBMISSION forbidden_dynamic (hostile): correct_alt except max_pool2d, which fetches torch's
    functional max_pool2d by a computed name (forbidden API, invisible to a plain static scan).
    SHOULD HURT: max_pool2d, as forbidden.
    """, [
    ("def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):\n",
     "def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):\n"
     '    fn = getattr(__import__("torch").nn.functional, "max_" + "pool2d")  # FORBIDDEN, hidden\n'
     "    return fn(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)\n"),
])

# ------------------------------------------------------------------ buggy: avg_pool2d
make("count_include_pad_ignored", """
    SUBMISSION count_include_pad_ignored (buggy): a copy of correct_alt with ONE bug.
    BUG: avg_pool2d always divides by the window size including padding, as if
    count_include_pad were always True.
    SHOULD HURT: avg_pool2d with padding and count_include_pad=False.
    """, [
    ("            elif count_include_pad:\n", "            elif True:  # BUG: count_include_pad ignored\n"),
])

make("overhang_counted", """
    SUBMISSION overhang_counted (buggy): a copy of correct_alt with ONE bug.
    BUG: avg_pool2d (count_include_pad=True) divides by the full kernel area, also for a
    ceil_mode window that sticks out past the right/bottom padding.
    SHOULD HURT: avg_pool2d with ceil_mode where a window overhangs the padded input.
    """, [
    ("            with_padding = (h1 - h0) * (w1 - w0)\n",
     "            with_padding = kh * kw  # BUG: the overhang counts too\n"),
])

# ------------------------------------------------------------------ buggy: max_pool2d_backward
BACKWARD_ACCUMULATE = ("    grad_input = grad_input.index_put((plane.reshape(-1), index.reshape(-1)), grads.reshape(-1), "
                       "accumulate=True)\n")

make("overlap_overwritten", """
    SUBMISSION overlap_overwritten (buggy): a copy of correct_alt with ONE bug.
    BUG: max_pool2d_backward writes each window's gradient into grad_input with a plain
    assignment, window after window, so an element that is the arg-max of several overlapping
    windows keeps only the last gradient instead of their sum.
    SHOULD HURT: max_pool2d_backward with overlapping windows (stride < kernel).
    """, [
    (BACKWARD_ACCUMULATE, """    rows = torch.arange(planes, device=input.device)
    for j in range(index.shape[1]):  # BUG: assignment, a later window overwrites an earlier one
        grad_input[rows, index[:, j]] = grads[:, j]
"""),
])

make("ties_to_every_max", """
    SUBMISSION ties_to_every_max (buggy): a copy of correct_alt with ONE bug.
    BUG: max_pool2d_backward sends each window's gradient to EVERY element equal to the
    window's maximum, not just to the first one.
    SHOULD HURT: max_pool2d_backward on inputs with tied maxima in a window.
    """, [
    ("def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):\n",
     """def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    # BUG: every tied maximum of a window gets the window's whole gradient
    values, _ = _max_pool(input.detach(), kernel_size, stride, padding, dilation, ceil_mode)
    if grad_output.shape != values.shape:
        raise RuntimeError("grad_output has the wrong shape")
    unbatched, x = _as_4d(input.detach())
    g = grad_output[None] if unbatched else grad_output
    v = values[None] if unbatched else values
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _settings(kernel_size, stride, padding, dilation)
    H, W = x.shape[-2:]
    grad_input = torch.zeros_like(x)
    for i in range(v.shape[-2]):
        for j in range(v.shape[-1]):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh - ph + a * dh, j * sw - pw + b * dw
                    if 0 <= r < H and 0 <= q < W:
                        hit = (x[:, :, r, q] == v[:, :, i, j]).to(x.dtype)
                        grad_input[:, :, r, q] = grad_input[:, :, r, q] + hit * g[:, :, i, j]
    return grad_input[0] if unbatched else grad_input


def _unused_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
"""),
])

make("autograd_backward", """
    SUBMISSION autograd_backward (hostile): correct_alt except max_pool2d_backward, which lets
    autograd do the work (torch.autograd.grad through its own max_pool2d): right values, but
    the task forbids autograd.
    SHOULD HURT: max_pool2d_backward, as forbidden.
    """, [
    ("def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):\n",
     """def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    x = input.detach().requires_grad_(True)
    out = max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)
    return torch.autograd.grad(out, x, grad_output)[0]  # FORBIDDEN: autograd


def _unused_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
"""),
])

# ------------------------------------------------------------------ buggy: adaptive, global, pyramid
make("adaptive_uniform_bins", """
    SUBMISSION adaptive_uniform_bins (buggy): a copy of correct_alt with ONE bug.
    BUG: adaptive_avg_pool2d uses windows of one size and one stride (stride = In // Out,
    kernel = In - (Out - 1) * stride) instead of the bins [floor(i*In/Out), ceil((i+1)*In/Out)).
    adaptive_max_pool2d and the pyramid keep the right bins.
    SHOULD HURT: adaptive_avg_pool2d where Out does not divide In.
    """, [
    ("def _adaptive(input, output_size, reduce):\n", "def _adaptive(input, output_size, reduce, uniform=False):\n"),
    ("        h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)\n",
     "        h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)\n"
     "        if uniform:  # BUG: one window size, one stride\n"
     "            h0, h1 = i * (H // oh), i * (H // oh) + H - (oh - 1) * (H // oh)\n"),
    ("            w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)\n",
     "            w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)\n"
     "            if uniform:\n"
     "                w0, w1 = j * (W // ow), j * (W // ow) + W - (ow - 1) * (W // ow)\n"),
    ("    return _adaptive(input, output_size, lambda window: window.mean(dim=-1))\n",
     "    return _adaptive(input, output_size, lambda window: window.mean(dim=-1), uniform=True)\n"),
])

make("global_float64", """
    SUBMISSION global_float64 (buggy): a copy of correct_alt with ONE bug.
    BUG: global_pool2d returns float64 whatever the input's dtype (the values are right).
    SHOULD HURT: global_pool2d on float32 input.
    """, [
    ('    return flat.sum(-1) / flat.shape[-1] if mode == "avg" else flat.max(-1).values\n',
     '    out = flat.sum(-1) / flat.shape[-1] if mode == "avg" else flat.max(-1).values\n'
     "    return out.to(torch.float64)  # BUG: dtype not preserved\n"),
])

make("pyramid_flatten_order", """
    SUBMISSION pyramid_flatten_order (buggy): a copy of correct_alt with ONE bug.
    BUG: spatial_pyramid_pool2d flattens each level position by position, (l, l, C), instead
    of channel by channel, (C, l, l).
    SHOULD HURT: spatial_pyramid_pool2d with more than one channel and a level above 1.
    """, [
    ("    return torch.cat([part.reshape(*part.shape[:-3], -1) for part in parts], dim=-1)\n",
     "    # BUG: channels last before flattening\n"
     "    return torch.cat([part.movedim(-3, -1).reshape(*part.shape[:-3], -1) for part in parts], dim=-1)\n"),
])

# ------------------------------------------------------------------ buggy: im2col.py
make("unfold_row_order", """
    SUBMISSION unfold_row_order (buggy): a copy of correct_alt with ONE bug.
    BUG: unfold orders the rows of a column kernel tap first, then channel ((kh, kw, C)),
    instead of channel first ((C, kh, kw)) as F.unfold does. conv2d_im2col flattens the weight
    in the same order, so the convolution (and conv2d_matrix built on it) stays right.
    SHOULD HURT: unfold with more than one channel and a kernel larger than 1x1.
    """, [
    ("    view = x.as_strided((n, c, kh, kw, oh, ow), (sn, sc, dh * s_h, dw * s_w, sh * s_h, sw * s_w),\n",
     "    view = x.as_strided((n, kh, kw, c, oh, ow), (sn, dh * s_h, dw * s_w, sc, sh * s_h, sw * s_w),  # BUG\n"),
    ('    out = torch.einsum("ok,nkl->nol", weight.reshape(weight.shape[0], -1), columns)\n',
     '    out = torch.einsum("ok,nkl->nol", weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1), columns)\n'),
], base=IM2COL)

make("unfold_accepts_1tuple", """
    SUBMISSION unfold_accepts_1tuple (buggy): a copy of correct_alt with ONE bug.
    BUG: unfold takes a 1-tuple kernel_size (and dilation, padding, stride) for both
    dimensions, where F.unfold raises RuntimeError.
    SHOULD HURT: unfold's invalid-argument probe "kernel_size as a 1-tuple" only.
    """, [
    ("    value = tuple(value)\n    if len(value) != 2:\n",
     "    value = tuple(value)\n    if len(value) == 1:  # BUG: F.unfold rejects this\n        return value[0], value[0]\n"
     "    if len(value) != 2:\n"),
], base=IM2COL)

make("conv_matrix_transposed", """
    SUBMISSION conv_matrix_transposed (buggy): a copy of correct_alt with ONE bug.
    BUG: conv2d_matrix returns H transposed: one row per INPUT value.
    SHOULD HURT: conv2d_matrix (the H @ x experiments raise a size mismatch).
    """, [
    ("    return outputs.reshape(n, -1).T\n", "    return outputs.reshape(n, -1)  # BUG: transposed\n"),
], base=IM2COL)

make("backward_via_grad_fn", """
    SUBMISSION backward_via_grad_fn (hostile): max_pool2d_backward calls the graph node of a
    gather by hand (y.grad_fn(g)): autograd in disguise.
    SHOULD HURT: max_pool2d_backward (forbidden).
    """, [("    grad_input = grad_input.index_put((plane.reshape(-1), index.reshape(-1)), grads.reshape(-1), accumulate=True)\n",
           "    source = torch.zeros(planes, H * W, dtype=input.dtype, device=input.device, requires_grad=True)\n"
           "    picked = source.gather(1, index)\n"
           "    grad_input = picked.grad_fn(grads)[0]  # BUG: autograd by hand\n")])
