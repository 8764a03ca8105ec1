"""Assignment 1, convolution from scratch: tasks, points, cases and known wrong answers."""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from grader import kit
from grader.kit import (ANIMATED, CONV_FORBIDDEN, IMAGE3, KERNEL2, KERNEL_ANIMATED, PAD_FORBIDDEN, UNFOLD_FORBIDDEN,
                        NotApplicable, hidden, pairs)
from grader.spec import Assignment, Case, Random, Task, Tensor, Variant

# im2col (unfold) is one matrix product away from a convolution.
CONV_AND_UNFOLD_FORBIDDEN = CONV_FORBIDDEN + UNFOLD_FORBIDDEN

SIGNAL = [[[1, 2, 3, 4, 5, 5, 4, 3, 2, 1]]]
IMAGE5 = [[1, 2, 3, 1, 0], [3, 4, 5, 2, 1], [1, 0, 2, 3, 4], [0, 1, 3, 1, 2], [1, 2, 4, 2, 3]]
KERNEL3 = [[0, 1, 0], [1, 0, -1], [0, -1, 0]]
# The padding slide: [1, 2, 3, 4, 5] padded by 2 elements on each side, then convolved with this kernel.
PADDING_KERNEL = [-1, 0, 2, 0, -1]
EDGE_PADDED = [1, 1, 1, 2, 3, 4, 5, 5, 5]  # the slide's "constant": torch's replicate
SYMMETRIC_PADDED = [2, 1, 1, 2, 3, 4, 5, 5, 4]  # the slide's mirror, edge repeated: no torch mode
REFLECT_PADDED = [3, 2, 1, 2, 3, 4, 5, 4, 3]  # torch's reflect: not on the slide
CIRCULAR_PADDED = [4, 5, 1, 2, 3, 4, 5, 1, 2]


# --- known wrong answers --------------------------------------------------------------------

def _conv(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return (ref.conv1d if weight.dim() == 3 else ref.conv2d)(input, weight, bias, stride, padding, dilation, groups)


def _flipped(ref, input, weight, *args, **kwargs):
    return _conv(ref, input, weight.flip(list(range(2, weight.dim()))), *args, **kwargs)


def _no_bias(ref, input, weight, bias=None, *args, **kwargs):
    if bias is None:
        raise NotApplicable("no bias in this case")
    return _conv(ref, input, weight, None, *args, **kwargs)


def _spatial(weight):
    return weight.dim() - 2


def _explicit_padding(input, weight, padding, before, after):
    """Conv on an input padded by hand: `before`/`after` map the per-dim padding to each side."""
    n = _spatial(weight)
    pads = pairs(padding, n)
    if isinstance(padding, str) or not any(pads):
        raise NotApplicable("no numeric padding in this case")
    sides = []
    for p in reversed(pads):
        sides += [before(p), after(p)]
    return F.pad(input, sides)


def _one_side(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(weight.shape[2:], pairs(dilation, _spatial(weight)))]
        padded = F.pad(input, [x for total in reversed(totals) for x in (total, 0)])
        return _conv(ref, padded, weight, bias, stride, 0, dilation, groups)
    padded = _explicit_padding(input, weight, padding, lambda p: 2 * p, lambda p: 0)
    return _conv(ref, padded, weight, bias, stride, 0, dilation, groups)


def _padding_once(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    padded = _explicit_padding(input, weight, padding, lambda p: p, lambda p: 0)
    return _conv(ref, padded, weight, bias, stride, 0, dilation, groups)


def _same_wrong_side(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if padding != "same":
        raise NotApplicable("not a 'same' case")
    sides = []
    for k, d in reversed(list(zip(weight.shape[2:], pairs(dilation, _spatial(weight))))):
        total = d * (k - 1)
        sides += [total - total // 2, total // 2]
    return _conv(ref, F.pad(input, sides), weight, bias, stride, 0, dilation, groups)


def _same_without_dilation(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """padding='same' sized for an undilated kernel: too little padding, a smaller output."""
    dilations = pairs(dilation, _spatial(weight))
    if padding != "same" or all(d == 1 for d in dilations):
        raise NotApplicable("not a dilated 'same' case")
    sides = []
    for k in reversed(weight.shape[2:]):
        sides += [(k - 1) // 2, k - 1 - (k - 1) // 2]
    return _conv(ref, F.pad(input, sides), weight, bias, stride, 0, dilation, groups)


def _ceil_mode(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A partial last window counted (ceil instead of floor), zeros standing in for the overhang."""
    if isinstance(padding, str):
        raise NotApplicable("string padding")
    n = _spatial(weight)
    strides, pads, dilations = pairs(stride, n), pairs(padding, n), pairs(dilation, n)
    sides = []
    for i in reversed(range(n)):
        size = input.shape[input.dim() - n + i] + 2 * pads[i]
        span = dilations[i] * (weight.shape[2 + i] - 1) + 1
        extra = (-(size - span)) % strides[i]
        sides += [pads[i], pads[i] + extra]
    if not any(s for s in sides[1::2]):
        raise NotApplicable("floor and ceil agree here")
    return _conv(ref, F.pad(input, sides), weight, bias, stride, 0, dilation, groups)


def _dilation_ignored(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if all(d == 1 for d in pairs(dilation, _spatial(weight))):
        raise NotApplicable("no dilation in this case")
    return _conv(ref, input, weight, bias, stride, padding, 1, groups)


def _one_axis(kept: int):
    """2-D padding applied along one axis only (0: the height, 1: the width), none along the other."""
    def compute(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if _spatial(weight) != 2:
            raise NotApplicable("one axis is all a 1-D signal has")
        if padding == "same":
            totals = [d * (k - 1) for k, d in zip(weight.shape[2:], pairs(dilation, 2))]
            sides = [(total // 2, total - total // 2) for total in totals]
        elif padding == "valid":
            raise NotApplicable("no padding in this case")
        else:
            sides = [(p, p) for p in pairs(padding, 2)]
        if len(sides) != 2 or not any(sides[1 - kept]):
            raise NotApplicable("nothing to pad along the other axis: the same as the right answer")
        sides[1 - kept] = (0, 0)
        padded = F.pad(input, [x for side in reversed(sides) for x in side])
        return _conv(ref, padded, weight, bias, stride, 0, dilation, groups)
    return compute


def _groups_ignored(ref, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Every group reads the first group's input channels."""
    if groups == 1:
        raise NotApplicable("no groups in this case")
    channel_dim = input.dim() - 1 - _spatial(weight)
    first = input.narrow(channel_dim, 0, input.shape[channel_dim] // groups)
    repeats = [1] * input.dim()
    repeats[channel_dim] = groups
    return _conv(ref, first.repeat(*repeats), weight, bias, stride, padding,
                 dilation, groups)


# (dims, mistake): the conv mistakes, each for the 1-D and 2-D tasks (None) or one of them, as a
# signal has a start and an end and an image a top and a left.
_CONV_MISTAKES = (  # the first that matches names the mistake: specific ones first
    (None, Variant(code="flipped_kernel", compute=_flipped,
                   hint="this is a true convolution (kernel flipped); F.conv computes cross-correlation, "
                        "so use the kernel as it is")),
    (None, Variant(code="bias_missing", compute=_no_bias, hint="the bias was not added (one value per output channel)")),
    (2, Variant(code="same_padding_wrong_side", compute=_same_wrong_side,
                hint="with padding='same' and an odd total, torch puts the extra zero on the right/bottom, not the left/top")),
    (1, Variant(code="same_padding_wrong_side", compute=_same_wrong_side,
                hint="with padding='same' and an odd total, torch puts the extra zero at the end, not at the start")),
    (None, Variant(code="same_padding_ignores_dilation", by_shape=True, compute=_same_without_dilation,
                   hint="padding='same' must cover the dilated kernel: dilation*(k-1) zeros in all")),
    (2, Variant(code="padding_one_side", compute=_one_side,
                hint="all the padding went to the top/left; pad `padding` zeros on each side")),
    (1, Variant(code="padding_one_side", compute=_one_side,
                hint="all the padding went to the start of the signal; pad `padding` zeros at each end")),
    (2, Variant(code="padding_one_axis", compute=_one_axis(1),
                hint="only the width was padded: pad the height too (padding is (height, width))")),
    (2, Variant(code="padding_one_axis", compute=_one_axis(0),
                hint="only the height was padded: pad the width too (padding is (height, width))")),
    (None, Variant(code="padding_counted_once", by_shape=True, compute=_padding_once,
                   hint="the padding was counted once; the size formula is (L + 2*padding - dilation*(k-1) - 1) // stride + 1")),
    (None, Variant(code="output_size_ceil", by_shape=True, compute=_ceil_mode,
                   hint="the last, incomplete window was kept: the output size rounds down (floor), not up (ceil)")),
    (None, Variant(code="dilation_ignored", compute=_dilation_ignored,
                   hint="dilation was ignored: kernel taps must be `dilation` apart")),
    (None, Variant(code="groups_ignored", compute=_groups_ignored,
                   hint="groups ignored: output channels of group g must read only input channels of group g")),
)
CONV1D_VARIANTS = tuple(variant for dims, variant in _CONV_MISTAKES if dims in (None, 1))
CONV2D_VARIANTS = tuple(variant for dims, variant in _CONV_MISTAKES if dims in (None, 2))


def _edge_copies(input, pad, flip: bool):
    """Each side padded with a copy of the slice at that same edge (flipped or not)."""
    out = input
    for i in range(len(pad) // 2):
        dim, left, right = input.dim() - 1 - i, pad[2 * i], pad[2 * i + 1]
        pieces = [out.narrow(dim, 0, left), out, out.narrow(dim, out.shape[dim] - right, right)]
        if flip:
            pieces = [piece.flip(dim) if piece is not out else out for piece in pieces]
        out = torch.cat(pieces, dim)
    return out


def _symmetric(ref, input, pad, mode="constant", value=0.0):
    """numpy's 'symmetric' padding (edge repeated), which is not torch's 'reflect'."""
    if mode != "reflect":
        raise NotApplicable("not reflect")
    return _edge_copies(input, pad, flip=True)


def _circular_reversed(ref, input, pad, mode="constant", value=0.0):
    """Circular padding wrapped the wrong way: the left side copied from the start."""
    if mode != "circular":
        raise NotApplicable("not circular")
    return _edge_copies(input, pad, flip=False)


def _pads_reversed(ref, input, pad, mode="constant", value=0.0):
    """The pad tuple read from the first dimension instead of the last."""
    pairs = [pad[i:i + 2] for i in range(0, len(pad), 2)]
    if len(pairs) < 2 or pairs[0] == pairs[1]:
        raise NotApplicable("order makes no difference")
    try:
        return ref.pad(input, tuple(x for p in reversed(pairs) for x in p), mode, value)
    except RuntimeError as error:  # reflect pads no smaller than the other dimension's size
        raise NotApplicable(f"the reversed pads are themselves invalid here: {error}") from None


def _sides_swapped(ref, input, pad, mode="constant", value=0.0):
    swapped = tuple(x for i in range(0, len(pad), 2) for x in (pad[i + 1], pad[i]))
    if swapped == tuple(pad):
        raise NotApplicable("symmetric pads")
    return ref.pad(input, swapped, mode, value)


def _pad_one_axis(kept: int):
    """Only one (before, after) pair of the pad tuple applied (0: the last dimension's)."""
    def compute(ref, input, pad, mode="constant", value=0.0):
        pairs = [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)]
        if len(pairs) < 2 or not any(x for i, pair in enumerate(pairs) if i != kept for x in pair):
            raise NotApplicable("a single padded dimension")
        only = [pair if i == kept else (0, 0) for i, pair in enumerate(pairs)]
        return ref.pad(input, tuple(x for pair in only for x in pair), mode, value)
    return compute


PAD_VARIANTS = (
    Variant(code="symmetric_instead_of_reflect", compute=_symmetric,
            hint="this is 'symmetric' padding (edge value repeated); torch's 'reflect' mirrors around the "
                 "edge without repeating it: [1,2,3] padded by 2 is [3,2,1,2,3,2,1]"),
    Variant(code="circular_wrong_direction", compute=_circular_reversed,
            hint="circular padding wraps around: the left pad comes from the END of the signal, the right pad "
                 "from its start"),
    Variant(code="pad_dims_reversed", compute=_pads_reversed,
            hint="the pad tuple starts from the LAST dimension: (left, right, top, bottom)"),
    Variant(code="pad_sides_swapped", compute=_sides_swapped,
            hint="each pair in the pad tuple is (before, after): the first number pads the start"),
    Variant(code="padding_one_axis", compute=_pad_one_axis(0),
            hint="only the last dimension was padded: every (before, after) pair pads one dimension, from the last "
                 "one backwards"),
    Variant(code="padding_one_axis", compute=_pad_one_axis(1),
            hint="the last dimension was not padded: the pad tuple's first pair is for the last dimension"),
)


def _not_flipped(ref, image, kernel):
    return ref.conv2d(image[None, None], kernel[None, None])[0, 0]


def _flipped_one_axis(axis):
    def compute(ref, image, kernel):
        return ref.conv2d(image[None, None], kernel.flip(axis)[None, None])[0, 0]
    return compute


CONVOLVE_VARIANTS = (
    Variant(code="kernel_not_flipped", compute=_not_flipped,
            hint="this is cross-correlation: a true convolution flips the kernel in both directions first"),
    Variant(code="kernel_flipped_one_axis", compute=_flipped_one_axis(0),
            hint="the kernel was flipped only upside down: flip both rows and columns (rotate by 180 degrees)"),
    Variant(code="kernel_flipped_one_axis", compute=_flipped_one_axis(1),
            hint="the kernel was flipped only left-right: flip both rows and columns (rotate by 180 degrees)"),
)

OPPOSITE = {"left_sobel": "right_sobel", "right_sobel": "left_sobel", "top_sobel": "bottom_sobel",
            "bottom_sobel": "top_sobel"}


def _swapped_filter(ref, key):
    if key not in OPPOSITE:
        raise NotApplicable("not a Sobel filter: it has no opposite")
    return ref.FILTERS[OPPOSITE[key]]


LECTURE_FILTERS = {
    "blur": [[1 / 16, 1 / 8, 1 / 16], [1 / 8, 1 / 4, 1 / 8], [1 / 16, 1 / 8, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "top_sobel": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "bottom_sobel": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "left_sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "right_sobel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}


# --- cases ----------------------------------------------------------------------------------

def _reduction(input, weight, *args, **kwargs):
    return math.prod(weight.shape[1:])


def _pad_cases(rng: random.Random) -> list[Case]:
    line = Tensor(values=[[[1, 2, 3, 4, 5]]])
    cases = [
        Case(name="lecture: zero padding", args=(line, (2, 2)), expect=[[[0, 0, 1, 2, 3, 4, 5, 0, 0]]]),
        Case(name="lecture: edge replication", args=(line, (2, 2), "replicate"),
             expect=[[EDGE_PADDED]]),
        Case(name="derived: mirror, torch's reflect", args=(line, (2, 2), "reflect"),
             expect=[[REFLECT_PADDED]],
             note="the lecture's mirror padding repeats the edge value; torch's 'reflect' does not"),
        Case(name="lecture: circular", args=(line, (2, 2), "circular"), expect=[[CIRCULAR_PADDED]]),
        Case(name="constant value 1.5", args=(Random(shape=(2, 3, 6), seed=1), (1, 3)), kwargs={"value": 1.5}),
        Case(name="4-D, constant, last dim only", args=(Random(shape=(2, 2, 4, 5), seed=2), (2, 1))),
        Case(name="4-D, constant, both dims", args=(Random(shape=(1, 3, 4, 5), seed=3), (1, 2, 3, 0))),
        Case(name="constant, negative pads crop", args=(Random(shape=(1, 2, 6, 6), seed=4), (-1, 2, 0, -2))),
        Case(name="zero padding (0, 0)", group="edge cases", args=(Random(shape=(2, 2, 5), seed=5), (0, 0), "reflect")),
        Case(name="float64, reflect", group="edge cases", args=(Random(shape=(2, 2, 5, 6), seed=6, dtype="float64"), (2, 1, 3, 2),
                                            "reflect")),
        Case(name="non-contiguous input, replicate", group="edge cases",
             args=(Random(shape=(2, 3, 5, 4), seed=7, contiguous=False), (1, 2, 2, 1), "replicate")),
        Case(name="3-D input, 4 pads (C, H, W)", group="edge cases", args=(Random(shape=(3, 4, 5), seed=8), (1, 2, 2, 1), "circular")),
        Case(name="circular, pad equal to size", args=(Random(shape=(1, 2, 4), seed=9), (4, 4), "circular")),
        Case(name="keeps autograd graph", args=(Random(shape=(1, 2, 5, 5), seed=10), (1, 1, 2, 2), "reflect"),
             requires_grad=True),
    ]
    for i in range(20):
        four_d = rng.random() < 0.6
        mode = rng.choice(["constant", "reflect", "replicate", "circular"])
        shape = (rng.randint(1, 2), rng.randint(1, 3), *( [rng.randint(3, 7)] if not four_d else []),
                 *([rng.randint(3, 7), rng.randint(3, 7)] if four_d else []))
        sizes = shape[-2:][::-1] if four_d else shape[-1:]
        limit = {"reflect": lambda s: s - 1, "circular": lambda s: s}.get(mode, lambda s: 4)
        pad = tuple(rng.randint(0, min(4, limit(s))) for s in sizes for _ in range(2))
        dtype = rng.choice(["float32", "float32", "float64"])
        cases.append(Case(name=f"random {i + 1}: {mode}",
                          args=(Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype), pad, mode),
                          kwargs={"value": 0.5} if mode == "constant" and i % 2 else {}, hidden=hidden(i)))
    cases += [
        Case(name="invalid: odd pad length", args=(Random(shape=(1, 1, 5), seed=11), (1, 2, 3)), raises=True),
        Case(name="invalid: reflect pad not smaller than size", args=(Random(shape=(1, 1, 4), seed=12), (4, 0), "reflect"),
             raises=True),
        Case(name="invalid: circular wraps more than once", args=(Random(shape=(1, 1, 3), seed=13), (4, 0), "circular"),
             raises=True),
        Case(name="invalid: a fill value in reflect mode", args=(Random(shape=(1, 2, 5), seed=14), (1, 1), "reflect"),
             kwargs={"value": 1.0}, raises=True),
        Case(name="invalid: more pad pairs than dimensions", args=(Random(shape=(2, 3), seed=15), (1, 1, 1, 1, 1, 1)),
             raises=True),
        Case(name="invalid: cropping more than the size", args=(Random(shape=(1, 1, 3), seed=16), (-2, -2)),
             raises=True),
    ]
    return cases


def _conv_config(rng: random.Random, dims: int, i: int) -> Case:
    groups = rng.choice([1, 1, 2, 3])
    c_in, c_out = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
    kernel = [rng.randint(1, 4) for _ in range(dims)]
    dilation = [rng.choice([1, 1, 2]) for _ in range(dims)]
    stride = [rng.choice([1, 1, 2, 3]) for _ in range(dims)]
    padding: object = [rng.randint(0, 2) for _ in range(dims)]
    if rng.random() < 0.2:
        padding, stride = "same", [1] * dims
    elif rng.random() < 0.1:
        padding = "valid"
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [s + rng.randint(0, 6) for s in span]
    def simple(values):  # an int where torch takes one, sometimes a tuple anyway
        return values[0] if len(set(values)) == 1 and rng.random() < 0.6 else tuple(values)
    kwargs = {"stride": simple(stride), "padding": padding if isinstance(padding, str) else simple(padding),
              "dilation": simple(dilation), "groups": groups}
    dtype = rng.choice(["float32", "float32", "float64"])
    n = rng.randint(1, 2)
    args = [Random(shape=(n, c_in, *size), seed=rng.randrange(2**31), dtype=dtype),
            Random(shape=(c_out, c_in // groups, *kernel), seed=rng.randrange(2**31), dtype=dtype)]
    if rng.random() < 0.6:
        args.append(Random(shape=(c_out,), seed=rng.randrange(2**31), dtype=dtype))
    name = ", ".join(f"{k}={v}" for k, v in kwargs.items() if v not in (1, 0))
    return Case(name=f"random {i + 1}" + (f": {name}" if name else ""), args=tuple(args), kwargs=kwargs,
                requires_grad=i % 3 == 0, hidden=hidden(i))  # a third also compare gradients



def _conv_probes(r, dims: int) -> list[Case]:
    """Invalid calls that torch rejects; the student must raise the same class."""
    x, w, b = r(1, 2, *[6] * dims), r(3, 2, *[3] * dims), r(3)
    return [
        Case(name="invalid: weight channels do not match input", args=(r(1, 3, *[6] * dims), w), raises=True),
        Case(name="invalid: groups do not divide input channels", args=(r(1, 3, *[6] * dims), r(2, 1, *[3] * dims)),
             kwargs={"groups": 2}, raises=True),
        Case(name="invalid: groups do not divide output channels", args=(r(1, 4, *[6] * dims), r(3, 2, *[3] * dims)),
             kwargs={"groups": 2}, raises=True),
        Case(name="invalid: padding='same' with stride 2", args=(x, w), kwargs={"padding": "same", "stride": 2},
             raises=True),
        Case(name="invalid: unknown padding string", args=(x, w), kwargs={"padding": "full"}, raises=True),
        Case(name="invalid: kernel larger than the input", args=(r(1, 2, *[3] * dims), r(3, 2, *[4] * dims)),
             raises=True),
        Case(name="invalid: stride 0", args=(x, w), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: dilation 0", args=(x, w), kwargs={"dilation": 0}, raises=True),
        Case(name="invalid: negative padding", args=(x, w), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: groups 0", args=(x, w), kwargs={"groups": 0}, raises=True),
        Case(name="invalid: padding tuple of the wrong length", args=(x, w), kwargs={"padding": (1,) * (dims + 1)},
             raises=True),
        Case(name="invalid: bias of the wrong length", args=(x, w, r(4)), raises=True),
        Case(name="invalid: float64 bias with float32 input", args=(x, w, r(3, dtype="float64")), raises=True),
    ]


def _conv1d_cases(rng: random.Random) -> list[Case]:
    signal, kernel = Tensor(values=SIGNAL), Tensor(values=[[[-1, 0, 1]]])
    taps = Tensor(values=[[PADDING_KERNEL]])
    r = lambda *shape, dtype="float32", contiguous=True: Random(shape=shape, seed=rng.randrange(2**31),
                                                                dtype=dtype, contiguous=contiguous)
    cases = [
        Case(name="lecture: signal * [-1, 0, 1]", args=(signal, kernel), expect=[[[2, 2, 2, 1, -1, -2, -2, -2]]]),
        Case(name="lecture: stride 3", args=(signal, kernel), kwargs={"stride": 3}, expect=[[[2, 1, -2]]]),
        Case(name="lecture: dilation 3", args=(signal, kernel), kwargs={"dilation": 3}, expect=[[[3, 1, -1, -3]]]),
        # The padding slide: [1, 2, 3, 4, 5] padded by 2 in each of its four ways (the `pad` task's lecture
        # cases), then convolved with [-1, 0, 2, 0, -1]. Its mirror repeats the edge (no torch mode; `pad`
        # names it symmetric_instead_of_reflect): torch's reflect is derived.
        Case(name="lecture: zero-padded signal (padding=2) * [-1, 0, 2, 0, -1]",
             args=(Tensor(values=[[[1, 2, 3, 4, 5]]]), taps), kwargs={"padding": 2}, expect=[[[-1, 0, 0, 6, 7]]]),
        Case(name="lecture: edge-repeated signal * [-1, 0, 2, 0, -1]", args=(Tensor(values=[[EDGE_PADDED]]), taps),
             expect=[[[-2, -1, 0, 1, 2]]]),
        Case(name="lecture: the slide's mirror (edge repeated) * [-1, 0, 2, 0, -1]",
             args=(Tensor(values=[[SYMMETRIC_PADDED]]), taps), expect=[[[-3, -1, 0, 1, 3]]],
             note="the slide's mirror repeats the edge value (numpy's 'symmetric'); torch's 'reflect' pads "
                  "[3, 2, 1, 2, 3, 4, 5, 4, 3], which gives [-4, -2, 0, 2, 4]"),
        Case(name="derived: torch's reflect-padded signal * [-1, 0, 2, 0, -1]",
             args=(Tensor(values=[[REFLECT_PADDED]]), taps), expect=[[[-4, -2, 0, 2, 4]]]),
        Case(name="lecture: circular-padded signal * [-1, 0, 2, 0, -1]", args=(Tensor(values=[[CIRCULAR_PADDED]]), taps),
             expect=[[[-5, -5, 0, 5, 5]]]),
        Case(name="kernel of size 1", group="edge cases", args=(r(2, 3, 7), r(4, 3, 1), r(4))),
        Case(name="kernel as long as the input", group="edge cases", args=(r(1, 2, 6), r(3, 2, 6))),
        Case(name="stride larger than the kernel", args=(r(2, 2, 11), r(2, 2, 2)), kwargs={"stride": 4}),
        Case(name="batch of 3 with bias", args=(r(3, 2, 8), r(4, 2, 3), r(4)), kwargs={"padding": 1}),
        Case(name="float64", group="edge cases", args=(r(2, 3, 9, dtype="float64"), r(2, 3, 4, dtype="float64")),
             kwargs={"padding": 2, "dilation": 2}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 9, contiguous=False), r(2, 3, 3))),
        Case(name="even kernel, padding='same'", args=(r(1, 2, 9), r(3, 2, 4)), kwargs={"padding": "same"}),
        Case(name="padding='same' with dilation", args=(r(1, 2, 9), r(2, 2, 3)),
             kwargs={"padding": "same", "dilation": 2}),
        Case(name="padding='valid'", args=(r(1, 2, 9), r(2, 2, 3)), kwargs={"padding": "valid"}),
        Case(name="padding as a 1-tuple", group="edge cases", args=(r(1, 2, 6), r(2, 2, 3)), kwargs={"padding": (2,)}),
        Case(name="groups=2, 4 in, 6 out", args=(r(2, 4, 8), r(6, 2, 3), r(6)), kwargs={"groups": 2}),
        Case(name="keeps autograd graph", args=(r(1, 2, 7), r(2, 2, 3), r(2)), kwargs={"padding": 1},
             requires_grad=True),
        Case(name="unbatched (C, L) input", group="edge cases", args=(r(3, 8), r(2, 3, 3), r(2)), kwargs={"stride": 2}),
    ]
    cases += [_conv_config(rng, 1, i) for i in range(20)]
    return cases + _conv_probes(r, 1)


def _conv2d_cases(rng: random.Random) -> list[Case]:
    r = lambda *shape, dtype="float32", contiguous=True: Random(shape=shape, seed=rng.randrange(2**31),
                                                                dtype=dtype, contiguous=contiguous)
    padded = [row + [0] for row in IMAGE3] + [[0, 0, 0, 0]]
    cases = [
        Case(name="lecture: 3x3 image, 2x2 kernel", args=(Tensor(values=[[IMAGE3]]), Tensor(values=[[KERNEL2]])),
             expect=[[[[1, 2], [5, 3]]]]),
        Case(name="lecture: same image, zeros added bottom and right",
             args=(Tensor(values=[[padded]]), Tensor(values=[[KERNEL2]])), expect=[[[[1, 2, 5], [5, 3, 2], [0, 2, 0]]]],
             note="the slide prints 4 for the middle-right value; 2 is correct"),
        Case(name="lecture: 5x5 image, stride 2", args=(Tensor(values=[[IMAGE5]]), Tensor(values=[[KERNEL3]])),
             kwargs={"stride": 2}, expect=[[[[0, 2], [-5, 2]]]]),
        Case(name="lecture: animated 5x5 example", args=(Tensor(values=[[ANIMATED]]), Tensor(values=[[KERNEL_ANIMATED]])),
             expect=[[[[12, 12, 17], [10, 17, 19], [9, 6, 14]]]]),
        Case(name="lecture: animated example, padding 1, stride 2",
             args=(Tensor(values=[[ANIMATED]]), Tensor(values=[[KERNEL_ANIMATED]])), kwargs={"padding": 1, "stride": 2},
             expect=[[[[6, 17, 3], [8, 17, 13], [6, 4, 4]]]]),
        Case(name="1x1 kernel", group="edge cases", args=(r(2, 3, 5, 6), r(4, 3, 1, 1), r(4))),
        Case(name="kernel as large as the input", group="edge cases", args=(r(2, 2, 5, 4), r(3, 2, 5, 4))),
        Case(name="stride larger than the kernel", args=(r(1, 2, 9, 10), r(2, 2, 2, 2)), kwargs={"stride": 3}),
        Case(name="non-square kernel and input", args=(r(2, 2, 7, 9), r(3, 2, 3, 5), r(3)),
             kwargs={"padding": (1, 2)}),
        Case(name="batch of 4", args=(r(4, 2, 6, 6), r(2, 2, 3, 3)), kwargs={"padding": 1}),
        Case(name="float64", group="edge cases", args=(r(2, 3, 7, 7, dtype="float64"), r(2, 3, 3, 3, dtype="float64"),
                                   r(2, dtype="float64")), kwargs={"stride": 2, "padding": 1}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 6, 7, contiguous=False), r(2, 3, 3, 2))),
        Case(name="even kernel, padding='same'", args=(r(1, 2, 6, 7), r(2, 2, 4, 2)), kwargs={"padding": "same"}),
        Case(name="padding='same' with dilation 2", args=(r(1, 2, 7, 7), r(2, 2, 2, 3)),
             kwargs={"padding": "same", "dilation": 2}),
        Case(name="groups=2 with 4 in, 6 out", args=(r(2, 4, 6, 6), r(6, 2, 3, 3), r(6)), kwargs={"groups": 2}),
        Case(name="depthwise: groups=3, 3 in, 6 out", args=(r(1, 3, 6, 5), r(6, 1, 3, 3)),
             kwargs={"groups": 3, "padding": 1}),
        Case(name="stride, padding, dilation as pairs", args=(r(1, 2, 9, 8), r(2, 2, 3, 2), r(2)),
             kwargs={"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
        Case(name="stride with a partial last window", args=(r(1, 2, 8, 8), r(2, 2, 3, 3)), kwargs={"stride": 2}),
        Case(name="unbatched (C, H, W) input", group="edge cases", args=(r(2, 5, 5), r(3, 2, 3, 3), r(3))),
        Case(name="stride as a 1-tuple, applied to both dims", group="edge cases", args=(r(1, 2, 7, 7), r(2, 2, 3, 3)),
             kwargs={"stride": (2,)}),
        Case(name="keeps autograd graph", args=(r(1, 2, 5, 5), r(2, 2, 3, 3), r(2)), kwargs={"padding": 1},
             requires_grad=True),
    ]
    cases += [_conv_config(rng, 2, i) for i in range(24)]
    return cases + _conv_probes(r, 2)


def _convolve_cases(rng: random.Random) -> list[Case]:
    r = lambda *shape, dtype="float32": Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype)
    cases = [
        Case(name="derived: 3x3 image, 2x2 kernel, flipped", args=(Tensor(values=IMAGE3), Tensor(values=KERNEL2)),
             expect=[[4, 5], [2, 1]]),
        Case(name="derived: 5x5 image, 3x3 kernel, flipped", args=(Tensor(values=IMAGE5), Tensor(values=KERNEL3))),
        Case(name="1x1 kernel", group="edge cases", args=(r(4, 5), r(1, 1))),
        Case(name="kernel as large as the image", group="edge cases", args=(r(4, 3), r(4, 3))),
        Case(name="float64", group="edge cases", args=(r(6, 7, dtype="float64"), r(3, 2, dtype="float64"))),
        Case(name="keeps autograd graph", args=(r(5, 5), r(3, 3)), requires_grad=True),
    ]
    for i in range(20):
        kh, kw = rng.randint(1, 4), rng.randint(1, 4)
        cases.append(Case(name=f"random {i + 1}: {kh}x{kw} kernel",
                          args=(r(kh + rng.randint(0, 6), kw + rng.randint(0, 6)), r(kh, kw)), hidden=hidden(i)))
    cases.append(Case(name="invalid: kernel larger than the image", args=(r(3, 3), r(4, 2)), raises=True))
    return cases


def _convolve_oracle(image, kernel):
    return F.conv2d(image[None, None], kernel.flip((0, 1))[None, None])[0, 0]


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Convolution from scratch", module="convolution.py",
        tasks=(
            Task(name="pad", points=20, target="pad", forbidden=PAD_FORBIDDEN, oracle=F.pad,
                 variants=PAD_VARIANTS, cases=tuple(_pad_cases(rng))),
            Task(name="conv1d", points=20, target="conv1d", forbidden=CONV_AND_UNFOLD_FORBIDDEN, oracle=F.conv1d,
                 variants=CONV1D_VARIANTS, reduction=_reduction, cases=tuple(_conv1d_cases(rng))),
            Task(name="conv2d", points=35, target="conv2d", forbidden=CONV_AND_UNFOLD_FORBIDDEN, oracle=F.conv2d,
                 variants=CONV2D_VARIANTS, reduction=_reduction, cases=tuple(_conv2d_cases(rng))),
            Task(name="convolve2d", points=15, target="convolve2d", forbidden=CONV_AND_UNFOLD_FORBIDDEN,
                 oracle=_convolve_oracle, variants=CONVOLVE_VARIANTS,
                 reduction=lambda image, kernel: math.prod(kernel.shape), cases=tuple(_convolve_cases(rng))),
            Task(name="filters", points=10, target="FILTERS", call="mapping", output_dtype="float32",
                 oracle=lambda key: torch.tensor(LECTURE_FILTERS[key]),
                 variants=(Variant(code="sobel_swapped", compute=_swapped_filter,
                                   hint="this is the opposite Sobel filter: compare the signs with the lecture's table"),),
                 cases=tuple(Case(name=f"FILTERS['{key}']", args=(key,), expect=values)
                             for key, values in LECTURE_FILTERS.items())),
        ),
    )
