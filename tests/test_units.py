"""The engine's parts on their own: forbidden-API scan, tolerances, comparing, tripwires."""
import pytest
import torch

from grader.engine import compare, forbidden, judge, wire
from grader.engine.frames import CaseReply, Raised, ReferenceCase, TaskHeader
from grader.spec import Case, Random, Task, Variant


SOURCE = '''
import torch.nn.functional as F
from torch.nn.functional import conv2d as c2
import numpy as np

def helper(x, w):
    return c2(x, w)

def conv2d(x, w):
    return helper(x, w)

def pad(x, p):
    return F.pad(x, p)

def unfold_user(x):
    return x.unfold(0, 2, 1)
'''


def test_scan_follows_aliases_and_helpers_and_only_reachable_code():
    patterns = ("torch.nn.functional.*conv*", "torch.Tensor.unfold")
    found = forbidden.scan(SOURCE, "convolution.py", "conv2d", patterns)
    assert [(f.api, f.file, f.line) for f in found] == [("torch.nn.functional.conv2d", "convolution.py", 7)]
    assert forbidden.scan(SOURCE, "convolution.py", "pad", patterns) == []
    assert [f.api for f in forbidden.scan(SOURCE, "convolution.py", "unfold_user", patterns)] == ["torch.Tensor.unfold"]


def test_own_definition_shadows_an_import():
    source = "from torch.nn.functional import pad\ndef pad(x, p):\n    return x\ndef conv2d(x, w):\n    return pad(x, 1)\n"
    assert forbidden.scan(source, "c.py", "conv2d", ("torch.nn.functional.pad",)) == []


def test_review_flags_code_that_reaches_into_the_grader_and_nothing_else():
    source = ("import gc\nimport sys\nimport torch\n"
              "def conv2d(x, w):\n"
              "    frame = sys._getframe(1)\n"
              "    hidden = getattr(torch, 'con' + 'v2d').__closure__\n"
              "    shape = getattr(x, 'shape')\n"
              "    return x @ w\n")
    flags = forbidden.review(source, "c.py")
    assert [(line, str(what).split(" (")[0]) for what, line, _ in flags] == [
        (1, "imports gc"), (5, "sys._getframe"), (6, ".__closure__"), (6, "getattr() with a computed name")]
    assert flags[1][2] == "frame = sys._getframe(1)"
    assert forbidden.review("import torch\ndef conv2d(x, w):\n    return torch.matmul(x, w)\n", "c.py") == []


def test_a_probe_takes_the_named_exception_or_a_subclass_of_it_alone():
    task = _task()
    case = Case(name="probe", args=(), raises=True)
    wanted = ReferenceCase(raised=Raised("ValueError", ("ValueError", "Exception", "BaseException", "object"), "bad"))

    def judge(*mro):
        raised = Raised(mro[0], (*mro, "Exception", "BaseException", "object"), "")
        return compare.judge(task, case, wanted, CaseReply(0, raised=raised), "cpu")
    assert judge("ValueError").passed and judge("MyError", "ValueError").passed
    everything = judge("E", "NotImplementedError", "RuntimeError", "ValueError", "TypeError")
    assert not everything.passed and everything.diagnosis == "wrong_exception"
    assert "RuntimeError, TypeError" in str(everything.message)
    assert judge("TypeError").diagnosis == "wrong_exception"


def test_a_grader_failure_while_judging_costs_that_task_only(monkeypatch):
    from grader import sandbox

    def broken_judge(*args, **kwargs):
        raise KeyError("a bug in the grader")
    monkeypatch.setattr(compare, "judge", broken_judge)
    task = Task(name="conv2d", points=1, target="conv2d", cases=(Case(name="c", args=(Random(shape=(1, 3), seed=0),)),))
    outcome = sandbox.Outcome((), 0, False, False, 0.1)
    run = judge.TaskRun(task, {0: ReferenceCase()}, {"cpu": ({0: CaseReply(0, 7)}, TaskHeader(imported=True), outcome)})
    result = judge.judge_safely(run, [], timeout=1)
    assert result.status == "error" and result.score == 0
    assert [c.diagnosis for c in result.checks] == ["grader_defect"] and "please report it" in str(result.problem)


def _task(**kwargs):
    return Task(name="conv2d", points=1, target="conv2d", cases=(), **kwargs)


def _verdict(want, got, dtype="float32"):
    case = Case(name="c", args=(Random(shape=(1, 4, 6, 6), seed=0, dtype=dtype),
                                Random(shape=(2, 4, 3, 3), seed=1, dtype=dtype)))
    task = _task(reduction=lambda x, w: 36)
    expected = ReferenceCase(expected=wire.decode(wire.encode(want)))
    return compare.judge(task, case, expected, CaseReply(0, wire.decode(wire.encode(got))), "cpu")


def test_float32_in_another_summation_order_passes_and_one_wrong_element_fails():
    x, w = torch.randn(1, 4, 6, 6, dtype=torch.float64), torch.randn(2, 4, 3, 3, dtype=torch.float64)
    exact = torch.nn.functional.conv2d(x, w)
    reordered = torch.nn.functional.conv2d(x.float().flip(1), w.float().flip(1))
    assert _verdict(exact, reordered).passed
    broken = reordered.clone()
    broken[0, 1, 2, 3] += 0.01
    verdict = _verdict(exact, broken)
    assert not verdict.passed and "index (0, 1, 2, 3)" in str(verdict.message)


def test_dtype_and_type_checks():
    exact = torch.ones(2, 3, dtype=torch.float64)
    assert _verdict(exact, exact.clone()).diagnosis == "dtype_not_preserved"
    assert _verdict(exact, exact.numpy()).diagnosis == "wrong_type"
    assert _verdict(exact, torch.ones(3, 2)).diagnosis == "wrong_shape"


def test_float64_output_computed_in_float32_is_named():
    x, w = torch.randn(1, 4, 6, 6, dtype=torch.float64), torch.randn(2, 4, 3, 3, dtype=torch.float64)
    exact = torch.nn.functional.conv2d(x, w)
    verdict = _verdict(exact, torch.nn.functional.conv2d(x.float(), w.float()).double(), dtype="float64")
    assert verdict.diagnosis == "float32_precision"


def test_a_reference_that_disagrees_with_torch_does_not_cost_the_student():
    case = Case(name="c", args=(Random(shape=(2, 2), seed=0),))
    right, wrong_reference = torch.ones(2, 2), torch.zeros(2, 2)
    expected = ReferenceCase(expected=wire.decode(wire.encode(wrong_reference)),
                             oracle=wire.decode(wire.encode(right)), oracle_given=True)
    task = _task(oracle=lambda x: x)
    verdict = compare.judge(task, case, expected, CaseReply(0, wire.decode(wire.encode(right))), "cpu")
    assert verdict.passed and "grader defect" in str(verdict.message)


def test_seed_makes_the_random_cases_deterministic():
    from conftest import ROOT
    from grader.spec import load_assignment

    same = [load_assignment("assignment1", 0, ROOT).task("conv2d").cases for _ in range(2)]
    other = load_assignment("assignment1", 1, ROOT).task("conv2d").cases
    assert same[0] == same[1]
    assert same[0] != other
    assert [c.name for c in same[0] if c.name.startswith("lecture")] == \
        [c.name for c in other if c.name.startswith("lecture")]


def _judge_structured(want, got, law=None, variants=None):
    case = Case(name="c", args=(Random(shape=(2, 2), seed=0, dtype="float64"),), law=law)
    expected = ReferenceCase(expected=wire.decode(wire.encode(want)),
                             variants={str(i): wire.decode(wire.encode(v)) for i, v in enumerate(variants or [])})
    task = _task()
    if variants:
        task = task.model_copy(update={"variants": tuple(
            Variant(code=f"mistake_{i}", hint=f"mistake {i}", compute=lambda ref: None) for i in range(len(variants)))})
    return compare.judge(task, case, expected, CaseReply(0, wire.decode(wire.encode(got))), "cpu")


def test_structured_outputs_name_the_first_wrong_part():
    values, indices = torch.randn(2, 3, dtype=torch.float64), torch.tensor([[0, 4, 2], [1, 1, 3]])
    assert _judge_structured((values, indices), (values.clone(), indices.clone())).passed
    wrong = _judge_structured((values, indices), (values.clone(), indices + 1))
    assert not wrong.passed and str(wrong.message).startswith("output[1]:") and wrong.diagnosis == "wrong_values"
    as_float = _judge_structured((values, indices), (values.clone(), indices.double()))
    assert as_float.diagnosis == "dtype_not_preserved"  # indices keep their integer dtype
    state = {"state_dict": {"conv1.weight": [4, 3, 3, 3]}, "output": values}
    renamed = _judge_structured(state, {"state_dict": {"conv.weight": [4, 3, 3, 3]}, "output": values.clone()})
    assert renamed.diagnosis == "wrong_names" and "missing conv1.weight; unexpected conv.weight" in str(renamed.message)
    grads = {"gradients": {"conv1.weight": values}}
    detached = _judge_structured(grads, {"gradients": {"conv1.weight": None}})
    assert detached.diagnosis == "missing_value" and str(detached.message).startswith("gradients / conv1.weight:")


def test_a_variant_is_named_at_the_part_where_it_matches():
    right = {"step 1": {"output": torch.ones(3, dtype=torch.float64), "running_var": torch.ones(3, dtype=torch.float64)}}
    biased = {"step 1": {"output": torch.ones(3, dtype=torch.float64), "running_var": torch.full((3,), 0.5, dtype=torch.float64)}}
    verdict = _judge_structured(right, biased, variants=[biased])
    assert verdict.diagnosis == "mistake_0" and str(verdict.message).startswith("step 1 / running_var:")


def test_a_law_replaces_equality_and_names_its_diagnosis():
    def positive(value, input):
        return None if bool((value.data > 0).all()) else ("not_positive", "values must be positive", {})
    reference_draw = torch.ones(2, 2, dtype=torch.float64)
    assert _judge_structured(reference_draw, torch.full((2, 2), 3.0, dtype=torch.float64), law=positive).passed
    broken = _judge_structured(reference_draw, -torch.ones(2, 2, dtype=torch.float64), law=positive)
    assert broken.diagnosis == "not_positive"
    assert _judge_structured(reference_draw, torch.ones(3, dtype=torch.float64), law=positive).diagnosis == "wrong_shape"


def test_dropout_law_accepts_torch_and_names_each_mistake():
    from grader.experiments import dropout2d_law, dropout_runs

    x = torch.rand(16, 64, 3, 3, dtype=torch.float64) + 0.5
    law = dropout2d_law(0.5)

    def verdict(module):
        return law(wire.decode(wire.encode(dropout_runs(0.5, 0)(module, x))), x)

    class Unscaled(torch.nn.Dropout2d):
        def forward(self, input):
            return super().forward(input) * 0.5 if self.training else input

    class AlwaysOn(torch.nn.Dropout2d):
        def forward(self, input):
            return torch.nn.functional.dropout2d(input, self.p, training=True)

    assert verdict(torch.nn.Dropout2d) is None
    assert verdict(torch.nn.Dropout)[0] == "dropout_elementwise"
    assert verdict(Unscaled)[0] == "dropout_unscaled"
    assert verdict(AlwaysOn)[0] == "dropout_in_eval"
    class RareDrops(torch.nn.Dropout2d):  # scaled for p but drops far fewer channels
        def forward(self, input):
            keep = (torch.rand(*input.shape[:2], 1, 1) > 0.1).to(input.dtype)
            return input * keep / (1 - self.p) if self.training else input

    assert verdict(RareDrops)[0] == "dropout_rate"


TRIPWIRES = '''
import sys, torch, torch.nn as nn, torch.nn.functional as F
from grader.engine import forbidden
student = sys.argv[1]
hits = []
forbidden.install_tripwires(("torch.nn.functional.*batch_norm*", "torch.nn.*Norm*", "torch.ops.aten.*batch_norm*",
                             "torch._C._VariableFunctions.*batch_norm*"), hits, student)
x = torch.randn(2, 3, 4, 4)
F.batch_norm(x, None, None, training=True)  # the grader's own call passes
assert isinstance(nn.BatchNorm2d(3), nn.BatchNorm2d)  # so does building one outside student code
namespace = {"__name__": "submission", "__file__": student}
sys.modules["submission"] = type(sys)("submission")
sys.modules["submission"].__file__ = student
exec(compile("""
import torch, torch.nn as nn, torch.nn.functional as F
class Unused(nn.BatchNorm2d):  # defining a subclass is fine
    pass
class Mine(getattr(nn, "Batch" + "Norm2d")):
    pass
Mine.__module__ = "submission"
def by_name(x):
    return getattr(F, "batch" + "_norm")(x, None, None, training=True)
def by_aten(x):
    return getattr(torch.ops.aten, "batch" + "_norm")(x, None, None, None, None, True, 0.1, 1e-5, False)
def by_vf(x):
    return getattr(torch._C._VariableFunctions, "batch" + "_norm")(x, None, None, None, None, True, 0.1, 1e-5, False)
""", student, "exec"), namespace)
refused = []
for attempt in (lambda: namespace["by_name"](x), lambda: namespace["by_aten"](x), lambda: namespace["by_vf"](x),
                lambda: namespace["Mine"](3)):
    try:
        attempt()
    except forbidden.ForbiddenCall:
        refused.append(True)
print(len(refused), sorted({h.api for h in hits}))
'''


@pytest.mark.slow
def test_tripwires_stop_the_student_not_the_grader(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    student = str(tmp_path / "blocks.py")
    result = subprocess.run([sys.executable, "-c", TRIPWIRES, student], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1)[0] == "4"
    for api in ("torch.nn.functional.batch_norm", "torch.ops.aten.batch_norm",
                "torch._C._VariableFunctions.batch_norm", "torch.nn.BatchNorm2d"):
        assert api in result.stdout
