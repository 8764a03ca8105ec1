# SUBMISSION inplace_input (buggy): a copy of correct_naive with ONE bug.
# BUG: conv2d negates its input tensor in place (through .data, so autograd does not
# notice) AFTER computing the output: the returned values are right, the caller's input
# is destroyed.
# SHOULD HURT: conv2d, the "input is not modified" check (any input with a non-zero value).

"""Assignment 1: convolution from scratch (naive, loop-based solution).

Style: CS231n's "naive" implementation.  Every output value is computed as
``(patch * kernel).sum()`` inside Python loops over the output positions (and
over the groups); the batch and the output channels of a group are handled by
broadcasting.  Padding is built from index lists and ``torch.cat`` only.

Everything follows torch's own functions (pad / conv1d / conv2d) exactly:
argument forms, defaults, "valid"/"same" padding, groups, dilation, bias,
unbatched input, and the exception class raised for invalid arguments.
"""
import operator

import torch


# ---------------------------------------------------------------------------
# Filters from the lecture
# ---------------------------------------------------------------------------
FILTERS = {
    "blur": torch.tensor([[1 / 16, 1 / 8, 1 / 16],
                          [1 / 8, 1 / 4, 1 / 8],
                          [1 / 16, 1 / 8, 1 / 16]]),
    "sharpen": torch.tensor([[0.0, -1.0, 0.0],
                             [-1.0, 5.0, -1.0],
                             [0.0, -1.0, 0.0]]),
    "top_sobel": torch.tensor([[1.0, 2.0, 1.0],
                               [0.0, 0.0, 0.0],
                               [-1.0, -2.0, -1.0]]),
    "bottom_sobel": torch.tensor([[-1.0, -2.0, -1.0],
                                  [0.0, 0.0, 0.0],
                                  [1.0, 2.0, 1.0]]),
    "left_sobel": torch.tensor([[1.0, 0.0, -1.0],
                                [2.0, 0.0, -2.0],
                                [1.0, 0.0, -1.0]]),
    "right_sobel": torch.tensor([[-1.0, 0.0, 1.0],
                                 [-2.0, 0.0, 2.0],
                                 [-1.0, 0.0, 1.0]]),
    "outline": torch.tensor([[-1.0, -1.0, -1.0],
                             [-1.0, 8.0, -1.0],
                             [-1.0, -1.0, -1.0]]),
}


# ---------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_one_dim(x, dim, before, after, mode, value):
    """Pad (or crop, for negative amounts) dimension ``dim`` of ``x``."""
    size = x.shape[dim]

    if mode == "constant":
        # crop first (negative amounts), then add constant blocks
        kept = size + min(before, 0) + min(after, 0)
        if kept < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        core = x.narrow(dim, max(-before, 0), kept)
        pieces = []
        if before > 0:
            shape = list(x.shape)
            shape[dim] = before
            pieces.append(x.new_full(shape, value))
        pieces.append(core)
        if after > 0:
            shape = list(x.shape)
            shape[dim] = after
            pieces.append(x.new_full(shape, value))
        return torch.cat(pieces, dim=dim)

    if mode == "circular":
        if before > size or after > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        kept = size + min(before, 0) + min(after, 0)
        if kept + max(before, 0) + max(after, 0) < 0 or kept < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        core = x.narrow(dim, max(-before, 0), kept)
        left, right = max(before, 0), max(after, 0)
        if kept == 0 and (left or right):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        index = [j % kept for j in range(-left, kept + right)]
        return core.index_select(dim, torch.tensor(index, dtype=torch.long, device=x.device))

    # reflect / replicate: position j of the output reads input position j - before,
    # folded back into [0, size - 1]
    if mode == "reflect" and (before >= size or after >= size):
        raise RuntimeError(
            f"Argument #4: Padding size should be less than the corresponding input "
            f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
            f"{list(x.shape)}")
    index = []
    for j in range(-before, size + after):
        if mode == "reflect":
            if j < 0:
                j = -j
            if j > size - 1:
                j = 2 * (size - 1) - j
        else:  # replicate
            j = min(max(j, 0), size - 1)
        index.append(j)
    return x.index_select(dim, torch.tensor(index, dtype=torch.long, device=x.device))


def pad(input, pad, mode="constant", value=0.0):
    """Same as torch's own pad for the four modes.

    ``pad`` lists (before, after) pairs starting from the LAST dimension.
    """
    amounts = [operator.index(p) for p in pad]
    if len(amounts) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    n_padded = len(amounts) // 2
    if n_padded > input.dim():
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(amounts)} and input of dimension {input.dim()}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is None:
        value = 0.0
    if mode != "constant":
        if value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        # torch: 1-D padding for 2-D/3-D input, 2-D padding for 3-D/4-D, 3-D for 4-D/5-D
        if n_padded not in (1, 2, 3) or input.dim() not in (n_padded + 1, n_padded + 2):
            raise NotImplementedError(
                f"Padding size {len(amounts)} is not supported for {input.dim()}D input tensor.")

    if mode in ("reflect", "replicate"):
        # torch only refuses when a size would be negative or when ALL padded sizes are 0
        out_sizes = [input.shape[input.dim() - 1 - k] + amounts[2 * k] + amounts[2 * k + 1]
                     for k in range(n_padded)]
        if any(s < 0 for s in out_sizes) or all(s < 1 for s in out_sizes):
            raise RuntimeError(
                f"input of size {list(input.shape)} is too small. "
                f"Calculated output sizes: {out_sizes[::-1]}")

    out = input
    for k in range(n_padded):
        dim = input.dim() - 1 - k
        out = _pad_one_dim(out, dim, amounts[2 * k], amounts[2 * k + 1], mode, value)
    if out is input:          # nothing to pad: still hand back a new tensor
        out = input.clone()
    return out


# ---------------------------------------------------------------------------
# Argument handling shared by conv1d / conv2d
# ---------------------------------------------------------------------------
def _ntuple(value, n, name):
    if isinstance(value, (tuple, list)):
        values = list(value)
        if len(values) == 1:
            values = values * n
        if len(values) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to "
                f"match the convolution dimensions, but got {name}={list(value)}")
        return tuple(operator.index(v) for v in values)
    return (operator.index(value),) * n


def _prepare(input, weight, bias, stride, padding, dilation, groups, n, name):
    """Validate everything like torch does.

    Returns (batched input, unbatched?, stride, [(before, after) per spatial dim],
    dilation, groups).
    """
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(
            f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
            f"but got input of size: {list(input.shape)}")
    if weight.dim() != n + 2:
        raise RuntimeError(
            f"Expected {n + 2}-dimensional weight for {name}, "
            f"but got weight of size {list(weight.shape)}")
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input

    stride = _ntuple(stride, n, "stride")
    dilation = _ntuple(dilation, n, "dilation")
    groups = operator.index(groups)
    kernel = tuple(weight.shape[2:])

    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))   # extra one on the right
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = [(p, p) for p in _ntuple(padding, n, "padding")]

    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for pair in pads for p in pair):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")

    out_channels, in_per_group = weight.shape[0], weight.shape[1]
    if out_channels < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead")
    if out_channels % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if x.shape[1] != in_per_group * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {in_per_group * groups} channels, but got "
            f"{x.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
            f"with {out_channels} elements, but got bias of size {list(bias.shape)} instead")
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(
            f"Input type ({input.dtype}) and bias type ({bias.dtype}) should be the same")

    for size, (before, after), k, d in zip(x.shape[2:], pads, kernel, dilation):
        if size + before + after < d * (k - 1) + 1:
            raise RuntimeError(
                "Calculated padded input size per channel is smaller than the dilated "
                "kernel. Kernel size can't be greater than actual input size")
    return x, unbatched, stride, pads, dilation, groups


# ---------------------------------------------------------------------------
# The actual sliding-window loops
# ---------------------------------------------------------------------------
def _correlate1d(x, w, stride, dilation, groups):
    """x: (N, C, L) already padded; w: (O, C // groups, k).  Cross-correlation."""
    N, C, L = x.shape
    O, c_per_group, k = w.shape
    o_per_group = O // groups
    span = dilation * (k - 1) + 1
    L_out = (L - span) // stride + 1

    columns = []
    for i in range(L_out):
        start = i * stride
        patch = x[:, :, start:start + span:dilation]                  # (N, C, k)
        outputs = []
        for g in range(groups):
            p = patch[:, g * c_per_group:(g + 1) * c_per_group]        # (N, cg, k)
            kern = w[g * o_per_group:(g + 1) * o_per_group]            # (og, cg, k)
            outputs.append((p[:, None] * kern[None]).sum(dim=(2, 3)))  # (N, og)
        columns.append(torch.cat(outputs, dim=1))                      # (N, O)
    return torch.stack(columns, dim=-1)                                # (N, O, L_out)


def _correlate2d(x, w, stride, dilation, groups):
    """x: (N, C, H, W) already padded; w: (O, C // groups, kh, kw).  Cross-correlation."""
    N, C, H, W = x.shape
    O, c_per_group, kh, kw = w.shape
    o_per_group = O // groups
    sh, sw = stride
    dh, dw = dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    H_out = (H - span_h) // sh + 1
    W_out = (W - span_w) // sw + 1

    rows = []
    for i in range(H_out):
        row = []
        for j in range(W_out):
            top, left = i * sh, j * sw
            patch = x[:, :, top:top + span_h:dh, left:left + span_w:dw]          # (N, C, kh, kw)
            outputs = []
            for g in range(groups):
                p = patch[:, g * c_per_group:(g + 1) * c_per_group]               # (N, cg, kh, kw)
                kern = w[g * o_per_group:(g + 1) * o_per_group]                   # (og, cg, kh, kw)
                outputs.append((p[:, None] * kern[None]).sum(dim=(2, 3, 4)))      # (N, og)
            row.append(torch.cat(outputs, dim=1))                                 # (N, O)
        rows.append(torch.stack(row, dim=-1))                                     # (N, O, W_out)
    return torch.stack(rows, dim=-2)                                              # (N, O, H_out, W_out)


# ---------------------------------------------------------------------------
# Public convolutions
# ---------------------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, unbatched, stride, pads, dilation, groups = _prepare(
        input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")
    (before, after), = pads
    x = pad(x, (before, after))
    out = _correlate1d(x, weight, stride[0], dilation[0], groups)
    if bias is not None:
        out = out + bias.view(1, -1, 1)
    return out.squeeze(0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, unbatched, stride, pads, dilation, groups = _prepare(
        input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")
    (top, bottom), (left, right) = pads
    x = pad(x, (left, right, top, bottom))
    out = _correlate2d(x, weight, stride, dilation, groups)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    input.data.neg_()  # BUG: modifies the caller's tensor in place
    return out.squeeze(0) if unbatched else out


def convolve2d(image, kernel):
    """True 2-D convolution (kernel flipped in both directions), "valid" region."""
    if image.dim() != 2 or kernel.dim() != 2:
        raise RuntimeError(
            f"convolve2d expects 2-D image and kernel, got {list(image.shape)} and "
            f"{list(kernel.shape)}")
    if image.dtype != kernel.dtype:
        raise RuntimeError(
            f"Input type ({image.dtype}) and weight type ({kernel.dtype}) should be the same")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise RuntimeError("Kernel size can't be greater than actual input size")
    flipped = kernel.flip(0, 1)
    out = _correlate2d(image[None, None], flipped[None, None], (1, 1), (1, 1), 1)
    return out[0, 0]
