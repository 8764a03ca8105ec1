"""Assignment 6, upsampling and segmentation: tasks, points, cases and known wrong answers."""
from __future__ import annotations

import math
import random
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from grader import kit
from grader.experiments import module_forward, output_and_gradients, parameter_count
from grader.kit import ANIMATED, NotApplicable, hidden, two
from grader.spec import Assignment, Case, RaisedHint, Random, Task, Tensor, Variant, load_checks, random_tensors

checks = load_checks(__file__)

UPSAMPLE_FORBIDDEN = ("torch.nn.functional.interpolate", "torch.nn.functional.upsample*", "torch.nn.Upsample*",
                      "torch.nn.modules.upsampling", "torch.ops.aten.upsample*", "torch._C._nn.upsample*",
                      "torch.nn.functional.grid_sample", "torch.nn.functional.affine_grid",
                      "torch._C._VariableFunctions.grid_sampler*", "torch.ops.aten.grid_sampler*")
UNPOOL_FORBIDDEN = ("torch.nn.functional.max_unpool*", "torch.nn.MaxUnpool*", "torch.nn.modules.pooling.MaxUnpool*",
                    "torch.ops.aten.max_unpool*", "torch._C._nn.max_unpool*")

SQUARE = [[[[1.0, 2.0], [3.0, 4.0]]]]  # the usual first example of upsampling
ARANGE_3X4 = [[[[float(4 * i + j + 1) for j in range(4)] for i in range(3)]]]


def _values(tensor: torch.Tensor) -> list:
    return tensor.tolist()


def _scattered(values: torch.Tensor, indices: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Each value put back at its flat index in a zero map of `size`: max_unpool2d with output_size,
    without torch's output-size check (which imports sympy: 0.2 s of every grading)."""
    flat = torch.zeros(*values.shape[:2], size[0] * size[1], dtype=values.dtype)
    return flat.scatter_(2, indices.flatten(2), values.flatten(2)).view(*values.shape[:2], *size)


# --- torch as the oracle ------------------------------------------------------------------------

def _nearest_oracle(input, scale_factor):
    return F.interpolate(input, scale_factor=scale_factor, mode="nearest")


def _bilinear_oracle(input, size=None, scale_factor=None, align_corners=False):
    return F.interpolate(input, size=size, scale_factor=scale_factor, mode="bilinear", align_corners=align_corners)


def _nails_oracle(input, stride):
    """A transposed convolution per channel whose kernel is 1 at its top-left tap."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    kernel = input.new_zeros(input.shape[1], 1, sh, sw)
    kernel[:, :, 0, 0] = 1
    return F.conv_transpose2d(input, kernel, stride=(sh, sw), groups=input.shape[1])


def _four_terms(*args, **kwargs) -> int:
    return 4  # a bilinear value mixes four inputs


# --- known wrong answers ------------------------------------------------------------------------

def _tiled(ref, input, scale_factor):
    sh, sw = two(scale_factor)
    return input.repeat(1, 1, sh, sw)


def _axes_swapped(ref, input, scale_factor):
    sh, sw = two(scale_factor)
    if sh == sw:
        raise NotApplicable("one factor for both axes: nothing to swap")
    return ref.upsample_nearest(input, (sw, sh))


NEAREST_VARIANTS = (
    Variant(code="image_tiled", compute=_tiled,
            hint="this tiles copies of the whole image (repeat); each value must be repeated in place into a "
                 "block (repeat_interleave)"),
    Variant(code="scale_axes_swapped", compute=_axes_swapped,
            hint="scale_factor is (height, width): the first factor scales the rows"),
)


def _bilinear(input, size=None, scale_factor=None, align_corners=False, *, source) -> torch.Tensor:
    """Bilinear upsampling with another mapping `source(out, in, align_corners)` -> (low, high, weight)."""
    if size is not None:
        out_h, out_w = two(size)
    else:
        sh, sw = two(scale_factor)
        out_h, out_w = input.shape[2] * sh, input.shape[3] * sw
    top, bottom, dy = source(out_h, input.shape[2], align_corners)
    left, right, dx = source(out_w, input.shape[3], align_corners)
    dy, dx = dy.to(input.dtype), dx.to(input.dtype)
    rows = input[:, :, top] * (1 - dy)[:, None] + input[:, :, bottom] * dy[:, None]
    return rows[..., left] * (1 - dx) + rows[..., right] * dx


def _corners_source(out_size, in_size, align_corners):
    position = torch.arange(out_size, dtype=torch.float64)
    source = position * ((in_size - 1) / (out_size - 1)) if out_size > 1 else position * 0
    low = source.floor().long().clamp(max=in_size - 1)
    return low, (low + 1).clamp(max=in_size - 1), source - low


def _centres_source(out_size, in_size, align_corners, half_pixel=True, clamp=True):
    position = torch.arange(out_size, dtype=torch.float64)
    source = (position + 0.5) * (in_size / out_size) - 0.5 if half_pixel else position * (in_size / out_size)
    if clamp:
        source = source.clamp(min=0)
    low = source.floor().long().clamp(max=in_size - 1)
    return low, (low + 1).clamp(min=0, max=in_size - 1), source - low


def _align_corners_swapped(ref, input, size=None, scale_factor=None, align_corners=False):
    return ref.upsample_bilinear(input, size, scale_factor, not align_corners)


def _half_pixel_dropped(ref, input, size=None, scale_factor=None, align_corners=False):
    if align_corners:
        raise NotApplicable("align_corners=True has no half-pixel offset")
    return _bilinear(input, size, scale_factor, source=lambda o, i, a: _centres_source(o, i, a, half_pixel=False))


def _border_not_clamped(ref, input, size=None, scale_factor=None, align_corners=False):
    if align_corners:
        raise NotApplicable("align_corners=True never reaches outside the input")
    return _bilinear(input, size, scale_factor, source=lambda o, i, a: _centres_source(o, i, a, clamp=False))


BILINEAR_VARIANTS = (
    Variant(code="align_corners_mixed_up", compute=_align_corners_swapped,
            hint="align_corners mixed up: with True the corner pixels' centres meet (source = x * (in - 1) / "
                 "(out - 1)); with False pixels are areas (source = (x + 0.5) * in / out - 0.5)"),
    Variant(code="half_pixel_offset_dropped", compute=_half_pixel_dropped,
            hint="with align_corners=False a pixel's centre is at x + 0.5: source = (x + 0.5) * in / out - 0.5, "
                 "not x * in / out, which shifts the image towards the top left"),
    Variant(code="border_not_clamped", compute=_border_not_clamped,
            hint="near the top and left borders the source position is below 0: clamp it to 0 (the border "
                 "value is repeated), do not read past the edge"),
)


def _nails_at_last_tap(ref, input, stride):
    sh, sw = two(stride)
    if (sh, sw) == (1, 1):
        raise NotApplicable("stride 1: one position per block")
    output = input.new_zeros(*input.shape[:2], input.shape[2] * sh, input.shape[3] * sw)
    output[:, :, sh - 1::sh, sw - 1::sw] = input
    return output


NAILS_VARIANTS = (
    Variant(code="nails_filled", compute=lambda ref, input, stride: ref.upsample_nearest(input, stride),
            hint="this is nearest-neighbour upsampling: a bed of nails puts each value once, at the top-left of "
                 "its block, and leaves the rest of the block 0"),
    Variant(code="nail_not_top_left", compute=_nails_at_last_tap,
            hint="each value goes to the top-left corner of its block, position (stride * i, stride * j)"),
)


def _unpool_per_batch(ref, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Indices read as offsets into each sample's channels together, not into each channel's plane."""
    reference = ref.max_unpool2d(input, indices, kernel_size, stride, padding, output_size)
    n, c, h, w = reference.shape
    if c == 1:
        raise NotApplicable("one channel: the plane is the sample")
    flat = input.new_zeros(n, c * h * w).scatter(1, indices.flatten(1), input.flatten(1))
    return flat.view(n, c, h, w)


def _unpooled_plane(input, indices, kernel_size, stride, padding) -> None:
    """NotApplicable where an index falls outside the default output plane for `stride`: unpooling to
    it fails (the reference refuses such an index), so the mistake gives no value to recognise."""
    (h, w), (kh, kw), (sh, sw), (ph, pw) = input.shape[-2:], two(kernel_size), two(stride), two(padding)
    plane = ((h - 1) * sh - 2 * ph + kh) * ((w - 1) * sw - 2 * pw + kw)
    if indices.numel() and int(indices.max()) >= plane:
        raise NotApplicable("an index falls outside the smaller output: this mistake raises here")


def _unpool_default_size(ref, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    if output_size is None:
        raise NotApplicable("no output_size to ignore")
    _unpooled_plane(input, indices, kernel_size, kernel_size if stride is None else stride, padding)
    return ref.max_unpool2d(input, indices, kernel_size, stride, padding)


def _unpool_stride_one(ref, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    if stride is not None or output_size is not None:
        raise NotApplicable("the stride is given")
    _unpooled_plane(input, indices, kernel_size, 1, padding)
    return ref.max_unpool2d(input, indices, kernel_size, 1, padding)


UNPOOL_VARIANTS = (
    Variant(code="indices_per_batch", compute=_unpool_per_batch,
            hint="an index is a position h * W + w in its own (sample, channel) plane; here it was read as a "
                 "position in the whole sample, so every value landed in the first channel's planes"),
    Variant(code="output_size_ignored", by_shape=True, compute=_unpool_default_size,
            hint="output_size is the size to unpool to (the pooled input's size): without it the size is "
                 "(H - 1) * stride - 2 * padding + kernel_size"),
    Variant(code="stride_default_one", by_shape=True, compute=_unpool_stride_one,
            hint="stride=None means stride = kernel_size, as in max_pool2d"),
)


def _kernel_on_every_pair(ref, in_channels, out_channels, kernel_size, dtype=torch.float32):
    if in_channels == out_channels == 1:
        raise NotApplicable("one channel: no pair of different channels")
    single = ref.bilinear_kernel(1, 1, kernel_size, dtype)
    return single.expand(in_channels, out_channels, kernel_size, kernel_size).clone()


def _centre_off_by_half(ref, in_channels, out_channels, kernel_size, dtype=torch.float32):
    if kernel_size % 2:
        raise NotApplicable("odd kernel: the centre is a tap")
    factor = (kernel_size + 1) // 2
    taps = 1 - (torch.arange(kernel_size, dtype=torch.float64) - (factor - 1)).abs() / factor
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size, dtype=torch.float64)
    channels = range(min(in_channels, out_channels))
    weight[channels, channels] = taps[:, None] * taps[None, :]
    return weight.to(dtype)


KERNEL_VARIANTS = (
    Variant(code="kernel_on_every_pair", compute=_kernel_on_every_pair,
            hint="the filter belongs only on the diagonal, weight[i, i]: weight[i, o] for i != o is 0, otherwise "
                 "every output channel mixes all input channels"),
    Variant(code="centre_off_by_half", compute=_centre_off_by_half,
            hint="for an even kernel the centre falls between two taps: centre = factor - 0.5, with factor = "
                 "(kernel_size + 1) // 2"),
)


def _crop_top_left(ref, skip, x):
    (hs, ws), (h, w) = skip.shape[2:], x.shape[2:]
    if (hs, ws) == (h, w):
        raise NotApplicable("nothing to crop")
    return torch.cat([skip[:, :, :h, :w], x], dim=1)


def _crop_rounded_up(ref, skip, x):
    (hs, ws), (h, w) = skip.shape[2:], x.shape[2:]
    if (hs - h) % 2 == 0 and (ws - w) % 2 == 0:
        raise NotApplicable("even margins: nothing to round")
    top, left = (hs - h + 1) // 2, (ws - w + 1) // 2
    return torch.cat([skip[:, :, top:top + h, left:left + w], x], dim=1)


def _concat_swapped(ref, skip, x):
    output = ref.crop_and_concat(skip, x)
    return torch.cat([output[:, skip.shape[1]:], output[:, :skip.shape[1]]], dim=1)


CROP_VARIANTS = (
    Variant(code="crop_off_centre", compute=_crop_top_left,
            hint="the crop must be centred: start at ((H_skip - H) // 2, (W_skip - W) // 2), not at the corner"),
    Variant(code="crop_rounded_up", compute=_crop_rounded_up,
            hint="with an odd margin the extra row (column) stays at the bottom (right): start at (H_skip - H) "
                 "// 2, rounded down"),
    Variant(code="skip_concatenated_second", compute=_concat_swapped,
            hint="the cropped skip comes first along the channels: torch.cat([cropped skip, x], dim=1)"),
)


def _unet_size(input_size: int, depth: int, down: int, bottom: int, up: int) -> int:
    size = input_size
    for _ in range(depth):
        size = (size - down) // 2
    size -= bottom
    for _ in range(depth):
        size = 2 * size - up
    if size < 1:
        raise NotApplicable("too small")
    return size


def _unet_size_variant(down: int, bottom: int, up: int):
    return lambda ref, input_size, depth=4: _unet_size(input_size, depth, down, bottom, up)


UNET_SIZE_VARIANTS = (
    Variant(code="decoder_convs_forgotten", compute=_unet_size_variant(4, 4, 0),
            hint="each level of the expanding path also has two unpadded 3x3 convolutions after the "
                 "up-convolution: - 4 per level on the way up too"),
    Variant(code="bottleneck_convs_forgotten", compute=_unet_size_variant(4, 0, 4),
            hint="the lowest level (the bottleneck) has its two 3x3 convolutions too: - 4 there"),
    Variant(code="one_conv_per_level", compute=_unet_size_variant(2, 2, 2),
            hint="every level has two unpadded 3x3 convolutions, each removing 2: - 4 per level, not - 2"),
    Variant(code="convs_padded", compute=lambda ref, input_size, depth=4: input_size,
            hint="the paper's convolutions are unpadded: each 3x3 convolution makes the map 2 smaller"),
)


def _unet_variant(forward: Callable[[nn.Module, torch.Tensor], torch.Tensor]):
    """A variant: the reference UNet with its forward replaced by `forward(net, x)`."""
    def compute(ref, *args, **kwargs):
        net = ref.UNet(*args, **kwargs)
        net.forward = lambda x: forward(net, x)
        return net
    return compute


def _unet_forward(net, x, join):
    skips = []
    for encoder in net.encoders:
        x = encoder(x)
        skips.append(x)
        x = net.pool(x)
    x = net.bottleneck(x)
    for level in reversed(range(len(net.decoders))):
        x = net.decoders[level](join(skips[level], net.upsamples[level](x)))
    return net.head(x)


def _join(crop: Callable[..., torch.Tensor], skip_first: bool = True):
    def join(skip, x):
        cropped = crop(skip, x)
        return torch.cat([cropped, x] if skip_first else [x, cropped], dim=1)
    return join


def _centre(skip, x):
    top, left = (skip.shape[2] - x.shape[2]) // 2, (skip.shape[3] - x.shape[3]) // 2
    return skip[:, :, top:top + x.shape[2], left:left + x.shape[3]]


def _corner(skip, x):
    return skip[:, :, :x.shape[2], :x.shape[3]]


UNET_VARIANTS = (
    Variant(code="skip_concatenated_second", compute=_unet_variant(lambda net, x: _unet_forward(
        net, x, _join(_centre, skip_first=False))),
            hint="the decoder's input is torch.cat([cropped skip, upsampled], dim=1): the skip comes first"),
    Variant(code="crop_off_centre", compute=_unet_variant(lambda net, x: _unet_forward(net, x, _join(_corner))),
            hint="the skip is cropped at its centre, not at its top-left corner"),
)


def _fpn_variant(forward: Callable[[nn.Module, list], list]):
    def compute(ref, *args, **kwargs):
        net = ref.FPNTopDown(*args, **kwargs)
        net.forward = lambda features: forward(net, features)
        return net
    return compute


def _fpn_forward(net, features, upsample, smooth_first=False):
    merged = net.lateral[-1](features[-1])
    outputs = [net.smooth[-1](merged)]
    for level in reversed(range(len(features) - 1)):
        above = outputs[0] if smooth_first else merged
        merged = net.lateral[level](features[level]) + upsample(above)
        outputs.insert(0, net.smooth[level](merged))
    return outputs


def _nearest2(x):
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def _bilinear2(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def _reversed_outputs(net, features):
    outputs = _fpn_forward(net, features, _nearest2)
    if len(outputs) == 1:
        raise NotApplicable("one level: no order")
    return outputs[::-1]


FPN_VARIANTS = (
    Variant(code="smoothed_map_passed_down", compute=_fpn_variant(lambda net, f: _fpn_forward(
        net, f, _nearest2, smooth_first=True)),
            hint="the top-down path carries the merged map before smoothing: P_i = smooth_i(lateral_i(C_i) + "
                 "up(M_{i+1})), where M is the sum, not the smoothed output"),
    Variant(code="bilinear_top_down", compute=_fpn_variant(lambda net, f: _fpn_forward(net, f, _bilinear2)),
            hint="the top-down path upsamples by nearest neighbour (each value into a 2x2 block), not bilinearly"),
    Variant(code="outputs_coarsest_first", compute=_fpn_variant(_reversed_outputs),
            hint="return the outputs in the order of the inputs: finest first"),
)


def _dice(probs, target, smooth=1.0, *, per_sample=False, squared=False, two=2.0, numerator_smooth=True):
    dims = tuple(range(2, probs.dim())) if per_sample else (0, *range(2, probs.dim()))
    overlap = (probs * target).sum(dims)
    total = (probs.square().sum(dims) + target.square().sum(dims)) if squared else probs.sum(dims) + target.sum(dims)
    return 1 - ((two * overlap + (smooth if numerator_smooth else 0)) / (total + smooth)).mean()


def _dice_variant(**mistake):
    def compute(ref, probs, target, smooth=1.0):
        return _dice(probs, target, smooth, **mistake)
    return compute


def _dice_without_smooth(ref, probs, target, smooth=1.0):
    if smooth == 0:
        raise NotApplicable("no smoothing asked for")
    return _dice(probs, target, 0.0)


def _dice_itself(ref, probs, target, smooth=1.0):
    return 1 - ref.dice_loss(probs, target, smooth)


DICE_VARIANTS = (
    Variant(code="smooth_missing", compute=_dice_without_smooth,
            hint="the smoothing term is missing: (2 |P∩T| + smooth) / (|P| + |T| + smooth); without it a class "
                 "absent from both gives 0 / 0"),
    Variant(code="smooth_in_denominator_only", compute=_dice_variant(numerator_smooth=False),
            hint="smooth is added to the numerator too: (2 |P∩T| + smooth) / (|P| + |T| + smooth)"),
    Variant(code="dice_per_sample", compute=_dice_variant(per_sample=True),
            hint="the sums run over the whole batch and all positions for each class, not per sample"),
    Variant(code="denominator_squared", compute=_dice_variant(squared=True),
            hint="the denominator is |P| + |T|, plain sums, not sums of squares (that is V-Net's variant)"),
    Variant(code="factor_two_missing", compute=_dice_variant(two=1.0),
            hint="the overlap counts twice: 2 |P∩T|, since |P| + |T| counts it twice"),
    Variant(code="dice_not_loss", compute=_dice_itself, hint="this is the Dice coefficient itself; the loss is 1 - Dice"),
)


def _segnet_variant(unpool: Callable[[torch.Tensor, torch.Tensor, tuple[int, int]], torch.Tensor]):
    """A variant: the reference SegNetDecoder unpooling with `unpool(x, indices, size)` instead."""
    def compute(ref, *args, **kwargs):
        decoder = ref.SegNetDecoder(*args, **kwargs)

        def forward(x, indices, sizes):
            for level in reversed(range(len(decoder.stages))):
                x = decoder.stages[level](unpool(x, indices[level], tuple(sizes[level])))
            return x
        decoder.forward = forward
        return decoder
    return compute


def _nearest_to(x, indices, size):
    return F.interpolate(x, size=size, mode="nearest")


def _top_left_corner(x, indices, size):
    """Each value at the top-left of its 2x2 window: a bed of nails, whatever the indices say."""
    rows, cols = torch.arange(x.shape[2]) * 2, torch.arange(x.shape[3]) * 2
    corners = (rows[:, None] * size[1] + cols).expand_as(x)
    return _scattered(x, corners, size)


def _default_size(x, indices, size):
    """max_unpool2d without output_size: (H - 1) * 2 + 2 along each axis."""
    if int(indices.max()) >= 4 * x.shape[2] * x.shape[3]:
        raise NotApplicable("an index outside the smaller plane: max_unpool2d refuses it")
    return _scattered(x, indices, (2 * x.shape[2], 2 * x.shape[3]))


# Indices from another level have another shape: torch's unpooling raises instead of giving a
# wrong map, so this mistake is known by its message.
SEGNET_RAISED = (RaisedHint(
    fragment="Expected shape of indices to be same as that of the input tensor", code="indices_wrong_level",
    hint="the indices come from another level: unpool each level with the indices its own pooling returned, "
         "the coarsest level first"),)

SEGNET_VARIANTS = (
    Variant(code="unpooled_without_indices", compute=_segnet_variant(_nearest_to),
            hint="this is nearest-neighbour upsampling: SegNet's decoder unpools, each value back at the position "
                 "of its maximum (the encoder's indices) and 0 elsewhere in its window"),
    Variant(code="unpooled_to_fixed_corner", compute=_segnet_variant(_top_left_corner),
            hint="every value went to the top-left corner of its window (a bed of nails): SegNet puts it back "
                 "where the encoder's maximum was, at the position its pooling index gives"),
    Variant(code="output_size_ignored", by_shape=True, compute=_segnet_variant(_default_size),
            hint="unpool to the size the encoder pooled (output_size=sizes[i]): without it an odd size comes "
                 "back one smaller, (H - 1) * 2 + 2"),
)


def _transposed(ref, in_channels, out_channels, scale_factor=2, mode="nearest", kernel_size=3):
    """The learnable upsampling of assignment 4 in its place: a transposed convolution of the
    same kernel, stride scale_factor, padded to the same size."""
    net = ref.ResizeConv(in_channels, out_channels, scale_factor, mode, kernel_size)
    net.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=scale_factor,
                                  padding=kernel_size // 2, output_padding=scale_factor - 1)
    net.forward = lambda x: net.conv(x)
    return net


def _conv_first(ref, *args, **kwargs):
    net = ref.ResizeConv(*args, **kwargs)
    if net.scale_factor == 1:
        raise NotApplicable("factor 1: nothing to reorder")
    corners = False if net.mode == "bilinear" else None
    net.forward = lambda x: F.interpolate(net.conv(x), scale_factor=net.scale_factor, mode=net.mode,
                                          align_corners=corners)
    return net


def _corners_aligned(ref, *args, **kwargs):
    net = ref.ResizeConv(*args, **kwargs)
    if net.mode != "bilinear" or net.scale_factor == 1:
        raise NotApplicable("align_corners only matters for bilinear upsampling")
    net.forward = lambda x: net.conv(F.interpolate(x, scale_factor=net.scale_factor, mode="bilinear",
                                                   align_corners=True))
    return net


RESIZE_VARIANTS = (
    Variant(code="transposed_conv_checkerboard", compute=_transposed,
            hint="this is a transposed convolution with stride scale_factor: where its kernel's taps overlap "
                 "unevenly it leaves a checkerboard. Resize first (nearest or bilinear), then convolve with "
                 "stride 1"),
    Variant(code="conv_before_resize", compute=_conv_first,
            hint="resize first, then convolve: the convolution works at the output's resolution"),
    Variant(code="align_corners_mixed_up", compute=_corners_aligned,
            hint="bilinear resizing here uses align_corners=False (pixels are areas), as upsample_bilinear's "
                 "default"),
)


# --- cases --------------------------------------------------------------------------------------

def _pairish(rng: random.Random, low: int, high: int):
    a, b = rng.randint(low, high), rng.randint(low, high)
    return a if a == b or rng.random() < 0.5 else (a, b)


def _nearest_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    square = torch.tensor(SQUARE)
    arange = torch.tensor(ARANGE_3X4)
    cases = [
        Case(name="derived: [[1, 2], [3, 4]], factor 2", args=(Tensor(values=SQUARE), 2),
             expect=_values(square.repeat_interleave(2, 2).repeat_interleave(2, 3))),
        Case(name="derived: equals a transposed conv with a 2x2 kernel of ones, stride 2",
             args=(Tensor(values=ARANGE_3X4), 2),
             expect=_values(F.conv_transpose2d(arange, torch.ones(1, 1, 2, 2), stride=2)),
             note="nearest x2 stamps each value into a 2x2 block: a transposed convolution with a kernel of ones"),
        Case(name="x3, several channels", args=(r(2, 3, 4, 5), 3)),
        Case(name="a factor per axis (2, 3)", args=(r(1, 2, 3, 4), (2, 3))),
        Case(name="a factor per axis (3, 1)", args=(r(2, 1, 2, 5), (3, 1))),
        Case(name="factor 1: a copy", group="edge cases", args=(r(1, 2, 3, 3), 1)),
        Case(name="1x1 maps", group="edge cases", args=(r(3, 2, 1, 1), 4)),
        Case(name="float64", group="edge cases", args=(r(2, 2, 3, 4, dtype="float64"), 2)),
        Case(name="non-contiguous input", group="edge cases", args=(r(1, 3, 4, 5, contiguous=False), 2)),
        Case(name="keeps autograd graph", group="edge cases", args=(r(1, 2, 3, 3), 2), requires_grad=True),
    ]
    for i in range(5):
        shape = (rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 6), rng.randint(1, 6))
        factor = _pairish(rng, 1, 4)
        cases.append(Case(name=f"random {i + 1}: x{factor}", args=(r(*shape, dtype=rng.choice(["float32", "float64"])),
                                                                  factor), hidden=hidden(i)))
    cases += [
        Case(name="invalid: factor 0", args=(r(1, 1, 2, 2), 0), raises=True),
        Case(name="invalid: factor 1.5", args=(r(1, 1, 2, 2), 1.5), raises=True),
        Case(name="invalid: 3-D input", args=(r(2, 3, 3), 2), raises=True),
    ]
    return cases


def _bilinear_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    square = torch.tensor(SQUARE)
    cases = [
        Case(name="derived: [[1, 2], [3, 4]], factor 2, first row [1, 1.25, 1.75, 2]", args=(Tensor(values=SQUARE),),
             kwargs={"scale_factor": 2}, expect=_values(F.interpolate(square, scale_factor=2, mode="bilinear")),
             note="pixels are areas: output pixel x has its centre at (x + 0.5) / 2 - 0.5 in the input"),
        Case(name="derived: align_corners=True, 2x2 -> 3x3", args=(Tensor(values=SQUARE),),
             kwargs={"size": 3, "align_corners": True}, expect=[[[[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]]],
             note="with align_corners=True the corner values stay at the corners and the rest is evenly spaced"),
        Case(name="size (7, 5) from 4x3", args=(r(2, 3, 4, 3),), kwargs={"size": (7, 5)}),
        Case(name="size (7, 5) from 4x3, align_corners", args=(r(2, 3, 4, 3),), kwargs={"size": (7, 5),
                                                                                      "align_corners": True}),
        Case(name="x3", args=(r(1, 2, 3, 4),), kwargs={"scale_factor": 3}),
        Case(name="a factor per axis (2, 1)", args=(r(1, 2, 3, 4),), kwargs={"scale_factor": (2, 1)}),
        Case(name="x4, align_corners", args=(r(2, 1, 3, 3),), kwargs={"scale_factor": 4, "align_corners": True}),
        Case(name="smaller than the input", args=(r(1, 2, 8, 9),), kwargs={"size": (3, 4)}),
        Case(name="the input's own size: a copy", group="edge cases", args=(r(1, 2, 4, 5),), kwargs={"size": (4, 5)}),
        Case(name="1x1 input", group="edge cases", args=(r(2, 3, 1, 1),), kwargs={"size": (3, 2)}),
        Case(name="output of size 1, align_corners", group="edge cases", args=(r(1, 2, 4, 4),),
             kwargs={"size": (1, 3), "align_corners": True}),
        Case(name="float64", group="edge cases", args=(r(2, 2, 3, 4, dtype="float64"),), kwargs={"size": (7, 9)}),
        Case(name="non-contiguous input", group="edge cases", args=(r(1, 2, 4, 5, contiguous=False),),
             kwargs={"scale_factor": 2}),
        Case(name="keeps autograd graph", group="edge cases", args=(r(1, 2, 3, 3),), kwargs={"size": 5},
             requires_grad=True),
    ]
    for i in range(6):
        shape = (rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 6), rng.randint(1, 6))
        kwargs = {"size": (rng.randint(1, 12), rng.randint(1, 12))} if rng.random() < 0.6 else \
            {"scale_factor": _pairish(rng, 1, 3)}
        kwargs["align_corners"] = rng.random() < 0.4
        label = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        cases.append(Case(name=f"random {i + 1}: {label}",
                          args=(r(*shape, dtype=rng.choice(["float32", "float64"])),), kwargs=kwargs, hidden=hidden(i)))
    cases += [
        Case(name="invalid: both size and scale_factor", args=(r(1, 1, 2, 2),), kwargs={"size": 4, "scale_factor": 2},
             raises=True),
        Case(name="invalid: neither size nor scale_factor", args=(r(1, 1, 2, 2),), raises=True),
        Case(name="invalid: size 0", args=(r(1, 1, 2, 2),), kwargs={"size": (0, 3)}, raises=True),
        Case(name="invalid: 3-D input", args=(r(2, 3, 3),), kwargs={"size": 4}, raises=True),
    ]
    return cases


def _nails_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    cases = [
        Case(name="derived: [[1, 2], [3, 4]], stride 2", args=(Tensor(values=SQUARE), 2),
             expect=[[[[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]]),
        Case(name="stride 3, several channels", args=(r(2, 3, 3, 4), 3)),
        Case(name="a stride per axis (2, 3)", args=(r(1, 2, 3, 3), (2, 3))),
        Case(name="stride 1: a copy", group="edge cases", args=(r(1, 2, 3, 3), 1)),
        Case(name="float64", group="edge cases", args=(r(2, 2, 2, 3, dtype="float64"), 2)),
        Case(name="non-contiguous input", group="edge cases", args=(r(1, 2, 3, 4, contiguous=False), 2)),
        Case(name="keeps autograd graph", group="edge cases", args=(r(1, 2, 3, 3), 2), requires_grad=True),
    ]
    for i in range(4):
        shape = (rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 5), rng.randint(1, 5))
        stride = _pairish(rng, 1, 4)
        cases.append(Case(name=f"random {i + 1}: stride {stride}", args=(r(*shape), stride), hidden=hidden(i)))
    cases += [
        Case(name="invalid: stride 0", args=(r(1, 1, 2, 2), 0), raises=True),
        Case(name="invalid: 3-D input", args=(r(2, 3, 3), 2), raises=True),
    ]
    return cases


def _unpool_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    animated = torch.tensor([[ANIMATED]], dtype=torch.float32)
    pooled, indices = F.max_pool2d(animated, 2, return_indices=True)

    def unpool(name: str, input: Any, kernel_size, stride=None, padding=0, output_size=None, **more) -> Case:
        return Case(name=name, args=(input, kernel_size, stride, padding, output_size),
                    experiment=checks.pool_then_unpool, **more,
                    call=f"max_unpool2d of max_pool2d({_describe(input)}, {kernel_size}, stride={stride}, "
                         f"padding={padding}, return_indices=True), output_size={output_size}")

    cases = [
        unpool("derived: the lecture's 5x5 image pooled 2x2, unpooled to 5x5", Tensor(values=[[ANIMATED]]), 2,
               output_size=(5, 5), expect=_values(_scattered(pooled, indices, (5, 5))),
               note="each maximum goes back where it was; every other position is 0"),
        unpool("derived: the same without output_size: 4x4, the values land elsewhere",
               Tensor(values=[[ANIMATED]]), 2, expect=_values(_scattered(pooled, indices, (4, 4))),
               note="the indices count positions in the 5x5 input (h * 5 + w); in a 4x4 output they fall elsewhere: "
                    "that is why output_size exists"),
        unpool("several samples and channels", r(2, 3, 6, 6), 2),
        unpool("kernel 3, stride 2, padding 1, back to 7x7", r(2, 2, 7, 7), 3, 2, 1, (7, 7)),
        unpool("overlapping windows: kernel 3, stride 1", r(1, 3, 5, 5), 3, 1),
        unpool("non-square: kernel (2, 3), stride (1, 2)", r(2, 2, 5, 7), (2, 3), (1, 2)),
        unpool("odd size: 5x7 back from 2x3", r(1, 2, 5, 7), 2, output_size=(5, 7)),
        # Where stride=None is taken as 1 the default output is smaller, and most indices fall outside
        # it; here every maximum is in the top row, inside it, so that mistake has a value to name.
        unpool("stride left out: 2x4 pooled 2x2, every maximum in the top row",
               Tensor(values=[[[[9.0, 1.0, 8.0, 2.0], [0.0, 3.0, 0.0, 4.0]]]]), 2,
               expect=[[[[9.0, 0.0, 8.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]),
        unpool("float64", r(2, 2, 4, 4, dtype="float64"), 2, group="edge cases"),
        unpool("keeps autograd graph", r(1, 2, 4, 4), 2, group="edge cases", requires_grad=True),
    ]
    for i in range(5):
        kernel, stride = rng.randint(1, 3), rng.randint(1, 3)
        padding = rng.randint(0, kernel // 2)
        size = (rng.randint(kernel, 8), rng.randint(kernel, 8))
        windows = [(side + 2 * padding - kernel) // stride + 1 for side in size]
        default = tuple((side - 1) * stride - 2 * padding + kernel for side in windows)
        output = None if default == size and rng.random() < 0.5 else size  # the pooled input's size
        cases.append(unpool(f"random {i + 1}: kernel {kernel}, stride {stride}, padding {padding}",
                            r(rng.randint(1, 2), rng.randint(1, 3), *size), kernel, stride, padding, output, hidden=hidden(i)))
    values = Tensor(values=_values(pooled))
    index = Tensor(values=_values(indices), dtype="int64")
    cases += [
        Case(name="invalid: output_size more than a stride off", args=(values, index, 2),
             kwargs={"output_size": (7, 7)}, raises=True),
        Case(name="invalid: indices of another shape", args=(values, Tensor(values=[[[[0, 8]]]], dtype="int64"), 2),
             raises=True),
        Case(name="invalid: an index outside the output", args=(values, Tensor(values=[[[[0, 8], [10, 30]]]],
                                                                             dtype="int64"), 2), raises=True),
    ]
    return cases


def _describe(value: Any) -> str:
    if isinstance(value, Random):
        return f"tensor {value.shape} {value.dtype}"
    return f"tensor({value.values})"


def _kernel_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    four = torch.tensor([0.25, 0.75, 0.75, 0.25])
    three = torch.tensor([0.5, 1.0, 0.5])
    square = torch.tensor(SQUARE)

    def upsampling(name: str, input: Any, factor: int, **more) -> Case:
        return Case(name=name, args=(input, factor), experiment=checks.transposed_upsampling,
                    call=f"conv_transpose2d(x, bilinear_kernel(C, C, {2 * factor - factor % 2}), stride={factor}, "
                         f"padding={factor // 2}) away from the border, x = {_describe(input)}", **more)

    def interior(factor: int) -> list:
        upsampled = F.interpolate(torch.tensor([[ANIMATED]], dtype=torch.float64), scale_factor=factor, mode="bilinear")
        return _values(upsampled[..., factor:-factor, factor:-factor])

    cases = [
        Case(name="derived: kernel 4 (factor 2)", args=(1, 1, 4), expect=_values((four[:, None] * four)[None, None])),
        Case(name="derived: kernel 3 (odd: the centre is a tap)", args=(1, 1, 3),
             expect=_values((three[:, None] * three)[None, None])),
        upsampling("derived: away from the border, exactly bilinear x2 (the lecture's 5x5 image)",
                   Tensor(values=[[ANIMATED]]), 2, expect=interior(2),
                   note="a transposed convolution with this kernel, stride f and padding f/2 is bilinear "
                        "upsampling by f, except at the border"),
        # An odd factor needs the odd kernel 2f - 1: with 2f the output is one pixel too large.
        upsampling("derived: away from the border, exactly bilinear x3 (the lecture's 5x5 image)",
                   Tensor(values=[[ANIMATED]]), 3, expect=interior(3),
                   note="for an odd factor f the kernel is 2f - 1, not 2f: 5 for f = 3, with stride 3 and padding 1"),
        upsampling("x2 on three channels", r(1, 3, 5, 6), 2),
        upsampling("x4 on two channels", r(2, 2, 4, 5), 4),
        Case(name="3 -> 3 channels, kernel 4", args=(3, 3, 4)),
        Case(name="2 -> 5 channels, kernel 8", args=(2, 5, 8)),
        Case(name="4 -> 2 channels, kernel 6", args=(4, 2, 6)),
        Case(name="kernel 5", args=(2, 2, 5)),
        Case(name="kernel 1", group="edge cases", args=(1, 2, 1)),
        Case(name="float64", group="edge cases", args=("float64", 2, 2, 4), experiment=checks.kernel_as,
             call="bilinear_kernel(2, 2, 4, dtype=torch.float64)"),
        Case(name="the square example, upsampled x2, float64", group="edge cases",
             args=(Tensor(values=[[square[0, 0].repeat(3, 3).tolist()]], dtype="float64"), 2),
             experiment=checks.transposed_upsampling),
    ]
    for i in range(4):
        cases.append(Case(name=f"random {i + 1}", args=(rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 8)), hidden=hidden(i)))
    cases += [
        Case(name="invalid: kernel 0", args=(1, 1, 0), raises=True),
        Case(name="invalid: no channels", args=(0, 2, 4), raises=True),
    ]
    return cases


def _crop_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    cases = [
        Case(name=f"U-Net's level {level}: {skip} -> {size}", args=(r(1, 1, skip, skip), r(1, 1, size, size)))
        for level, (skip, size) in enumerate(((568, 392), (280, 200), (136, 104), (64, 56)), 1)
    ] + [
        Case(name="several channels on each side", args=(r(2, 3, 9, 9), r(2, 4, 5, 5))),
        Case(name="odd margins: 9x8 onto 4x5", args=(r(1, 2, 9, 8), r(1, 1, 4, 5)),
             note="with an odd margin the extra row or column stays at the bottom or right"),
        Case(name="non-square maps", args=(r(2, 2, 10, 7), r(2, 3, 6, 3))),
        Case(name="same size: no crop", group="edge cases", args=(r(1, 2, 4, 4), r(1, 2, 4, 4))),
        Case(name="float64", group="edge cases", args=(r(1, 2, 6, 6, dtype="float64"), r(1, 2, 2, 2, dtype="float64"))),
        Case(name="keeps autograd graph", group="edge cases", args=(r(1, 2, 6, 6), r(1, 1, 4, 4)),
             requires_grad=True),
    ]
    for i in range(4):
        size = (rng.randint(1, 6), rng.randint(1, 6))
        skip = (size[0] + rng.randint(0, 5), size[1] + rng.randint(0, 5))
        n = rng.randint(1, 2)
        cases.append(Case(name=f"random {i + 1}: {skip} onto {size}",
                          args=(r(n, rng.randint(1, 3), *skip), r(n, rng.randint(1, 3), *size)), hidden=hidden(i)))
    cases += [
        Case(name="invalid: skip smaller than x", args=(r(1, 1, 4, 4), r(1, 1, 5, 5)), raises=True),
        Case(name="invalid: batch sizes differ", args=(r(2, 1, 6, 6), r(1, 1, 4, 4)), raises=True),
    ]
    return cases


def _unet_size_cases(rng: random.Random) -> list[Case]:
    cases = [
        Case(name="derived: the paper's 572 -> 388, depth 4", args=(572,), expect=388),
        Case(name="depth 1", args=(20, 1)),
        Case(name="depth 2", args=(60, 2)),
        Case(name="depth 3", args=(92, 3)),
        Case(name="depth 5", args=(1212, 5)),
        Case(name="keyword arguments", args=(), kwargs={"input_size": 252, "depth": 3}),
    ]
    for i in range(6):
        depth = rng.randint(1, 5)
        size = rng.randint(4, 8) + 4  # the bottleneck's input (its output of 4 or more keeps the decoder's maps)
        for _ in range(depth):
            size = 2 * size + 4
        cases.append(Case(name=f"random {i + 1}: {size}, depth {depth}", args=(size, depth), hidden=hidden(i)))
    cases += [
        Case(name="invalid: an odd map before a pooling (570, depth 4)", args=(570, 4), raises=True),
        Case(name="invalid: too small for the decoder (16, depth 2)", args=(16, 2), raises=True),
        Case(name="invalid: nothing left (4, depth 1)", args=(4, 1), raises=True),
    ]
    return cases


class _ModuleCases:
    """Builds a module task's cases with seeds drawn from the assignment's random stream."""

    def __init__(self, rng: random.Random, target: str):
        self.rng, self.target = rng, target

    def forward(self, name: str, args: tuple, kwargs: dict | None, input: Any, *, train: bool = True,
                terms: int = 1, shown: str = "", experiment: Callable[..., Callable] = module_forward,
                **more) -> Case:
        kwargs = kwargs or {}
        signature = f"{self.target}({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])})"
        return Case(name=name, args=(input,), experiment=experiment(args, kwargs, train=train,
                                                                    seed=self.rng.randrange(2**31)),
                    call=f"{signature} in {'train' if train else 'eval'} mode on {shown}", terms=terms, **more)


def _unet_cases(rng: random.Random) -> list[Case]:
    c = _ModuleCases(rng, "UNet")
    r = random_tensors(rng)

    def run(name, args, kwargs, shape, dtype="float32", train=True, **more):
        width = kwargs.get("width", 64)
        return c.forward(name, args, kwargs, r(*shape, dtype=dtype), train=train, shown=f"input {shape} {dtype}",
                         terms=9 * 16 * width * 4 + math.prod(shape), **more)

    cases = [
        Case(name="derived: the paper's U-Net (1 -> 2 classes) has 31,030,658 parameters",
             experiment=parameter_count(1, 2, meta=True), expect=31030658, call="parameters of UNet(1, 2)"),
        Case(name="derived: 572 -> 388 at depth 4 (width 1)", args=(r(1, 1, 572, 572), 4, 1),
             experiment=checks.unet_shape, expect=(1, 2, 388, 388), call="UNet(1, 2, depth=4, width=1) on a 572x572 image"),
        run("depth 1, width 4", (1, 2), {"depth": 1, "width": 4}, (2, 1, 20, 20)),
        run("depth 2, width 4, float64", (1, 2), {"depth": 2, "width": 4}, (1, 1, 60, 60), "float64"),
        run("3 input channels, 3 classes", (3, 3), {"depth": 2, "width": 4}, (1, 3, 60, 60)),
        run("depth 3, width 3, eval", (1, 2), {"depth": 3, "width": 3}, (1, 1, 92, 92), train=False),
        run("an input larger than the smallest", (2, 4), {"depth": 1, "width": 4}, (2, 2, 24, 24), "float64"),
    ]
    for i in range(3):
        depth, width = rng.randint(1, 2), rng.randint(3, 5)  # narrower: a seed may leave every channel dead
        size = rng.randint(4, 6) + 4  # the bottleneck's input: its output of 4 or more keeps the decoder's maps
        for _ in range(depth):
            size = 2 * size + 4
        args = (rng.randint(1, 3), rng.randint(1, 3))
        cases.append(run(f"random {i + 1}: depth {depth}, width {width}", args, {"depth": depth, "width": width},
                         (rng.randint(1, 2), args[0], size, size), rng.choice(["float32", "float64"]), hidden=hidden(i)))
    return cases


def _fpn_cases(rng: random.Random) -> list[Case]:
    c = _ModuleCases(rng, "FPNTopDown")
    r = random_tensors(rng)

    def run(name, channels, out, batch, finest, dtype="float32", train=True, **more):
        shapes = [(batch, ch, finest // 2 ** level, finest // 2 ** level) for level, ch in enumerate(channels)]
        return c.forward(name, (channels, out), {}, [r(*shape, dtype=dtype) for shape in shapes], train=train,
                         shown=f"feature maps {', '.join(map(str, shapes))} {dtype}",
                         terms=9 * out + sum(channels) + batch * finest * finest, **more)

    cases = [
        Case(name="derived: on ResNet-50's C2..C5 (256, 512, 1024, 2048) -> 256: 3,344,384 parameters",
             experiment=parameter_count([256, 512, 1024, 2048], 256, meta=True), expect=3344384,
             call="parameters of FPNTopDown([256, 512, 1024, 2048], 256)"),
        run("three levels", [4, 8, 16], 6, 2, 16),
        run("four levels, float64", [2, 3, 4, 5], 4, 1, 16, "float64"),
        run("two levels, eval", [3, 6], 5, 2, 8, train=False),
        run("one level: lateral and smoothing only", [4], 3, 2, 5, group="edge cases"),
        run("1x1 coarsest map", [2, 2, 2], 3, 1, 4, "float64", group="edge cases"),
    ]
    for i in range(3):
        levels = rng.randint(2, 4)
        channels = [rng.randint(1, 6) for _ in range(levels)]
        cases.append(run(f"random {i + 1}: {levels} levels", channels, rng.randint(1, 5), rng.randint(1, 2),
                         2 ** (levels - 1) * rng.randint(1, 3), rng.choice(["float32", "float64"]), hidden=hidden(i)))
    cases.append(c.forward("invalid: two feature maps for three levels", ([2, 2, 2], 3), {},
                           [r(1, 2, 8, 8), r(1, 2, 4, 4)], shown="2 feature maps", raises=True))
    return cases


def _dice_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    probs, target = [[[[0.9, 0.2], [0.6, 0.1]]]], [[[[1.0, 0.0], [1.0, 0.0]]]]
    logits = torch.randn(2, 2, 3, 3, generator=torch.Generator().manual_seed(6))
    soft, hard = logits.softmax(1).tolist(), F.one_hot(logits.argmax(1), 2).movedim(-1, 1).float().tolist()

    def on_probabilities(name, shape, dtype="float32", smooth=None, **more):
        return Case(name=name, args=(r(*shape, dtype=dtype), r(*shape, dtype=dtype), smooth),
                    experiment=checks.dice_on_probabilities, terms=math.prod(shape),
                    call=f"dice_loss(softmax of logits {shape} {dtype}, one-hot target"
                         f"{'' if smooth is None else f', smooth={smooth}'}) and its gradients", **more)

    cases = [
        Case(name="derived: a 2x2 example: 1 - (2 * 1.5 + 1) / (1.8 + 2 + 1) = 1/6",
             args=(Tensor(values=probs), Tensor(values=target)), expect=1 / 6),
        Case(name="derived: the same without smoothing: 1 - 3 / 3.8", args=(Tensor(values=probs), Tensor(values=target)),
             kwargs={"smooth": 0.0}, expect=1 - 3 / 3.8),
        Case(name="gradients of the 2x2 example", args=(Tensor(values=probs), Tensor(values=target)),
             experiment=output_and_gradients),
        Case(name="a class absent from target and prediction: the smoothing keeps it at 1",
             args=(Tensor(values=[[[[0.0, 0.0]], [[1.0, 1.0]]]]), Tensor(values=[[[[0.0, 0.0]], [[1.0, 1.0]]]])),
             expect=0.0, note="with smooth > 0 a class that is absent from both counts as a perfect match"),
        on_probabilities("binary, one channel", (2, 1, 4, 4)),
        on_probabilities("three classes", (2, 3, 4, 5)),
        on_probabilities("three classes, smooth 0.5, float64", (3, 3, 3, 3), "float64", 0.5),
        on_probabilities("1-D maps (N, C, L)", (2, 4, 7)),
        on_probabilities("3-D volumes (N, C, D, H, W)", (1, 2, 3, 4, 4), "float64"),
        # probabilities, not random normals: sums near 0 in the denominator would make the gradients ill-conditioned
        Case(name="keeps autograd graph", group="edge cases", args=(Tensor(values=soft), Tensor(values=hard)),
             requires_grad=True),
    ]
    for i in range(4):
        shape = (rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 5))
        cases.append(on_probabilities(f"random {i + 1}: {shape}", shape, rng.choice(["float32", "float64"]),
                                      rng.choice([None, 1.0, 0.1]), hidden=hidden(i)))
    cases += [
        Case(name="invalid: shapes differ", args=(r(2, 2, 3, 3), r(2, 2, 3, 4)), raises=True),
        Case(name="invalid: 1-D input", args=(r(4), r(4)), raises=True),
    ]
    return cases


def _segnet_cases(rng: random.Random) -> list[Case]:
    c = _ModuleCases(rng, "SegNetDecoder")
    r = random_tensors(rng)

    def run(name, channels, batch, finest, dtype="float32", train=True, **more):
        sizes = [finest]
        for _ in channels[1:]:
            sizes.append((sizes[-1][0] // 2, sizes[-1][1] // 2))
        shapes = [(batch, ch, *size) for ch, size in zip(channels, sizes)]
        return c.forward(name, (channels,), {}, [r(*shape, dtype=dtype) for shape in shapes], train=train,
                         shown=f"the encoder's maps {', '.join(map(str, shapes))} {dtype}",
                         terms=9 * max(channels) + batch * finest[0] * finest[1], experiment=checks.segnet_decoding,
                         **more)

    lecture = c.forward("the 5x5 image of lecture 000, one level: unpooled back to 5x5, not 4x4", ([1],), {},
                        [Tensor(values=[[ANIMATED]])], shown="the encoder's map: the 5x5 image of lecture 000",
                        terms=9 + 25, experiment=checks.segnet_decoding,
                        note="the maxima go back to their positions in the 5x5 map (indices [[0, 8], [10, 12]]), "
                             "every other position is 0 before the convolution")
    cases = [
        lecture,
        run("one level", [3], 2, (6, 6)),
        run("two levels", [2, 3], 2, (8, 8)),
        run("three levels, float64", [2, 3, 4], 1, (16, 12), "float64"),
        run("odd sizes at every level: 11x11 -> 5x5 -> 2x2", [2, 3], 1, (11, 11)),
        run("an odd height only: 9x8", [3, 2], 2, (9, 8), "float64"),
        run("two levels, eval", [2, 4], 2, (8, 8), train=False),
        run("pooled to 1x1", [2, 3], 2, (4, 5), group="edge cases"),
    ]
    for i in range(5):
        levels = rng.randint(1, 3)
        channels = [rng.randint(1, 4) for _ in range(levels)]
        finest = tuple(2 ** levels * rng.randint(1, 3) + rng.randint(0, 1) for _ in range(2))
        # in train mode: batch statistics centre every channel, so no seed leaves the ReLUs all dead
        cases.append(run(f"random {i + 1}: depth {levels}", channels, rng.randint(1, 2), finest,
                         rng.choice(["float32", "float64"]), hidden=hidden(i)))
    cases.append(c.forward("invalid: the poolings of two levels for a three-level decoder", ([2, 2, 2],), {},
                           [r(1, 2, 8, 8), r(1, 2, 4, 4)], shown="the encoder's maps of two levels",
                           experiment=checks.segnet_decoding, raises=True))
    return cases


def _resize_cases(rng: random.Random) -> list[Case]:
    c = _ModuleCases(rng, "ResizeConv")
    r = random_tensors(rng)
    ones = torch.ones(1, 1, 4, 4)
    nine = F.conv2d(F.interpolate(ones, scale_factor=2), torch.ones(1, 1, 3, 3), padding=1)

    def run(name, args, kwargs, shape, dtype="float32", **more):
        kernel = kwargs.get("kernel_size", 3)
        return c.forward(name, args, kwargs, r(*shape, dtype=dtype), shown=f"input {shape} {dtype}",
                         terms=4 * kernel * kernel * args[0], **more)

    def measure(name, args, kwargs, shape, dtype="float32", **more):
        kernel = kwargs.get("kernel_size", 3)
        return Case(name=name, args=(r(*shape, dtype=dtype),),
                    experiment=checks.constant_spread(args, kwargs, seed=rng.randrange(2**31), margin=kernel // 2),
                    call=f"ResizeConv({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])}) "
                         f"on an input {shape} {dtype} constant in each channel: largest minus smallest output "
                         "away from the border", terms=4 * kernel * kernel * args[0], **more)

    checkerboard = ("a transposed convolution with kernel 3 and stride 2 gives 4, 2 and 1 here in a checkerboard, "
                    "since its kernel's taps overlap unevenly; resizing, then convolving, gives every inner pixel "
                    "the same 3x3 sum")
    cases = [
        Case(name="derived: kernel of ones on a 4x4 image of ones, nearest x2: 9 away from the border",
             args=(Tensor(values=ones.tolist()), "nearest"), experiment=checks.kernel_of_ones,
             call="ResizeConv(1, 1, 2, 'nearest') with a 3x3 kernel of ones and bias 0 on a 4x4 image of ones",
             expect=_values(nine), note=checkerboard),
        Case(name="derived: the same with bilinear x2: 9 away from the border",
             args=(Tensor(values=ones.tolist()), "bilinear"), experiment=checks.kernel_of_ones,
             call="ResizeConv(1, 1, 2, 'bilinear') with a 3x3 kernel of ones and bias 0 on a 4x4 image of ones",
             expect=_values(nine), note=checkerboard),
        measure("a constant input gives a constant output: nearest x2", (3, 3), {}, (2, 3, 5, 5), note=checkerboard),
        measure("a constant input gives a constant output: bilinear x2", (2, 2), {"mode": "bilinear"}, (1, 2, 4, 6)),
        measure("a constant input gives a constant output: x3, kernel 5", (2, 2), {"scale_factor": 3, "kernel_size": 5},
                (1, 2, 4, 4), "float64"),
        run("nearest x2, 3 -> 4 channels", (3, 4), {}, (2, 3, 5, 6)),
        run("bilinear x2, float64", (2, 3), {"mode": "bilinear"}, (1, 2, 4, 5), "float64"),
        run("x3, kernel 5", (2, 2), {"scale_factor": 3, "kernel_size": 5}, (1, 2, 3, 4)),
        run("bilinear x4, 2 -> 2 channels", (2, 2), {"scale_factor": 4, "mode": "bilinear"}, (2, 2, 3, 3)),
        run("kernel 1: no border", (3, 2), {"kernel_size": 1}, (1, 3, 3, 4), group="edge cases"),
        run("factor 1: a convolution only", (2, 2), {"scale_factor": 1, "mode": "bilinear"}, (1, 2, 4, 4),
            group="edge cases"),
    ]
    for i in range(5):
        args = (rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3), rng.choice(["nearest", "bilinear"]),
                rng.choice([1, 3, 5]))
        shape = (rng.randint(1, 2), args[0], rng.randint(2, 5), rng.randint(2, 5))
        cases.append(run(f"random {i + 1}: x{args[2]} {args[3]}, kernel {args[4]}", args, {}, shape,
                         rng.choice(["float32", "float64"]), hidden=hidden(i)))
    cases += [
        c.forward("invalid: mode 'bicubic'", (2, 2), {"mode": "bicubic"}, r(1, 2, 3, 3), shown="input (1, 2, 3, 3)",
                  raises=True),
        c.forward("invalid: an even kernel (4)", (2, 2), {"kernel_size": 4}, r(1, 2, 3, 3),
                  shown="input (1, 2, 3, 3)", raises=True),
    ]
    return cases


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Upsampling and segmentation", module="upsampling.py",
        tasks=(
            Task(name="upsample_nearest", points=5, target="upsample_nearest", forbidden=UPSAMPLE_FORBIDDEN,
                 oracle=_nearest_oracle, oracle_raises=False, variants=NEAREST_VARIANTS,
                 cases=tuple(_nearest_cases(rng))),
            Task(name="upsample_bilinear", points=12, target="upsample_bilinear", forbidden=UPSAMPLE_FORBIDDEN,
                 oracle=_bilinear_oracle, oracle_raises=False, variants=BILINEAR_VARIANTS, reduction=_four_terms,
                 cases=tuple(_bilinear_cases(rng))),
            Task(name="bed_of_nails", points=4, target="bed_of_nails", oracle=_nails_oracle, oracle_raises=False,
                 variants=NAILS_VARIANTS, cases=tuple(_nails_cases(rng))),
            Task(name="max_unpool2d", points=8, target="max_unpool2d", forbidden=UNPOOL_FORBIDDEN,
                 oracle=F.max_unpool2d, oracle_raises=False, variants=UNPOOL_VARIANTS,
                 cases=tuple(_unpool_cases(rng))),
            Task(name="bilinear_kernel", points=7, target="bilinear_kernel", variants=KERNEL_VARIANTS,
                 cases=tuple(_kernel_cases(rng))),
            Task(name="crop_and_concat", points=6, target="crop_and_concat", module="segmentation.py",
                 variants=CROP_VARIANTS, cases=tuple(_crop_cases(rng))),
            Task(name="unet_output_size", points=6, target="unet_output_size", module="segmentation.py",
                 variants=UNET_SIZE_VARIANTS, cases=tuple(_unet_size_cases(rng))),
            Task(name="unet", points=14, target="UNet", module="segmentation.py", variants=UNET_VARIANTS,
                 cases=tuple(_unet_cases(rng))),
            Task(name="fpn_top_down", points=10, target="FPNTopDown", module="segmentation.py",
                 variants=FPN_VARIANTS, cases=tuple(_fpn_cases(rng))),
            Task(name="dice_loss", points=10, target="dice_loss", module="segmentation.py", variants=DICE_VARIANTS,
                 cases=tuple(_dice_cases(rng))),
            Task(name="segnet_decoder", points=10, target="SegNetDecoder", module="segmentation.py",
                 variants=SEGNET_VARIANTS, raised_hints=SEGNET_RAISED, cases=tuple(_segnet_cases(rng))),
            Task(name="resize_conv", points=8, target="ResizeConv", module="segmentation.py",
                 variants=RESIZE_VARIANTS, cases=tuple(_resize_cases(rng))),
        ),
    )
