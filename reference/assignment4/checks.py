"""Experiments that run on the student's functions; shipped in the handout."""
from __future__ import annotations

import torch


def adjoint(target, y, weight, x, **kwargs):
    """<x, conv_transpose2d(y, w)>: by adjointness it equals <conv2d(x, w), y>. One-element tensor
    (the wire format sends a 0-d tensor as shape (1,) anyway)."""
    output = target(y, weight, **kwargs)
    if not isinstance(output, torch.Tensor) or output.shape != x.shape:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(f"conv_transpose2d(y, w) returned {shape}, but the adjointness check needs "
                         f"{tuple(x.shape)}, the shape of the conv's input")
    return (x * output).sum().reshape(1)
