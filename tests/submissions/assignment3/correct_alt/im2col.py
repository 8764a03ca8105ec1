"""Assignment 3, part 2, another way: unfold as a strided view, H from the conv of a basis.

A correct submission in another style than the reference (which gathers with index grids and
builds H from one-hot selection tensors).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _two(value, what):
    if isinstance(value, int):
        return value, value
    value = tuple(value)
    if len(value) != 2:
        raise RuntimeError(f"{what} must be an int or two ints, got {value}")
    return value


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw) = _two(kernel_size, "kernel_size"), _two(dilation, "dilation")
    (ph, pw), (sh, sw) = _two(padding, "padding"), _two(stride, "stride")
    if min(kh, kw, dh, dw, sh, sw) < 1 or min(ph, pw) < 0:
        raise RuntimeError("kernel_size, dilation and stride must be positive, padding non-negative")
    if input.dim() not in (3, 4):
        raise RuntimeError("expected a 3-D or 4-D input")
    x = input if input.dim() == 4 else input[None]
    x = F.pad(x, (pw, pw, ph, ph)).contiguous()
    n, c, H, W = x.shape
    oh, ow = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise RuntimeError("the kernel does not fit into the padded input")
    sn, sc, s_h, s_w = x.stride()
    view = x.as_strided((n, c, kh, kw, oh, ow), (sn, sc, dh * s_h, dw * s_w, sh * s_h, sw * s_w),
                        x.storage_offset())
    columns = view.reshape(n, c * kh * kw, oh * ow)
    return columns if input.dim() == 4 else columns[0]


def conv2d_im2col(input, weight, bias=None, stride=1, padding=0, dilation=1):
    if weight.dim() != 4 or input.dim() not in (3, 4):
        raise RuntimeError("expected a 3-D/4-D input and a 4-D weight")
    x = input if input.dim() == 4 else input[None]
    if x.shape[1] != weight.shape[1]:
        raise RuntimeError("input channels do not match the weight")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError("bias must have one value per output channel")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        raise RuntimeError("input, weight and bias must have the same dtype")
    kh, kw = weight.shape[2:]
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation) * (2 // len(dilation))
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if stride not in (1, (1, 1), [1, 1], (1,)):
            raise RuntimeError("padding='same' needs stride 1")
        th, tw = dh * (kh - 1), dw * (kw - 1)
        x = F.pad(x, (tw // 2, tw - tw // 2, th // 2, th - th // 2))
        padding = 0
    elif isinstance(padding, str):
        raise RuntimeError(f"unknown padding {padding!r}")
    if not isinstance(stride, int) and len(stride) == 1:
        stride = stride[0]
    if not isinstance(padding, int) and len(padding) == 1:
        padding = padding[0]
    columns = unfold(x, (kh, kw), (dh, dw), padding, stride)
    out = torch.einsum("ok,nkl->nol", weight.reshape(weight.shape[0], -1), columns)
    oh = (x.shape[2] + 2 * _two(padding, "padding")[0] - dh * (kh - 1) - 1) // _two(stride, "stride")[0] + 1
    out = out.reshape(out.shape[0], out.shape[1], oh, -1)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out if input.dim() == 4 else out[0]


def conv2d_matrix(weight, input_size, stride=1, padding=0, dilation=1):
    # Column j of H is the convolution of the j-th basis image (a single 1 at input position j).
    if weight.dim() != 4:
        raise RuntimeError("expected a 4-D weight")
    h, w = _two(input_size, "input_size")
    n = weight.shape[1] * h * w
    basis = torch.eye(n, dtype=weight.dtype, device=weight.device).reshape(n, weight.shape[1], h, w)
    outputs = conv2d_im2col(basis, weight, None, stride, padding, dilation)
    return outputs.reshape(n, -1).T
