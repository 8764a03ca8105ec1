"""Instructor solution for assignment 1: padding and convolution written from plain tensor ops."""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


# ---------------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------------

def pad(input: torch.Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = 0.0) -> torch.Tensor:
    """Pad the last len(pad) // 2 dimensions of `input` like `torch.nn.functional.pad`.

    `pad` lists (left, right) amounts starting from the last dimension. Negative amounts crop.
    """
    pad = _int_list(pad, "pad")
    _check_pad_arguments(input, pad, mode, value)
    if value is None:
        value = 0.0
    output = input.clone() if not pad else input  # like F.pad, never hand back the input
    # pad[0:2] belongs to the last dimension, pad[2:4] to the one before it, and so on.
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if mode == "constant":
            output = _pad_constant(output, dim, left, right, value)
        elif mode == "circular":
            output = _pad_circular(output, dim, left, right)
        else:
            output = _pad_by_index(output, dim, left, right, mode)
    return output


def _check_pad_arguments(input: torch.Tensor, pad: list[int], mode: str,
                         value: float | None) -> None:
    """Raise what F.pad raises for the same arguments (exception class and meaning)."""
    if mode not in _PAD_MODES:
        # torch signals an unknown mode with NotImplementedError, not ValueError.
        raise NotImplementedError(
            f"pad: unrecognised padding mode {mode!r}; use one of {', '.join(_PAD_MODES)}")
    if len(pad) % 2 != 0:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} values")
    n_dims = len(pad) // 2
    if n_dims > input.dim():
        raise RuntimeError(
            f"pad: padding length should be at most twice the number of input dimensions, "
            f"got {len(pad)} values for a {input.dim()}-D input")
    if mode == "constant":
        for i in range(n_dims):
            size = input.shape[input.dim() - 1 - i]
            if size + pad[2 * i] + pad[2 * i + 1] < 0:
                raise RuntimeError(
                    f"pad: negative padding {pad[2 * i]}, {pad[2 * i + 1]} removes more than "
                    f"the {size} elements of dimension {input.dim() - 1 - i}")
        return

    # The remaining modes exist only for 1, 2 or 3 padded dimensions of an (un)batched input.
    if value is not None and value != 0:
        raise RuntimeError(f"pad: mode {mode!r} does not take a fill value (got {value})")
    if n_dims not in (1, 2, 3) or input.dim() not in (n_dims + 1, n_dims + 2):
        raise NotImplementedError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a 2-D/3-D, 3-D/4-D or "
            f"4-D/5-D input respectively; got {len(pad)} padding values for a "
            f"{input.dim()}-D input")
    for i in range(n_dims):
        dim = input.dim() - 1 - i
        size, left, right = input.shape[dim], pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(
                f"pad: reflect padding ({left}, {right}) must be smaller than the size {size} "
                f"of dimension {dim}")
        if mode == "circular":
            kept = size - max(-left, 0) - max(-right, 0)
            if kept < 0:
                raise RuntimeError(
                    f"pad: negative padding ({left}, {right}) removes more than the {size} "
                    f"elements of dimension {dim}")
            # torch wraps the cropped part; its result is garbage when a pad exceeds that part.
            if max(left, 0) > kept or max(right, 0) > kept:
                raise RuntimeError(
                    f"pad: circular padding ({left}, {right}) of dimension {dim} (size {size}, "
                    f"{kept} left after cropping) would wrap around more than once")
        elif size + left + right < 0:
            raise RuntimeError(
                f"pad: negative padding ({left}, {right}) removes more than the {size} "
                f"elements of dimension {dim}")
    if mode in ("reflect", "replicate"):
        # torch accepts an empty padded dimension only if another padded one is non-empty.
        out_sizes = [input.shape[input.dim() - 1 - i] + pad[2 * i] + pad[2 * i + 1]
                     for i in range(n_dims)]
        if all(s < 1 for s in out_sizes):
            raise RuntimeError(
                f"pad: padding {tuple(pad)} leaves no elements in the padded dimensions "
                f"of an input of shape {tuple(input.shape)}")
        # Every dimension apart from a leading batch dimension must be non-empty to copy from.
        first_checked = 1 if input.dim() == n_dims + 2 else 0
        if any(s == 0 for s in input.shape[first_checked:]):
            raise RuntimeError(
                f"pad: mode {mode!r} needs non-empty dimensions (a batch of 0 is fine), "
                f"got input of shape {tuple(input.shape)}")


def _crop(x: torch.Tensor, dim: int, left: int, right: int) -> torch.Tensor:
    """Remove the elements that negative padding amounts ask to drop."""
    start, stop = max(-left, 0), x.shape[dim] - max(-right, 0)
    return x.narrow(dim, start, stop - start)


def _pad_constant(x: torch.Tensor, dim: int, left: int, right: int,
                  value: float) -> torch.Tensor:
    x = _crop(x, dim, left, right)

    def block(width: int) -> torch.Tensor:
        shape = list(x.shape)
        shape[dim] = max(width, 0)
        return torch.full(shape, value, dtype=x.dtype, device=x.device)

    return torch.cat([block(left), x, block(right)], dim=dim)


def _pad_circular(x: torch.Tensor, dim: int, left: int, right: int) -> torch.Tensor:
    # torch crops first and wraps around what is left, so do the same.
    x = _crop(x, dim, left, right)
    size = x.shape[dim]
    if size == 0:
        return x
    positions = torch.arange(-max(left, 0), size + max(right, 0), device=x.device)
    return x.index_select(dim, positions.remainder(size))


def _pad_by_index(x: torch.Tensor, dim: int, left: int, right: int, mode: str) -> torch.Tensor:
    """Reflect or replicate: map every output position to the input element it copies."""
    size = x.shape[dim]
    # Output element j copies input position j - left, folded back into [0, size).
    positions = torch.arange(-left, size + right, device=x.device)
    if mode == "reflect":
        # Mirror around the first and last element without repeating them: -1 -> 1, size -> size-2.
        positions = positions.abs()
        positions = torch.where(positions > size - 1, 2 * (size - 1) - positions, positions)
    else:
        positions = positions.clamp(0, size - 1)
    return x.index_select(dim, positions)


# ---------------------------------------------------------------------------------------------
# conv1d / conv2d
# ---------------------------------------------------------------------------------------------

def conv1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> torch.Tensor:
    """1-D cross-correlation with the signature and semantics of `torch.nn.functional.conv1d`."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> torch.Tensor:
    """2-D cross-correlation with the signature and semantics of `torch.nn.functional.conv2d`."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _convolution(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                 stride: int | Sequence[int], padding: int | Sequence[int] | str,
                 dilation: int | Sequence[int], groups: int, n: int, name: str) -> torch.Tensor:
    """Shared body of conv1d and conv2d for `n` spatial dimensions."""
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(
            f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
            f"got shape {tuple(input.shape)}")
    if weight.dim() != n + 2:
        raise RuntimeError(
            f"{name}: expected a {n + 2}-D weight (out_channels, in_channels / groups, "
            f"kernel...), got shape {tuple(weight.shape)}")
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input

    stride = _expand(stride, n, "stride", name)
    dilation = _expand(dilation, n, "dilation", name)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be positive, got {stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be positive, got {dilation}")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{name}: groups must be an int, got {groups!r}")
    if groups <= 0:
        raise RuntimeError(f"{name}: groups must be positive, got {groups}")

    out_channels, in_per_group = weight.shape[0], weight.shape[1]
    kernel = list(weight.shape[2:])
    if out_channels == 0 or out_channels % groups != 0:
        raise RuntimeError(
            f"{name}: weight of shape {tuple(weight.shape)} needs a positive number of output "
            f"channels divisible by groups={groups}")
    if x.shape[1] != in_per_group * groups:
        raise RuntimeError(
            f"{name}: input has {x.shape[1]} channels, but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {in_per_group * groups}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(
            f"{name}: bias must be 1-D with {out_channels} elements, "
            f"got shape {tuple(bias.shape)}")
    for other, what in ((weight, "weight"), (bias, "bias")):
        if other is not None and (other.dtype != x.dtype or other.device != x.device):
            raise RuntimeError(
                f"{name}: input ({x.dtype}, {x.device}) and {what} ({other.dtype}, "
                f"{other.device}) must have the same dtype and device")

    # Padding as (left, right) per spatial dimension. F.conv* raise RuntimeError for bad padding
    # strings (only the nn.Conv* constructors raise ValueError), so this does the same.
    span = [d * (k - 1) for d, k in zip(dilation, kernel)]  # dilated kernel extent minus one
    if isinstance(padding, str):
        if padding == "valid":
            sides = [(0, 0)] * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{name}: padding='same' is not supported for strided "
                                   f"convolutions (stride={stride})")
            # Total padding dilation * (k - 1); an odd total puts the extra element on the right.
            sides = [(t // 2, t - t // 2) for t in span]
        else:
            raise RuntimeError(f"{name}: invalid padding string {padding!r}; "
                               f"use 'valid', 'same' or integers")
    else:
        amounts = _expand(padding, n, "padding", name)
        if any(p < 0 for p in amounts):
            raise RuntimeError(f"{name}: padding must be non-negative, got {amounts}")
        sides = [(p, p) for p in amounts]

    padded_size = [x.shape[2 + i] + sum(sides[i]) for i in range(n)]
    if any(size < extent + 1 for size, extent in zip(padded_size, span)):
        raise RuntimeError(
            f"{name}: the dilated kernel {tuple(e + 1 for e in span)} is larger than the "
            f"padded input {tuple(padded_size)}")

    # F.pad order: the last dimension's (left, right) first.
    flat_pad = [amount for side in reversed(sides) for amount in side]
    if any(flat_pad):
        x = pad(x, flat_pad)
    out_size = [(size - extent - 1) // s + 1 for size, extent, s in zip(padded_size, span, stride)]

    # One strided view of the padded input per kernel tap: view[..., o] = x[..., o*s + t*d].
    # Stacking them gives every output position its receptive field (im2col), while the only
    # Python loop runs over the kernel taps, never over output positions.
    taps = []
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                       for t, d, s, o in zip(tap, dilation, stride, out_size))
        taps.append(x[(slice(None), slice(None), *window)])
    batch, positions = x.shape[0], math.prod(out_size)
    # (N, C_in, taps, *out) -> (N, G, C_in/G * taps, positions): rows ordered (channel, tap),
    # the same order in which weight (C_out, C_in/G, *kernel) flattens.
    columns = torch.stack(taps, dim=2).reshape(batch, groups, in_per_group * len(taps), positions)
    w = weight.reshape(groups, out_channels // groups, in_per_group * len(taps))
    # One matrix product per group, broadcast over the batch; the result is already N, C, H, W.
    output = torch.matmul(w, columns).reshape(batch, out_channels, *out_size)
    if bias is not None:
        output = output + bias.reshape(1, out_channels, *([1] * n))
    return output.squeeze(0) if unbatched else output


def _int_list(value: Sequence[int], what: str) -> list[int]:
    """The ints of `value` as a list; anything else is a TypeError, as in torch's bindings."""
    values = list(value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{what} must contain ints, got {value!r}")
    return values


def _expand(value: int | Sequence[int], n: int, what: str, name: str) -> list[int]:
    """An int or a sequence of ints as a list of n ints; a 1-element sequence is repeated."""
    values = _int_list([value] if isinstance(value, int) else value, f"{name}: {what}")
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise RuntimeError(
            f"{name}: {what} must be one int or {n} ints, got {value!r}")
    return values


# ---------------------------------------------------------------------------------------------
# convolve2d and the lecture's filters
# ---------------------------------------------------------------------------------------------

def convolve2d(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """True 2-D convolution (kernel flipped) of a 2-D image, keeping only the "valid" region."""
    if image.dim() != 2 or kernel.dim() != 2:
        raise RuntimeError(
            f"convolve2d: expected 2-D image and kernel, got shapes {tuple(image.shape)} "
            f"and {tuple(kernel.shape)}")
    # Convolution = cross-correlation with the kernel turned by 180 degrees.
    flipped = kernel.flip(0, 1)
    return conv2d(image[None, None], flipped[None, None])[0, 0]


def _kernel(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


# The 3x3 image filters from the lecture's table, written as they are applied by conv2d.
FILTERS: dict[str, torch.Tensor] = {
    "blur": _kernel([[1 / 16, 1 / 8, 1 / 16],
                     [1 / 8, 1 / 4, 1 / 8],
                     [1 / 16, 1 / 8, 1 / 16]]),
    "sharpen": _kernel([[0, -1, 0],
                        [-1, 5, -1],
                        [0, -1, 0]]),
    "top_sobel": _kernel([[1, 2, 1],
                          [0, 0, 0],
                          [-1, -2, -1]]),
    "bottom_sobel": _kernel([[-1, -2, -1],
                             [0, 0, 0],
                             [1, 2, 1]]),
    "left_sobel": _kernel([[1, 0, -1],
                           [2, 0, -2],
                           [1, 0, -1]]),
    "right_sobel": _kernel([[-1, 0, 1],
                            [-2, 0, 2],
                            [-1, 0, 1]]),
    "outline": _kernel([[-1, -1, -1],
                        [-1, 8, -1],
                        [-1, -1, -1]]),
}
