"""Assignment 3, part 1, written the naive way: a Python loop over output positions.

A correct submission in another style than the reference (which gathers all windows at once);
slow for real networks, fast enough for the graded sizes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _pair(value, what):
    if isinstance(value, int):
        return value, value
    value = tuple(value)
    if len(value) == 1:
        return value[0], value[0]
    if len(value) != 2:
        raise RuntimeError(f"{what} must be an int or a pair of ints, got {value}")
    return value


def _as_4d(input):
    if input.dim() not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(f"expected a non-empty 3-D or 4-D input, got shape {tuple(input.shape)}")
    return input.dim() == 3, (input[None] if input.dim() == 3 else input)


def _settings(kernel_size, stride, padding, dilation):
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else _pair(stride, "stride")
    p = _pair(padding, "padding")
    d = _pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError("kernel_size, stride and dilation must be at least 1")
    if min(p) < 0:
        raise RuntimeError("padding must be non-negative")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError("pad should be at most half of kernel size")
    return k, s, p, d


def _n_windows(size, k, s, p, d, ceil_mode):
    full = size + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        n = math.ceil(full / s) + 1
        if (n - 1) * s >= size + p:  # that last window would start in the right padding
            n -= 1
    else:
        n = full // s + 1
    if n < 1:
        raise RuntimeError(f"output size {n} is too small")
    return n


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode):
    unbatched, x = _as_4d(input)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _settings(kernel_size, stride, padding, dilation)
    H, W = x.shape[-2:]
    oh = _n_windows(H, kh, sh, ph, dh, ceil_mode)
    ow = _n_windows(W, kw, sw, pw, dw, ceil_mode)
    # -inf all round, enough on the bottom/right for a ceil_mode window that sticks out
    extra_h = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (H + 2 * ph))
    extra_w = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (W + 2 * pw))
    xp = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=float("-inf"))
    n, c = x.shape[:2]
    values, indices = [], []
    for i in range(oh):
        row_values, row_indices = [], []
        for j in range(ow):
            top, left = i * sh, j * sw
            window = xp[:, :, top:top + dh * (kh - 1) + 1:dh, left:left + dw * (kw - 1) + 1:dw].reshape(n, c, -1)
            best = window.argmax(dim=-1, keepdim=True)  # first maximum on ties
            row_values.append(window.gather(-1, best)[..., 0])
            r = top - ph + (best[..., 0] // kw) * dh
            q = left - pw + (best[..., 0] % kw) * dw
            row_indices.append(r * W + q)
        values.append(torch.stack(row_values, -1))
        indices.append(torch.stack(row_indices, -1))
    values, indices = torch.stack(values, -2), torch.stack(indices, -2)
    if unbatched:
        values, indices = values[0], indices[0]
    return values, indices


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    values, indices = _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode)
    if return_indices:
        return values, indices
    return values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if divisor_override == 0:
        raise RuntimeError("divisor_override must not be zero")
    unbatched, x = _as_4d(input)
    (kh, kw), (sh, sw), (ph, pw), _ = _settings(kernel_size, stride, padding, 1)
    H, W = x.shape[-2:]
    oh = _n_windows(H, kh, sh, ph, 1, ceil_mode)
    ow = _n_windows(W, kw, sw, pw, 1, ceil_mode)
    rows = []
    for i in range(oh):
        row = []
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
            with_padding = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            total = x[:, :, h0:h1, w0:w1].sum(dim=(-2, -1))
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:
                divisor = with_padding
            else:
                divisor = (h1 - h0) * (w1 - w0)
            row.append(total / divisor)
        rows.append(torch.stack(row, -1))
    out = torch.stack(rows, -2)
    return out[0] if unbatched else out


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    _, indices = _max_pool(input.detach(), kernel_size, stride, padding, dilation, ceil_mode)
    if grad_output.shape != indices.shape:
        raise RuntimeError(f"grad_output has shape {tuple(grad_output.shape)}, expected {tuple(indices.shape)}")
    H, W = input.shape[-2:]
    planes = indices.numel() // (indices.shape[-1] * indices.shape[-2])
    index = indices.reshape(planes, -1)
    plane = torch.arange(planes, device=input.device)[:, None].expand_as(index)
    grads = grad_output.to(input.dtype).reshape(planes, -1)
    grad_input = torch.zeros(planes, H * W, dtype=input.dtype, device=input.device)
    grad_input = grad_input.index_put((plane.reshape(-1), index.reshape(-1)), grads.reshape(-1), accumulate=True)
    return grad_input.reshape(input.shape)


def _output_size(output_size, x):
    if isinstance(output_size, int):
        sizes = (output_size, output_size)
    else:
        sizes = tuple(output_size)
        if len(sizes) != 2:
            raise RuntimeError("output_size must be 2")
    sizes = tuple(x.shape[-2 + i] if s is None else s for i, s in enumerate(sizes))
    if min(sizes) < 0:
        raise RuntimeError("output_size must be non-negative")
    return sizes


def _adaptive(input, output_size, reduce):
    unbatched, x = _as_4d(input)
    oh, ow = _output_size(output_size, x)
    H, W = x.shape[-2:]
    n, c = x.shape[:2]
    rows = []
    for i in range(oh):
        h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)
        row = []
        for j in range(ow):
            w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)
            row.append(reduce(x[:, :, h0:h1, w0:w1].reshape(n, c, -1)))
        rows.append(torch.stack(row, -1) if row else x.new_zeros(n, c, 0))
    out = torch.stack(rows, -2) if rows else x.new_zeros(n, c, 0, ow)
    return out[0] if unbatched else out


def _first_max(window):
    return window.gather(-1, window.argmax(dim=-1, keepdim=True))[..., 0]


def adaptive_avg_pool2d(input, output_size):
    return _adaptive(input, output_size, lambda window: window.mean(dim=-1))


def adaptive_max_pool2d(input, output_size):
    return _adaptive(input, output_size, _first_max)


def global_pool2d(input, mode="avg"):
    if mode not in ("avg", "max"):
        raise ValueError(f"mode must be 'avg' or 'max', not {mode!r}")
    _as_4d(input)
    flat = input.flatten(-2)
    return flat.sum(-1) / flat.shape[-1] if mode == "avg" else flat.max(-1).values


def spatial_pyramid_pool2d(input, levels=(1, 2, 4), mode="max"):
    if mode not in ("avg", "max"):
        raise ValueError(f"mode must be 'avg' or 'max', not {mode!r}")
    if len(levels) == 0:
        raise ValueError("levels must not be empty")
    pool = adaptive_max_pool2d if mode == "max" else adaptive_avg_pool2d
    parts = [pool(input, level) for level in levels]
    return torch.cat([part.reshape(*part.shape[:-3], -1) for part in parts], dim=-1)
