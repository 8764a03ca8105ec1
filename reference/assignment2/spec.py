"""Assignment 2, shape and size arithmetic: tasks, points, cases and known wrong formulas."""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from grader import kit
from grader.kit import hidden
from grader.spec import Assignment, Case, Model, Task, Variant

LENET = ("nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), "
         "nn.Conv2d(6, 16, 3), nn.ReLU(), nn.MaxPool2d(2))")
ALEXNET = ("nn.Sequential(nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2), "
           "nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2), "
           "nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(), "
           "nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(), "
           "nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), "
           "nn.Linear(4096, 1000))")
BIAS_FREE = "nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 2, bias=False))"
TRACE_MODELS = {
    "derived: LeNet-style 28x28": (LENET, (1, 1, 28, 28)),
    "lecture: AlexNet 227x227": (ALEXNET, (1, 3, 227, 227)),
    "transposed conv upsampling": ("nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.Tanh(), "
                                   "nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))", (2, 3, 15, 15)),
    "pooling with ceil_mode and padding": ("nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), "
                                           "nn.AvgPool2d(2, ceil_mode=True), nn.MaxPool2d(2, dilation=2))", (1, 2, 20, 17)),
    "non-square: pairs everywhere": ("nn.Sequential(nn.Conv2d(2, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)), "
                                     "nn.ReLU(), nn.AvgPool2d((2, 3), stride=(1, 2), padding=(1, 0)), nn.Dropout2d(0.3))",
                                     (3, 2, 16, 21)),
    "adaptive pooling, flatten, linear": ("nn.Sequential(nn.Conv2d(3, 16, 3), nn.AdaptiveAvgPool2d((2, None)), "
                                          "nn.Flatten(), nn.Linear(16 * 2 * 30, 10))", (4, 3, 32, 32)),
    "global pooling head": ("nn.Sequential(nn.Conv2d(1, 8, 5, padding='same'), nn.ReLU(), nn.AdaptiveAvgPool2d(1), "
                            "nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 3))", (2, 1, 9, 9)),
    "padding='same' with dilation, reflect padding": ("nn.Sequential(nn.Conv2d(2, 3, 3, padding='same', dilation=2), "
                                                      "nn.Conv2d(3, 3, 3, padding=1, padding_mode='reflect'))",
                                                      (1, 2, 12, 10)),
    "flatten from dim 2": ("nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(2), nn.Linear(36, 5))", (2, 1, 8, 8)),
    "strided transposed conv with dilation": ("nn.Sequential(nn.ConvTranspose2d(4, 2, (2, 3), stride=(3, 2), "
                                              "padding=(0, 1), output_padding=(2, 1), dilation=(1, 2)))", (1, 4, 5, 6)),
}

# The lecture's AlexNet table (001): the output of every layer and each layer's weights and biases.
ALEXNET_SHAPES = [(1, 96, 55, 55), (1, 96, 55, 55), (1, 96, 27, 27), (1, 256, 27, 27), (1, 256, 27, 27), (1, 256, 13, 13),
                  (1, 384, 13, 13), (1, 384, 13, 13), (1, 384, 13, 13), (1, 384, 13, 13), (1, 256, 13, 13),
                  (1, 256, 13, 13), (1, 256, 6, 6), (1, 256 * 6 * 6), (1, 4096), (1, 4096), (1, 4096), (1, 4096),
                  (1, 4096), (1, 4096), (1, 1000)]
ALEXNET_TABLE = [("0", 34848, 96), ("3", 614400, 256), ("6", 884736, 384), ("8", 1327104, 384), ("10", 884736, 256),
                 ("14", 37748736, 4096), ("17", 16777216, 4096), ("20", 4096000, 1000)]
# The layers of the lecture's code (000, 001), with the shapes its inputs get; the shapes are not printed there.
LECTURE_CONV = "nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))"
LECTURE_POOL = "nn.MaxPool2d((3, 2), stride=(2, 1))"
THREE_3X3 = ("nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.ReLU(), "
             "nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1, bias=False))")


# --- torch as the oracle ------------------------------------------------------------------

def _conv_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = F.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel_size), stride=stride, padding=padding,
                   dilation=dilation)
    return out.shape[-1]


def _pool_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    out = F.max_pool1d(torch.zeros(1, 1, size), kernel_size, stride, padding, dilation, ceil_mode)
    return out.shape[-1]


def _transpose_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    out = F.conv_transpose1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel_size), stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    return out.shape[-1]


def _same_padding(kernel_size, dilation=1):
    """Where torch's padding='same' puts its zeros: an impulse at tap 0 shifts the signal by `left`."""
    signal = torch.arange(1.0, 2 + dilation * kernel_size)[None, None]
    weight = torch.zeros(1, 1, kernel_size)
    weight[..., 0] = 1
    out = F.conv1d(signal, weight, padding="same", dilation=dilation)[0, 0]
    left = int((out == 0).sum())
    return left, dilation * (kernel_size - 1) - left


def _receptive_field(layers):
    """The span of input positions that reach one output through a chain of all-ones convs."""
    length = 1 + sum(d * (k - 1) * math.prod(s for _, s, _ in layers[:i]) for i, (k, _, d) in enumerate(layers))
    x = torch.ones(1, 1, length + 64, dtype=torch.float64, requires_grad=True)
    y = x
    for kernel, stride, dilation in layers:
        y = F.conv1d(y, torch.ones(1, 1, kernel, dtype=torch.float64), stride=stride, dilation=dilation)
    y[0, 0, 0].backward()
    reached = torch.nonzero(x.grad[0, 0]).flatten()
    return int(reached.max() - reached.min()) + 1


def _conv_parameters(in_channels, out_channels, kernel_size, groups=1, bias=True):
    layer = torch.nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bias, device="meta")
    return sum(p.numel() for p in layer.parameters())


def _trace(model, input_shape):
    """Run the model layer by layer. On CPU with uninitialised weights: the meta device would
    give the same shapes, but its kernels take over a second to load in each child."""
    for module in model.modules():
        module.__dict__.pop("forward", None)
        for tensors in (module._parameters, module._buffers):  # to_empty's way imports sympy: 0.2 s
            for name, tensor in tensors.items():
                if tensor is not None:
                    tensors[name] = type(tensor)(torch.empty(tensor.shape, dtype=tensor.dtype)) \
                        if isinstance(tensor, torch.nn.Parameter) else torch.empty(tensor.shape, dtype=tensor.dtype)
    model = model.eval()
    x, shapes = torch.zeros(input_shape), []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    return shapes


def _parameter_table(model):
    table: dict[str, list[int]] = {}
    for name, parameter in model.named_parameters():
        layer, _, kind = name.rpartition(".")
        row = table.setdefault(layer, [0, 0])
        row[kind == "bias"] += parameter.numel()
    return [(name, weights, biases) for name, (weights, biases) in table.items()]


# --- known wrong formulas -------------------------------------------------------------------

def _formula(function):
    """A variant that needs only the arguments, not the reference."""
    return lambda ref, *args, **kwargs: function(*args, **kwargs)


def _floor_or_ceil(rounding, size, kernel_size, stride=1, padding=0, dilation=1):
    return rounding((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


CONV_SIZE_VARIANTS = (
    Variant(code="output_size_ceil", hint="the size rounds down: use // (floor), not ceil",
            compute=_formula(lambda *a, **k: _floor_or_ceil(math.ceil, *a, **k))),
    Variant(code="dilation_ignored", hint="a dilated kernel spans dilation*(kernel_size-1)+1 inputs",
            compute=_formula(lambda size, k, stride=1, padding=0, dilation=1:
                             _floor_or_ceil(math.floor, size, k, stride, padding, 1))),
    Variant(code="padding_counted_once", hint="padding is added on both sides: 2*padding",
            compute=_formula(lambda size, k, stride=1, padding=0, dilation=1:
                             (size + padding - dilation * (k - 1) - 1) // stride + 1)),
    Variant(code="plus_one_missing", hint="count the first window too: ... // stride + 1",
            compute=_formula(lambda *a, **k: _floor_or_ceil(math.floor, *a, **k) - 1)),
)


def _pool_without_correction(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    stride = stride or kernel_size
    rounding = math.ceil if ceil_mode else math.floor
    return rounding((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


def _pool_stride_one(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _pool_without_correction(size, kernel_size, stride or 1, padding, dilation, ceil_mode)


def _pool_ceil_ignored(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _pool_without_correction(size, kernel_size, stride, padding, dilation)


POOL_SIZE_VARIANTS = (  # by name, as the student's function takes them: ceil_mode may come by position
    Variant(code="ceil_mode_no_last_window_rule",
            hint="with ceil_mode torch drops a last window that would start in the right padding",
            compute=_formula(_pool_without_correction)),
    Variant(code="stride_default_one", hint="stride=None means stride = kernel_size, not 1",
            compute=_formula(_pool_stride_one)),
    Variant(code="ceil_mode_ignored", hint="ceil_mode=True rounds the division up", compute=_formula(_pool_ceil_ignored)),
)

TRANSPOSE_VARIANTS = (
    Variant(code="output_padding_ignored", hint="output_padding is added once, on one side, to the result",
            compute=_formula(lambda size, k, stride=1, padding=0, output_padding=0, dilation=1:
                             (size - 1) * stride - 2 * padding + dilation * (k - 1) + 1)),
    Variant(code="output_padding_both_sides", hint="output_padding is added on one side only: + output_padding, not 2x",
            compute=_formula(lambda size, k, stride=1, padding=0, output_padding=0, dilation=1:
                             (size - 1) * stride - 2 * padding + dilation * (k - 1) + 2 * output_padding + 1)),
    Variant(code="dilation_ignored", hint="a dilated kernel spans dilation*(kernel_size-1)+1 outputs",
            compute=_formula(lambda size, k, stride=1, padding=0, output_padding=0, dilation=1:
                             (size - 1) * stride - 2 * padding + (k - 1) + output_padding + 1)),
    Variant(code="padding_added", hint="padding is cropped from a transposed conv's output (- 2*padding), not added",
            compute=_formula(lambda size, k, stride=1, padding=0, output_padding=0, dilation=1:
                             (size - 1) * stride + 2 * padding + dilation * (k - 1) + output_padding + 1)),
)


# --- cases ----------------------------------------------------------------------------------

def _size_cases(rng: random.Random, kind: str) -> list[Case]:
    cases = []
    for i in range(20):
        kernel, stride, dilation = rng.randint(1, 5), rng.randint(1, 4), rng.choice([1, 1, 2, 3])
        if kind == "conv":
            padding = rng.randint(0, 3)
            size = dilation * (kernel - 1) + 1 - 2 * padding + rng.randint(0, 12)
            kwargs = {"stride": stride, "padding": padding, "dilation": dilation}
        elif kind == "pool":
            padding = rng.randint(0, kernel // 2)
            size = max(1, dilation * (kernel - 1) + 1 - 2 * padding + rng.randint(0, 12))
            kwargs = {"stride": rng.choice([None, stride]), "padding": padding, "dilation": dilation,
                      "ceil_mode": rng.random() < 0.6}
        else:
            output_padding = rng.randint(0, max(stride, dilation) - 1)
            size = rng.randint(1, 12)
            grown = (size - 1) * stride + dilation * (kernel - 1) + output_padding + 1
            padding = rng.randint(0, min(2, (grown - 1) // 2))  # the output keeps at least one element
            kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding, "dilation": dilation}
        name = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        cases.append(Case(name=f"random {i + 1}: size={max(size, 1)}, k={kernel}, {name}",
                          args=(max(size, 1), kernel), kwargs=kwargs, hidden=hidden(i)))
    return cases


def _conv_output_cases(rng):
    return [
        Case(name="lecture: 28 -> 26 with a 3x3 kernel", args=(28, 3), expect=26),
        Case(name="derived: the lecture's Conv2d(16, 33, (3, 5), ...), height 50 -> 26", args=(50, 3),
             kwargs={"stride": 2, "padding": 4, "dilation": 3}, expect=26),
        Case(name="derived: the lecture's Conv2d(16, 33, (3, 5), ...), width 100 -> 100", args=(100, 5),
             kwargs={"stride": 1, "padding": 2, "dilation": 1}, expect=100),
        Case(name="AlexNet conv1: 227, k=11, stride 4", args=(227, 11), kwargs={"stride": 4}, expect=55),
        Case(name="padding keeps the size", args=(32, 3), kwargs={"padding": 1}, expect=32),
        Case(name="dilation 2", args=(10, 3), kwargs={"dilation": 2}, expect=6),
        Case(name="stride with a partial last window", args=(10, 3), kwargs={"stride": 3}, expect=3),
        Case(name="kernel as large as the input", group="edge cases", args=(7, 7), expect=1),
        *_size_cases(rng, "conv"),
        Case(name="invalid: kernel larger than the padded input", args=(3, 5), raises=True),
        Case(name="invalid: dilated kernel larger than the input", args=(6, 5, 4, 0, 2), raises=True),
        Case(name="invalid: stride 0", args=(8, 3), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: kernel_size 0", args=(8, 0), raises=True),
        Case(name="invalid: negative padding", args=(8, 3), kwargs={"padding": -1}, raises=True),
        Case(name="invalid: a float size", args=(8.0, 3), raises=True),
    ]


def _pool_output_cases(rng):
    return [
        Case(name="lecture: 26 -> 13 with 2x2 max pool", args=(26, 2), expect=13),
        Case(name="lecture: 11 -> 5 with 2x2 max pool", args=(11, 2), expect=5),
        Case(name="derived: the lecture's MaxPool2d((3, 2), stride=(2, 1)), height 50 -> 24", args=(50, 3, 2),
             expect=24),
        Case(name="derived: the lecture's MaxPool2d((3, 2), stride=(2, 1)), width 32 -> 31", args=(32, 2, 1),
             expect=31),
        Case(name="ceil_mode keeps the partial window", args=(11, 2), kwargs={"ceil_mode": True}, expect=6),
        Case(name="ceil_mode: last window would start in the padding",
             args=(6, 2), kwargs={"stride": 2, "padding": 1, "ceil_mode": True}, expect=4),
        Case(name="AlexNet pool: 55, k=3, stride 2", args=(55, 3, 2), expect=27),
        Case(name="dilation", args=(12, 3), kwargs={"stride": 1, "dilation": 2}, expect=8),
        Case(name="ceil_mode: window larger than the input", args=(3, 5, 4, 0, 1, True)),
        *_size_cases(rng, "pool"),
        Case(name="invalid: kernel_size 0", args=(8, 0), raises=True),
        Case(name="invalid: kernel larger than the input", args=(3, 5), raises=True),
        Case(name="invalid: padding more than half the kernel", args=(8, 3), kwargs={"padding": 2}, raises=True),
    ]


def _transpose_output_cases(rng):
    return [
        Case(name="lecture: 2x2 kernel restores the input size of a 2x2 conv, 29 -> 30", args=(29, 2), expect=30),
        Case(name="stride 2 doubles with output_padding 1", args=(8, 3),
             kwargs={"stride": 2, "padding": 1, "output_padding": 1}, expect=16),
        Case(name="lecture: 4x4 input, 2x2 kernel -> 5x5", args=(4, 2), expect=5),
        *_size_cases(rng, "transpose"),
        Case(name="invalid: stride 0", args=(4, 3), kwargs={"stride": 0}, raises=True),
        Case(name="invalid: kernel_size 0", args=(4, 0), raises=True),
        Case(name="invalid: output_padding not below stride or dilation", args=(4, 3),
             kwargs={"stride": 2, "output_padding": 2}, raises=True),
    ]


def _same_padding_cases(rng):
    cases = [Case(name=f"kernel {k}, dilation {d}", args=(k,), kwargs={"dilation": d})
             for k, d in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (3, 2), (4, 2), (4, 3), (6, 1), (7, 3)]]
    cases[3] = cases[3].model_copy(update={"expect": (1, 2)})
    cases.append(Case(name="invalid: kernel_size 0", args=(0,), raises=True))
    return cases


def _receptive_field_cases(rng):
    cases = [
        Case(name="lecture: two 3x3 convs see 5x5", args=([(3, 1, 1), (3, 1, 1)],), expect=5),
        Case(name="lecture: three 3x3 convs see 7x7 (VGG's cascade)", args=([(3, 1, 1)] * 3,), expect=7),
        Case(name="one 1x1 conv", args=([(1, 1, 1)],), expect=1),
        Case(name="conv then stride-2 pool then conv", args=([(3, 1, 1), (2, 2, 1), (3, 1, 1)],), expect=8),
        Case(name="dilated stack 1, 2, 4", args=([(3, 1, 1), (3, 1, 2), (3, 1, 4)],), expect=15),
    ]
    for i in range(8):
        layers = [(rng.randint(1, 5), rng.randint(1, 3), rng.choice([1, 1, 2])) for _ in range(rng.randint(1, 5))]
        cases.append(Case(name=f"random {i + 1}: {layers}", args=(layers,), hidden=hidden(i)))
    cases.append(Case(name="invalid: kernel_size 0", args=([(0, 1, 1)],), raises=True))
    return cases


def _parameter_cases(rng):
    cases = [
        Case(name="lecture: regular 3->16, 3x3, no bias", args=(3, 16, 3), kwargs={"bias": False}, expect=432),
        Case(name="lecture: depthwise 3x3 on 3 channels", args=(3, 3, 3), kwargs={"groups": 3, "bias": False},
             expect=27),
        Case(name="lecture: pointwise 3->16", args=(3, 16, 1), kwargs={"bias": False}, expect=48),
        Case(name="lecture: AlexNet conv1", args=(3, 96, 11), expect=34944),
        Case(name="derived: Conv2d(1, 10, 28) on 28x28 images is a linear layer", args=(1, 10, 28), expect=7850,
             note="the lecture's naive linear classifier: 10 filters as large as the image, 10 * 28 * 28 + 10 "
                  "parameters, as nn.Linear(28 * 28, 10)"),
        Case(name="derived: one 7x7 conv 64 -> 64 without bias has 49C^2 weights", args=(64, 64, 7), kwargs={"bias": False},
             expect=200704, note="three stacked 3x3 convolutions see as much with 27C^2 = 110,592 weights"),
        Case(name="non-square kernel", args=(4, 6, (3, 5))),
    ]
    for i in range(8):
        groups = rng.choice([1, 2, 4])
        args = (groups * rng.randint(1, 8), groups * rng.randint(1, 8), rng.choice([1, 3, 5, (1, 3), (5, 2)]))
        cases.append(Case(name=f"random {i + 1}", args=args, kwargs={"groups": groups, "bias": rng.random() < 0.5}, hidden=hidden(i)))
    cases.append(Case(name="invalid: groups do not divide the channels", args=(3, 4, 3), kwargs={"groups": 2},
                      raises=True))
    return cases


def _mult_add_cases(rng):
    return [
        Case(name="lecture: regular 3->16, 3x3 on 128x128", args=(3, 16, 3, 128), expect=7077888),
        Case(name="lecture: depthwise part", args=(3, 3, 3, 128), kwargs={"groups": 3}, expect=442368),
        Case(name="lecture: pointwise part", args=(3, 16, 1, 128), expect=786432),
        Case(name="non-square kernel and output", args=(4, 8, (3, 1), (10, 7)), expect=4 * 8 * 3 * 70),
        Case(name="groups=2", args=(8, 4, 3, 5), kwargs={"groups": 2}, expect=4 * 4 * 9 * 25),
        Case(name="invalid: groups do not divide the channels", args=(3, 4, 3, 8), kwargs={"groups": 2},
             raises=True),
    ]


def _trace_cases(rng):
    cases = [Case(name=name, args=(Model(code=code, runnable=False), shape))
             for name, (code, shape) in TRACE_MODELS.items()]
    cases[0] = cases[0].model_copy(update={"expect": [(1, 6, 26, 26), (1, 6, 26, 26), (1, 6, 13, 13),
                                                      (1, 16, 11, 11), (1, 16, 11, 11), (1, 16, 5, 5)]})
    cases[1] = cases[1].model_copy(update={"expect": ALEXNET_SHAPES})
    cases += [
        Case(name="lecture: Conv2d(1, 1, 3) then 2x2 max pool, twice, on 28x28",
             args=(Model(code="nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))",
                         runnable=False), (1, 1, 28, 28)),
             expect=[(1, 1, 26, 26), (1, 1, 13, 13), (1, 1, 11, 11), (1, 1, 5, 5)]),
        Case(name="derived: the lecture's Conv2d(16, 33, (3, 5), ...) on (20, 16, 50, 100)",
             args=(Model(code=f"nn.Sequential({LECTURE_CONV})", runnable=False), (20, 16, 50, 100)),
             expect=[(20, 33, 26, 100)]),
        Case(name="derived: the lecture's MaxPool2d((3, 2), stride=(2, 1)) on (20, 16, 50, 32)",
             args=(Model(code=f"nn.Sequential({LECTURE_POOL})", runnable=False), (20, 16, 50, 32)),
             expect=[(20, 16, 24, 31)]),
        Case(name="derived: Conv2d(1, 10, 28) then flatten, on one 28x28 image",
             args=(Model(code="nn.Sequential(nn.Conv2d(1, 10, 28), nn.Flatten())", runnable=False), (1, 1, 28, 28)),
             expect=[(1, 10, 1, 1), (1, 10)]),
        Case(name="invalid: conv expects 3 channels, gets 1", raises=True,
             args=(Model(code="nn.Sequential(nn.Conv2d(3, 4, 3))", runnable=False), (1, 1, 8, 8))),
        Case(name="invalid: linear expects 10 features, gets 8", raises=True,
             args=(Model(code="nn.Sequential(nn.Flatten(), nn.Linear(10, 2))", runnable=False), (1, 2, 2, 2))),
    ]
    for i in range(5):
        layers, channels, size = [], rng.randint(1, 3), rng.randint(16, 40)
        shape = (1, channels, size, size)
        for _ in range(rng.randint(2, 5)):
            out, k, stride = rng.randint(1, 6), rng.randint(1, 4), rng.randint(1, 2)
            kind = rng.choice(["conv", "pool", "relu", "transpose"] if size >= 2 * k else ["relu", "transpose"])
            if kind == "conv":
                layers.append(f"nn.Conv2d({channels}, {out}, {k}, stride={stride}, padding={k // 2})")
                channels, size = out, (size + 2 * (k // 2) - k) // stride + 1
            elif kind == "pool":
                layers.append(f"nn.MaxPool2d({k}, ceil_mode={rng.random() < 0.5})")
                size = -(-(size - k) // k) + 1
            elif kind == "transpose":
                layers.append(f"nn.ConvTranspose2d({channels}, {out}, {k}, stride=2)")
                channels, size = out, (size - 1) * 2 + k
            else:
                layers.append("nn.ReLU()")
        code = f"nn.Sequential({', '.join(layers)})"
        cases.append(Case(name=f"random {i + 1}", args=(Model(code=code, runnable=False), shape), hidden=hidden(i)))
    return cases


def _table_cases(rng):
    cases = [Case(name=name, args=(Model(code=code),)) for name, (code, _) in list(TRACE_MODELS.items())[:4]]
    cases[1] = cases[1].model_copy(update={"expect": ALEXNET_TABLE})
    return [
        *cases,
        Case(name="layers without bias", args=(Model(code=BIAS_FREE),), expect=[("0", 216, 0), ("1", 8, 8), ("3", 16, 0)]),
        Case(name="derived: three 3x3 convs 64 -> 64 without bias have 27C^2 weights", args=(Model(code=THREE_3X3),),
             expect=[("0", 36864, 0), ("2", 36864, 0), ("4", 36864, 0)],
             note="VGG's cascade: 3 * 9C^2 = 110,592 weights where one 7x7 convolution has 49C^2 = 200,704"),
    ]


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Shape and size arithmetic", module="shapes.py",
        tasks=(
            Task(name="conv_output_size", points=15, target="conv_output_size", oracle=_conv_size,
                 oracle_raises=False, variants=CONV_SIZE_VARIANTS, cases=tuple(_conv_output_cases(rng))),
            Task(name="pool_output_size", points=15, target="pool_output_size", oracle=_pool_size,
                 oracle_raises=False, variants=POOL_SIZE_VARIANTS, cases=tuple(_pool_output_cases(rng))),
            Task(name="conv_transpose_output_size", points=10, target="conv_transpose_output_size",
                 oracle=_transpose_size, oracle_raises=False, variants=TRANSPOSE_VARIANTS,
                 cases=tuple(_transpose_output_cases(rng))),
            Task(name="same_padding", points=10, target="same_padding", oracle=_same_padding, oracle_raises=False,
                 variants=(Variant(code="same_padding_wrong_side", compute=lambda ref, *a, **k: ref.same_padding(*a, **k)[::-1],
                                   hint="torch puts the extra zero on the right: (total // 2, total - total // 2)"),),
                 cases=tuple(_same_padding_cases(rng))),
            Task(name="receptive_field", points=10, target="receptive_field", oracle=_receptive_field,
                 oracle_raises=False, cases=tuple(_receptive_field_cases(rng)),
                 variants=(Variant(code="stride_ignored", hint="a layer after a stride-s layer sees s times further",
                                   compute=_formula(lambda layers: 1 + sum(d * (k - 1) for k, _, d in layers))),
                           Variant(code="dilation_ignored", hint="a dilated kernel spans dilation*(k-1)+1 inputs",
                                   compute=_formula(lambda layers: 1 + sum(
                                       (k - 1) * math.prod(s for _, s, _ in layers[:i])
                                       for i, (k, _, _) in enumerate(layers)))))),
            Task(name="conv_parameters", points=10, target="conv_parameters", oracle=_conv_parameters,
                 oracle_raises=False, cases=tuple(_parameter_cases(rng)),
                 variants=(Variant(code="groups_ignored", hint="each filter sees only in_channels // groups channels",
                                   compute=lambda ref, i, o, k, groups=1, bias=True: ref.conv_parameters(i, o, k, 1, bias)),)),
            Task(name="conv_mult_adds", points=10, target="conv_mult_adds", cases=tuple(_mult_add_cases(rng)),
                 variants=(Variant(code="groups_ignored", hint="each output sums over in_channels // groups channels",
                                   compute=lambda ref, i, o, k, size, groups=1: ref.conv_mult_adds(i, o, k, size)),)),
            Task(name="trace_shapes", points=15, target="trace_shapes", oracle=_trace, oracle_raises=False,
                 cases=tuple(_trace_cases(rng))),
            Task(name="parameter_table", points=5, target="parameter_table", oracle=_parameter_table,
                 oracle_raises=False,
                 cases=tuple(_table_cases(rng))),
        ),
    )
