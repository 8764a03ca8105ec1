"""Assignment 4, transposed convolution: tasks, points, cases and known wrong answers."""
from __future__ import annotations

import functools
import math
import random

import torch
import torch.nn.functional as F

from grader import kit
from grader.experiments import output_shape
from grader.kit import CONV_FORBIDDEN, FOLD_FORBIDDEN, LECTURE_H, NotApplicable, hidden, pairs
from grader.spec import Assignment, Case, Random, Task, Tensor, Variant, load_checks, random_tensors

checks = load_checks(__file__)

# A transposed conv is the gradient of a conv with respect to its input: autograd may not compute it.
AUTOGRAD_FORBIDDEN = ("torch.autograd.grad", "torch.autograd.backward", "torch.autograd.functional.*",
                      "torch.Tensor.backward", "torch.func.*", "torch.Tensor.grad_fn")  # y.grad_fn(g): by hand
# Every conv in torch, and the col2im step (fold) that is a transposed conv's overlap-add.
FORBIDDEN = CONV_FORBIDDEN + FOLD_FORBIDDEN + AUTOGRAD_FORBIDDEN

ARANGE_4X4 = [[[[float(4 * i + j + 1) for j in range(4)] for i in range(4)]]]
ARANGE_UPSAMPLED = [[[[1, 3, 5, 7, 4], [6, 14, 18, 22, 12], [14, 30, 34, 38, 20], [22, 46, 50, 54, 28],
                      [13, 27, 29, 31, 16]]]]
# overlap_count(4, 3, 2): per row and per column the stamps cover 1, 1, 2, 1, 2, 1, 2, 1, 1 times.
_COVER = [1, 1, 2, 1, 2, 1, 2, 1, 1]
CHECKERBOARD = [[a * b for b in _COVER] for a in _COVER]


# --- known wrong answers: conv_transpose1d / conv_transpose2d ------------------------------------

def _ct(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    target = ref.conv_transpose1d if weight.dim() == 3 else ref.conv_transpose2d
    return target(input, weight, bias, stride, padding, output_padding, groups, dilation)


def _mistake(compute, right=_ct):
    """A variant's compute that raises NotApplicable where the mistake cannot happen (the wrong call is
    itself invalid) or makes no difference (it gives the right answer), so that it is only named
    when it explains a wrong output."""
    @functools.wraps(compute)
    def wrapped(ref, *args, **kwargs):
        try:
            wrong = compute(ref, *args, **kwargs)
        except RuntimeError as error:
            raise NotApplicable(f"this mistake is not possible here: {error}") from None
        correct = right(ref, *args, **kwargs)
        if wrong.shape == correct.shape and torch.allclose(wrong, correct, rtol=1e-12, atol=1e-12):
            raise NotApplicable("this mistake makes no difference here")
        return wrong
    return wrapped


def _with_bias(output, bias, n):
    return output if bias is None else output + bias.reshape(-1, *([1] * n))


def _regions(ref, input, weight, bias, stride, padding, output_padding, groups, dilation, sides):
    """The uncropped output (every stamped position), re-cut by `sides(p, op) -> (before, after)`:
    positive amounts add zero rows, negative ones crop; the bias is added everywhere."""
    n = weight.dim() - 2
    full = _ct(ref, input, weight, None, stride, 0, 0, groups, dilation)
    amounts = []
    for p, op in reversed(list(zip(pairs(padding, n), pairs(output_padding, n)))):
        amounts += list(sides(p, op))
    return _with_bias(F.pad(full, amounts), bias, n)


def _kernel_not_flipped(ref, input, weight, *args, **kwargs):
    flipped = weight.flip(list(range(2, weight.dim())))
    if torch.equal(flipped, weight):
        raise NotApplicable("a kernel symmetric under a 180-degree turn")
    return _ct(ref, input, flipped, *args, **kwargs)


def _out_in_layout(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The weight read as a conv weight (C_out, C_in / groups, k...): computable only with as many
    output as input channels, where it amounts to swapping the channel axes within each group."""
    if weight.shape[0] != weight.shape[1] * groups:
        raise NotApplicable("reading the weight the other way round does not fit these channel counts")
    c = weight.shape[1]
    swapped = weight.reshape(groups, c, c, *weight.shape[2:]).transpose(1, 2).reshape(weight.shape)
    if torch.equal(swapped, weight):
        raise NotApplicable("symmetric channel mixing")
    return _ct(ref, input, swapped, bias, stride, padding, output_padding, groups, dilation)


def _needs_output_padding(weight, output_padding):
    if not any(pairs(output_padding, weight.dim() - 2)):
        raise NotApplicable("no output_padding in this case")


def _output_padding_ignored(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                            dilation=1):
    _needs_output_padding(weight, output_padding)
    return _ct(ref, input, weight, bias, stride, padding, 0, groups, dilation)


def _output_padding_both_sides(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                               dilation=1):
    _needs_output_padding(weight, output_padding)
    return _regions(ref, input, weight, bias, stride, padding, output_padding, groups, dilation,
                    lambda p, op: (op - p, op - p))


def _output_padding_wrong_side(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                               dilation=1):
    _needs_output_padding(weight, output_padding)
    return _regions(ref, input, weight, bias, stride, padding, output_padding, groups, dilation,
                    lambda p, op: (op - p, -p))


def _padding_added(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if not any(pairs(padding, weight.dim() - 2)):
        raise NotApplicable("no padding in this case")
    return _regions(ref, input, weight, bias, stride, padding, output_padding, groups, dilation,
                    lambda p, op: (p, p + op))


def _groups_ignored(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """All input channels summed into weight.shape[1] outputs, as if groups were 1 (a bias of
    weight.shape[1] * groups values would then not fit: without a bias only)."""
    if groups == 1 or bias is not None:
        raise NotApplicable("no groups, or a bias, in this case")
    return _ct(ref, input, weight, None, stride, padding, output_padding, 1, dilation)


def _no_bias(ref, input, weight, bias=None, *args, **kwargs):
    if bias is None:
        raise NotApplicable("no bias in this case")
    return _ct(ref, input, weight, None, *args, **kwargs)


def _dilation_ignored(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if all(d == 1 for d in pairs(dilation, weight.dim() - 2)):
        raise NotApplicable("no dilation in this case")
    return _ct(ref, input, weight, bias, stride, padding, output_padding, groups, 1)


def _stride_as_dilation(ref, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    """Stride and dilation swapped: the kernel taps spread `stride` apart, the stamps `dilation` apart."""
    n = weight.dim() - 2
    if pairs(stride, n) == pairs(dilation, n):
        raise NotApplicable("swapping makes no difference here")
    return _ct(ref, input, weight, bias, dilation, padding, output_padding, groups, stride)


CONV_VARIANTS = (  # the first that matches names the mistake: specific ones first
    Variant(code="bias_missing", compute=_mistake(_no_bias), hint="the bias was not added (one value per output channel)"),
    Variant(code="kernel_not_flipped", compute=_mistake(_kernel_not_flipped),
            hint="the kernel came out rotated by 180 degrees: each input value stamps the kernel as it is "
                 "(weight[..., 0, 0] at the stamp's top-left); computed as a correlation over the zero-stuffed "
                 "input, the kernel must be flipped first"),
    Variant(code="weight_layout_out_in", compute=_mistake(_out_in_layout),
            hint="a transposed conv's weight is (C_in, C_out / groups, k...), input channels first: "
                 "weight[i, o] carries input channel i to output channel o (conv2d's layout is the other way round)"),
    Variant(code="output_padding_wrong_side", compute=_mistake(_output_padding_wrong_side),
            hint="output_padding goes at the END of each dimension (bottom rows, right columns), not at the start"),
    Variant(code="output_padding_both_sides", by_shape=True, compute=_mistake(_output_padding_both_sides),
            hint="output_padding is added once, at the end (bottom/right) only, not on both sides"),
    Variant(code="output_padding_ignored", by_shape=True, compute=_mistake(_output_padding_ignored),
            hint="output_padding was ignored: it adds that many positions at the end (bottom/right) of the output"),
    Variant(code="padding_added", by_shape=True, compute=_mistake(_padding_added),
            hint="padding is cropped from a transposed conv's output (- 2*padding), not added around it"),
    Variant(code="groups_ignored", by_shape=True, compute=_mistake(_groups_ignored),
            hint="groups ignored: the output has weight.shape[1] * groups channels, and input group g feeds only "
                 "output group g"),
    Variant(code="dilation_ignored", compute=_mistake(_dilation_ignored),
            hint="dilation was ignored: the taps of one stamp must be `dilation` apart"),
    Variant(code="stride_as_dilation", compute=_mistake(_stride_as_dilation),
            hint="stride and dilation were swapped: stride spaces the stamps of neighbouring input values "
                 "(input i lands at i*stride), dilation spaces the taps within one stamp"),
)


# --- known wrong answers: conv_transpose2d_matrix and overlap_count ------------------------------

def _basis(weight, input_size):
    h, w = pairs(input_size, 2)
    c = weight.shape[0]
    return torch.eye(c * h * w, dtype=weight.dtype, device=weight.device).reshape(-1, c, h, w)


def _matrix(ref, *args, **kwargs):
    return ref.conv_transpose2d_matrix(*args, **kwargs)


def _as_matrix(conv_variant):
    """The matrix of a wrong transposed conv: the wrong conv applied to every basis vector."""
    def compute(ref, weight, input_size, stride=1, padding=0, output_padding=0, dilation=1):
        basis = _basis(weight, input_size)
        columns = conv_variant(ref, basis, weight, None, stride, padding, output_padding, 1, dilation)
        return columns.reshape(basis.shape[0], -1).T
    return _mistake(compute, _matrix)


def _matrix_transposed(ref, *args, **kwargs):
    matrix = ref.conv_transpose2d_matrix(*args, **kwargs)
    if matrix.shape[0] == matrix.shape[1] and torch.equal(matrix, matrix.T):
        raise NotApplicable("a symmetric matrix")
    return matrix.T


_CONV = {variant.code: variant for variant in CONV_VARIANTS}
MATRIX_VARIANTS = (  # the conv's mistakes that can happen without bias and groups, as matrices
    # First: where input and output have the same size, M.T is also the matrix of the unflipped kernel.
    Variant(code="matrix_transposed", by_shape=True, compute=_mistake(_matrix_transposed, _matrix),
            hint="this is M transposed (the conv's matrix): rows index the transposed conv's OUTPUT values, "
                 "columns its input values, M has shape (C_out*H_out*W_out, C_in*H_in*W_in)"),
    *(_CONV[code].model_copy(update={"compute": _as_matrix(_CONV[code].compute)})
      for code in ("kernel_not_flipped", "weight_layout_out_in")),
    *(_CONV[code].model_copy(update={"compute": _as_matrix(_CONV[code].compute)})
      for code in ("output_padding_wrong_side", "output_padding_both_sides", "output_padding_ignored",
                   "padding_added", "dilation_ignored", "stride_as_dilation")),
)


def _overlap(ref, *args, **kwargs):
    return ref.overlap_count(*args, **kwargs)


def _overlap_oracle(input_size, kernel_size, stride):
    ones = torch.ones(1, 1, *pairs(input_size, 2))
    return F.conv_transpose2d(ones, torch.ones(1, 1, *pairs(kernel_size, 2)), stride=stride)[0, 0]


def _overlap_ignored(ref, input_size, kernel_size, stride):
    count = ref.overlap_count(input_size, kernel_size, stride)
    if count.max() <= 1:
        raise NotApplicable("no overlap here")
    return (count > 0).to(count.dtype)


def _stride_ignored(ref, input_size, kernel_size, stride):
    if pairs(stride, 2) == (1, 1):
        raise NotApplicable("stride 1 here")
    return ref.overlap_count(input_size, kernel_size, 1)


def _size_times_stride(ref, input_size, kernel_size, stride):
    """The output sized H*stride (as if every stamp were stride wide), cropped or padded to fit."""
    (h, w), (kh, kw), (sh, sw) = pairs(input_size, 2), pairs(kernel_size, 2), pairs(stride, 2)
    if (kh, kw) == (sh, sw):
        raise NotApplicable("H*stride is right when kernel_size == stride")
    count = ref.overlap_count(input_size, kernel_size, stride)
    return F.pad(count, (0, sw - kw, 0, sh - kh))


OVERLAP_VARIANTS = (
    Variant(code="overlap_ignored", compute=_mistake(_overlap_ignored, _overlap),
            hint="this only marks which pixels are covered; count every kernel placement that covers a pixel "
                 "(where stamps overlap the count is 2, 4, ...)"),
    Variant(code="stride_ignored", compute=_mistake(_stride_ignored, _overlap),
            hint="stride ignored: the stamp of input pixel (i, j) starts at (i*stride, j*stride)"),
    Variant(code="output_size_times_stride", by_shape=True, compute=_mistake(_size_times_stride, _overlap),
            hint="the output of a transposed conv has (H - 1) * stride + kernel_size rows, not H * stride"),
)


# --- cases ----------------------------------------------------------------------------------------

def _reduction(input, weight, *args, **kwargs):
    """Products summed into one output value, at most: C_in per group times the kernel taps."""
    return weight.shape[0] * math.prod(weight.shape[2:])


def _simple(rng, values):
    """An int where torch takes one, sometimes a tuple anyway."""
    return values[0] if len(set(values)) == 1 and rng.random() < 0.6 else tuple(values)


def _random_config(rng: random.Random, dims: int):
    """A valid transposed-conv configuration: (stride, padding, output_padding, dilation, kernel, size)."""
    kernel = [rng.randint(1, 4) for _ in range(dims)]
    stride = [rng.choice([1, 1, 2, 3]) for _ in range(dims)]
    dilation = [rng.choice([1, 1, 2]) for _ in range(dims)]
    output_padding = [rng.randint(0, max(s, d) - 1) if rng.random() < 0.4 else 0 for s, d in zip(stride, dilation)]
    size = [rng.randint(1, 6) for _ in range(dims)]
    full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride, dilation, kernel)]
    padding = [rng.randint(0, min(2, (f - 1) // 2)) for f in full]
    return stride, padding, output_padding, dilation, kernel, size


DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1}


def _settings(kwargs, dims: int) -> str:
    """The settings that differ from the defaults, for a case's name."""
    shown = [f"{k}={v}" for k, v in kwargs.items() if set(pairs(v, dims)) != {DEFAULTS[k]}]
    return f": {', '.join(shown)}" if shown else ""


def _random_case(rng: random.Random, dims: int, i: int) -> Case:
    r = random_tensors(rng)
    groups = rng.choice([1, 1, 2, 3])
    c_in, c_out = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
    stride, padding, output_padding, dilation, kernel, size = _random_config(rng, dims)
    kwargs = {"stride": _simple(rng, stride), "padding": _simple(rng, padding),
              "output_padding": _simple(rng, output_padding), "groups": groups,
              "dilation": _simple(rng, dilation)}
    dtype = rng.choice(["float32", "float32", "float64"])
    args = [r(rng.randint(1, 2), c_in, *size, dtype=dtype), r(c_in, c_out // groups, *kernel, dtype=dtype)]
    if rng.random() < 0.6:
        args.append(r(c_out, dtype=dtype))
    return Case(name=f"random {i + 1}" + _settings(kwargs, dims), args=tuple(args), kwargs=kwargs,
                requires_grad=i % 3 == 0, hidden=hidden(i))  # a third also compare gradients


def _probes(r, dims: int) -> list[Case]:
    """Invalid calls that torch rejects (RuntimeError); the student must raise the same class."""
    x, w = r(1, 2, *[4] * dims), r(2, 3, *[3] * dims)
    cases = [
        Case(name="invalid: output_padding equal to the stride", args=(x, w), kwargs={"stride": 2, "output_padding": 2},
             raises=True),
        Case(name="invalid: output_padding 1 with stride 1 and dilation 1", args=(x, w),
             kwargs={"output_padding": 1}, raises=True),
        Case(name="invalid: negative output_padding", args=(x, w), kwargs={"stride": 2, "output_padding": -1},
             raises=True),
        Case(name="invalid: input channels do not match weight.shape[0]", args=(r(1, 3, *[4] * dims), w), raises=True),
        Case(name="invalid: groups do not divide weight.shape[0]", args=(r(1, 3, *[4] * dims), r(3, 2, *[3] * dims)),
             kwargs={"groups": 2}, raises=True),
        Case(name="invalid: groups 0", args=(x, w), kwargs={"groups": 0}, raises=True),
        Case(name="invalid: stride 0", args=(x, w), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: dilation 0", args=(x, w), kwargs={"dilation": 0}, raises=True),
        Case(name="invalid: negative padding", args=(x, w), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: padding crops the whole output", args=(r(1, 2, *[2] * dims), w), kwargs={"padding": 2},
             raises=True),
        Case(name="invalid: bias of the wrong length", args=(x, w, r(2)), raises=True,
             note="the bias has one value per OUTPUT channel: weight.shape[1] * groups of them"),
        Case(name="invalid: float64 weight with float32 input", args=(x, r(2, 3, *[3] * dims, dtype="float64")),
             raises=True),
        Case(name="invalid: input with too many dimensions", args=(r(1, 1, 2, *[4] * dims), w), raises=True),
        Case(name="invalid: stride tuple of the wrong length", args=(x, w), kwargs={"stride": (2,) * (dims + 1)},
             raises=True),
    ]
    if dims == 2:
        cases.insert(2, Case(name="invalid: output_padding too large in one dimension only", args=(x, w),
                             kwargs={"stride": (2, 1), "output_padding": (0, 1)}, raises=True))
    return cases


SIGNAL, DIGITS = Tensor(values=[[[1, 2, 3]]]), Tensor(values=[[[1, 10, 100]]])


def _conv_transpose1d_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    cases = [
        Case(name="worked example: [1, 2, 3] with kernel [1, 10, 100], stride 2", args=(SIGNAL, DIGITS),
             kwargs={"stride": 2}, expect=[[[1, 10, 102, 20, 203, 30, 300]]]),
        Case(name="worked example: stride 2, padding 1 crops one position per end", args=(SIGNAL, DIGITS),
             kwargs={"stride": 2, "padding": 1}, expect=[[[10, 102, 20, 203, 30]]]),
        Case(name="worked example: stride 2, padding 1, output_padding 1", args=(SIGNAL, DIGITS),
             kwargs={"stride": 2, "padding": 1, "output_padding": 1}, expect=[[[10, 102, 20, 203, 30, 300]]],
             note="output_padding gives back one position at the END; here padding had cropped the 300 there"),
        Case(name="worked example: stride 2, output_padding 1", args=(SIGNAL, DIGITS),
             kwargs={"stride": 2, "output_padding": 1}, expect=[[[1, 10, 102, 20, 203, 30, 300, 0]]]),
        Case(name="worked example: dilation 2", args=(SIGNAL, DIGITS), kwargs={"dilation": 2},
             expect=[[[1, 2, 13, 20, 130, 200, 300]]]),
        Case(name="kernel of size 1", group="edge cases", args=(r(2, 3, 5), r(3, 4, 1), r(4))),
        Case(name="stride larger than the kernel (gaps)", args=(r(1, 2, 5), r(2, 3, 2)), kwargs={"stride": 3}),
        Case(name="stride 2, kernel 3 (overlapping stamps)", args=(r(2, 2, 6), r(2, 2, 3), r(2)), kwargs={"stride": 2}),
        Case(name="as many output as input channels", args=(r(2, 3, 6), r(3, 3, 3)), kwargs={"stride": 2},
             note="weight[i, o] carries input channel i to output channel o"),
        Case(name="padding crops both ends", args=(r(1, 2, 5), r(2, 3, 4)), kwargs={"padding": 2}),
        Case(name="output_padding below the dilation, stride 1", args=(r(1, 2, 5), r(2, 2, 3)),
             kwargs={"dilation": 2, "output_padding": 1}),
        Case(name="groups=2, 4 in, 6 out", args=(r(2, 4, 5), r(4, 3, 3), r(6)), kwargs={"groups": 2, "stride": 2}),
        Case(name="groups=2, 4 in, 4 out", args=(r(1, 4, 5), r(4, 2, 2)), kwargs={"groups": 2}),
        Case(name="float64", group="edge cases", args=(r(2, 3, 6, dtype="float64"), r(3, 2, 3, dtype="float64"), r(2, dtype="float64")),
             kwargs={"stride": 2, "padding": 1, "output_padding": 1}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 4, 3, contiguous=False), r(4, 2, 3))),
        Case(name="unbatched (C, L) input", group="edge cases", args=(r(3, 5), r(3, 2, 3), r(2)), kwargs={"stride": 2}),
        Case(name="stride and padding as 1-tuples", group="edge cases", args=(r(1, 2, 4), r(2, 2, 3)),
             kwargs={"stride": (2,), "padding": (1,)}),
        Case(name="all arguments by position (groups comes before dilation)",
             args=(r(1, 2, 5), r(2, 2, 3), r(2), 1, 0, 1, 1, 2),
             note="torch's order is (input, weight, bias, stride, padding, output_padding, groups, dilation)"),
        Case(name="keeps autograd graph", args=(r(1, 2, 5), r(2, 2, 3), r(2)), kwargs={"stride": 2},
             requires_grad=True),
    ]
    cases += [_random_case(rng, 1, i) for i in range(20)]
    return cases + _probes(r, 1)


def _adjoint_case(r, name, x_shape, w_shape, dtype="float32", **kwargs) -> Case:
    """x: the conv's input; y: a random tensor shaped like conv2d(x, w); the transposed conv of y must
    come back in x's shape, which output_padding arranges."""
    stride, padding, dilation = (pairs(kwargs.get(k, d), 2) for k, d in (("stride", 1), ("padding", 0),
                                                                            ("dilation", 1)))
    out, output_padding = [], []
    for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        out.append(span // s + 1)
        output_padding.append(span % s)
    kwargs = {**kwargs, **({"output_padding": tuple(output_padding)} if any(output_padding) else {})}
    x, w = r(*x_shape, dtype=dtype), r(*w_shape, dtype=dtype)
    y = r(x_shape[0], w_shape[0], *out, dtype=dtype)
    groups = kwargs.get("groups", 1)
    conv = F.conv2d(x.build("cpu").double(), w.build("cpu").double(), None, stride, padding, dilation, groups)
    expect = [float((conv * y.build("cpu").double()).sum())]
    settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return Case(name=f"adjointness: {name}", args=(y, w, x), kwargs=kwargs, experiment=checks.adjoint, expect=expect,
                call=f"(x * conv_transpose2d(y, w{', ' + settings if settings else ''})).sum() with x {x_shape}, "
                     f"w {w_shape}, y {tuple(y.shape)} {dtype}",
                terms=math.prod(x_shape) + math.prod(w_shape[1:]),
                note="a transposed conv is the adjoint of the conv with the same weight: "
                     "<x, conv_transpose2d(y, w)> must equal <conv2d(x, w), y> for every x and y; this fails when "
                     "the kernel is not rotated correctly or the weight's channel axes are read the wrong way round")


def _conv_transpose2d_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    cases = [
        Case(name="lecture: arange(1, 17) as 4x4, 2x2 kernel of ones",
             args=(Tensor(values=ARANGE_4X4), Tensor(values=[[[[1, 1], [1, 1]]]])), expect=ARANGE_UPSAMPLED,
             note="every input value stamps a 2x2 block of itself; overlapping stamps add up (14 = 1 + 2 + 5 + 6)"),
        Case(name="1x1 kernel", group="edge cases", args=(r(2, 3, 4, 5), r(3, 4, 1, 1), r(4))),
        Case(name="stride 2, kernel 3 (overlapping stamps)", args=(r(1, 2, 4, 4), r(2, 3, 3, 3)), kwargs={"stride": 2}),
        Case(name="stride 3, kernel 2 (gaps between stamps)", args=(r(2, 2, 3, 4), r(2, 2, 2, 2), r(2)),
             kwargs={"stride": 3}),
        Case(name="as many output as input channels", args=(r(2, 3, 4, 4), r(3, 3, 2, 3)),
             note="weight[i, o] carries input channel i to output channel o"),
        Case(name="padding crops the border", args=(r(1, 2, 5, 5), r(2, 2, 3, 3), r(2)), kwargs={"padding": 1}),
        Case(name="stride 2, padding 1, output_padding 1 (exact 2x upsampling)", args=(r(1, 3, 4, 5), r(3, 2, 3, 3)),
             kwargs={"stride": 2, "padding": 1, "output_padding": 1}),
        Case(name="output_padding without padding: a row and a column of bias", args=(r(1, 2, 3, 3), r(2, 2, 2, 2),
                                                                                       r(2)),
             kwargs={"stride": 2, "output_padding": 1},
             note="output_padding adds positions at the end (bottom rows, right columns); nothing lands there"),
        Case(name="output_padding in height only", args=(r(1, 2, 4, 4), r(2, 2, 3, 2)),
             kwargs={"stride": (2, 1), "output_padding": (1, 0), "padding": (1, 0)}),
        Case(name="output_padding below the dilation, stride 1", args=(r(1, 2, 4, 4), r(2, 2, 2, 3)),
             kwargs={"dilation": 2, "output_padding": 1}),
        Case(name="dilation 2", args=(r(2, 2, 4, 4), r(2, 3, 3, 3), r(3)), kwargs={"dilation": 2}),
        Case(name="stride, padding, output_padding, dilation as pairs", args=(r(1, 2, 4, 5), r(2, 2, 3, 2), r(2)),
             kwargs={"stride": (2, 3), "padding": (1, 2), "output_padding": (1, 0), "dilation": (1, 2)}),
        Case(name="groups=2, 4 in, 6 out", args=(r(2, 4, 4, 4), r(4, 3, 3, 3), r(6)), kwargs={"groups": 2,
                                                                                        "stride": 2}),
        Case(name="groups=2, 4 in, 4 out", args=(r(1, 4, 3, 4), r(4, 2, 2, 2)), kwargs={"groups": 2}),
        Case(name="depthwise: groups=3, 3 in, 6 out", args=(r(1, 3, 4, 4), r(3, 2, 3, 3)),
             kwargs={"groups": 3, "padding": 1}),
        Case(name="float64 bias with float32 input (torch converts it)", group="edge cases", args=(r(1, 2, 4, 4), r(2, 3, 3, 3),
                                                                              r(3, dtype="float64"))),
        Case(name="float64", group="edge cases", args=(r(2, 3, 4, 4, dtype="float64"), r(3, 2, 3, 3, dtype="float64"),
                                   r(2, dtype="float64")), kwargs={"stride": 2, "padding": 1}),
        Case(name="non-contiguous input", group="edge cases", args=(r(2, 3, 4, 5, contiguous=False), r(3, 2, 3, 3))),
        Case(name="non-contiguous weight", group="edge cases", args=(r(1, 2, 4, 4), r(2, 3, 2, 3, contiguous=False)),
             kwargs={"stride": 2}),
        Case(name="unbatched (C, H, W) input", group="edge cases", args=(r(2, 4, 4), r(2, 3, 3, 3), r(3)), kwargs={"stride": 2}),
        Case(name="a batch of zero samples", group="edge cases", args=(r(0, 2, 3, 3), r(2, 3, 2, 2)), kwargs={"stride": 2}),
        Case(name="stride as a 1-tuple, applied to both dims", group="edge cases", args=(r(1, 2, 3, 3), r(2, 2, 3, 3)),
             kwargs={"stride": (2,)}),
        Case(name="all arguments by position (groups comes before dilation)",
             args=(r(1, 2, 4, 4), r(2, 2, 3, 3), r(2), 1, 0, 1, 1, 2),
             note="torch's order is (input, weight, bias, stride, padding, output_padding, groups, dilation)"),
        Case(name="keeps autograd graph", args=(r(1, 2, 4, 4), r(2, 2, 3, 3), r(2)),
             kwargs={"stride": 2, "padding": 1}, requires_grad=True),
        _adjoint_case(r, "3 -> 2 channels, 3x3 kernel", (2, 3, 6, 6), (2, 3, 3, 3)),
        _adjoint_case(r, "stride 2, padding 1", (1, 2, 7, 6), (3, 2, 3, 3), stride=2, padding=1),
        _adjoint_case(r, "dilation 2, stride 3", (1, 2, 9, 8), (2, 2, 2, 3), "float64", stride=3, dilation=2),
        _adjoint_case(r, "groups 2, non-square kernel", (2, 4, 6, 5), (4, 2, 3, 2), stride=(2, 1), padding=(1, 0),
                      groups=2),
        _adjoint_case(r, "as many output as input channels", (1, 3, 5, 5), (3, 3, 2, 2), stride=2),
    ]
    cases += [_random_case(rng, 2, i) for i in range(24)]
    # The largest cases come last: a slow solution that runs out of time loses only them.
    largest = [
        Case(name="lecture: Conv2d(10, 20, 2) then ConvTranspose2d(20, 10, 2) gives 20x30 again",
             args=(r(1, 20, 19, 29), r(20, 10, 2, 2), r(10)), experiment=output_shape, expect=[1, 10, 20, 30],
             call="conv_transpose2d(input (1, 20, 19, 29), weight (20, 10, 2, 2), bias (10,)).shape",
             note="Conv2d(10, 20, 2) maps 1x10x20x30 to 1x20x19x29; the transposed conv with weight (20, 10, 2, 2) "
                  "maps it back to 1x10x20x30"),
        Case(name="derived: the values of that ConvTranspose2d(20, 10, 2)", args=(r(1, 20, 19, 29), r(20, 10, 2, 2),
                                                                                   r(10))),
    ]
    return cases + _probes(r, 2) + largest


def _matrix_oracle(weight, input_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The matrix of torch's transposed conv: column j is its output for the j-th basis vector."""
    basis = _basis(weight, input_size)
    columns = F.conv_transpose2d(basis, weight, None, stride, padding, output_padding, 1, dilation)
    return columns.reshape(basis.shape[0], -1).T


def _conv_matrix_transposed(weight: Random, input_size, stride=1, padding=0, output_padding=0, dilation=1):
    """H^T for H the matrix of conv2d with the same weight on an input of the transposed conv's output size:
    built with torch's conv2d, so that the check says "M is the transpose of the conv's matrix"."""
    w = weight.build("cpu").double()
    (h, wd), (s1, s2), (p1, p2), (o1, o2), (d1, d2) = (pairs(v, 2) for v in (input_size, stride, padding,
                                                                              output_padding, dilation))
    kh, kw = w.shape[2:]
    out = ((h - 1) * s1 - 2 * p1 + d1 * (kh - 1) + o1 + 1, (wd - 1) * s2 - 2 * p2 + d2 * (kw - 1) + o2 + 1)
    channels = w.shape[1]  # the conv's input channels: the transposed conv's output channels
    basis = torch.eye(channels * out[0] * out[1], dtype=torch.float64).reshape(-1, channels, *out)
    conv = F.conv2d(basis, w, None, stride, padding, dilation)  # (basis, C_in, h, wd)
    assert tuple(conv.shape[2:]) == (h, wd), "output_padding must be below the stride here"
    return conv.reshape(basis.shape[0], -1).tolist()  # row j of H^T: H's column j


def _matrix_cases(rng: random.Random) -> list[Case]:
    r = random_tensors(rng)
    lecture_kernel = Tensor(values=[[[[1, 2], [3, 4]]]])
    cases = [
        Case(name="derived: 2x2 input, 2x2 kernel: the transpose of the 4x9 matrix H",
             args=(lecture_kernel, (2, 2)), expect=[list(col) for col in zip(*LECTURE_H)],
             note="the lecture's H maps a 3x3 input to the 2x2 conv output; its transpose maps 2x2 to 3x3, "
                  "which is the transposed conv with the same kernel"),
        Case(name="derived: the same with input_size as an int", args=(lecture_kernel, 2),
             expect=[list(col) for col in zip(*LECTURE_H)]),
    ]
    for name, w_shape, size, kwargs in (
            ("2 -> 3 channels", (2, 3, 3, 3), (3, 3), {}),
            ("stride 2, padding 1, output_padding 1", (1, 2, 3, 3), (3, 2), {"stride": 2, "padding": 1,
                                                                             "output_padding": 1}),
            ("dilation 2, stride 3, non-square kernel", (2, 1, 2, 3), (2, 3), {"stride": 3, "dilation": 2}),
            ("stride (2, 1), padding (0, 1), output_padding (1, 0)", (1, 2, 2, 3), (3, 3),
             {"stride": (2, 1), "padding": (0, 1), "output_padding": (1, 0)})):
        weight = r(*w_shape)
        cases.append(Case(name=f"equals the transpose of conv2d's matrix: {name}", args=(weight, size), kwargs=kwargs,
                          expect=_conv_matrix_transposed(weight, size, **kwargs),
                          note="M must be H^T, H the matrix of conv2d(x, weight) with the same stride, padding and "
                               "dilation on an input of the transposed conv's output size"))
    cases += [
        Case(name="1x1 kernel, 3 -> 2 channels", group="edge cases", args=(r(3, 2, 1, 1), (2, 3))),
        Case(name="as many output as input channels", args=(r(2, 2, 2, 2), (3, 3)), kwargs={"stride": 2}),
        Case(name="output_padding below the dilation", args=(r(1, 2, 2, 2), (3, 2)),
             kwargs={"dilation": 2, "output_padding": 1}),
        Case(name="padding crops rows", args=(r(1, 1, 3, 3), (3, 3)), kwargs={"padding": 1}),
        Case(name="float64 weight", group="edge cases", args=(r(2, 2, 3, 2, dtype="float64"), (2, 3)), kwargs={"stride": 2}),
        Case(name="non-contiguous weight", group="edge cases", args=(r(2, 3, 2, 3, contiguous=False), (3, 2))),
        Case(name="keeps autograd graph (differentiable in the weight)", args=(r(2, 2, 2, 2), (2, 2)),
             kwargs={"stride": 2}, requires_grad=True),
    ]
    for i in range(20):
        stride, padding, output_padding, dilation, kernel, size = _random_config(rng, 2)
        size = [min(n, 4) for n in size]
        full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride, dilation, kernel)]
        padding = [min(p, (f - 1) // 2) for p, f in zip(padding, full)]
        kwargs = {"stride": _simple(rng, stride), "padding": _simple(rng, padding),
                  "output_padding": _simple(rng, output_padding), "dilation": _simple(rng, dilation)}
        kwargs = {k: v for k, v in kwargs.items() if v != 0 and v != 1 or rng.random() < 0.3}
        dtype = rng.choice(["float32", "float32", "float64"])
        cases.append(Case(name=f"random {i + 1}" + _settings(kwargs, 2),
                          args=(r(rng.randint(1, 3), rng.randint(1, 3), *kernel, dtype=dtype),
                                _simple(rng, size)), kwargs=kwargs, hidden=hidden(i)))
    w = r(1, 2, 3, 3)
    cases += [
        Case(name="invalid: output_padding equal to the stride", args=(w, (3, 3)),
             kwargs={"stride": 2, "output_padding": 2}, raises=True),
        Case(name="invalid: output_padding with stride 1 and dilation 1", args=(w, (3, 3)),
             kwargs={"output_padding": 1}, raises=True),
        Case(name="invalid: padding crops the whole output", args=(w, (1, 1)), kwargs={"padding": 2}, raises=True),
        Case(name="invalid: 3-D weight", args=(r(2, 3, 3), (3, 3)), raises=True),
        Case(name="invalid: stride 0", args=(w, (3, 3)), kwargs={"stride": 0}, raises=True),
    ]
    return cases


def _overlap_cases(rng: random.Random) -> list[Case]:
    cases = [
        Case(name="derived: checkerboard, 3x3 kernel with stride 2", args=(4, 3, 2), expect=CHECKERBOARD,
             note="with a kernel size that is not a multiple of the stride, interior pixels are covered 1, 2 or 4 "
                  "times: the checkerboard pattern of upsampling networks"),
        Case(name="derived: 2x2 kernel with stride 1 (the arange example's overlaps)", args=(4, 2, 1),
             expect=[[1, 2, 2, 2, 1], [2, 4, 4, 4, 2], [2, 4, 4, 4, 2], [2, 4, 4, 4, 2], [1, 2, 2, 2, 1]]),
        Case(name="kernel equal to the stride: every pixel once", args=(3, 2, 2), expect=[[1] * 6] * 6),
        Case(name="kernel twice the stride: uniform inside", args=(4, 4, 2)),
        Case(name="stride larger than the kernel: uncovered pixels", args=(3, 2, 3)),
        Case(name="1x1 input", group="edge cases", args=(1, 3, 2)),
        Case(name="pairs: 3x4 input, 3x2 kernel, stride (2, 1)", args=((3, 4), (3, 2), (2, 1))),
        Case(name="pairs given as lists", args=([2, 5], [2, 3], [1, 2])),
        Case(name="keyword arguments", args=(), kwargs={"input_size": (2, 3), "kernel_size": 3, "stride": (1, 2)}),
    ]
    for i in range(20):
        size = _simple(rng, [rng.randint(1, 6) for _ in range(2)])
        kernel = _simple(rng, [rng.randint(1, 5) for _ in range(2)])
        stride = _simple(rng, [rng.randint(1, 4) for _ in range(2)])
        cases.append(Case(name=f"random {i + 1}: input {size}, kernel {kernel}, stride {stride}",
                          args=(size, kernel, stride), hidden=hidden(i)))
    cases += [
        Case(name="invalid: stride 0", args=(4, 3, 0), raises=True),
        Case(name="invalid: kernel size 0", args=(4, (0, 3), 2), raises=True),
        Case(name="invalid: input size 0", args=((0, 3), 2, 1), raises=True),
    ]
    return cases


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Transposed convolution", module="transposed.py",
        tasks=(
            Task(name="conv_transpose1d", points=25, target="conv_transpose1d", forbidden=FORBIDDEN,
                 oracle=F.conv_transpose1d, variants=CONV_VARIANTS, reduction=_reduction,
                 cases=tuple(_conv_transpose1d_cases(rng))),
            Task(name="conv_transpose2d", points=40, target="conv_transpose2d", forbidden=FORBIDDEN,
                 oracle=F.conv_transpose2d, variants=CONV_VARIANTS, reduction=_reduction,
                 cases=tuple(_conv_transpose2d_cases(rng))),
            Task(name="conv_transpose2d_matrix", points=20, target="conv_transpose2d_matrix", forbidden=FORBIDDEN,
                 oracle=_matrix_oracle, variants=MATRIX_VARIANTS, cases=tuple(_matrix_cases(rng))),
            Task(name="overlap_count", points=15, target="overlap_count", forbidden=FORBIDDEN,
                 oracle=_overlap_oracle, variants=OVERLAP_VARIANTS, output_dtype="float32",
                 cases=tuple(_overlap_cases(rng))),
        ),
    )
