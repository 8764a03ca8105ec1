"""The spec-authoring kit: what the course's specs share, in one place.

A spec (`reference/NAME/spec.py`) imports its forbidden globs, the lectures' worked tensors and
the argument helpers from here instead of keeping a copy, and builds its `Assignment` with the
preamble below. The engine never imports this module.
"""
from __future__ import annotations

import inspect
import random
from pathlib import Path
from typing import Any, Callable

from grader.spec import Assignment, NotApplicable

__all__ = ["NotApplicable", "CONV_FORBIDDEN", "UNFOLD_FORBIDDEN", "FOLD_FORBIDDEN", "PAD_FORBIDDEN",
           "POOL_FORBIDDEN", "IMAGE3", "KERNEL2", "ANIMATED", "KERNEL_ANIMATED", "LECTURE_H", "PUBLIC_RANDOM",
           "hidden", "pairs", "two", "bind", "configurations", "assignment"]

# --- forbidden APIs: the public names and the doors behind them (torch.ops.aten, torch._C) --------

# Every convolution in torch. torch.nn.grad holds conv2d_weight and conv2d_input: convolutions
# (and a transposed one) under other names. scipy has its own.
CONV_FORBIDDEN = ("torch.*conv*", "torch.nn.functional.*conv*", "torch.nn.*Conv*", "torch.nn.grad.*",
                  "torch.ops.aten.*conv*", "torch._C._nn.*conv*", "torch._C._VariableFunctions.*conv*", "scipy")
# im2col: a convolution is one matrix product away from it.
UNFOLD_FORBIDDEN = ("torch.nn.functional.unfold", "torch.Tensor.unfold", "torch.nn.Unfold", "torch._C._nn.im2col",
                    "torch.ops.aten.im2col", "torch.ops.aten.unfold*", "torch._C.TensorBase.unfold",
                    "torch._C._TensorBase.unfold")
# col2im: the overlap-add that is most of a transposed convolution.
FOLD_FORBIDDEN = ("torch.nn.functional.fold", "torch.nn.Fold", "torch.ops.aten.col2im*", "torch._C._nn.col2im*")
PAD_FORBIDDEN = ("torch.nn.functional.pad", "torch.nn.*Pad*", "torch.constant_pad_nd", "numpy.pad",
                 "torch.ops.aten.*pad*", "torch._C._nn.*pad*", "torch._C._VariableFunctions.constant_pad_nd")
POOL_FORBIDDEN = ("torch.*pool*", "torch.nn.functional.*pool*", "torch.nn.*Pool*", "torch.ops.aten.*pool*",
                  "torch._C._nn.*pool*", "torch._C._VariableFunctions.*pool*")

# --- the lectures' worked examples ----------------------------------------------------------------

IMAGE3 = [[1, 2, 3], [3, 4, 5], [1, 0, 2]]
KERNEL2 = [[0, 1], [1, -1]]
ANIMATED = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]  # lecture 000's image
KERNEL_ANIMATED = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
# The lecture's 4x9 matrix H of a 2x2 kernel [[k11, k12], [k21, k22]] on a 3x3 input, here with k = [[1, 2], [3, 4]].
LECTURE_H = [[1, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0], [0, 0, 0, 1, 2, 0, 3, 4, 0],
             [0, 0, 0, 0, 1, 2, 0, 3, 4]]

# --- which cases students see -----------------------------------------------------------------------

PUBLIC_RANDOM = 3  # of each task's random sweep, this many cases are public (in the handout), the rest hidden


def hidden(i: int) -> bool:
    """Whether the `i`-th case (from 0) of a task's random sweep is hidden: `Case(..., hidden=hidden(i))`.
    The lecture's examples, edge cases and probes are public unless they say `hidden=True`."""
    return i >= PUBLIC_RANDOM


# --- arguments -------------------------------------------------------------------------------------

def pairs(value: Any, n: int) -> tuple:
    """An int, or a sequence (a 1-element one counts for every dimension, as torch reads it), as an n-tuple."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return values * n if len(values) == 1 else values


def two(value: Any) -> tuple:
    """`pairs(value, 2)`: a 2-D setting (kernel_size, stride, padding, dilation, scale_factor)."""
    return pairs(value, 2)


def bind(function: Callable[..., Any], args: tuple, kwargs: dict) -> dict:
    """The call's arguments by name, defaults filled in: how a Variant reads the case it is called on."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


# --- the preamble ----------------------------------------------------------------------------------

def configurations() -> random.Random:
    """The spec's own random stream: it draws the configurations (shapes, settings) and the seeds of
    the `Random` tensors, the same ones under every grading seed, which redraws only the values.
    Pass it to the case builders in a fixed order: reordering them changes every later case."""
    return random.Random(0)


def assignment(spec_file: str | Path, **fields: Any) -> Assignment:
    """The `Assignment` of the spec in `spec_file` (pass `__file__`), named after its folder."""
    return Assignment(name=Path(spec_file).resolve().parent.name, **fields)
