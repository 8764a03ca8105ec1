"""Experiments that run on the student's functions and classes; shipped in the handout."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.experiments import output_and_gradients


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
