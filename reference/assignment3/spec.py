"""Assignment 3, pooling and convolution as matrix multiplication: tasks, points, cases, known mistakes."""
from __future__ import annotations

import itertools
import math
import random

import torch
import torch.nn.functional as F

from grader import kit
from grader.kit import (ANIMATED, CONV_FORBIDDEN, IMAGE3, KERNEL2, KERNEL_ANIMATED, LECTURE_H, POOL_FORBIDDEN,
                        UNFOLD_FORBIDDEN, NotApplicable, bind, hidden, two)
from grader.spec import Assignment, Case, Random, Task, Tensor, Variant, load_checks

checks = load_checks(__file__)

OWN_FILE_ONLY = ("pooling",)  # the statement: im2col.py imports nothing from pooling.py
# Calling the nodes of a graph (y.grad_fn(g)) is autograd by hand.
AUTOGRAD_FORBIDDEN = ("torch.autograd", "torch.autograd.*", "torch.Tensor.backward", "torch.func",
                      "torch._functorch", "torch.Tensor.grad_fn")

LECTURE_MAX = [[1, 3, 2], [0, -1, 5], [4, 2, 1]]  # for the lecture's gradient-of-max rule (its slide has no numbers)
INF = float("inf")


# --- arguments and a small pooling engine for the known wrong answers (float64) ----------------

def _pool_len(size, k, s, p, d, ceil_mode, rule=True) -> int:
    """torch's pooling output length; `rule=False` leaves out the last-window correction."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and rule and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(a: dict, dilation=True):
    k = two(a["kernel_size"])
    stride = a["stride"]
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else two(stride)
    d = two(a["dilation"]) if dilation else (1, 1)
    return k, s, two(a["padding"]), d


def _lines(out, k, s, p, d) -> torch.Tensor:
    """(out, k) input coordinates of every window's taps."""
    return torch.arange(out)[:, None] * s - p + torch.arange(k)[None, :] * d


def _gather(x, rows, cols, fill):
    """Windows (..., Oh, Ow, kh*kw) of the last two dims; `fill` outside; plus flat H*W indices and
    the inside mask (Oh, Ow, kh*kw)."""
    height, width = x.shape[-2:]
    r, c = rows[:, None, :, None], cols[None, :, None, :]                 # (Oh, 1, kh, 1), (1, Ow, 1, kw)
    inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
    values = x[..., r.clamp(0, height - 1), c.clamp(0, width - 1)]
    values = torch.where(inside, values, torch.tensor(fill, dtype=x.dtype))
    flat = (r.clamp(0, height - 1) * width + c.clamp(0, width - 1)).expand(inside.shape)
    shape = inside.shape[:2] + (-1,)
    return values.reshape(*x.shape[:-2], *shape), flat.reshape(shape), inside.reshape(shape)


def _pick(windows, last=False):
    """Position of the first (or last) maximum along the last dim."""
    hit = windows == windows.amax(-1, keepdim=True)
    order = torch.arange(windows.shape[-1])
    if last:
        return torch.where(hit, order, -1).amax(-1)
    return torch.where(hit, order, windows.shape[-1]).amin(-1)


def _max_windows(x, k, s, p, d, out, fill=-INF):
    rows = _lines(out[0], k[0], s[0], p[0], d[0])
    cols = _lines(out[1], k[1], s[1], p[1], d[1])
    return _gather(x, rows, cols, fill)


def _sizes(x, k, s, p, d, ceil_mode, rule=True):
    return tuple(_pool_len(n, *g, ceil_mode, rule) for n, g in zip(x.shape[-2:], zip(k, s, p, d)))


def _max_result(x, k, s, p, d, out, return_indices, fill=-INF, last=False, index=None):
    windows, flat, _ = _max_windows(x, k, s, p, d, out, fill)
    chosen = _pick(windows, last)[..., None]
    values = windows.gather(-1, chosen).squeeze(-1)
    if not return_indices:
        return values
    which = index if index is not None else flat
    return values, which.expand(windows.shape).gather(-1, chosen).squeeze(-1)


# --- max_pool2d mistakes --------------------------------------------------------------------

def _max_args(ref, args, kwargs):
    a = bind(ref.max_pool2d, args, kwargs)
    return (a["input"], *_geometry(a), bool(a["ceil_mode"]), bool(a["return_indices"]), a)


def _max_no_rule(ref, *args, **kwargs):
    x, k, s, p, d, ceil_mode, indices, _ = _max_args(ref, args, kwargs)
    out = _sizes(x, k, s, p, d, ceil_mode, rule=False)
    if not ceil_mode or out == _sizes(x, k, s, p, d, ceil_mode):
        raise NotApplicable("the last-window rule does not change the size here")
    return _max_result(x, k, s, p, d, out, indices)


def _max_ceil_ignored(ref, *args, **kwargs):
    x, k, s, p, d, ceil_mode, indices, _ = _max_args(ref, args, kwargs)
    out = _sizes(x, k, s, p, d, False)
    if not ceil_mode or out == _sizes(x, k, s, p, d, True):
        raise NotApplicable("ceil_mode makes no difference here")
    return _max_result(x, k, s, p, d, out, indices)


def _max_stride_one(ref, *args, **kwargs):
    x, k, s, p, d, ceil_mode, indices, a = _max_args(ref, args, kwargs)
    if a["stride"] not in (None, (), []) or k == (1, 1):
        raise NotApplicable("stride given, or the default is 1 anyway")
    return _max_result(x, k, (1, 1), p, d, _sizes(x, k, (1, 1), p, d, ceil_mode), indices)


def _max_zero_padding(ref, *args, **kwargs):
    x, k, s, p, d, ceil_mode, indices, _ = _max_args(ref, args, kwargs)
    out = _sizes(x, k, s, p, d, ceil_mode)
    if bool(_max_windows(x, k, s, p, d, out)[2].all()):
        raise NotApplicable("no window reaches into padding")
    return _max_result(x, k, s, p, d, out, indices, fill=0.0)


def _max_dilation_ignored(ref, *args, **kwargs):
    x, k, s, p, d, ceil_mode, indices, _ = _max_args(ref, args, kwargs)
    if d == (1, 1):
        raise NotApplicable("no dilation")
    return _max_result(x, k, s, p, (1, 1), _sizes(x, k, s, p, (1, 1), ceil_mode), indices)


def _max_indices(kind):
    def compute(ref, *args, **kwargs):
        x, k, s, p, d, ceil_mode, indices, _ = _max_args(ref, args, kwargs)
        if not indices or (kind == "padded" and p == (0, 0)):
            raise NotApplicable("no indices, or nothing to tell apart")
        out = _sizes(x, k, s, p, d, ceil_mode)
        if kind == "last":
            return _max_result(x, k, s, p, d, out, True, last=True)
        if kind == "window":
            index = torch.arange(k[0] * k[1])
        else:  # the index into the padded plane
            rows, cols = _lines(out[0], k[0], s[0], p[0], d[0]), _lines(out[1], k[1], s[1], p[1], d[1])
            index = ((rows[:, None, :, None] + p[0]) * (x.shape[-1] + 2 * p[1])
                     + cols[None, :, None, :] + p[1]).reshape(out[0], out[1], -1)
        return _max_result(x, k, s, p, d, out, True, index=index)
    return compute


# By-shape hints complete "that is the shape you get when ...": they name the mistake first.
NO_RULE_HINT = ("a last window that starts in the right padding is kept; with ceil_mode=True torch drops it: "
                "every window must start inside the input or the left padding")
CEIL_IGNORED_HINT = ("ceil_mode is ignored; with ceil_mode=True the number of windows is rounded up, so a last, "
                     "partial window is kept")
STRIDE_ONE_HINT = "stride=None is taken as 1; it means stride = kernel_size (windows side by side)"


MAX_VARIANTS = (
    Variant(code="ceil_mode_no_last_window_rule", by_shape=True, compute=_max_no_rule, hint=NO_RULE_HINT),
    Variant(code="ceil_mode_ignored", by_shape=True, compute=_max_ceil_ignored, hint=CEIL_IGNORED_HINT),
    Variant(code="stride_default_one", by_shape=True, compute=_max_stride_one, hint=STRIDE_ONE_HINT),
    Variant(code="dilation_ignored", compute=_max_dilation_ignored,
            hint="dilation was ignored: the taps of a window must be `dilation` apart"),
    Variant(code="pool_padding_zeros", compute=_max_zero_padding,
            hint="the padding of max pooling is -inf, not 0: a padded position never wins, even when every "
                 "input value in the window is negative"),
    Variant(code="indices_within_window", compute=_max_indices("window"),
            hint="the indices count positions within the window; torch returns the flat index h * W + w of "
                 "the arg-max in the (unpadded) input plane"),
    Variant(code="indices_in_padded_input", compute=_max_indices("padded"),
            hint="the indices are positions in the padded input; torch's flat index h * W + w refers to "
                 "the input without padding"),
    Variant(code="ties_to_last_max", compute=_max_indices("last"),
            hint="with several equal maxima in a window torch returns the first one (in row-major order), "
                 "not the last"),
)


# --- avg_pool2d mistakes --------------------------------------------------------------------

def _avg_args(ref, args, kwargs):
    a = bind(ref.avg_pool2d, args, kwargs)
    k, s, p, _ = _geometry({**a, "dilation": 1})
    return a["input"], k, s, p, a


def _avg_windows(x, k, s, p, out):
    return _max_windows(x, k, s, p, (1, 1), out, 0.0)[0]


def _avg_no_rule(ref, *args, **kwargs):
    x, k, s, p, a = _avg_args(ref, args, kwargs)
    out = _sizes(x, k, s, p, (1, 1), True, rule=False)
    if not a["ceil_mode"] or out == _sizes(x, k, s, p, (1, 1), True):
        raise NotApplicable("the last-window rule does not change the size here")
    return _avg_windows(x, k, s, p, out).sum(-1) / (k[0] * k[1])  # values of the extra window vary


def _avg_ceil_ignored(ref, *args, **kwargs):
    x, k, s, p, a = _avg_args(ref, args, kwargs)
    if not a["ceil_mode"] or _sizes(x, k, s, p, (1, 1), False) == _sizes(x, k, s, p, (1, 1), True):
        raise NotApplicable("ceil_mode makes no difference here")
    return ref.avg_pool2d(**{**a, "ceil_mode": False})


def _avg_stride_one(ref, *args, **kwargs):
    x, k, s, p, a = _avg_args(ref, args, kwargs)
    if a["stride"] not in (None, (), []) or k == (1, 1):
        raise NotApplicable("stride given, or the default is 1 anyway")
    return ref.avg_pool2d(**{**a, "stride": 1})


def _count_include_pad_flipped(when: bool):
    def compute(ref, *args, **kwargs):
        x, k, s, p, a = _avg_args(ref, args, kwargs)
        if bool(a["count_include_pad"]) != when or p == (0, 0) or a["divisor_override"] is not None:
            raise NotApplicable("count_include_pad makes no difference here")
        return ref.avg_pool2d(**{**a, "count_include_pad": not when})
    return compute


def _overhang_counted(ref, *args, **kwargs):
    x, k, s, p, a = _avg_args(ref, args, kwargs)
    if not a["ceil_mode"] or not a["count_include_pad"] or a["divisor_override"] is not None:
        raise NotApplicable("not a ceil_mode case with count_include_pad and no divisor_override")
    out = _sizes(x, k, s, p, (1, 1), True)
    if all((o - 1) * st - q + kk <= n + q for o, st, q, kk, n in zip(out, s, p, k, x.shape[-2:])):
        raise NotApplicable("no window sticks out of the padded input")
    return ref.avg_pool2d(**{**a, "divisor_override": k[0] * k[1]})


def _divisor_override_ignored(ref, *args, **kwargs):
    x, k, s, p, a = _avg_args(ref, args, kwargs)
    if a["divisor_override"] is None:
        raise NotApplicable("no divisor_override")
    return ref.avg_pool2d(**{**a, "divisor_override": None})


AVG_VARIANTS = (
    Variant(code="ceil_mode_no_last_window_rule", by_shape=True, compute=_avg_no_rule, hint=NO_RULE_HINT),
    Variant(code="ceil_mode_ignored", by_shape=True, compute=_avg_ceil_ignored, hint=CEIL_IGNORED_HINT),
    Variant(code="stride_default_one", by_shape=True, compute=_avg_stride_one, hint=STRIDE_ONE_HINT),
    Variant(code="divisor_override_ignored", compute=_divisor_override_ignored,
            hint="with divisor_override every window sum is divided by that number, whatever the window covers"),
    Variant(code="count_include_pad_ignored", compute=_count_include_pad_flipped(False),
            hint="count_include_pad=False: divide by the number of input elements in the window; the "
                 "padding does not count"),
    Variant(code="count_include_pad_ignored", compute=_count_include_pad_flipped(True),
            hint="count_include_pad=True (the default): the padded zeros count in the divisor, only the "
                 "input elements in the window is the rule for count_include_pad=False"),
    Variant(code="overhang_counted", compute=_overhang_counted,
            hint="a ceil_mode window that sticks out past the right/bottom padding divides by the part that "
                 "lies inside input + padding, not by the whole kernel area"),
)


# --- max_pool2d_backward mistakes -----------------------------------------------------------

def _backward_parts(ref, args, kwargs, fill=-INF):
    a = bind(ref.max_pool2d_backward, args, kwargs)
    grad, x = a["grad_output"], a["input"]
    k, s, p, d = _geometry(a)
    out = _sizes(x, k, s, p, d, bool(a["ceil_mode"]))
    windows, flat, inside = _max_windows(x, k, s, p, d, out, fill)
    return grad, x, windows, flat, inside


def _scatter(x, flat, weights):
    """grad_input of x's shape from per-tap weights (..., Oh, Ow, K) sent to the flat indices."""
    planes = x.reshape(-1, x.shape[-2] * x.shape[-1])
    where = flat.expand(weights.shape).reshape(planes.shape[0], -1)
    return torch.zeros_like(planes).scatter_add(1, where, weights.reshape(planes.shape[0], -1)).reshape(x.shape)


def _ties(kind):
    def compute(ref, *args, **kwargs):
        grad, x, windows, flat, inside = _backward_parts(ref, args, kwargs)
        hit = (windows == windows.amax(-1, keepdim=True)) & inside
        if not bool((hit.sum(-1) > 1).any()):
            raise NotApplicable("no ties")
        if kind == "last":
            mask = torch.nn.functional.one_hot(_pick(windows, last=True), windows.shape[-1]).to(x.dtype)
        else:
            mask = hit.to(x.dtype)
            if kind == "split":
                mask = mask / mask.sum(-1, keepdim=True)
        return _scatter(x, flat, grad[..., None] * mask)
    return compute


def _overlap_overwritten(ref, *args, **kwargs):
    grad, x, windows, flat, inside = _backward_parts(ref, args, kwargs)
    chosen = flat.expand(windows.shape).gather(-1, _pick(windows)[..., None]).squeeze(-1)
    planes = chosen.reshape(-1, chosen.shape[-2] * chosen.shape[-1])
    if all(len(set(row.tolist())) == len(row) for row in planes):
        raise NotApplicable("no element is the arg-max of two windows")
    result = torch.zeros(planes.shape[0], x.shape[-2] * x.shape[-1], dtype=x.dtype)
    grads = grad.reshape(planes.shape)
    rows = torch.arange(planes.shape[0])
    for j in range(planes.shape[1]):  # windows in order: a later write replaces an earlier one
        result[rows, planes[:, j]] = grads[:, j]
    return result.reshape(x.shape)


def _backward_zero_padding(ref, *args, **kwargs):
    grad, x, windows, flat, inside = _backward_parts(ref, args, kwargs, fill=0.0)
    if bool(inside.all()):
        raise NotApplicable("no window reaches into padding")
    mask = torch.nn.functional.one_hot(_pick(windows), windows.shape[-1]).to(x.dtype) * inside
    return _scatter(x, flat, grad[..., None] * mask)


def _whole_window(ref, *args, **kwargs):
    grad, x, windows, flat, inside = _backward_parts(ref, args, kwargs)
    if windows.shape[-1] == 1:
        raise NotApplicable("1x1 windows: the arg-max is the whole window")
    return _scatter(x, flat, grad[..., None] * inside.to(x.dtype))


BACKWARD_VARIANTS = (
    Variant(code="gradient_to_whole_window", compute=_whole_window,
            hint="every element of the window received the gradient; only the arg-max does (the derivative "
                 "of max is 1 for the largest argument and 0 for the others)"),
    Variant(code="overlap_overwritten", compute=_overlap_overwritten,
            hint="an element that is the arg-max of several overlapping windows must receive the SUM of their "
                 "gradients; here later windows overwrote earlier ones (use index_add / scatter_add, or += "
                 "with accumulate=True)"),
    Variant(code="ties_to_every_max", compute=_ties("every"),
            hint="with equal maxima in a window only the first one (row-major) gets the gradient, as in "
                 "torch; here every tied maximum got all of it"),
    Variant(code="ties_split_evenly", compute=_ties("split"),
            hint="with equal maxima in a window only the first one (row-major) gets the gradient; splitting "
                 "it among the ties is what amax's gradient does, not max pooling's"),
    Variant(code="ties_to_last_max", compute=_ties("last"),
            hint="with equal maxima in a window the FIRST one in row-major order gets the gradient, not the last"),
    Variant(code="pool_padding_zeros", compute=_backward_zero_padding,
            hint="the padding of max pooling is -inf, not 0: when all input values of a window are negative "
                 "the arg-max is still an input element, which gets the gradient"),
)


# --- adaptive, global and pyramid pooling mistakes --------------------------------------------

def _adaptive_out(x, output_size):
    sizes = [output_size] * 2 if isinstance(output_size, int) else list(output_size)
    return tuple(x.shape[-2 + i] if o is None else o for i, o in enumerate(sizes))


def _pool_bins(x, bins, reduce):
    """Pool x over bins given per dim as lists of (start, stop)."""
    rows = [x[..., a:b, :] for a, b in bins[0]]
    return torch.stack([torch.stack([reduce(r[..., a:b]) for a, b in bins[1]], -1) for r in rows], -2)


def _reduce(mode):
    return (lambda w: w.mean((-2, -1))) if mode == "avg" else (lambda w: w.amax((-2, -1)))


def _uniform_bins(n, o):
    """stride = n // o, kernel = n - (o - 1) * stride: the usual shortcut, right only when o divides n."""
    if o == 0:
        raise NotApplicable("no bins")
    stride = n // o
    kernel = n - (o - 1) * stride
    return [(i * stride, i * stride + kernel) for i in range(o)]


def _floor_bins(n, o):
    if o == 0 or o > n:
        raise NotApplicable("empty bins")
    return [(i * n // o, (i + 1) * n // o) for i in range(o)]


def _adaptive_variant(mode, make_bins):
    def compute(ref, input, output_size):
        out = _adaptive_out(input, output_size)
        if all(o == 0 or n % o == 0 for n, o in zip(input.shape[-2:], out)):
            raise NotApplicable("the bins are the same")
        bins = [make_bins(n, o) for n, o in zip(input.shape[-2:], out)]
        return _pool_bins(input, bins, _reduce(mode))
    return compute


UNIFORM_HINT = ("these are windows of one size and one stride (stride = In // Out, kernel = In - (Out-1) * stride); "
                "adaptive bin i is [floor(i * In / Out), ceil((i + 1) * In / Out)), so bins differ in size and "
                "may overlap")
FLOOR_END_HINT = "bin i ends at ceil((i + 1) * In / Out), not floor: neighbouring bins may share an element"


def _adaptive_variants(mode):
    return (Variant(code="adaptive_uniform_bins", compute=_adaptive_variant(mode, _uniform_bins), hint=UNIFORM_HINT),
            Variant(code="adaptive_bins_floor_end", compute=_adaptive_variant(mode, _floor_bins),
                    hint=FLOOR_END_HINT))


def _mode_swapped(ref, input, mode="avg"):
    if input.shape[-2] * input.shape[-1] == 1:
        raise NotApplicable("one element: mean and maximum agree")
    return input.amax((-2, -1)) if mode == "avg" else input.mean((-2, -1))


def _keepdim(ref, input, mode="avg"):
    return input.mean((-2, -1), keepdim=True) if mode == "avg" else input.amax((-2, -1), keepdim=True)


MODE_SWAPPED_HINT = "mode='avg' is the mean and mode='max' the maximum; these are the other way round"

GLOBAL_VARIANTS = (
    Variant(code="pool_mode_swapped", compute=_mode_swapped, hint=MODE_SWAPPED_HINT),
    Variant(code="global_keeps_spatial_dims", compute=_keepdim,
            hint="the result has shape (N, C): drop the two 1-sized spatial dimensions"),
)


def _spp_args(ref, args, kwargs):
    a = bind(ref.spatial_pyramid_pool2d, args, kwargs)
    return a["input"], list(a["levels"]), a["mode"]


def _spp_flattened(order: tuple[int, int, int]):
    """Each level's (C, l, l) bins flattened in another order of those axes, e.g. (l, l, C) by
    .movedim(-3, -1).flatten(-3) or (l_w, l_h, C) by .transpose(1, 3).flatten(1)."""
    def compute(ref, *args, **kwargs):
        x, levels, mode = _spp_args(ref, args, kwargs)
        pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
        axes = [x.dim() - 3 + axis for axis in order]
        flattened = torch.cat([pool(x, level).permute(*range(x.dim() - 3), *axes).flatten(-3) for level in levels], -1)
        if torch.equal(flattened, ref.spatial_pyramid_pool2d(x, levels, mode)):
            raise NotApplicable("one channel or 1x1 levels: the order makes no difference")
        return flattened
    return compute


def _spp_reversed(ref, *args, **kwargs):
    x, levels, mode = _spp_args(ref, args, kwargs)
    if levels == levels[::-1]:
        raise NotApplicable("symmetric levels")
    return ref.spatial_pyramid_pool2d(x, levels[::-1], mode)


def _spp_uniform(ref, *args, **kwargs):
    x, levels, mode = _spp_args(ref, args, kwargs)
    if all(n % level == 0 for level in levels for n in x.shape[-2:]):
        raise NotApplicable("the bins are the same")
    parts = []
    for level in levels:
        bins = [_uniform_bins(n, level) for n in x.shape[-2:]]
        parts.append(_pool_bins(x, bins, _reduce(mode)).flatten(-3))
    return torch.cat(parts, -1)


def _spp_swapped(ref, *args, **kwargs):
    x, levels, mode = _spp_args(ref, args, kwargs)
    return ref.spatial_pyramid_pool2d(x, levels, "avg" if mode == "max" else "max")


SPP_VARIANTS = (
    *(Variant(code="pyramid_flatten_order", compute=_spp_flattened(order),  # every other order of (C, l, l)
              hint="each level is flattened as (C, l, l): all bins of channel 0 first, row by row")
      for order in itertools.permutations(range(3)) if order != (0, 1, 2)),
    Variant(code="pyramid_levels_reversed", compute=_spp_reversed,
            hint="the levels go into the result in the order given"),
    Variant(code="adaptive_uniform_bins", compute=_spp_uniform, hint=UNIFORM_HINT),
    Variant(code="pool_mode_swapped", compute=_spp_swapped, hint=MODE_SWAPPED_HINT),
)


# --- unfold, conv2d_matrix and conv2d_im2col mistakes ------------------------------------------

def _unfold_args(ref, args, kwargs):
    a = bind(ref.unfold, args, kwargs)
    return a["input"], two(a["kernel_size"]), a


def _unfold_position_major(ref, *args, **kwargs):
    x, k, a = _unfold_args(ref, args, kwargs)
    if x.shape[-3] == 1 or k == (1, 1):
        raise NotApplicable("one channel or a 1x1 kernel: the order is the same")
    columns = ref.unfold(**a)
    shape = columns.shape
    c = x.shape[-3]
    return columns.reshape(*shape[:-2], c, k[0] * k[1], shape[-1]).transpose(-3, -2).reshape(shape)


def _unfold_transposed(ref, *args, **kwargs):
    columns = ref.unfold(*args, **kwargs)
    if columns.shape[-2:] == (1, 1):
        raise NotApplicable("a 1x1 result is its own transpose")
    return columns.transpose(-2, -1)


def _unfold_dilation_ignored(ref, *args, **kwargs):
    x, k, a = _unfold_args(ref, args, kwargs)
    if two(a["dilation"]) == (1, 1) or k == (1, 1):
        raise NotApplicable("no dilation")
    return ref.unfold(**{**a, "dilation": 1})


def _unfold_conv_order(ref, *args, **kwargs):
    """unfold(input, kernel_size, stride, padding, dilation): conv's order instead of F.unfold's."""
    if len(args) < 3:
        raise NotApplicable("dilation and stride not given by position")
    x, k, a = _unfold_args(ref, args, kwargs)
    if a["dilation"] == a["stride"]:
        raise NotApplicable("the same either way")
    try:
        return ref.unfold(**{**a, "dilation": a["stride"], "stride": a["dilation"]})
    except RuntimeError as error:  # the swapped dilation makes the kernel too large for the input
        raise NotApplicable(f"the swapped call is itself invalid here: {error}") from None


UNFOLD_ORDER_HINT = ("the rows of unfold are ordered channel first: row c * kh * kw + i * kw + j holds channel c "
                     "at kernel tap (i, j), the order in which weight (C_out, C_in, kh, kw) flattens")

UNFOLD_VARIANTS = (
    Variant(code="unfold_argument_order", compute=_unfold_conv_order,
            hint="F.unfold takes (input, kernel_size, dilation, padding, stride), in that order; this is "
                 "conv's order (stride before dilation)"),
    Variant(code="unfold_row_order", compute=_unfold_position_major, hint=UNFOLD_ORDER_HINT),
    Variant(code="unfold_transposed", compute=_unfold_transposed,
            hint="the result is (N, C * kh * kw, L): one COLUMN per window position"),
    Variant(code="dilation_ignored", compute=_unfold_dilation_ignored,
            hint="dilation was ignored: kernel taps must be `dilation` apart"),
)


def _kernel_flipped(name: str):
    """A variant of the conv task `name`: the weight flipped (a true convolution)."""
    def compute(ref, *args, **kwargs):
        a = bind(getattr(ref, name), args, kwargs)
        if tuple(a["weight"].shape[2:]) == (1, 1):
            raise NotApplicable("a 1x1 kernel is its own flip")
        return getattr(ref, name)(**{**a, "weight": a["weight"].flip(-2, -1)})
    return compute


def _without_dilation(name: str):
    """A variant of the conv task `name`: dilation ignored."""
    def compute(ref, *args, **kwargs):
        a = bind(getattr(ref, name), args, kwargs)
        if two(a["dilation"]) == (1, 1) or tuple(a["weight"].shape[2:]) == (1, 1):
            raise NotApplicable("no dilation")
        return getattr(ref, name)(**{**a, "dilation": 1})
    return compute


def _matrix_transposed(ref, *args, **kwargs):
    matrix = ref.conv2d_matrix(*args, **kwargs)
    if matrix.shape == (1, 1):
        raise NotApplicable("a 1x1 matrix is its own transpose")
    return matrix.T


MATRIX_VARIANTS = (
    Variant(code="matrix_transposed", compute=_matrix_transposed,
            hint="this is H transposed: H has one ROW per output value (C_out * H_out * W_out rows) and one "
                 "column per input value"),
    Variant(code="flipped_kernel", compute=_kernel_flipped("conv2d_matrix"),
            hint="the kernel is flipped: conv2d is cross-correlation, the weight goes in as it is"),
    Variant(code="dilation_ignored", compute=_without_dilation("conv2d_matrix"),
            hint="dilation was ignored: kernel taps must be `dilation` apart"),
)


def _conv_args(ref, args, kwargs):
    return bind(ref.conv2d_im2col, args, kwargs)


def _conv_no_bias(ref, *args, **kwargs):
    a = _conv_args(ref, args, kwargs)
    if a["bias"] is None:
        raise NotApplicable("no bias")
    return ref.conv2d_im2col(**{**a, "bias": None})


def _conv_row_order(ref, *args, **kwargs):
    """Columns in (tap, channel) order multiplied with the weight flattened (channel, tap)."""
    a = _conv_args(ref, args, kwargs)
    w = a["weight"]
    if w.shape[1] == 1 or tuple(w.shape[2:]) == (1, 1):
        raise NotApplicable("one channel or a 1x1 kernel: the order is the same")
    co, ci, kh, kw = w.shape
    mixed = w.reshape(co, kh, kw, ci).permute(0, 3, 1, 2)  # what the mismatch amounts to
    return ref.conv2d_im2col(**{**a, "weight": mixed})


def _conv_same_wrong_side(ref, *args, **kwargs):
    a = _conv_args(ref, args, kwargs)
    if a["padding"] != "same":
        raise NotApplicable("not 'same'")
    k, d = a["weight"].shape[2:], two(a["dilation"])
    totals = [dd * (kk - 1) for kk, dd in zip(k, d)]
    if all(t % 2 == 0 for t in totals):
        raise NotApplicable("even totals: both sides get the same")
    x = F.pad(a["input"], (totals[1] - totals[1] // 2, totals[1] // 2, totals[0] - totals[0] // 2, totals[0] // 2))
    return ref.conv2d_im2col(**{**a, "input": x, "padding": 0})


CONV_VARIANTS = (
    Variant(code="flipped_kernel", compute=_kernel_flipped("conv2d_im2col"),
            hint="this is a true convolution (kernel flipped); F.conv2d computes cross-correlation"),
    Variant(code="bias_missing", compute=_conv_no_bias, hint="the bias was not added (one value per output channel)"),
    Variant(code="unfold_row_order", compute=_conv_row_order, hint=UNFOLD_ORDER_HINT),
    Variant(code="same_padding_wrong_side", compute=_conv_same_wrong_side,
            hint="with padding='same' and an odd total, torch puts the extra zero on the right/bottom"),
    Variant(code="dilation_ignored", compute=_without_dilation("conv2d_im2col"),
            hint="dilation was ignored: kernel taps must be `dilation` apart"),
)


# --- oracles built from torch -----------------------------------------------------------------

def _backward_oracle(grad_output, input, *args, **kwargs):
    x = input.detach().requires_grad_(True)
    # A scalar loss rather than grad_outputs=: the latter makes torch import sympy, 0.4 s per child.
    pooled = F.max_pool2d(x, *args, **kwargs)
    if grad_output.shape != pooled.shape:  # what autograd says of grad_outputs of the wrong shape
        raise RuntimeError(f"Mismatch in shape: grad_output has {tuple(grad_output.shape)}, the output "
                           f"{tuple(pooled.shape)}")
    return torch.autograd.grad((pooled * grad_output).sum(), x, create_graph=True)[0]


def _check_mode(mode):
    if mode not in ("avg", "max"):
        raise ValueError(f"unknown mode {mode!r}")


def _global_oracle(input, mode="avg"):
    _check_mode(mode)
    if input.dim() not in (3, 4):
        raise RuntimeError("3-D or 4-D input expected")
    return input.mean((-2, -1)) if mode == "avg" else input.amax((-2, -1))


def _spp_oracle(input, levels=(1, 2, 4), mode="max"):
    _check_mode(mode)
    if not list(levels):
        raise ValueError("no levels")
    pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
    return torch.cat([pool(input, level).flatten(-3) for level in levels], -1)


def _matrix_oracle(weight, input_size, stride=1, padding=0, dilation=1):
    """F.conv2d applied to every basis image e_j gives column j of H."""
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    n = weight.shape[1] * h * w
    basis = torch.eye(n, dtype=weight.dtype, device=weight.device).reshape(n, weight.shape[1], h, w)
    return F.conv2d(basis, weight, None, stride, padding, dilation).reshape(n, -1).T


# --- cases ------------------------------------------------------------------------------------

def _random(rng: random.Random):
    def make(*shape, dtype="float32", contiguous=True):
        return Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype, contiguous=contiguous)
    return make


def _values(rng: random.Random, shape, low=-2, high=2, negative=False, dtype="float32"):
    """A literal tensor of small integers (many ties) or, with `negative`, of values below zero."""
    def build(dims):
        if not dims:
            return -round(rng.uniform(0.1, 3.0), 2) if negative else rng.randint(low, high)
        return [build(dims[1:]) for _ in range(dims[0])]
    return Tensor(values=build(list(shape)), dtype=dtype)


def _sees_input(size, k, s, p, d, out) -> bool:
    """Every window has at least one tap inside the input (torch's values are undefined otherwise)."""
    return all(any(0 <= o * s - p + t * d < size for t in range(k)) for o in range(out))


def _pool_config(rng: random.Random, dilation: bool):
    """A valid random pooling configuration: (kernel, stride, padding, dilation, ceil_mode, H, W)."""
    while True:
        k = [rng.randint(1, 4) for _ in range(2)]
        s = [rng.randint(1, 4) for _ in range(2)]
        p = [rng.randint(0, kk // 2) for kk in k]
        d = [rng.choice([1, 1, 2]) if dilation else 1 for _ in range(2)]
        ceil_mode = rng.random() < 0.5
        sizes = [max(1, dd * (kk - 1) + 1 - 2 * pp + rng.randint(0, 5)) for kk, dd, pp in zip(k, d, p)]
        outs = [_pool_len(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d)]
        if all(o >= 1 for o in outs) and all(_sees_input(n, kk, ss, pp, dd, o)
                                             for n, kk, ss, pp, dd, o in zip(sizes, k, s, p, d, outs)):
            return k, s, p, d, ceil_mode, sizes, outs


def _simple(rng, values):
    """An int where both dims agree (sometimes), else a tuple."""
    return values[0] if values[0] == values[1] and rng.random() < 0.6 else tuple(values)


def _negative_where_padding_is_read(case: Case) -> Case:
    """A padded or ceil_mode max-pool case gets all-negative random values: then padding taken as 0
    instead of -inf changes some window's maximum under every seed, not only under some."""
    named = dict(zip(("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"), case.args)) | case.kwargs
    x = named.get("input")
    reads_padding = named.get("ceil_mode") or named.get("padding") not in (None, 0, (0,), (0, 0))
    if isinstance(x, Random) and reads_padding and not case.raises:
        return case.model_copy(update={"args": (x.model_copy(update={"negative": True}), *case.args[1:])})
    return case


def _max_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    lecture = Tensor(values=[LECTURE_MAX])
    cases = [
        Case(name="derived: 3x3 input, kernel 2, stride 1", args=(lecture, 2, 1), expect=[[[3, 5], [4, 5]]]),
        Case(name="derived: same, with indices", args=(lecture, 2, 1), kwargs={"return_indices": True},
             expect=([[[3, 5], [4, 5]]], [[[1, 5], [6, 5]]]),
             note="the 5 at row 1, column 2 has flat index 1 * 3 + 2 = 5; it wins two windows"),
        Case(name="derived: 5x5 image, kernel 2 (stride = kernel)", args=(Tensor(values=[[ANIMATED]]), 2),
             expect=[[[[3, 3], [3, 2]]]]),
        Case(name="derived: 5x5 image, kernel 2, ceil_mode keeps the partial windows",
             args=(Tensor(values=[[ANIMATED]]), 2), kwargs={"ceil_mode": True, "return_indices": True},
             expect=([[[[3, 3, 1], [3, 2, 3], [2, 0, 1]]]], [[[[0, 8, 9], [10, 12, 14], [20, 22, 24]]]])),
        Case(name="ceil_mode: the last-window rule drops a window in the padding",
             args=(r(1, 2, 5, 5), 2, 2, 1), kwargs={"ceil_mode": True},
             note="5 + 2*1 padded, kernel 2, stride 2: ceil gives 4 windows, but the 4th would start at the "
                  "right padding, so torch keeps 3"),
        Case(name="ceil_mode, stride larger than kernel: the rule bites without padding",
             args=(r(2, 1, 5, 7), 1, 3), kwargs={"ceil_mode": True, "return_indices": True}),
        Case(name="ceil_mode with padding, partial window kept", args=(r(1, 2, 6, 6), 3, 2, 1),
             kwargs={"ceil_mode": True, "return_indices": True}),
        Case(name="padding 1, all-negative input (padding is -inf, not 0)",
             args=(_values(rng, (1, 2, 4, 5), negative=True), 2, 2, 1), kwargs={"return_indices": True}),
        Case(name="padding (1, 2), all-negative input", args=(_values(rng, (2, 1, 5, 6), negative=True), (3, 4), 1, (1, 2))),
        Case(name="dilation 2", args=(r(2, 2, 7, 8), 3), kwargs={"stride": 1, "dilation": 2}),
        Case(name="dilation (2, 1) with padding and indices", args=(r(1, 2, 7, 6), (3, 2), (2, 1), 1, (2, 1)),
             kwargs={"return_indices": True}),
        Case(name="non-square kernel and stride", args=(r(2, 3, 7, 9), (2, 3), (1, 2))),
        Case(name="stride larger than the kernel", args=(r(1, 2, 9, 9), 2, 3), kwargs={"return_indices": True}),
        Case(name="overlapping windows (stride 1, kernel 3)", args=(r(2, 2, 6, 6), 3, 1), kwargs={"return_indices": True}),
        Case(name="ties: first maximum (row-major) wins", args=(_values(rng, (1, 2, 6, 6), 0, 1), 3, 1, 1),
             kwargs={"return_indices": True}),
        Case(name="ties with stride 2", args=(_values(rng, (2, 1, 6, 7), -1, 1), 2), kwargs={"return_indices": True}),
        Case(name="unbatched (C, H, W) input", group="edge cases", args=(r(3, 6, 7), 2), kwargs={"return_indices": True}),
        Case(name="float64", group="edge cases", args=(r(2, 2, 7, 7, dtype="float64"), 3, 2, 1), kwargs={"return_indices": True}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 6, 8, contiguous=False), (2, 3))),
        Case(name="kernel 1 (identity)", args=(r(1, 2, 4, 5), 1), kwargs={"return_indices": True}),
        Case(name="kernel as large as the input", group="edge cases", args=(r(2, 2, 4, 5), (4, 5)), kwargs={"return_indices": True}),
        Case(name="stride given as a 1-tuple", group="edge cases", args=(r(1, 2, 7, 7), 3), kwargs={"stride": (2,)}),
        Case(name="keeps autograd graph", args=(r(1, 2, 6, 6), 2, 1, 1), requires_grad=True),
        Case(name="keeps autograd graph, with indices", args=(r(1, 2, 6, 6), 2, 1, 1),
             kwargs={"return_indices": True}, requires_grad=True),
        Case(name="gradient with tied maxima: the first one gets it",
             args=(Tensor(values=[[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 5], [3, 3, 5, 5]]]]), 2), requires_grad=True,
             note="autograd of max_pool2d sends each window's gradient to one element, the first maximum"),
        Case(name="gradient with overlapping windows", args=(Tensor(values=[[[[1, 3, 2], [0, -1, 5], [4, 2, 1]]]]), 2, 1),
             requires_grad=True),
    ]
    for i in range(24):
        k, s, p, d, ceil_mode, sizes, _ = _pool_config(rng, dilation=True)
        kwargs = {}
        if rng.random() < 0.8:
            kwargs["stride"] = _simple(rng, s)
        if any(p):
            kwargs["padding"] = _simple(rng, p)
        if any(x > 1 for x in d):
            kwargs["dilation"] = _simple(rng, d)
        if ceil_mode:
            kwargs["ceil_mode"] = True
        if rng.random() < 0.5:
            kwargs["return_indices"] = True
        dtype = rng.choice(["float32", "float32", "float64"])
        shape = (rng.randint(1, 2), rng.randint(1, 3), *sizes)
        x = _values(rng, shape, -2, 2, dtype=dtype) if rng.random() < 0.25 else r(*shape, dtype=dtype)
        kernel = _simple(rng, k)
        name = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        cases.append(Case(name=f"random {i + 1}: kernel {kernel}" + (f", {name}" if name else ""),
                          args=(x, kernel), kwargs=kwargs, requires_grad=i % 3 == 0, hidden=hidden(i)))  # a third: gradients too
    x = r(1, 2, 6, 6)
    cases += [
        Case(name="invalid: padding more than half the kernel", args=(x, 3), kwargs={"padding": 2}, raises=True),
        Case(name="invalid: padding more than half of a non-square kernel", args=(x, (3, 1)), kwargs={"padding": 1},
             raises=True),
        Case(name="invalid: stride 0", args=(x, 2), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: dilation 0", args=(x, 2), kwargs={"dilation": 0}, raises=True),
        Case(name="invalid: negative padding", args=(x, 2), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: kernel larger than the input", args=(x, 7), raises=True),
        Case(name="invalid: dilated kernel larger than the input", args=(x, 3), kwargs={"dilation": 3}, raises=True),
        Case(name="invalid: 2-D input", args=(r(6, 6), 2), raises=True),
        Case(name="invalid: kernel_size with 3 values", args=(x, (2, 2, 2)), raises=True),
        Case(name="invalid: no channels", args=(r(1, 0, 6, 6), 2), raises=True),
    ]
    return [_negative_where_padding_is_read(case) for case in cases]


def _avg_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    animated = Tensor(values=[[ANIMATED]])
    cases = [
        Case(name="lecture: 5x5 image, kernel 3, stride 1", args=(animated, 3, 1),
             expect=[[[[15 / 9, 15 / 9, 15 / 9], [9 / 9, 11 / 9, 16 / 9], [10 / 9, 7 / 9, 12 / 9]]]],
             note="the slide rounds to one decimal: [[1.7, 1.7, 1.7], [1.0, 1.2, 1.8], [1.1, 0.8, 1.3]]"),
        Case(name="5x5 image, kernel 2, ceil_mode: the overhang is not counted", args=(animated, 2),
             kwargs={"ceil_mode": True},
             expect=[[[[6 / 4, 7 / 4, 1 / 2], [6 / 4, 6 / 4, 5 / 2], [2 / 2, 0 / 2, 1 / 1]]]],
             note="the last column of windows covers one input column: divided by 2 (or 1 in the corner), "
                  "not by 4"),
        Case(name="padding 1: zeros count in the divisor (count_include_pad=True)", args=(animated, 3, 2, 1)),
        Case(name="padding 1, count_include_pad=False", args=(animated, 3, 2, 1), kwargs={"count_include_pad": False}),
        Case(name="ceil_mode + padding: overhang beyond the padding is not counted", args=(r(1, 2, 6, 6), 3, 2, 1),
             kwargs={"ceil_mode": True}),
        Case(name="ceil_mode + padding + count_include_pad=False", args=(r(2, 1, 6, 7), 3, 2, 1),
             kwargs={"ceil_mode": True, "count_include_pad": False}),
        Case(name="ceil_mode: the last-window rule drops a window in the padding", args=(r(1, 2, 5, 5), 2, 2, 1),
             kwargs={"ceil_mode": True}),
        Case(name="ceil_mode, stride larger than kernel", args=(r(2, 1, 5, 7), 1, 3), kwargs={"ceil_mode": True}),
        Case(name="divisor_override", args=(r(1, 2, 6, 6), 3, 2, 1), kwargs={"divisor_override": 2}),
        Case(name="divisor_override with ceil_mode and count_include_pad=False", args=(r(1, 2, 7, 5), 2, 2, 1),
             kwargs={"ceil_mode": True, "count_include_pad": False, "divisor_override": 3}),
        Case(name="non-square kernel, stride and padding", args=(r(2, 2, 7, 9), (3, 4), (2, 3), (1, 2))),
        Case(name="stride larger than the kernel", args=(r(1, 2, 9, 9), 2, 3)),
        Case(name="overlapping windows", args=(r(2, 2, 6, 6), 3, 1)),
        Case(name="unbatched (C, H, W) input", group="edge cases", args=(r(3, 6, 7), 2, 2, 1), kwargs={"count_include_pad": False}),
        Case(name="float64", group="edge cases", args=(r(2, 2, 7, 7, dtype="float64"), 3, 2, 1), kwargs={"ceil_mode": True}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 6, 8, contiguous=False), (2, 3))),
        Case(name="kernel as large as the input", group="edge cases", args=(r(2, 2, 4, 5), (4, 5))),
        Case(name="keeps autograd graph", args=(r(1, 2, 6, 6), 3, 2, 1), kwargs={"count_include_pad": False},
             requires_grad=True),
    ]
    for i in range(24):
        k, s, p, _, ceil_mode, sizes, _ = _pool_config(rng, dilation=False)
        kwargs = {}
        if rng.random() < 0.8:
            kwargs["stride"] = _simple(rng, s)
        if any(p):
            kwargs["padding"] = _simple(rng, p)
        if ceil_mode:
            kwargs["ceil_mode"] = True
        if any(p) and rng.random() < 0.5:
            kwargs["count_include_pad"] = False
        if rng.random() < 0.15:
            kwargs["divisor_override"] = rng.randint(1, 5)
        dtype = rng.choice(["float32", "float32", "float64"])
        kernel = _simple(rng, k)
        name = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        cases.append(Case(name=f"random {i + 1}: kernel {kernel}" + (f", {name}" if name else ""),
                          args=(r(rng.randint(1, 2), rng.randint(1, 3), *sizes, dtype=dtype), kernel),
                          kwargs=kwargs, requires_grad=i % 3 == 0, hidden=hidden(i)))
    x = r(1, 2, 6, 6)
    cases += [
        Case(name="invalid: padding more than half the kernel", args=(x, 3), kwargs={"padding": 2}, raises=True),
        Case(name="invalid: divisor_override 0", args=(x, 2), kwargs={"divisor_override": 0}, raises=True),
        Case(name="invalid: stride 0", args=(x, 2), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: negative padding", args=(x, 2), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: kernel larger than the input", args=(x, 7), raises=True),
        Case(name="invalid: padding with 3 values", args=(x, 2), kwargs={"padding": (1, 1, 1)}, raises=True),
    ]
    return cases


def _backward_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)

    def case(name, x, *args, dtype="float32", grad=None, **kwargs):
        a = {"kernel_size": args[0], "stride": args[1] if len(args) > 1 else None,
             "padding": args[2] if len(args) > 2 else 0, "dilation": 1, "ceil_mode": False, **kwargs}
        k, s, p, d = _geometry(a)
        shape = x.shape
        out = tuple(_pool_len(n, *g, a["ceil_mode"]) for n, g in zip(shape[-2:], zip(k, s, p, d)))
        grad = grad or r(*shape[:-2], *out, dtype=dtype)
        return Case(name=name, args=(grad, x, *args), kwargs=kwargs)

    lecture = Tensor(values=[LECTURE_MAX])
    cases = [
        Case(name="derived: gradient of ones goes to the arg-maxes; the 5 collects 2",
             args=(Tensor(values=[[[1, 1], [1, 1]]]), lecture, 2, 1), expect=[[[0, 1, 0], [0, 0, 2], [1, 0, 0]]],
             note="windows [[1,3],[0,-1]] -> 3, [[3,2],[-1,5]] -> 5, [[0,-1],[4,2]] -> 4, [[-1,5],[2,1]] -> 5"),
        Case(name="derived: same input, grad_output [[1, 2], [3, 4]]",
             args=(Tensor(values=[[[1, 2], [3, 4]]]), lecture, 2, 1), expect=[[[0, 1, 0], [0, 0, 6], [3, 0, 0]]]),
        case("kernel 2, stride 2: no overlap", r(2, 2, 6, 6), 2),
        case("kernel 3, stride 1: heavy overlap", r(2, 2, 6, 7), 3, 1),
        case("kernel 3, stride 2, padding 1", r(1, 3, 7, 7), 3, 2, 1),
        case("ties: first maximum gets the gradient", _values(rng, (1, 2, 6, 6), 0, 1), 2, 1),
        case("ties with padding", _values(rng, (2, 1, 5, 6), -1, 1), 3, 2, 1),
        case("all-negative input with padding (padding is -inf)", _values(rng, (1, 2, 5, 5), negative=True), 2, 2, 1),
        case("all-negative input, kernel 3, padding 1", _values(rng, (2, 1, 4, 6), negative=True), 3, 1, 1),
        case("ceil_mode, partial windows", r(1, 2, 7, 7), 3, 2, ceil_mode=True),
        case("ceil_mode, last-window rule", r(1, 2, 5, 5), 2, 2, 1, ceil_mode=True),
        case("dilation 2", r(2, 1, 7, 7), 3, 1, dilation=2),
        case("non-square kernel and stride", r(2, 2, 7, 9), (2, 3), (1, 2)),
        case("unbatched (C, H, W)", r(3, 6, 6), 3, 2, 1),
        case("float64", r(2, 2, 7, 7, dtype="float64"), 3, 2, 1, dtype="float64"),
        case("non-contiguous input", r(2, 2, 6, 8, contiguous=False), 2, 1),
    ]
    grad = r(1, 2, 4, 4)
    cases.append(Case(name="keeps autograd graph (with respect to grad_output)", args=(grad, r(1, 2, 5, 5), 2, 1),
                      requires_grad=True))
    cases.append(Case(name="non-contiguous grad_output", group="edge cases", args=(r(1, 2, 4, 4, contiguous=False), r(1, 2, 5, 5), 2, 1)))
    for i in range(22):
        k, s, p, d, ceil_mode, sizes, outs = _pool_config(rng, dilation=True)
        dtype = rng.choice(["float32", "float32", "float64"])
        lead = (rng.randint(1, 2), rng.randint(1, 3))
        x = _values(rng, (*lead, *sizes), -2, 2, dtype=dtype) if rng.random() < 0.35 else r(*lead, *sizes, dtype=dtype)
        kwargs = {"stride": _simple(rng, s), "padding": _simple(rng, p), "dilation": _simple(rng, d),
                  "ceil_mode": ceil_mode}
        cases.append(Case(name=f"random {i + 1}: kernel {tuple(k)}, " + ", ".join(f"{a}={b}" for a, b in kwargs.items()),
                          args=(r(*lead, *outs, dtype=dtype), x, _simple(rng, k)), kwargs=kwargs, hidden=hidden(i)))
    x = r(1, 2, 6, 6)
    cases += [
        Case(name="invalid: grad_output of the wrong shape", args=(r(1, 2, 4, 4), x, 2), raises=True),
        Case(name="invalid: grad_output missing the batch dimension", args=(r(2, 3, 3), x, 2), raises=True),
        Case(name="invalid: padding more than half the kernel", args=(r(1, 2, 4, 4), x, 3, 1, 2), raises=True),
        Case(name="invalid: stride 0", args=(r(1, 2, 3, 3), x, 2, 0), raises=True),
    ]
    return cases


def _adaptive_cases(rng: random.Random, mode: str) -> list[Case]:
    r = _random(rng)
    cases = [
        Case(name="output_size 1 is global pooling (the SE block's squeeze)", group="edge cases", args=(r(2, 4, 5, 6), 1)),
        Case(name="5x5 -> 3x3: bins overlap", args=(Tensor(values=[[ANIMATED]]), 3),
             expect=[[[[6 / 4, 10 / 6, 5 / 4], [6 / 6, 11 / 9, 13 / 6], [4 / 4, 2 / 6, 5 / 4]]]]
             if mode == "avg" else [[[[3, 3, 3], [3, 3, 3], [2, 2, 2]]]],
             note="5 split into 3 bins: rows (and columns) [0, 2), [1, 4), [3, 5), sizes 2, 3, 2"),
        Case(name="7 -> 3 (bins of sizes 3, 3, 3)", args=(r(1, 2, 7, 7), 3)),
        Case(name="10x7 -> (4, 3)", args=(r(2, 2, 10, 7), (4, 3))),
        Case(name="None keeps the height", args=(r(1, 3, 6, 9), (None, 4))),
        Case(name="None keeps the width", args=(r(1, 2, 7, 5), [3, None])),
        Case(name="output larger than the input: bins repeat elements", args=(r(1, 2, 3, 4), (5, 7))),
        Case(name="output equal to the input", args=(r(1, 2, 4, 5), (4, 5))),
        Case(name="divides evenly: 8x6 -> 4x3", args=(r(2, 1, 8, 6), (4, 3))),
        Case(name="output size 0: empty result", group="edge cases", args=(r(1, 2, 4, 4), (0, 3))),
        Case(name="unbatched (C, H, W) input", group="edge cases", args=(r(3, 7, 6), (3, 4))),
        Case(name="float64", group="edge cases", args=(r(2, 2, 9, 7, dtype="float64"), (4, 3))),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 7, 9, contiguous=False), 4)),
        Case(name="keeps autograd graph", args=(r(1, 2, 7, 5), (3, 2)), requires_grad=True),
    ]
    if mode == "max":
        cases.insert(2, Case(name="ties in a bin", args=(_values(rng, (1, 2, 7, 7), 0, 1), 3)))
    for i in range(20):
        h, w = rng.randint(1, 10), rng.randint(1, 10)
        out = [rng.randint(1, 6), rng.randint(1, 6)]
        if rng.random() < 0.15:
            out[rng.randint(0, 1)] = None
        size = out[0] if out[0] == out[1] and rng.random() < 0.5 else tuple(out)
        dtype = rng.choice(["float32", "float32", "float64"])
        cases.append(Case(name=f"random {i + 1}: {h}x{w} -> {size}",
                          args=(r(rng.randint(1, 2), rng.randint(1, 3), h, w, dtype=dtype), size), hidden=hidden(i)))
    cases += [
        Case(name="invalid: 2-D input", args=(r(6, 6), 2), raises=True),
        Case(name="invalid: output_size with 3 values", args=(r(1, 2, 6, 6), (2, 2, 2)), raises=True),
        Case(name="invalid: negative output_size", args=(r(1, 2, 6, 6), -1), raises=True),
        Case(name="invalid: empty height", args=(r(1, 2, 0, 5), 2), raises=True),
    ]
    return cases


def _global_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    animated = Tensor(values=[[ANIMATED]])
    cases = [
        Case(name="derived: 5x5 image, avg", args=(animated,), expect=[[34 / 25]]),
        Case(name="derived: 5x5 image, max", args=(animated, "max"), expect=[[3]]),
        Case(name="4 channels, avg", args=(r(2, 4, 5, 6),)),
        Case(name="4 channels, max", args=(r(2, 4, 5, 6), "max")),
        Case(name="unbatched (C, H, W), max", group="edge cases", args=(r(3, 4, 4), "max")),
        Case(name="1x1 spatial size", group="edge cases", args=(r(2, 3, 1, 1), "avg")),
        Case(name="float64", group="edge cases", args=(r(2, 3, 6, 5, dtype="float64"), "avg")),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 5, 7, contiguous=False), "max")),
        Case(name="keeps autograd graph", args=(r(1, 3, 4, 4), "avg"), requires_grad=True),
    ]
    for i in range(20):
        mode = rng.choice(["avg", "max"])
        dtype = rng.choice(["float32", "float32", "float64"])
        shape = (rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 9), rng.randint(1, 9))
        kwargs = {"mode": mode} if rng.random() < 0.5 else {}
        cases.append(Case(name=f"random {i + 1}: {mode}", args=(r(*shape, dtype=dtype),) + (() if kwargs else (mode,)),
                          kwargs=kwargs, hidden=hidden(i)))
    cases += [
        Case(name="invalid: unknown mode", args=(r(1, 2, 4, 4), "min"), raises=True),
        Case(name="invalid: 2-D input", args=(r(4, 4), "avg"), raises=True),
    ]
    return cases


def _spp_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    cases = [
        Case(name="default levels (1, 2, 4), max", args=(r(2, 3, 8, 8),)),
        Case(name="lecture's 1x1 + 4x4 grid", args=(r(1, 2, 9, 7), (1, 4))),
        Case(name="levels (1, 2), avg", args=(r(2, 3, 6, 6), (1, 2), "avg")),
        Case(name="level larger than the input", args=(r(1, 2, 3, 3), (1, 2, 4))),
        Case(name="levels in another order", args=(r(1, 2, 8, 8), (4, 1, 2)), kwargs={"mode": "avg"}),
        Case(name="uneven bins (7x5, level 3)", args=(r(2, 2, 7, 5), [3])),
        Case(name="one channel", args=(r(2, 1, 8, 8), (2, 1))),
        Case(name="unbatched (C, H, W)", group="edge cases", args=(r(3, 8, 8), (1, 2))),
        Case(name="float64", group="edge cases", args=(r(2, 2, 9, 9, dtype="float64"), (1, 3), "avg")),
        Case(name="non-contiguous input", group="edge cases", args=(r(1, 3, 6, 8, contiguous=False), (1, 2, 3))),
        Case(name="keeps autograd graph", args=(r(1, 2, 8, 8), (1, 2)), requires_grad=True),
    ]
    for i in range(20):
        levels = tuple(rng.sample([1, 2, 3, 4, 5], rng.randint(1, 3)))
        mode = rng.choice(["avg", "max"])
        dtype = rng.choice(["float32", "float32", "float64"])
        shape = (rng.randint(1, 2), rng.randint(1, 3), rng.randint(2, 10), rng.randint(2, 10))
        cases.append(Case(name=f"random {i + 1}: levels {levels}, {mode}", args=(r(*shape, dtype=dtype), levels),
                          kwargs={"mode": mode}, hidden=hidden(i)))
    cases += [
        Case(name="invalid: unknown mode", args=(r(1, 2, 4, 4),), kwargs={"mode": "sum"}, raises=True),
        Case(name="invalid: 2-D input", args=(r(8, 8),), raises=True),
        Case(name="invalid: negative level", args=(r(1, 2, 8, 8), (1, -2)), raises=True),
        Case(name="invalid: no levels", args=(r(1, 2, 8, 8), ()), raises=True),
    ]
    return cases


def _unfold_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    cases = [
        Case(name="lecture: 3x3 image, 2x2 windows", args=(Tensor(values=[[IMAGE3]]), 2),
             expect=[[[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 1, 0], [4, 5, 0, 2]]],
             note="one column per window, read row by row: the first window [[1, 2], [3, 4]] is column 0"),
        Case(name="two channels: rows ordered channel first", args=(r(1, 2, 4, 4), 2)),
        Case(name="three channels, 3x3 kernel", args=(r(2, 3, 5, 6), 3)),
        Case(name="dilation 2, positional (kernel, dilation, padding, stride)", args=(r(1, 2, 7, 7), 3, 2, 1, 2)),
        Case(name="stride 2, positional", args=(r(2, 2, 7, 6), 2, 1, 0, 2)),
        Case(name="padding 1", args=(r(1, 2, 5, 5), 3), kwargs={"padding": 1}),
        Case(name="padding larger than half the kernel", args=(r(1, 2, 4, 4), 2), kwargs={"padding": 2}),
        Case(name="non-square everything", args=(r(2, 2, 8, 9), (2, 3)),
             kwargs={"dilation": (1, 2), "padding": (1, 0), "stride": (2, 1)}),
        Case(name="1x1 kernel: a reshape", group="edge cases", args=(r(2, 3, 4, 5), 1)),
        Case(name="kernel as large as the input: one column", group="edge cases", args=(r(2, 2, 4, 5), (4, 5))),
        Case(name="unbatched (C, H, W)", group="edge cases", args=(r(3, 5, 5), 2), kwargs={"stride": 1}),
        Case(name="float64", group="edge cases", args=(r(2, 2, 6, 6, dtype="float64"), 3), kwargs={"padding": 1, "stride": 2}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 5, 7, contiguous=False), (2, 3))),
        Case(name="keeps autograd graph", args=(r(1, 2, 5, 5), 2), kwargs={"padding": 1}, requires_grad=True),
    ]
    for i in range(22):
        k = [rng.randint(1, 4) for _ in range(2)]
        d = [rng.choice([1, 1, 2]) for _ in range(2)]
        p = [rng.randint(0, 2) for _ in range(2)]
        s = [rng.randint(1, 3) for _ in range(2)]
        sizes = [max(1, dd * (kk - 1) + 1 - 2 * pp + rng.randint(0, 4)) for kk, dd, pp in zip(k, d, p)]
        dtype = rng.choice(["float32", "float32", "float64"])
        x = r(rng.randint(1, 2), rng.randint(1, 3), *sizes, dtype=dtype)
        settings = (_simple(rng, d), _simple(rng, p), _simple(rng, s))
        if rng.random() < 0.5:
            case = Case(name=f"random {i + 1}: kernel {tuple(k)}, dilation, padding, stride {settings} by position",
                        args=(x, _simple(rng, k), *settings), hidden=hidden(i))
        else:
            case = Case(name=f"random {i + 1}: kernel {tuple(k)}", args=(x, _simple(rng, k)),
                        kwargs=dict(zip(("dilation", "padding", "stride"), settings)), hidden=hidden(i))
        cases.append(case)
    x = r(1, 2, 5, 5)
    cases += [
        Case(name="invalid: stride 0", args=(x, 2), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: dilation 0", args=(x, 2), kwargs={"dilation": 0}, raises=True),
        Case(name="invalid: negative padding", args=(x, 2), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: kernel 0", args=(x, 0), raises=True),
        Case(name="invalid: kernel larger than the input", args=(x, 6), raises=True),
        Case(name="invalid: kernel_size with 3 values", args=(x, (2, 2, 2)), raises=True),
        Case(name="invalid: kernel_size as a 1-tuple (F.unfold wants 2)", args=(x, (2,)), raises=True),
    ]
    return cases


def _matrix_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    cases = [
        Case(name="derived: H for a 3x3 input and a 2x2 kernel [[1, 2], [3, 4]]",
             args=(Tensor(values=[[[[1, 2], [3, 4]]]]), 3), expect=LECTURE_H,
             note="the lecture writes H with k11, k12, k21, k22; row o holds the kernel where window o reads"),
        Case(name="lecture: H applied to the flattened 3x3 image gives conv2d's [1, 2, 5, 3]",
             args=(Tensor(values=[[KERNEL2]]), (3, 3), Tensor(values=IMAGE3)), expect=[1, 2, 5, 3],
             experiment=checks.apply_matrix, terms=9,
             call="conv2d_matrix([[[[0, 1], [1, -1]]]], (3, 3)) @ [1, 2, 3, 3, 4, 5, 1, 0, 2]"),
        Case(name="lecture's animated example as H @ x", args=(Tensor(values=[[KERNEL_ANIMATED]]), 5,
                                                               Tensor(values=ANIMATED)),
             expect=[12, 12, 17, 10, 17, 19, 9, 6, 14], experiment=checks.apply_matrix, terms=25,
             call="conv2d_matrix(3x3 kernel of the animated example, 5) @ x.flatten()"),
        Case(name="several channels in and out", args=(r(3, 2, 2, 2), (4, 4))),
        Case(name="stride 2", args=(r(2, 1, 3, 3), 5), kwargs={"stride": 2}),
        Case(name="padding 1: taps in the padding leave zeros", args=(r(1, 2, 3, 3), (4, 4)), kwargs={"padding": 1}),
        Case(name="dilation 2", args=(r(2, 2, 2, 2), (5, 5)), kwargs={"dilation": 2}),
        Case(name="non-square input and kernel", args=(r(2, 2, 2, 3), (4, 6)),
             kwargs={"stride": (1, 2), "padding": (1, 0)}),
        Case(name="1x1 kernel", group="edge cases", args=(r(2, 3, 1, 1), (3, 2))),
        Case(name="float64", group="edge cases", args=(r(2, 2, 3, 3, dtype="float64"), 5), kwargs={"padding": 1, "stride": 2}),
        Case(name="non-contiguous weight", group="edge cases", args=(r(2, 2, 3, 2, contiguous=False), (5, 4))),
        Case(name="keeps autograd graph (with respect to the weight)", args=(r(2, 2, 2, 2), 4), requires_grad=True),
    ]
    for i in range(20):
        k = [rng.randint(1, 3) for _ in range(2)]
        d = [rng.choice([1, 1, 2]) for _ in range(2)]
        p = [rng.randint(0, 1) for _ in range(2)]
        s = [rng.randint(1, 2) for _ in range(2)]
        sizes = [max(1, dd * (kk - 1) + 1 - 2 * pp + rng.randint(0, 3)) for kk, dd, pp in zip(k, d, p)]
        dtype = rng.choice(["float32", "float32", "float64"])
        weight = r(rng.randint(1, 3), rng.randint(1, 2), *k, dtype=dtype)
        kwargs = {"stride": _simple(rng, s), "padding": _simple(rng, p), "dilation": _simple(rng, d)}
        cases.append(Case(name=f"random {i + 1}: input {tuple(sizes)}, kernel {tuple(k)}",
                          args=(weight, _simple(rng, sizes)), kwargs=kwargs, hidden=hidden(i)))
    w = r(2, 2, 3, 3)
    cases += [
        Case(name="invalid: 3-D weight", args=(r(2, 2, 3), 5), raises=True),
        Case(name="invalid: kernel larger than the padded input", args=(w, 2), raises=True),
        Case(name="invalid: stride 0", args=(w, 5), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: negative padding", args=(w, 5), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: dilation 0", args=(w, 5), kwargs={"dilation": 0}, raises=True),
    ]
    return cases


def _conv_cases(rng: random.Random) -> list[Case]:
    r = _random(rng)
    cases = [
        Case(name="lecture: 3x3 image, 2x2 kernel", args=(Tensor(values=[[IMAGE3]]), Tensor(values=[[KERNEL2]])),
             expect=[[[[1, 2], [5, 3]]]]),
        Case(name="lecture: animated 5x5 example", args=(Tensor(values=[[ANIMATED]]), Tensor(values=[[KERNEL_ANIMATED]])),
             expect=[[[[12, 12, 17], [10, 17, 19], [9, 6, 14]]]]),
        Case(name="lecture: animated example, padding 1, stride 2",
             args=(Tensor(values=[[ANIMATED]]), Tensor(values=[[KERNEL_ANIMATED]])), kwargs={"padding": 1, "stride": 2},
             expect=[[[[6, 17, 3], [8, 17, 13], [6, 4, 4]]]]),
        Case(name="channels in and out, with bias", args=(r(2, 3, 6, 6), r(4, 3, 3, 3), r(4))),
        Case(name="stride, padding, dilation as pairs", args=(r(1, 2, 9, 8), r(2, 2, 3, 2), r(2)),
             kwargs={"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
        Case(name="1x1 kernel", group="edge cases", args=(r(2, 3, 5, 6), r(4, 3, 1, 1), r(4))),
        Case(name="kernel as large as the input", group="edge cases", args=(r(2, 2, 5, 4), r(3, 2, 5, 4))),
        Case(name="padding='same', even kernel", args=(r(1, 2, 6, 7), r(2, 2, 4, 2)), kwargs={"padding": "same"}),
        Case(name="padding='same' with dilation 2", args=(r(1, 2, 7, 7), r(2, 2, 2, 3)),
             kwargs={"padding": "same", "dilation": 2}),
        Case(name="padding='valid'", args=(r(1, 2, 6, 6), r(2, 2, 3, 3), r(2)), kwargs={"padding": "valid"}),
        Case(name="unbatched (C, H, W)", group="edge cases", args=(r(2, 5, 5), r(3, 2, 3, 3), r(3))),
        Case(name="float64", group="edge cases", args=(r(2, 3, 7, 7, dtype="float64"), r(2, 3, 3, 3, dtype="float64"),
                                   r(2, dtype="float64")), kwargs={"stride": 2, "padding": 1}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 6, 7, contiguous=False), r(2, 3, 3, 2))),
        Case(name="keeps autograd graph", args=(r(1, 2, 5, 5), r(2, 2, 3, 3), r(2)), kwargs={"padding": 1},
             requires_grad=True),
    ]
    for i in range(20):
        c_in, c_out = rng.randint(1, 3), rng.randint(1, 3)
        k = [rng.randint(1, 4) for _ in range(2)]
        d = [rng.choice([1, 1, 2]) for _ in range(2)]
        s = [rng.choice([1, 1, 2, 3]) for _ in range(2)]
        padding: object = _simple(rng, [rng.randint(0, 2) for _ in range(2)])
        if rng.random() < 0.15:
            padding, s = "same", [1, 1]
        p = [0, 0] if isinstance(padding, str) else list(two(padding))
        sizes = [max(1, dd * (kk - 1) + 1 - 2 * pp + rng.randint(0, 5)) for kk, dd, pp in zip(k, d, p)]
        dtype = rng.choice(["float32", "float32", "float64"])
        args = [r(rng.randint(1, 2), c_in, *sizes, dtype=dtype), r(c_out, c_in, *k, dtype=dtype)]
        if rng.random() < 0.6:
            args.append(r(c_out, dtype=dtype))
        kwargs = {"stride": _simple(rng, s), "padding": padding, "dilation": _simple(rng, d)}
        cases.append(Case(name=f"random {i + 1}: kernel {tuple(k)}, " + ", ".join(f"{a}={b}" for a, b in kwargs.items()),
                          args=tuple(args), kwargs=kwargs, requires_grad=i % 3 == 0, hidden=hidden(i)))
    x, w = r(1, 2, 6, 6), r(3, 2, 3, 3)
    cases += [
        Case(name="invalid: weight channels do not match the input", args=(r(1, 3, 6, 6), w), raises=True),
        Case(name="invalid: bias of the wrong length", args=(x, w, r(4)), raises=True),
        Case(name="invalid: padding='same' with stride 2", args=(x, w), kwargs={"padding": "same", "stride": 2},
             raises=True),
        Case(name="invalid: unknown padding string", args=(x, w), kwargs={"padding": "full"}, raises=True),
        Case(name="invalid: kernel larger than the input", args=(r(1, 2, 2, 2), w), raises=True),
        Case(name="invalid: stride 0", args=(x, w), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: float64 weight with float32 input", args=(x, r(3, 2, 3, 3, dtype="float64")), raises=True),
    ]
    return cases


# --- tolerance: terms summed per output value ---------------------------------------------------

def _avg_terms(input, kernel_size, *args, **kwargs):
    k = two(kernel_size)
    return k[0] * k[1]


def _backward_terms(grad_output, input, kernel_size, *args, **kwargs):
    k = two(kernel_size)
    return k[0] * k[1]


def _spatial_terms(input, *args, **kwargs):
    return math.prod(input.shape[-2:])


def _conv_terms(input, weight, *args, **kwargs):
    return math.prod(weight.shape[1:])


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Pooling, and convolution as matrix multiplication", module="pooling.py",
        tasks=(
            Task(name="max_pool2d", points=18, target="max_pool2d", forbidden=POOL_FORBIDDEN + UNFOLD_FORBIDDEN,
                 oracle=F.max_pool2d, variants=MAX_VARIANTS, cases=tuple(_max_cases(rng))),
            Task(name="avg_pool2d", points=14, target="avg_pool2d", forbidden=POOL_FORBIDDEN + UNFOLD_FORBIDDEN,
                 oracle=F.avg_pool2d, variants=AVG_VARIANTS, reduction=_avg_terms, cases=tuple(_avg_cases(rng))),
            Task(name="max_pool2d_backward", points=14, target="max_pool2d_backward",
                 forbidden=POOL_FORBIDDEN + AUTOGRAD_FORBIDDEN, oracle=_backward_oracle, variants=BACKWARD_VARIANTS,
                 reduction=_backward_terms, cases=tuple(_backward_cases(rng))),
            Task(name="adaptive_avg_pool2d", points=8, target="adaptive_avg_pool2d", forbidden=POOL_FORBIDDEN,
                 oracle=F.adaptive_avg_pool2d, variants=_adaptive_variants("avg"), reduction=_spatial_terms,
                 cases=tuple(_adaptive_cases(rng, "avg"))),
            Task(name="adaptive_max_pool2d", points=7, target="adaptive_max_pool2d", forbidden=POOL_FORBIDDEN,
                 oracle=F.adaptive_max_pool2d, variants=_adaptive_variants("max"),
                 cases=tuple(_adaptive_cases(rng, "max"))),
            Task(name="global_pool2d", points=4, target="global_pool2d", forbidden=POOL_FORBIDDEN, oracle=_global_oracle,
                 variants=GLOBAL_VARIANTS, reduction=_spatial_terms, cases=tuple(_global_cases(rng))),
            Task(name="spatial_pyramid_pool2d", points=7, target="spatial_pyramid_pool2d", forbidden=POOL_FORBIDDEN,
                 oracle=_spp_oracle, variants=SPP_VARIANTS, reduction=_spatial_terms, cases=tuple(_spp_cases(rng))),
            Task(name="unfold", points=10, target="unfold", module="im2col.py",
                 forbidden=UNFOLD_FORBIDDEN + CONV_FORBIDDEN + OWN_FILE_ONLY, oracle=F.unfold, variants=UNFOLD_VARIANTS,
                 cases=tuple(_unfold_cases(rng))),
            Task(name="conv2d_matrix", points=10, target="conv2d_matrix", module="im2col.py",
                 forbidden=CONV_FORBIDDEN + OWN_FILE_ONLY,
                 oracle=_matrix_oracle, variants=MATRIX_VARIANTS, cases=tuple(_matrix_cases(rng))),
            Task(name="conv2d_im2col", points=8, target="conv2d_im2col", module="im2col.py",
                 forbidden=CONV_FORBIDDEN + UNFOLD_FORBIDDEN + OWN_FILE_ONLY, oracle=F.conv2d, variants=CONV_VARIANTS,
                 reduction=_conv_terms, cases=tuple(_conv_cases(rng))),
        ),
    )
