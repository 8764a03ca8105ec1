"""Student-facing diagnoses tell the truth: the dtype before the values, how sure a shape-only
diagnosis is, and mistakes named in the words of the case (1-D signals, one padded axis)."""
import textwrap

import pytest
import torch

from conftest import ROOT
from grader import api, experiments
from grader.engine import compare, wire
from grader.engine.frames import CaseReply, ReferenceCase
from grader.spec import Case, Random, Task, Variant
from mutants import Mutant


def _value(tensor):
    return wire.decode(wire.encode(tensor))


def _judge(want, got, variants=(), dtype="float64"):
    """One case of a made-up task whose known mistakes answer `variants` ((code, value, by_shape))."""
    case = Case(name="c", args=(Random(shape=(6, 6), seed=0, dtype=dtype), Random(shape=(3, 3), seed=1, dtype=dtype)))
    task = Task(name="t", points=1, target="t", cases=(), reduction=lambda image, kernel: 9, variants=tuple(
        Variant(code=code, hint=f"hint of {code}", compute=lambda ref: None, by_shape=by_shape)
        for code, _, by_shape in variants))
    expected = ReferenceCase(expected=_value(want),
                             variants={str(i): _value(value) for i, (_, value, _) in enumerate(variants)})
    return compare.judge(task, case, expected, CaseReply(0, None if got is None else _value(got)), "cpu")


def _grade(assignment, task, folder, files):
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    report = api.grade(assignment, folder, tasks=[task], device="cpu", root=ROOT)
    return [c for c in report.tasks[0].checks if not c.passed]


def _correlate(image, kernel):
    return torch.nn.functional.conv2d(image[None, None], kernel[None, None])[0, 0]


# --- 1. the dtype is judged before the values ------------------------------------------------

def test_a_float32_result_for_a_float64_input_is_a_dtype_mistake_not_a_precision_one():
    image, kernel = torch.randn(6, 6, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64)
    right = _correlate(image, kernel.flip(0, 1))
    verdict = _judge(right, right.float())
    assert verdict.diagnosis == "dtype_not_preserved"
    assert "dtype float32, expected float64" in str(verdict.message)


def test_a_known_mistake_in_float32_on_a_float64_input_is_named_with_the_dtype():
    image, kernel = torch.randn(6, 6, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64)
    right, not_flipped = _correlate(image, kernel.flip(0, 1)), _correlate(image, kernel)
    verdict = _judge(right, not_flipped.float(), [("kernel_not_flipped", not_flipped, False)])
    assert verdict.diagnosis == "kernel_not_flipped"
    assert "hint of kernel_not_flipped" in str(verdict.message) and "dtype float32, expected float64" in str(verdict.message)


FLOAT32_CONVOLVE = """
import torch

def convolve2d(image, kernel):  # cross-correlation, and in float32
    image, kernel = image.float(), kernel.float()
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise RuntimeError("kernel larger than the image")
    return torch.stack([torch.stack([(image[i:i + kh, j:j + kw] * kernel).sum() for j in range(w - kw + 1)])
                        for i in range(h - kh + 1)])
"""


@pytest.mark.slow
def test_the_known_mistake_is_named_on_a_float64_case_graded_end_to_end(tmp_path):
    failed = {c.name: c for c in _grade("assignment1", "convolve2d", tmp_path, {"convolution.py": FLOAT32_CONVOLVE})}
    assert failed["float64"].diagnosis == "kernel_not_flipped"
    assert "dtype float32, expected float64" in str(failed["float64"].message)


# --- 2. shape-only diagnoses say how sure they are ----------------------------------------------

def test_every_size_mistake_that_explains_the_shape_is_listed_when_the_values_are_right():
    right = torch.randn(4, 4, dtype=torch.float64)
    longer = torch.cat([right, torch.zeros(1, 4, dtype=torch.float64)])
    other = torch.randn(5, 4, dtype=torch.float64)
    verdict = _judge(right, longer, [("ceil", other, True), ("once", other.flip(0), True)])
    assert verdict.diagnosis == "ceil"
    assert "each of these mistakes gives: hint of ceil - or - hint of once" in str(verdict.message)


def test_no_size_mistake_is_named_when_the_values_point_elsewhere():
    right = torch.randn(4, 4, dtype=torch.float64)
    verdict = _judge(right, torch.randn(5, 4, dtype=torch.float64), [("ceil", torch.randn(5, 4, dtype=torch.float64), True)])
    assert verdict.diagnosis == "wrong_shape" and "hint" not in str(verdict.message)


D2L_CONV2D = """
import torch

def corr2d(X, K):  # d2l.ai, 7.2 and 7.4: no padding, stride or dilation
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y

def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))

def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    out = torch.stack([corr2d_multi_in_out(x, weight) for x in input])
    return out if bias is None else out + bias.view(1, -1, 1, 1)
"""


@pytest.mark.slow
def test_a_convolution_that_ignores_padding_and_dilation_gets_no_size_formula_diagnosis(tmp_path):
    failed = _grade("assignment1", "conv2d", tmp_path, {"convolution.py": D2L_CONV2D})
    size_formula = {"padding_counted_once", "same_padding_ignores_dilation", "output_size_ceil"}
    assert failed and not size_formula & {c.diagnosis for c in failed}


def test_a_function_that_returns_none_is_told_its_return_may_be_missing():
    verdict = _judge(torch.ones(4, 4, dtype=torch.float64), None)
    assert str(verdict.message) == "returned None: is a `return` missing?" and "gradient" not in str(verdict.message)


def test_gradient_failures_mention_in_place_operations_only_where_autograd_says_so():
    class WrongShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum(0)  # the wrong shape

    def in_place(x):
        y = x.sigmoid()
        y += 1  # sigmoid's backward needs its output
        return y

    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError) as shape_error:
        experiments.output_and_gradients(WrongShape.apply, x.clone())
    assert "in-place" not in str(shape_error.value)
    with pytest.raises(RuntimeError) as in_place_error:
        experiments.output_and_gradients(in_place, x.clone())
    assert "in-place" in str(in_place_error.value)


# --- 3. new diagnoses ---------------------------------------------------------------------------

BASE = "assignment1/correct_naive/convolution.py"


def _mutant_checks(tmp_path, task, edit, base=BASE, assignment="assignment1"):
    folder = Mutant(base, f"BUG: {task}", (edit,)).write(tmp_path / "submission")
    report = api.grade(assignment, folder, tasks=[task], device="cpu", root=ROOT)
    return [c for c in report.tasks[0].checks if not c.passed]


@pytest.mark.slow
def test_a_convolution_that_pads_only_the_width_is_named(tmp_path):
    failed = _mutant_checks(tmp_path, "conv2d", ("    x = pad(x, (left, right, top, bottom))\n",
                                                 "    x = pad(x, (left, right, 0, 0))\n"))
    named = [c for c in failed if c.diagnosis == "padding_one_axis"]
    assert named and "only the width was padded" in str(named[0].message)


@pytest.mark.slow
def test_a_signal_padded_at_its_start_is_told_in_1d_words(tmp_path):
    failed = _mutant_checks(tmp_path, "conv1d", ("    x = pad(x, (before, after))\n",
                                                 "    x = pad(x, (before + after, 0))\n"))
    named = [c for c in failed if c.diagnosis == "padding_one_side"]
    assert named and all("start of the signal" in str(c.message) and "top/left" not in str(c.message) for c in named)


@pytest.mark.slow
def test_any_channel_last_flatten_of_the_pyramid_is_named(tmp_path):
    failed = _mutant_checks(tmp_path, "spatial_pyramid_pool2d", (
        "    return torch.cat([part.reshape(*part.shape[:-3], -1) for part in parts], dim=-1)\n",
        "    return torch.cat([part.transpose(-3, -1).flatten(-3) for part in parts], dim=-1)\n"),
        base="assignment3/correct_alt/pooling.py", assignment="assignment3")
    assert failed and {c.diagnosis for c in failed} <= {"pyramid_flatten_order"}
