"""Experiments that run on the student's functions and classes; shipped in the handout."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.experiments import module_forward, output_and_gradients, shared_state
from grader.spec import recipe


def pool_then_unpool(target, input, kernel_size, stride=None, padding=0, output_size=None):
    """max_pool2d's values and indices (torch's), unpooled by `target`: the indices are real ones."""
    pooled, indices = F.max_pool2d(input, kernel_size, stride, padding, return_indices=True)
    return target(pooled, indices, kernel_size, stride, padding, output_size)


def kernel_as(target, dtype: str, *args):
    """The kernel asked for in another dtype ("float64")."""
    return target(*args, dtype=getattr(torch, dtype))


def transposed_upsampling(target, input, factor: int):
    """FCN's upsampling: a transposed convolution (k = 2f - f % 2, stride f, padding f // 2: the
    output exactly f times the input) with the kernel from `target`; only the part away from the
    border, where it equals bilinear upsampling."""
    channels = input.shape[1]
    weight = target(channels, channels, 2 * factor - factor % 2, dtype=input.dtype)
    output = F.conv_transpose2d(input, weight, stride=factor, padding=factor // 2)
    return output[..., factor:-factor, factor:-factor]


def unet_shape(cls, input, depth: int, width: int):
    """The shape of a U-Net's output (class scores) for the input, weights as built."""
    with torch.no_grad():
        return tuple(cls(input.shape[1], 2, depth, width).to(input.dtype)(input).shape)


def dice_on_probabilities(target, logits, labels, smooth=None):
    """The loss and its gradients on real probabilities and a one-hot target: softmax of the
    logits over the classes (a sigmoid for one class), the target from the labels' argmax (their
    sign for one class)."""
    if logits.shape[1] == 1:
        probs, onehot = logits.sigmoid(), (labels > 0).to(logits.dtype)
    else:
        probs = logits.softmax(1)
        onehot = F.one_hot(labels.argmax(1), logits.shape[1]).movedim(-1, 1).to(logits.dtype)
    kwargs = {} if smooth is None else {"smooth": smooth}
    return output_and_gradients(target, probs.detach(), onehot, **kwargs)


@recipe
def segnet_decoding(args: tuple, kwargs: dict | None = None, *, train: bool, seed: int):
    """SegNet's decoder on an encoder's poolings: each of the encoder's feature maps (finest first)
    is max-pooled 2x2 with its indices (torch's, real ones); the decoder gets the coarsest pooled
    map, every level's indices and the sizes before pooling. Then as `module_forward`: weights
    from the names, the output, and the gradients of the parameters and of that map."""
    run = module_forward(args, kwargs, train=train, seed=seed)

    def experiment(cls, features):
        pooled = [F.max_pool2d(feature, 2, return_indices=True) for feature in features]
        indices = [index for _, index in pooled]
        sizes = [tuple(feature.shape[-2:]) for feature in features]

        def build(*args, **kwargs):
            decoder = cls(*args, **kwargs)
            forward = decoder.forward  # the decoder's own, called with what the encoder kept
            decoder.forward = lambda x: forward(x, indices, sizes)
            return decoder
        return run(build, pooled[-1][0])

    return experiment


def kernel_of_ones(cls, input, mode: str):
    """ResizeConv(C, 1, 2, mode) whose 3x3 kernel is all ones and bias 0, on `input`."""
    module = cls(input.shape[1], 1, 2, mode).to(device=input.device, dtype=input.dtype)
    with torch.no_grad():
        module.conv.weight.fill_(1)
        module.conv.bias.zero_()
    return module(input)


@recipe
def constant_spread(args: tuple, kwargs: dict | None = None, *, seed: int, margin: int):
    """The checkerboard measure: the module (weights from the names) on an input that is constant
    in each (sample, channel), the first value of the case's input; for each output channel, the
    largest minus the smallest value away from the border (the outer `margin` rows and columns,
    kernel_size // 2, where the convolution sees its zero padding). 0 for a resize-convolution."""

    def experiment(cls, input):
        module = cls(*args, **(kwargs or {})).to(device=input.device, dtype=input.dtype)
        module.load_state_dict(shared_state(module, seed), strict=False)
        constant = input[..., :1, :1].expand_as(input)
        output = module(constant)
        inside = output[..., margin:output.shape[-2] - margin, margin:output.shape[-1] - margin]
        return inside.amax((-2, -1)) - inside.amin((-2, -1))

    return experiment
