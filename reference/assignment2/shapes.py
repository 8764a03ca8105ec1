"""Instructor solution for assignment 2: output sizes, receptive fields and parameter counts."""
from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

# Arguments are plain ints. A negative or zero size/kernel/stride/dilation, a negative padding
# or an output smaller than 1 raises ValueError; a value that is not an int raises TypeError.


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Length of the output of `nn.Conv*d` along one spatial dimension."""
    _check_positive(size=size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding)
    reach = dilation * (kernel_size - 1) + 1  # input elements one (dilated) kernel covers
    if size + 2 * padding < reach:
        raise ValueError(
            f"conv_output_size: the dilated kernel ({reach}) is larger than the padded input "
            f"({size + 2 * padding})")
    # Window starts 0, stride, 2*stride, ... as long as the whole window fits.
    return (size + 2 * padding - reach) // stride + 1


def pool_output_size(size: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Length of the output of `nn.MaxPool*d` / `nn.AvgPool*d` along one dimension.

    `nn.AvgPool*d` has no dilation; use the default 1 for it.
    """
    if stride is None:
        stride = kernel_size  # pooling windows tile the input by default
    _check_positive(size=size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding)
    if padding > kernel_size // 2:
        # torch refuses padding windows that would consist mostly of padding.
        raise ValueError(
            f"pool_output_size: padding ({padding}) must be at most half the kernel size "
            f"({kernel_size})")
    reach = dilation * (kernel_size - 1) + 1
    span = size + 2 * padding - reach
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # With ceil_mode the last window may start in the right padding; torch drops such a window,
    # every window has to start inside the input or the left padding.
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(
            f"pool_output_size: a window of {reach} does not fit into the padded input "
            f"({size + 2 * padding})")
    return out


def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Length of the output of `nn.ConvTranspose*d` along one spatial dimension."""
    _check_positive(size=size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding, output_padding=output_padding)
    if output_padding >= stride and output_padding >= dilation:
        # A strided conv maps `stride` neighbouring input sizes to one output size; output_padding
        # says which of them to produce, so larger values make no sense.
        raise ValueError(
            f"conv_transpose_output_size: output_padding ({output_padding}) must be smaller "
            f"than stride ({stride}) or dilation ({dilation})")
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"conv_transpose_output_size: the output size would be {out}")
    return out


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding that `padding="same"` uses: dilation*(k-1) in all, extra on the right."""
    _check_positive(kernel_size=kernel_size, dilation=dilation)
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Input elements (along one dimension) that one output element of the stack depends on.

    `layers` lists (kernel_size, stride, dilation) from the input towards the output.
    """
    field, jump = 1, 1  # jump: input distance between neighbouring elements of the current layer
    for kernel_size, stride, dilation in layers:
        _check_positive(kernel_size=kernel_size, stride=stride, dilation=dilation)
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field


def conv_parameters(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                    groups: int = 1, bias: bool = True) -> int:
    """Number of trainable parameters of `nn.Conv2d` with these settings."""
    _check_channels(in_channels, out_channels, groups)
    taps = _kernel_taps(kernel_size)
    # Each output channel sees only the in_channels / groups channels of its group.
    return out_channels * (in_channels // groups) * taps + (out_channels if bias else 0)


def conv_mult_adds(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                   output_size: int | tuple[int, int], groups: int = 1) -> int:
    """Multiply-adds of one forward pass of `nn.Conv2d` (bias additions not counted)."""
    _check_channels(in_channels, out_channels, groups)
    positions = _kernel_taps(output_size, "output_size")
    # One weight use per (output element, tap, input channel of its group).
    return out_channels * positions * (in_channels // groups) * _kernel_taps(kernel_size)


def trace_shapes(model: nn.Sequential, input_shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Output shape after each layer of `model`, from the layers' settings (nothing is run).

    A nested `nn.Sequential` counts as one layer: it contributes the shape after its last layer.
    """
    shape = tuple(_check_int(s, "input_shape") for s in input_shape)
    shapes = []
    for layer in (model if isinstance(model, nn.Sequential) else [model]):
        shape = _layer_output_shape(layer, shape)
        shapes.append(shape)
    return shapes


def parameter_table(model: nn.Module) -> list[tuple[str, int, int]]:
    """(layer name, weights, biases) for every layer that owns parameters, in model order.

    The name is the one `named_modules` gives; weights count everything the layer owns apart
    from its `bias` (for the usual layers that is just `weight`).
    """
    table = []
    for name, module in model.named_modules():
        own = dict(module.named_parameters(recurse=False))
        if not own:
            continue
        biases = own["bias"].numel() if "bias" in own else 0
        weights = sum(p.numel() for key, p in own.items() if key != "bias")
        table.append((name, weights, biases))
    return table


# ---------------------------------------------------------------------------------------------
# trace_shapes: one rule per layer type
# ---------------------------------------------------------------------------------------------

_SHAPE_PRESERVING = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.Identity,
                     nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                     nn.FeatureAlphaDropout, nn.BatchNorm2d)


def _layer_output_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    name = type(layer).__name__
    if isinstance(layer, nn.Sequential):
        for inner in layer:
            shape = _layer_output_shape(inner, shape)
        return shape
    if isinstance(layer, nn.BatchNorm2d):
        _check_image(shape, name, layer.num_features)
    if isinstance(layer, _SHAPE_PRESERVING):
        return shape
    if isinstance(layer, nn.Conv2d):
        _check_image(shape, name, layer.in_channels)
        if layer.padding == "same":
            # torch allows "same" only with stride 1, and then the size is kept.
            _check_padding_mode(layer, shape[-2:], [same_padding(k, d)[1] for k, d in
                                                    zip(layer.kernel_size, layer.dilation)])
            height, width = shape[-2:]
        else:
            padding = (0, 0) if layer.padding == "valid" else layer.padding
            _check_padding_mode(layer, shape[-2:], padding)
            height, width = (conv_output_size(s, k, st, p, d) for s, k, st, p, d in
                             zip(shape[-2:], layer.kernel_size, layer.stride, padding,
                                 layer.dilation))
        return (*shape[:-3], layer.out_channels, height, width)
    if isinstance(layer, nn.ConvTranspose2d):
        _check_image(shape, name, layer.in_channels)
        height, width = (conv_transpose_output_size(s, k, st, p, op, d) for s, k, st, p, op, d in
                         zip(shape[-2:], layer.kernel_size, layer.stride, layer.padding,
                             layer.output_padding, layer.dilation))
        return (*shape[:-3], layer.out_channels, height, width)
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        _check_image(shape, name)
        dilation = layer.dilation if isinstance(layer, nn.MaxPool2d) else 1
        height, width = (pool_output_size(s, k, st, p, d, layer.ceil_mode) for s, k, st, p, d in
                         zip(shape[-2:], _pair(layer.kernel_size), _pair(layer.stride),
                             _pair(layer.padding), _pair(dilation)))
        return (*shape[:-2], height, width)
    if isinstance(layer, nn.AdaptiveAvgPool2d):
        _check_image(shape, name)
        # None keeps the input's size along that dimension.
        target = _pair(layer.output_size)
        height, width = (s if t is None else t for s, t in zip(shape[-2:], target))
        return (*shape[:-2], height, width)
    if isinstance(layer, nn.Flatten):
        start, end = (d % len(shape) for d in (layer.start_dim, layer.end_dim))
        return (*shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])
    if isinstance(layer, nn.Linear):
        if not shape or shape[-1] != layer.in_features:
            raise ValueError(f"trace_shapes: {name} expects {layer.in_features} input features, "
                             f"but the shape reaching it is {shape}")
        return (*shape[:-1], layer.out_features)
    raise ValueError(f"trace_shapes: layer type {name} is not supported")


def _check_image(shape: tuple[int, ...], name: str, channels: int | None = None) -> None:
    """2-D layers take (N, C, H, W), or (C, H, W) without a batch."""
    if len(shape) not in (3, 4):
        raise ValueError(f"trace_shapes: {name} needs a 3-D or 4-D input, got shape {shape}")
    if channels is not None and shape[-3] != channels:
        raise ValueError(f"trace_shapes: {name} expects {channels} channels, "
                         f"but the shape reaching it is {shape}")


def _check_padding_mode(layer: nn.Conv2d, sizes: tuple[int, ...], padding: tuple[int, ...]) -> None:
    """Reflect and circular padding copy input elements, so they cannot pad more than there is."""
    for size, amount in zip(sizes, padding):
        if (layer.padding_mode == "reflect" and amount >= size
                or layer.padding_mode == "circular" and amount > size):
            raise ValueError(
                f"trace_shapes: Conv2d with padding_mode={layer.padding_mode!r} cannot pad "
                f"{amount} elements onto a dimension of size {size}")


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


# ---------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------

def _check_int(value, what: str) -> int:
    # bool is an int subclass, but True as a kernel size is a mistake worth reporting.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return value


def _check_positive(**values: int) -> None:
    for what, value in values.items():
        if _check_int(value, what) < 1:
            raise ValueError(f"{what} must be positive, got {value}")


def _check_non_negative(**values: int) -> None:
    for what, value in values.items():
        if _check_int(value, what) < 0:
            raise ValueError(f"{what} must be non-negative, got {value}")


def _check_channels(in_channels: int, out_channels: int, groups: int) -> None:
    _check_positive(in_channels=in_channels, out_channels=out_channels, groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) "
                         f"must both be divisible by groups ({groups})")


def _kernel_taps(kernel_size: int | Sequence[int], what: str = "kernel_size") -> int:
    """Number of elements of a kernel (or output) given as one int or a (height, width) pair."""
    sizes = _pair(kernel_size)
    if len(sizes) != 2:
        raise ValueError(f"{what} must be an int or a pair of ints, got {kernel_size!r}")
    _check_positive(**{f"{what}[{i}]": s for i, s in enumerate(sizes)})
    return sizes[0] * sizes[1]
