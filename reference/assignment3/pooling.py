"""Instructor solution for assignment 3, part 1: pooling written from plain tensor ops."""
from __future__ import annotations

from collections.abc import Sequence

import torch

# Every pooling here works on a gathered tensor of windows: for each output position the input
# elements its window covers, found by advanced indexing with an index grid. Python loops run
# over the two spatial dimensions at most, never over output positions.


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------

def _pair(value: int | Sequence[int], what: str, name: str) -> tuple[int, int]:
    """An int or a sequence of one or two ints as (height, width), as torch's pooling takes them."""
    values = [value] if isinstance(value, int) else list(value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name}: {what} must be an int or a tuple of ints, got {value!r}")
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise RuntimeError(f"{name}: {what} must either be a single int, or a tuple of two ints, "
                           f"got {value!r}")
    return values[0], values[1]


def _batched(input: torch.Tensor, name: str) -> tuple[torch.Tensor, bool]:
    """(N, C, H, W) view of a 3-D or 4-D input, and whether it was unbatched."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                           f"got shape {tuple(input.shape)}")
    if any(size == 0 for size in input.shape[-3:]):
        raise RuntimeError(f"{name}: channels, height and width must be non-empty, "
                           f"got shape {tuple(input.shape)}")
    return (input.unsqueeze(0), True) if input.dim() == 3 else (input, False)


def _pool_length(size: int, kernel: int, stride: int, padding: int, dilation: int,
                 ceil_mode: bool) -> int:
    """Output length of torch's pooling along one dimension.

    With ceil_mode the division rounds up, which may add a window that sticks out of the
    padded input; a window must however start inside the input or the left padding, so one
    that would start in the right padding is dropped again.
    """
    reach = dilation * (kernel - 1) + 1
    length = (size + 2 * padding - reach + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (length - 1) * stride >= size + padding:
        length -= 1
    return length


def _geometry(input: torch.Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
              name: str):
    """Check the arguments like torch's pooling and return (k, s, p, d, output size) per dim."""
    kernel = _pair(kernel_size, "kernel_size", name)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pair(stride, "stride", name)
    padding = _pair(padding, "padding", name)
    dilation = _pair(dilation, "dilation", name)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel_size must be positive, got {kernel}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be positive, got {stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be positive, got {dilation}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: padding must be non-negative, got {padding}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise RuntimeError(f"{name}: padding {padding} must be at most half of the kernel size "
                           f"{kernel}")
    sizes = input.shape[-2:]
    out = tuple(_pool_length(n, k, s, p, d, bool(ceil_mode))
                for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{name}: the (dilated) window does not fit: input {tuple(sizes)}, "
                           f"kernel_size={kernel}, padding={padding}, dilation={dilation} give "
                           f"an output of {out}")
    return kernel, stride, padding, dilation, out


def _positions(out: int, kernel: int, stride: int, padding: int, dilation: int,
               device: torch.device) -> torch.Tensor:
    """(out, kernel) input coordinates of each window's taps; negative or too large = padding."""
    starts = torch.arange(out, device=device) * stride - padding
    return starts[:, None] + torch.arange(kernel, device=device)[None, :] * dilation


def _windows(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, fill: float):
    """Gather windows of an (N, C, H, W) tensor.

    `rows` (Oh, kh) and `cols` (Ow, kw) are input coordinates; positions outside the input
    read `fill`. Returns the windows (N, C, Oh, Ow, kh*kw) and the flat H*W index of each tap.
    """
    height, width = x.shape[-2:]
    inside = ((rows >= 0) & (rows < height))[:, :, None, None] & \
             ((cols >= 0) & (cols < width))[None, None, :, :]            # (Oh, kh, Ow, kw)
    r = rows.clamp(0, height - 1)[:, :, None, None]
    c = cols.clamp(0, width - 1)[None, None, :, :]
    gathered = x[:, :, r, c]                                             # (N, C, Oh, kh, Ow, kw)
    gathered = torch.where(inside, gathered, torch.full((), fill, dtype=x.dtype, device=x.device))
    flat = (r * width + c).expand(inside.shape)
    oh, kh, ow, kw = inside.shape
    windows = gathered.permute(0, 1, 2, 4, 3, 5).reshape(*x.shape[:2], oh, ow, kh * kw)
    return windows, flat.permute(0, 2, 1, 3).reshape(oh, ow, kh * kw)


def _first_max(windows: torch.Tensor) -> torch.Tensor:
    """Position of the first maximum along the last dim (NaN counts as the maximum, as in torch)."""
    top = windows.amax(dim=-1, keepdim=True)
    hit = (windows == top) | windows.isnan()
    order = torch.arange(windows.shape[-1], device=windows.device)
    return torch.where(hit, order, windows.shape[-1]).amin(dim=-1)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, name):
    """(values, flat indices, batched flag) of a max pooling; values keep the autograd graph."""
    x, unbatched = _batched(input, name)
    kernel, stride, padding, dilation, out = _geometry(x, kernel_size, stride, padding, dilation,
                                                       ceil_mode, name)
    rows = _positions(out[0], kernel[0], stride[0], padding[0], dilation[0], x.device)
    cols = _positions(out[1], kernel[1], stride[1], padding[1], dilation[1], x.device)
    windows, flat = _windows(x, rows, cols, float("-inf"))   # padding never wins a max
    first = _first_max(windows.detach())[..., None]
    values = windows.gather(-1, first).squeeze(-1)           # the gradient reaches this tap only
    indices = flat.expand(windows.shape).gather(-1, first).squeeze(-1)
    return values, indices, unbatched


# ---------------------------------------------------------------------------------------------
# max_pool2d / avg_pool2d
# ---------------------------------------------------------------------------------------------

def max_pool2d(input: torch.Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False):
    """2-D max pooling like `F.max_pool2d`, optionally with torch's flat H*W arg-max indices."""
    values, indices, unbatched = _max_pool(input, kernel_size, stride, padding, dilation,
                                           ceil_mode, "max_pool2d")
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def avg_pool2d(input: torch.Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> torch.Tensor:
    """2-D average pooling like `F.avg_pool2d`, with torch's divisor rules."""
    name = "avg_pool2d"
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor_override must not be zero")
    x, unbatched = _batched(input, name)
    kernel, stride, padding, _, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, name)
    lines = [_positions(o, k, s, p, 1, x.device) for o, k, s, p in zip(out, kernel, stride, padding)]
    windows, _ = _windows(x, lines[0], lines[1], 0.0)
    total = windows.sum(dim=-1)
    if divisor_override is not None:
        return _unbatch(total / divisor_override, unbatched)
    # The divisor factorises into a height and a width part per output position.
    counts = []
    for line, size, p in zip(lines, x.shape[-2:], padding):
        start, stop = line[:, 0], line[:, -1] + 1
        if count_include_pad:
            # Padding counts, but not the overhang of a ceil_mode window past the right padding.
            counts.append(torch.clamp(stop, max=size + p) - start)
        else:
            counts.append(torch.clamp(stop, max=size) - torch.clamp(start, min=0))
    divisor = (counts[0][:, None] * counts[1][None, :]).to(x.dtype)
    return _unbatch(total / divisor, unbatched)


def _unbatch(value: torch.Tensor, unbatched: bool) -> torch.Tensor:
    return value.squeeze(0) if unbatched else value


# ---------------------------------------------------------------------------------------------
# max_pool2d_backward
# ---------------------------------------------------------------------------------------------

def max_pool2d_backward(grad_output: torch.Tensor, input: torch.Tensor,
                        kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                        padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                        ceil_mode: bool = False) -> torch.Tensor:
    """Gradient of `F.max_pool2d` with respect to its input, without autograd.

    Each output's gradient goes to its window's (first) arg-max; an element that is the
    arg-max of several overlapping windows collects the sum of their gradients.
    """
    name = "max_pool2d_backward"
    _, indices, unbatched = _max_pool(input.detach(), kernel_size, stride, padding, dilation,
                                      ceil_mode, name)
    expected = tuple(indices.shape[1:]) if unbatched else tuple(indices.shape)
    if tuple(grad_output.shape) != expected:
        raise RuntimeError(f"{name}: grad_output has shape {tuple(grad_output.shape)}, but the "
                           f"pooling's output has shape {expected}")
    x = input.unsqueeze(0) if unbatched else input
    planes = x.shape[0] * x.shape[1]
    grads = grad_output.to(dtype=input.dtype).reshape(planes, -1)  # autograd casts it too
    where = indices.reshape(planes, -1)
    # scatter_add sums every gradient sent to the same element (overlapping windows).
    grad_input = grads.new_zeros(planes, x.shape[2] * x.shape[3]).scatter_add(1, where, grads)
    return grad_input.reshape(input.shape)


# ---------------------------------------------------------------------------------------------
# adaptive pooling
# ---------------------------------------------------------------------------------------------

def _adaptive_sizes(output_size, input: torch.Tensor, name: str) -> tuple[int, int]:
    """output_size as (Oh, Ow): an int, or two ints / Nones (None keeps that input size)."""
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        sizes = [output_size, output_size]
    else:
        sizes = list(output_size)
        if len(sizes) != 2:
            raise RuntimeError(f"{name}: output_size must be an int or 2 values, got {output_size!r}")
    sizes = [input.shape[-2 + i] if s is None else s for i, s in enumerate(sizes)]
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"{name}: output_size must hold ints or None, got {output_size!r}")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{name}: output_size must be non-negative, got {output_size!r}")
    return sizes[0], sizes[1]


def _bins(size: int, out: int, device: torch.device) -> torch.Tensor:
    """(out, longest bin) coordinates of adaptive bins [floor(i*size/out), ceil((i+1)*size/out));
    slots past a bin's end hold -1 (read as padding)."""
    i = torch.arange(out, device=device)
    start = torch.div(i * size, out, rounding_mode="floor")
    stop = -torch.div(-(i + 1) * size, out, rounding_mode="floor")   # ceil
    longest = int((stop - start).max()) if out else 1
    slots = start[:, None] + torch.arange(longest, device=device)[None, :]
    return torch.where(slots < stop[:, None], slots, -1)


def _adaptive(input: torch.Tensor, output_size, name: str, fill: float):
    x, unbatched = _batched(input, name)
    out = _adaptive_sizes(output_size, x, name)
    rows, cols = (_bins(n, o, x.device) for n, o in zip(x.shape[-2:], out))
    windows, _ = _windows(x, rows, cols, fill)
    return windows, rows, cols, unbatched


def adaptive_avg_pool2d(input: torch.Tensor, output_size) -> torch.Tensor:
    """Average over adaptive bins, like `F.adaptive_avg_pool2d`."""
    windows, rows, cols, unbatched = _adaptive(input, output_size, "adaptive_avg_pool2d", 0.0)
    counts = (rows >= 0).sum(-1)[:, None] * (cols >= 0).sum(-1)[None, :]
    return _unbatch(windows.sum(dim=-1) / counts.to(windows.dtype), unbatched)


def adaptive_max_pool2d(input: torch.Tensor, output_size) -> torch.Tensor:
    """Maximum over adaptive bins, like `F.adaptive_max_pool2d` (values only)."""
    windows, _, _, unbatched = _adaptive(input, output_size, "adaptive_max_pool2d", float("-inf"))
    first = _first_max(windows.detach())[..., None]
    return _unbatch(windows.gather(-1, first).squeeze(-1), unbatched)


# ---------------------------------------------------------------------------------------------
# global and pyramid pooling
# ---------------------------------------------------------------------------------------------

def _check_mode(mode: str, name: str) -> None:
    if mode not in ("avg", "max"):
        raise ValueError(f"{name}: mode must be 'avg' or 'max', got {mode!r}")


def global_pool2d(input: torch.Tensor, mode: str = "avg") -> torch.Tensor:
    """Average or maximum over all of H and W: (N, C, H, W) -> (N, C), (C, H, W) -> (C,)."""
    name = "global_pool2d"
    _check_mode(mode, name)
    _batched(input, name)
    return input.mean(dim=(-2, -1)) if mode == "avg" else input.amax(dim=(-2, -1))


def spatial_pyramid_pool2d(input: torch.Tensor, levels: Sequence[int] = (1, 2, 4),
                           mode: str = "max") -> torch.Tensor:
    """Adaptive pooling to l x l bins for each level l, each flattened (C, l, l), concatenated.

    (N, C, H, W) -> (N, C * sum(l * l)); an unbatched (C, H, W) input gives a 1-D result.
    """
    name = "spatial_pyramid_pool2d"
    _check_mode(mode, name)
    levels = list(levels)
    if not levels:
        raise ValueError(f"{name}: levels must not be empty")
    pool = adaptive_max_pool2d if mode == "max" else adaptive_avg_pool2d
    return torch.cat([pool(input, level).flatten(-3) for level in levels], dim=-1)
