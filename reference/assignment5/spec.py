"""Assignment 5, network blocks: tasks, points, cases and known wrong answers."""
from __future__ import annotations

import math
import random
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from grader import kit
from grader.experiments import (dropout2d_law, dropout_runs, module_forward, parameter_count, training_steps,
                                with_inputs_moved)
from grader.kit import NotApplicable, hidden
from grader.spec import Assignment, Case, Random, Task, Tensor, Variant, load_checks

checks = load_checks(__file__)

# Every dropout and normalisation routine of torch, and the doors behind them.
_DOORS = ("torch", "torch.nn.functional", "torch.ops.aten", "torch._C._VariableFunctions", "torch._C._nn",
          "torch._VF", "torch._VF.vf")
DROPOUT_FORBIDDEN = (*(f"{door}.*dropout*" for door in _DOORS), "torch.nn.*Dropout*", "torch.nn.modules.dropout")
BATCHNORM_FORBIDDEN = (*(f"{door}.*{kind}_norm*" for door in _DOORS for kind in ("batch", "instance", "group", "layer")),
                       "torch.nn.*Norm*", "torch.nn.modules.batchnorm", "torch.nn.modules.instancenorm",
                       "torch.nn.modules.normalization")

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
INCEPTION_3A = checks.INCEPTION_3A


# --- experiments for the lecture's numbers ---------------------------------------------------

# --- known wrong answers: each builds the reference module and changes one thing -------------

def _forward(build: Callable[[Any], type], forward: Callable[[nn.Module, torch.Tensor], Any]):
    """A variant: the reference class `build(ref)`, its forward replaced by `forward(module, x)`."""
    def compute(ref, *args, **kwargs):
        module = build(ref)(*args, **kwargs)
        module.forward = lambda x: forward(module, x)
        return module
    return compute


def _shortcut(block, x):
    return x if block.downsample is None else block.downsample(x)


def _restride(name: str, moves: Callable[[nn.Module, int], None]):
    """A variant: the reference block with its stride moved to another convolution."""
    def compute(ref, *args, **kwargs):
        block = getattr(ref, name)(*args, **kwargs)
        if block.stride == 1:
            raise NotApplicable("no stride: both places agree")
        moves(block, block.stride)
        return block
    return compute


def _basic_without_final_relu(block, x):
    return block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x))))) + _shortcut(block, x)


def _basic_relu_before_add(block, x):
    out = F.relu(block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x))))))
    return F.relu(out + _shortcut(block, x))


def _basic_relu_before_bn(block, x):
    out = block.bn1(F.relu(block.conv1(x)))
    return F.relu(block.bn2(block.conv2(out)) + _shortcut(block, x))


def _basic_no_shortcut(block, x):
    return F.relu(block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x))))))


def _bottleneck_branch(block, x):
    out = F.relu(block.bn1(block.conv1(x)))
    out = F.relu(block.bn2(block.conv2(out)))
    return block.bn3(block.conv3(out))


def _bottleneck_without_final_relu(block, x):
    return _bottleneck_branch(block, x) + _shortcut(block, x)


def _bottleneck_relu_before_add(block, x):
    return F.relu(F.relu(_bottleneck_branch(block, x)) + _shortcut(block, x))


def _se_weights(block, x, squeeze=lambda x: x.mean((2, 3))):
    return block.fc(squeeze(x)).view(*x.shape[:2], 1, 1)


def _se_max_squeeze(block, x):
    return x * _se_weights(block, x, squeeze=lambda x: x.amax((2, 3)))


def _se_softmax(block, x):
    hidden = block.fc[2](block.fc[1](block.fc[0](x.mean((2, 3)))))
    return x * hidden.softmax(dim=1).view(*x.shape[:2], 1, 1)


def _se_weights_only(block, x):
    return _se_weights(block, x).expand_as(x)


def _se_with_biases(ref, channel, reduction=16):
    block = ref.SELayer(channel, reduction)
    block.fc[0] = nn.Linear(channel, channel // reduction)
    block.fc[2] = nn.Linear(channel // reduction, channel)
    return block


def _inception_no_reduction_relu(block, x):
    return torch.cat([F.relu(block.conv1(x)), F.relu(block.conv3_3(block.conv3_1(x))),
                      F.relu(block.conv5_5(block.conv5_1(x))), F.relu(block.conv_max_1(block.max_pool_1(x)))], 1)


def _inception_branch_order(order: tuple[int, ...]):
    """A forward: the reference's output with its branches (1x1, 3x3, 5x5, pool) concatenated in `order`."""
    def forward(block, x):
        sizes = [block.conv1.out_channels, block.conv3_3.out_channels, block.conv5_5.out_channels,
                 block.conv_max_1.out_channels]
        branches = type(block).forward(block, x).split(sizes, dim=1)
        return torch.cat([branches[i] for i in order], 1)
    return forward


def _lenet_softmax_dim0(net, x):
    logits = net.classifier(torch.flatten(net.feature_extractor(x), 1))
    return logits, F.softmax(logits, dim=0)


def _lenet_outputs_swapped(net, x):
    logits = net.classifier(torch.flatten(net.feature_extractor(x), 1))
    return F.softmax(logits, dim=1), logits


def _se_without_relu(block, x):
    weights = block.fc[3](block.fc[2](block.fc[0](x.mean((2, 3)))))
    return x * weights.view(*x.shape[:2], 1, 1)


def _lenet_swapped(old: type, new: Callable[[], nn.Module]):
    """A variant: LeNet5 with every `old` layer (no parameters) replaced by `new()`."""
    def compute(ref, *args, **kwargs):
        net = ref.LeNet5(*args, **kwargs)
        for sequential in (net.feature_extractor, net.classifier):
            for index, layer in enumerate(sequential):
                if isinstance(layer, old):
                    sequential[index] = new()
        return net
    return compute


def _vgg_unpadded(ref, cfg, batch_norm=False):
    layers = ref.make_vgg_layers(cfg, batch_norm)
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            layer.padding = (0, 0)
    return layers


def _depthwise_groups_missing(ref, nin, nout, kernel_size=3, padding=1):
    block = ref.DepthwiseSeparableConv(nin, nout, kernel_size, padding)
    if nin == 1:
        raise NotApplicable("one channel: groups make no difference")
    block.depthwise = nn.Conv2d(nin, nin, kernel_size, padding=padding)
    return block


class _WrongBatchNorm(nn.Module):
    """BatchNorm2d with one known mistake, for the batchnorm2d variants."""

    def __init__(self, mistake: str, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        self.mistake, self.eps, self.momentum = mistake, eps, momentum
        if mistake == "affine_as_buffers":
            self.register_buffer("weight", torch.ones(num_features))
            self.register_buffer("bias", torch.zeros(num_features))
        else:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def _statistics(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mean, biased var) shaped to broadcast over x, and per channel for the running stats."""
        dims = {"per_position": (0,), "per_sample": (2, 3)}.get(self.mistake, (0, 2, 3))
        mean = x.mean(dims, keepdim=True)
        var = (x - mean).square().mean(dims, keepdim=True)
        per_channel = lambda t: t.expand_as(x).mean((0, 2, 3))  # noqa: E731
        return mean, var, per_channel(mean), per_channel(var)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1, 1, 1)
        if self.training or self.mistake == "eval_uses_batch_stats":
            mean, var, channel_mean, channel_var = self._statistics(x)
            n = x.numel() // x.shape[1]
            if self.mistake == "unbiased_normalisation":
                var = var * n / (n - 1)
            if self.training and self.mistake != "running_stats_not_updated":
                with torch.no_grad():
                    self.num_batches_tracked += 1
                    f = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                    if self.mistake == "momentum_inverted":
                        f = 1 - f
                    unbiased = 1.0 if self.mistake == "running_var_biased" else n / (n - 1)
                    self.running_mean.mul_(1 - f).add_(f * channel_mean)
                    self.running_var.mul_(1 - f).add_(f * channel_var * unbiased)
        else:
            mean, var = self.running_mean.view(shape), self.running_var.view(shape)
        if self.mistake == "eps_outside_sqrt":
            normalised = (x - mean) / (var.sqrt() + self.eps)
        else:
            normalised = (x - mean) / (var + self.eps).sqrt()
        return normalised * self.weight.view(shape) + self.bias.view(shape)


def _wrong_batchnorm(mistake: str):
    return lambda ref, *args, **kwargs: _WrongBatchNorm(mistake, *args, **kwargs)


DEPTHWISE_VARIANTS = (
    Variant(code="groups_missing", compute=_depthwise_groups_missing,
            hint="`depthwise` needs groups=nin: one k x k filter per input channel, weight shape (nin, 1, k, k)"),
)

RESIDUAL_HINTS = {
    "relu_after_add_missing": "the block ends with a ReLU applied after adding the shortcut",
    "relu_before_add": "no ReLU between the last BatchNorm and the addition: add the shortcut first, then ReLU",
    "shortcut_missing": "the shortcut (x, or downsample(x)) must be added to the branch's output before the last ReLU",
}

BASIC_VARIANTS = (
    Variant(code="stride_on_wrong_conv", hint="the stride belongs to conv1, the first 3x3 convolution; conv2 has stride 1",
            compute=_restride("BasicBlock", lambda b, s: (setattr(b.conv1, "stride", (1, 1)),
                                                          setattr(b.conv2, "stride", (s, s))))),
    Variant(code="relu_after_add_missing", hint=RESIDUAL_HINTS["relu_after_add_missing"],
            compute=_forward(lambda ref: ref.BasicBlock, _basic_without_final_relu)),
    Variant(code="relu_before_add", hint=RESIDUAL_HINTS["relu_before_add"],
            compute=_forward(lambda ref: ref.BasicBlock, _basic_relu_before_add)),
    Variant(code="relu_before_bn", hint="the order is conv - BatchNorm - ReLU: normalise before the activation",
            compute=_forward(lambda ref: ref.BasicBlock, _basic_relu_before_bn)),
    Variant(code="shortcut_missing", hint=RESIDUAL_HINTS["shortcut_missing"],
            compute=_forward(lambda ref: ref.BasicBlock, _basic_no_shortcut)),
)

BOTTLENECK_VARIANTS = (
    Variant(code="stride_on_first_conv",
            hint="the stride belongs to the 3x3 convolution conv2 (torchvision's v1.5), not to the first 1x1 "
                 "convolution as in the original paper",
            compute=_restride("Bottleneck", lambda b, s: (setattr(b.conv1, "stride", (s, s)),
                                                          setattr(b.conv2, "stride", (1, 1))))),
    Variant(code="relu_after_add_missing", hint=RESIDUAL_HINTS["relu_after_add_missing"],
            compute=_forward(lambda ref: ref.Bottleneck, _bottleneck_without_final_relu)),
    Variant(code="relu_before_add", hint=RESIDUAL_HINTS["relu_before_add"],
            compute=_forward(lambda ref: ref.Bottleneck, _bottleneck_relu_before_add)),
)

SE_VARIANTS = (
    Variant(code="squeeze_not_average", hint="the squeeze is the average over H x W (AdaptiveAvgPool2d(1)), not the maximum",
            compute=_forward(lambda ref: ref.SELayer, _se_max_squeeze)),
    Variant(code="softmax_instead_of_sigmoid",
            hint="the excitation ends with a sigmoid: each channel gets its own weight in (0, 1), they need not sum to 1",
            compute=_forward(lambda ref: ref.SELayer, _se_softmax)),
    Variant(code="scale_missing", hint="this is the channel weights alone: the output is the input multiplied by them",
            compute=_forward(lambda ref: ref.SELayer, _se_weights_only)),
    Variant(code="fc_with_bias", hint="the two Linear layers of the excitation have no biases (bias=False)",
            compute=_se_with_biases),
    Variant(code="relu_missing", hint="the excitation is Linear, ReLU, Linear, Sigmoid: the ReLU is missing",
            compute=_forward(lambda ref: ref.SELayer, _se_without_relu)),
)

INCEPTION_VARIANTS = (
    Variant(code="reduction_relu_missing", hint="a ReLU follows every convolution, the 1x1 reductions conv3_1 and "
                                                "conv5_1 included",
            compute=_forward(lambda ref: ref.InceptionBlock, _inception_no_reduction_relu)),
    *(Variant(code="inception_branch_order", hint="the four branches are concatenated along the channels in the "
                                                  "order 1x1, 3x3, 5x5, pool",
              compute=_forward(lambda ref: ref.InceptionBlock, _inception_branch_order(order)))
      for order in ((3, 2, 1, 0), (3, 0, 1, 2), (1, 2, 3, 0), (0, 2, 1, 3))),  # reversed, pool first or last, 5x5 before 3x3
)

LENET_VARIANTS = (
    Variant(code="softmax_wrong_dim", hint="softmax over the classes, dim=1: each row of probs sums to 1",
            compute=_forward(lambda ref: ref.LeNet5, _lenet_softmax_dim0)),
    Variant(code="relu_instead_of_tanh", hint="the lecture's LeNet-5 uses tanh activations, not ReLU",
            compute=_lenet_swapped(nn.Tanh, nn.ReLU)),
    Variant(code="max_pool_instead_of_avg", hint="LeNet-5 subsamples with average pooling (AvgPool2d(2)), not max pooling",
            compute=_lenet_swapped(nn.AvgPool2d, lambda: nn.MaxPool2d(2))),
    Variant(code="outputs_swapped", hint="forward returns (logits, probs), in that order",
            compute=_forward(lambda ref: ref.LeNet5, _lenet_outputs_swapped)),
)

VGG_VARIANTS = (
    Variant(code="conv_padding_missing", by_shape=True, compute=_vgg_unpadded,
            hint="VGG's 3x3 convolutions have padding=1, so that they keep the height and width"),
)

BATCHNORM_VARIANTS = (
    Variant(code="batchnorm_wrong_axes", compute=_wrong_batchnorm("per_position"),
            hint="the statistics were taken over the batch only, separately for every pixel; BatchNorm2d takes one "
                 "mean and variance per channel, over the batch and all positions: dims (0, 2, 3)"),
    Variant(code="batchnorm_wrong_axes", compute=_wrong_batchnorm("per_sample"),
            hint="the statistics were taken per sample (that is instance normalisation); BatchNorm2d takes them per "
                 "channel over the batch and all positions: dims (0, 2, 3)"),
    Variant(code="unbiased_normalisation", compute=_wrong_batchnorm("unbiased_normalisation"),
            hint="the output is normalised with the unbiased variance; use the biased one (divide by n, as "
                 "x.var(unbiased=False)) - only running_var gets the unbiased estimate"),
    Variant(code="eps_outside_sqrt", compute=_wrong_batchnorm("eps_outside_sqrt"),
            hint="eps goes inside the square root: (x - mean) / sqrt(var + eps)"),
    Variant(code="running_var_biased", compute=_wrong_batchnorm("running_var_biased"),
            hint="running_var is updated with the unbiased variance, var * n / (n - 1) with n = N*H*W"),
    Variant(code="momentum_inverted", compute=_wrong_batchnorm("momentum_inverted"),
            hint="momentum is the weight of the NEW batch: running = (1 - momentum) * running + momentum * batch"),
    Variant(code="running_stats_not_updated", compute=_wrong_batchnorm("running_stats_not_updated"),
            hint="each training step must update running_mean, running_var and num_batches_tracked (in place, "
                 "without gradients)"),
    Variant(code="eval_uses_batch_stats", compute=_wrong_batchnorm("eval_uses_batch_stats"),
            hint="in eval mode normalise with running_mean and running_var, not with the batch's statistics"),
    Variant(code="affine_as_buffers", compute=_wrong_batchnorm("affine_as_buffers"),
            hint="weight and bias must be nn.Parameters (trained), not buffers"),
)


# --- cases -------------------------------------------------------------------------------------

def _signature(name: str, args: tuple, kwargs: dict) -> str:
    return f"{name}({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])})"


class _Cases:
    """Builds a task's cases with seeds drawn from the assignment's random stream."""

    def __init__(self, rng: random.Random, target: str):
        self.rng, self.target = rng, target

    def seed(self) -> int:
        return self.rng.randrange(2**31)

    def forward(self, name: str, args: tuple, kwargs: dict | None, shape: tuple[int, ...], *,
                dtype: str = "float32", train: bool = True, terms: int = 1, hidden: bool = False) -> Case:
        """The block built with shared weights, run on one input, in train or eval mode."""
        kwargs = kwargs or {}
        mode = "train" if train else "eval"
        return Case(name=name, args=(Random(shape=shape, seed=self.seed(), dtype=dtype),),
                    experiment=module_forward(args, kwargs, train=train, seed=self.seed()),
                    call=f"{_signature(self.target, args, kwargs)} in {mode} mode on input {shape} {dtype}",
                    terms=terms, hidden=hidden)

    def count(self, name: str, experiment: Callable[..., Any], expect: Any, call: str) -> Case:
        return Case(name=name, experiment=experiment, expect=expect, call=call)


def _conv_terms(shape: tuple[int, ...], *fan_ins: int) -> int:
    """Tolerance terms: every conv's fan-in, and the positions a weight's gradient sums over."""
    return sum(fan_ins) + math.prod(shape) // shape[1]


BATCHNORM_BACKWARD = 10  # a BatchNorm's backward in train mode cancels terms: gradients of small batches lose digits


def _depthwise_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "DepthwiseSeparableConv")
    cases = [
        c.count("lecture: 3 -> 16 has 75 weights (432 for a full 3x3 conv)", checks.depthwise_weights, 75,
                "weights of DepthwiseSeparableConv(3, 16), biases not counted"),
        c.count("derived: 3 -> 16, biases included", parameter_count(3, 16), 94, "parameters of DepthwiseSeparableConv(3, 16)"),
        c.forward("lecture's 3 -> 16", (3, 16), {}, (2, 3, 8, 8), terms=_conv_terms((2, 3, 8, 8), 9, 3)),
        c.forward("float64, 5x5 kernel", (4, 6), {"kernel_size": 5, "padding": 2}, (2, 4, 7, 6), dtype="float64",
                  terms=_conv_terms((2, 4, 7, 6), 25, 4)),
        c.forward("no padding: the map shrinks", (6, 3), {"kernel_size": 3, "padding": 0}, (1, 6, 6, 6),
                  terms=_conv_terms((1, 6, 6, 6), 9, 6)),
        c.forward("1x1 depthwise kernel", (2, 5), {"kernel_size": 1, "padding": 0}, (3, 2, 4, 4), dtype="float64",
                  terms=_conv_terms((3, 2, 4, 4), 1, 2)),
        c.forward("eval mode", (4, 4), {}, (2, 4, 5, 5), train=False, terms=_conv_terms((2, 4, 5, 5), 9, 4)),
    ]
    for i in range(4):
        nin, nout, k = rng.randint(1, 6), rng.randint(1, 8), rng.choice([1, 3, 5])
        padding = rng.choice([0, k // 2])
        shape = (rng.randint(1, 3), nin, rng.randint(k, 8), rng.randint(k, 8))
        cases.append(c.forward(f"random {i + 1}", (nin, nout), {"kernel_size": k, "padding": padding}, shape,
                               dtype=rng.choice(["float32", "float64"]), terms=_conv_terms(shape, k * k, nin), hidden=hidden(i)))
    return cases


def _basic_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "BasicBlock")
    t = lambda shape, inplanes, planes: BATCHNORM_BACKWARD * _conv_terms(shape, 9 * inplanes, 9 * planes,  # noqa: E731
                                                                        inplanes)
    cases = [
        c.count("BasicBlock(64, 64) has 73,984 parameters", parameter_count(64, 64), 73984, "parameters of BasicBlock(64, 64)"),
        c.forward("identity shortcut", (4, 4), {}, (2, 4, 6, 6), terms=t((2, 4, 6, 6), 4, 4)),
        c.forward("identity shortcut, eval, float64", (4, 4), {}, (2, 4, 6, 6), dtype="float64", train=False,
                  terms=t((2, 4, 6, 6), 4, 4)),
        c.forward("more channels: downsample, stride 1", (4, 8), {}, (2, 4, 5, 5), dtype="float64",
                  terms=t((2, 4, 5, 5), 4, 8)),
        c.forward("stride 2 and more channels, odd size", (4, 8), {"stride": 2}, (2, 4, 7, 7),
                  terms=t((2, 4, 7, 7), 4, 8)),
        c.forward("stride 2 alone needs a downsample, eval", (6, 6), {"stride": 2}, (2, 6, 6, 6), dtype="float64",
                  train=False, terms=t((2, 6, 6, 6), 6, 6)),
        c.forward("fewer channels", (8, 4), {}, (3, 8, 4, 4), terms=t((3, 8, 4, 4), 8, 4)),
        # ResNet's 64 -> 128 transition at a quarter of the width: the same layout, a sixteenth of the work.
        c.forward("ResNet's transition, stride 2", (16, 32), {"stride": 2}, (2, 16, 8, 8), dtype="float64",
                  terms=t((2, 16, 8, 8), 16, 32)),
        c.forward("ResNet's transition, stride 2, eval", (16, 32), {"stride": 2}, (2, 16, 8, 8), train=False,
                  terms=t((2, 16, 8, 8), 16, 32)),
    ]
    for i in range(4):
        inplanes, planes, stride = rng.randint(1, 8), rng.randint(1, 8), rng.choice([1, 1, 2])
        shape = (rng.randint(2, 3), inplanes, rng.randint(3, 7), rng.randint(3, 7))
        cases.append(c.forward(f"random {i + 1}", (inplanes, planes), {"stride": stride} if stride != 1 else {},
                               shape, dtype=rng.choice(["float32", "float64"]), train=rng.random() < 0.7,
                               terms=t(shape, inplanes, planes), hidden=hidden(i)))
    return cases


def _bottleneck_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "Bottleneck")
    t = lambda shape, inplanes, planes: BATCHNORM_BACKWARD * _conv_terms(shape, inplanes, 9 * planes,  # noqa: E731
                                                                        planes, inplanes)
    cases = [
        c.count("Bottleneck(256, 64) has 70,400 parameters", parameter_count(256, 64), 70400,
                "parameters of Bottleneck(256, 64)"),
        c.count("lecture: ResNet-152's blocks (3, 8, 36, 3) give 152 layers", checks.resnet152_layers, 152,
                "ResNet-152 from Bottleneck blocks as in the lecture's table (3, 8, 36 and 3 blocks): the 7x7 "
                "convolution, the convolutions of the blocks (downsample shortcuts not counted) and the fc"),
        c.forward("identity shortcut (inplanes = 4 * planes)", (16, 4), {}, (2, 16, 5, 5), terms=t((2, 16, 5, 5), 16, 4)),
        c.forward("identity shortcut, eval, float64", (16, 4), {}, (2, 16, 5, 5), dtype="float64", train=False,
                  terms=t((2, 16, 5, 5), 16, 4)),
        c.forward("channels change: downsample, stride 1", (8, 4), {}, (2, 8, 4, 4), dtype="float64",
                  terms=t((2, 8, 4, 4), 8, 4)),
        c.forward("stride 2, odd size", (8, 2), {"stride": 2}, (2, 8, 7, 7), terms=t((2, 8, 7, 7), 8, 2)),
        c.forward("stride 2, float64", (8, 2), {"stride": 2}, (2, 8, 6, 5), dtype="float64", terms=t((2, 8, 6, 5), 8, 2)),
        c.forward("stride 2 alone needs a downsample, eval", (16, 4), {"stride": 2}, (2, 16, 6, 6), train=False,
                  terms=t((2, 16, 6, 6), 16, 4)),
        c.forward("ResNet-50's first block 64 -> 256", (64, 64), {}, (2, 64, 4, 4), dtype="float64",
                  terms=t((2, 64, 4, 4), 64, 64)),
    ]
    for i in range(4):
        planes, stride = rng.randint(2, 4), rng.choice([1, 1, 2])  # planes=1: bn3 cancels gradients to ~0
        inplanes = rng.choice([4 * planes, rng.randint(1, 12)])
        shape = (rng.randint(2, 3), inplanes, rng.randint(3, 7), rng.randint(3, 7))
        cases.append(c.forward(f"random {i + 1}", (inplanes, planes), {"stride": stride} if stride != 1 else {},
                               shape, dtype=rng.choice(["float32", "float64"]), train=rng.random() < 0.7,
                               terms=t(shape, inplanes, planes), hidden=hidden(i)))
    return cases


def _se_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "SELayer")
    t = lambda shape, channel: channel + math.prod(shape[2:]) * shape[0]  # noqa: E731
    cases = [
        c.count("derived: C=64, r=16 has 512 parameters", parameter_count(64, 16), 512, "parameters of SELayer(64, 16)"),
        c.forward("derived: C=64, default reduction", (64,), {}, (2, 64, 3, 3), terms=t((2, 64, 3, 3), 64)),
        c.forward("C=64, eval, float64", (64,), {}, (2, 64, 3, 3), dtype="float64", train=False,
                  terms=t((2, 64, 3, 3), 64)),
        c.forward("reduction 2, non-square maps", (8, 2), {}, (3, 8, 5, 4), dtype="float64", terms=t((3, 8, 5, 4), 8)),
        c.forward("1x1 maps", (12, 4), {}, (2, 12, 1, 1), terms=t((2, 12, 1, 1), 12)),
        c.forward("reduction keyword", (6,), {"reduction": 3}, (1, 6, 4, 4), terms=t((1, 6, 4, 4), 6)),
    ]
    for i in range(3):
        reduction = rng.choice([1, 2, 4])
        channel = reduction * rng.randint(1, 6)
        shape = (rng.randint(1, 3), channel, rng.randint(1, 6), rng.randint(1, 6))
        cases.append(c.forward(f"random {i + 1}", (channel, reduction), {}, shape,
                               dtype=rng.choice(["float32", "float64"]), terms=t(shape, channel), hidden=hidden(i)))
    return cases


def _inception_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "InceptionBlock")
    t = lambda shape, config: _conv_terms(shape, 9 * config[1][0], 25 * config[2][0], 3 * shape[1])  # noqa: E731
    small = [[2], [3, 4], [2, 3], [3, 2]]
    cases = [
        c.count("Inception 3a: 192 -> 256 channels", checks.inception_3a_shape, (1, 256, 4, 4),
                "InceptionBlock(192, [[64], [96, 128], [16, 32], [3, 32]]) on input (1, 192, 4, 4): output shape"),
        c.count("Inception 3a has 163,696 parameters", parameter_count(192, INCEPTION_3A), 163696,
                "parameters of InceptionBlock(192, [[64], [96, 128], [16, 32], [3, 32]])"),
        c.forward("small block", (4, small), {}, (2, 4, 6, 6), terms=t((2, 4, 6, 6), small)),
        c.forward("small block, eval, float64", (4, small), {}, (2, 4, 6, 6), dtype="float64", train=False,
                  terms=t((2, 4, 6, 6), small)),
        c.forward("pool kernel 5", (3, [[1], [2, 2], [1, 2], [5, 3]]), {}, (2, 3, 5, 7), dtype="float64",
                  terms=t((2, 3, 5, 7), [[1], [2, 2], [1, 2], [5, 3]])),
        c.forward("pool kernel 1", (5, [[3], [2, 1], [3, 1], [1, 2]]), {}, (1, 5, 4, 4),
                  terms=t((1, 5, 4, 4), [[3], [2, 1], [3, 1], [1, 2]])),
        c.forward("2x2 maps", (6, [[4], [3, 5], [2, 2], [3, 1]]), {}, (3, 6, 2, 2), dtype="float64",
                  terms=t((3, 6, 2, 2), [[4], [3, 5], [2, 2], [3, 1]])),
    ]
    for i in range(4):
        config = [[rng.randint(1, 4)], [rng.randint(1, 4), rng.randint(1, 4)], [rng.randint(1, 3), rng.randint(1, 4)],
                  [rng.choice([3, 3, 5]), rng.randint(1, 3)]]
        shape = (rng.randint(1, 3), rng.randint(1, 6), rng.randint(2, 7), rng.randint(2, 7))
        cases.append(c.forward(f"random {i + 1}", (shape[1], config), {}, shape, dtype=rng.choice(["float32", "float64"]),
                               terms=t(shape, config), hidden=hidden(i)))
    return cases


def _lenet_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "LeNet5")
    t = lambda shape: 400 + 25 * 16 * shape[0]  # noqa: E731  the largest fan-in, and gradient sums
    maps = [(1, 6, 28, 28), (1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 10, 10), (1, 16, 5, 5),
            (1, 120, 1, 1), (1, 120, 1, 1)]
    cases = [
        c.count("derived: the maps of one 32x32 image", checks.lenet_maps, maps,
                "LeNet5(10).feature_extractor on input (1, 1, 32, 32): the shape after every layer"),
        c.count("10 classes: 61,706 parameters", parameter_count(10), 61706, "parameters of LeNet5(10)"),
        c.forward("10 classes", (10,), {}, (2, 1, 32, 32), terms=t((2, 1, 32, 32))),
        c.forward("10 classes, eval, float64", (10,), {}, (2, 1, 32, 32), dtype="float64", train=False,
                  terms=t((2, 1, 32, 32))),
        c.forward("3 classes, batch of 4", (3,), {}, (4, 1, 32, 32), dtype="float64", terms=t((4, 1, 32, 32))),
        c.forward("2 classes, one image", (2,), {}, (1, 1, 32, 32), terms=t((1, 1, 32, 32))),
    ]
    for i in range(3):
        shape = (rng.randint(1, 3), 1, 32, 32)
        cases.append(c.forward(f"random {i + 1}", (rng.randint(2, 12),), {}, shape,
                               dtype=rng.choice(["float32", "float64"]), terms=t(shape), hidden=hidden(i)))
    return cases


def _vgg_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "make_vgg_layers")
    t = lambda shape, cfg: BATCHNORM_BACKWARD * _conv_terms(shape, *(9 * v for v in cfg if v != "M"))  # noqa: E731
    cases = [
        c.count("VGG-16's convolutions: 14,714,688 parameters", parameter_count(VGG16, meta=True), 14714688,
                "parameters of make_vgg_layers(VGG-16's configuration D)"),
        c.count("VGG-16 with BatchNorm: 14,723,136 parameters", parameter_count(VGG16, batch_norm=True, meta=True), 14723136,
                "parameters of make_vgg_layers(VGG-16's configuration D, batch_norm=True)"),
        c.count("VGG-11's convolutions: 9,220,480 parameters", parameter_count(VGG11, meta=True), 9220480,
                "parameters of make_vgg_layers(VGG-11's configuration A)"),
        *(Case(name=f"derived: {net} with the lecture's classifier: {total:,} parameters", args=(cfg,),
               experiment=checks.vgg_parameters, expect=total,
               call=f"parameters of make_vgg_layers({net}'s configuration {key}) and the lecture's three fully "
                    f"connected layers")
          for net, key, cfg, total in (("VGG-11", "A", VGG11, 132_863_336), ("VGG-16", "D", VGG16, 138_357_544),
                                       ("VGG-19", "E", VGG19, 143_667_240))),
        c.forward("two stages", ([4, "M", 8, "M"],), {}, (2, 3, 8, 8), terms=t((2, 3, 8, 8), [4, 8])),
        c.forward("two stages with BatchNorm, float64", ([4, "M", 8, "M"],), {"batch_norm": True}, (2, 3, 8, 8),
                  dtype="float64", terms=t((2, 3, 8, 8), [4, 8])),
        c.forward("BatchNorm in eval mode", ([4, 4, "M", 6],), {"batch_norm": True}, (2, 3, 6, 6), train=False,
                  terms=t((2, 3, 6, 6), [4, 4, 6])),
        c.forward("two convolutions per stage, odd size", ([4, 4, "M", 6, 6, "M"],), {}, (2, 3, 9, 9), dtype="float64",
                  terms=t((2, 3, 9, 9), [4, 4, 6, 6])),
        c.forward("one convolution", ([5],), {}, (1, 3, 5, 5), terms=t((1, 3, 5, 5), [5])),
        c.forward("pooling first", (["M", 4],), {"batch_norm": True}, (2, 3, 8, 6), dtype="float64",
                  terms=t((2, 3, 8, 6), [4])),
    ]
    for i in range(4):
        cfg = [rng.choice([rng.randint(2, 8), "M"]) for _ in range(rng.randint(2, 5))]
        cfg[0] = rng.randint(2, 8) if cfg[0] == "M" else cfg[0]
        pools = cfg.count("M")
        size = 2**pools * rng.randint(1, 3) + rng.randint(0, 1)
        shape = (rng.randint(2, 3), 3, size, size + rng.randint(0, 2))  # BatchNorm needs 2 values per channel
        kwargs = {"batch_norm": True} if rng.random() < 0.5 else {}
        cases.append(c.forward(f"random {i + 1}", (cfg,), kwargs, shape, dtype=rng.choice(["float32", "float64"]),
                               train=rng.random() < 0.7, terms=t(shape, [v for v in cfg if v != "M"]), hidden=hidden(i)))
    return cases


def _dropout_cases(rng: random.Random) -> list[Case]:
    def runs(name: str, p: float, input: Random | Tensor, shape_text: str, hidden: bool = False) -> Case:
        return Case(name=name, args=(input,), experiment=dropout_runs(p, rng.randrange(2**31)), law=dropout2d_law(p),
                    hidden=hidden,
                    call=f"Dropout2d({p}) on input {shape_text}, two passes in train mode and one in eval mode")
    r = lambda shape, dtype="float32": Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype)  # noqa: E731
    cases = [
        runs("lecture: arange(1, 17) as (1, 4, 2, 2), p=0.5", 0.5,
             Tensor(values=torch.arange(1.0, 17.0).reshape(1, 4, 2, 2).tolist()), "arange(1, 17) as (1, 4, 2, 2)"),
        runs("p=0.5", 0.5, r((16, 64, 3, 3)), "(16, 64, 3, 3) float32"),
        runs("p=0.5, float64, another seed", 0.5, r((16, 64, 3, 3), "float64"), "(16, 64, 3, 3) float64"),
        runs("p=0.2", 0.2, r((16, 64, 3, 3)), "(16, 64, 3, 3) float32"),
        runs("p=0.2, float64", 0.2, r((32, 32, 2, 4), "float64"), "(32, 32, 2, 4) float64"),
        runs("p=0.8", 0.8, r((16, 64, 3, 3)), "(16, 64, 3, 3) float32"),
        runs("p=0: nothing dropped", 0.0, r((4, 8, 3, 3)), "(4, 8, 3, 3) float32"),
        runs("p=1: everything dropped", 1.0, r((4, 8, 3, 3)), "(4, 8, 3, 3) float32"),
        runs("3-D input (N, C, L)", 0.5, r((16, 64, 5)), "(16, 64, 5) float32"),
    ]
    for i in range(4):
        p = rng.choice([0.1, 0.3, 0.5, 0.6])
        shape = (rng.randint(8, 24), rng.randint(32, 64), rng.randint(1, 4), rng.randint(1, 4))
        dtype = rng.choice(["float32", "float64"])
        cases.append(runs(f"random {i + 1}", p, r(shape, dtype), f"{shape} {dtype}", hidden=hidden(i)))
    cases += [
        Case(name="invalid: p=1.5", args=(1.5,), raises=True),
        Case(name="invalid: p=-0.1", args=(-0.1,), raises=True),
    ]
    return cases


def _batchnorm_cases(rng: random.Random) -> list[Case]:
    c = _Cases(rng, "BatchNorm2d")

    def steps(name: str, channels: int, kwargs: dict, shape: tuple[int, ...], dtype: str = "float32",
              scale: float = 1.0, shift: float = 0.0, hidden: bool = False) -> Case:
        inputs = tuple(Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype) for _ in range(4))
        experiment = training_steps((channels,), kwargs, seed=rng.randrange(2**31))
        moved = f" times {scale:g} plus {shift:g}" if (scale, shift) != (1.0, 0.0) else ""
        return Case(name=name, args=inputs, experiment=with_inputs_moved(experiment, scale, shift) if moved else experiment,
                    call=f"{_signature('BatchNorm2d', (channels,), kwargs)}: 3 training steps, then eval, on inputs "
                         f"{shape} {dtype}{moved}", terms=math.prod(shape) // shape[1], hidden=hidden)

    cases = [
        steps("defaults", 3, {}, (4, 3, 5, 5)),
        steps("defaults, float64, shifted inputs", 3, {}, (4, 3, 5, 5), "float64", 3.0, 2.0),
        steps("momentum 0.5", 4, {"momentum": 0.5}, (2, 4, 3, 3), "float64", 0.5, -1.0),
        steps("momentum None: cumulative average", 2, {"momentum": None}, (3, 2, 4, 4), "float64", 2.0, 1.0),
        steps("momentum None, float32", 5, {"momentum": None}, (2, 5, 3, 4)),
        steps("eps 0.1", 3, {"eps": 0.1}, (2, 3, 3, 3), "float64", 0.5, 0.5),
        steps("eps 1e-3, momentum 0.3", 6, {"eps": 1e-3, "momentum": 0.3}, (5, 6, 2, 2), "float64", 1.5, -0.5),
        steps("1x1 maps: statistics over the batch", 4, {}, (8, 4, 1, 1), "float64", 2.0, 3.0),
        steps("one sample: statistics over the positions", 3, {"momentum": 0.2}, (1, 3, 4, 5), "float64", 1.0, 1.0),
        c.forward("gradients in train mode", (3,), {}, (4, 3, 5, 5), dtype="float64", terms=100),
        c.forward("gradients in train mode, float32, eps 0.01", (5,), {"eps": 0.01}, (2, 5, 4, 4), terms=32),
        c.forward("gradients in eval mode", (4,), {"momentum": None}, (2, 4, 3, 3), dtype="float64", train=False,
                  terms=18),
    ]
    for i in range(6):
        channels = rng.randint(1, 6)
        shape = (rng.randint(1, 5), channels, rng.randint(1, 4), rng.randint(1, 4))
        if math.prod(shape) == channels:
            shape = (2, *shape[1:])
        kwargs = rng.choice([{}, {"momentum": rng.choice([0.1, 0.5, 0.9])}, {"momentum": None},
                             {"eps": rng.choice([1e-3, 0.05])}])
        cases.append(steps(f"random {i + 1}", channels, kwargs, shape, rng.choice(["float32", "float64"]),
                           rng.choice([1.0, 2.0, 0.5]), rng.choice([0.0, 1.0, -2.0]), hidden=hidden(i)))
    probe = module_forward((3,), train=True, gradients=False)
    cases += [
        Case(name="invalid: 3-D input", args=(Random(shape=(3, 4, 4), seed=1),), experiment=probe,
             call="BatchNorm2d(3) in train mode on a 3-D input (3, 4, 4)", raises=True),
        Case(name="invalid: one value per channel in training", args=(Random(shape=(1, 3, 1, 1), seed=2),),
             experiment=probe, call="BatchNorm2d(3) in train mode on input (1, 3, 1, 1)",
             raises=True),
    ]
    return cases


def assignment() -> Assignment:
    rng = kit.configurations()
    return kit.assignment(
        __file__, title="Network blocks", module="blocks.py",
        tasks=(
            Task(name="depthwise_separable", points=6, target="DepthwiseSeparableConv", variants=DEPTHWISE_VARIANTS,
                 cases=tuple(_depthwise_cases(rng))),
            Task(name="basic_block", points=12, target="BasicBlock", variants=BASIC_VARIANTS,
                 cases=tuple(_basic_cases(rng))),
            Task(name="bottleneck", points=10, target="Bottleneck", variants=BOTTLENECK_VARIANTS,
                 cases=tuple(_bottleneck_cases(rng))),
            Task(name="se_layer", points=8, target="SELayer", variants=SE_VARIANTS, cases=tuple(_se_cases(rng))),
            Task(name="inception", points=10, target="InceptionBlock", variants=INCEPTION_VARIANTS,
                 cases=tuple(_inception_cases(rng))),
            Task(name="lenet5", points=8, target="LeNet5", variants=LENET_VARIANTS, cases=tuple(_lenet_cases(rng))),
            Task(name="vgg_layers", points=8, target="make_vgg_layers", variants=VGG_VARIANTS,
                 cases=tuple(_vgg_cases(rng))),
            Task(name="dropout2d", points=14, target="Dropout2d", forbidden=DROPOUT_FORBIDDEN, oracle=nn.Dropout2d,
                 cases=tuple(_dropout_cases(rng))),
            Task(name="batchnorm2d", points=24, target="BatchNorm2d", forbidden=BATCHNORM_FORBIDDEN,
                 oracle=nn.BatchNorm2d, variants=BATCHNORM_VARIANTS, cases=tuple(_batchnorm_cases(rng))),
        ),
    )
