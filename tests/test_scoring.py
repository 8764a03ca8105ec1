"""No points without an answer (issue 18): argument checks earn points only once one of the task's
results or edge cases is right, and running out of memory or stack never passes an argument check.

A body that only raises used to pass every argument check whose probe expects that class: the
assignment 1 stub with `raise RuntimeError` scored 9/100, and one that allocated 16 TiB on every
call (torch's out-of-memory error is a RuntimeError) scored the same.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from grader import api
from grader.engine import compare
from grader.engine.frames import CaseReply, Raised, ReferenceCase
from grader.results import CheckResult, TaskResult
from grader.spec import Case, Task, assignment_names

ASSIGNMENTS = assignment_names(ROOT)
SHARES = {"results": 0.7, "edge cases": 0.2, "argument checks": 0.1}


# --- the rule, on hand-made checks ----------------------------------------------------------

def _task(results: list[bool], edges: list[bool], arguments: list[bool], **fields) -> TaskResult:
    checks = [CheckResult(name=f"{group} {i}", device="cpu", passed=passed, group=group)
              for group, outcomes in (("results", results), ("edge cases", edges), ("argument checks", arguments))
              for i, passed in enumerate(outcomes)]
    shares = {group: share for group, share in SHARES.items() if any(c.group == group for c in checks)}
    return TaskResult(name="t", max_score=10, checks=tuple(checks), shares=shares, **fields)


def _points(task: TaskResult) -> dict[str, float]:
    return {group.name: group.points for group in task.groups}


def test_argument_checks_alone_earn_nothing():
    raise_only = _task([False] * 4, [False] * 2, [True] * 3)
    assert raise_only.score == 0 and raise_only.status == "failed"
    assert _points(raise_only) == {"results": 0, "edge cases": 0, "argument checks": 0}
    assert [g.passed for g in raise_only.groups] == [0, 0, 3]  # the counts stay true


def test_one_right_result_or_edge_case_unlocks_every_argument_check():
    assert _points(_task([True, False, False, False], [False] * 2, [True] * 3))["argument checks"] == 1
    assert _points(_task([False] * 4, [True, False], [True] * 3))["argument checks"] == 1
    assert _points(_task([True, False, False, False], [False] * 2, [True, False, False]))["argument checks"] == 0.33
    partly = _task([True, True, False, False], [True, False], [True] * 3)
    assert partly.score == 3.5 + 1 + 1 and partly.status == "partial"


def test_a_correct_task_keeps_full_marks():
    assert _task([True] * 4, [True] * 2, [True] * 3).score == 10


def test_a_result_the_grader_broke_answers_nothing():
    task = _task([False] * 2, [], [True] * 3)
    broken = tuple(c.model_copy(update={"diagnosis": "grader_defect"}) if c.group == "results" else c
                   for c in task.checks)
    assert task.model_copy(update={"checks": broken}).score == 0


def test_a_task_of_argument_checks_alone_is_judged_on_them():
    assert _task([], [], [True, True, False]).score == 6.67


def test_the_rule_holds_for_a_report_read_back():
    raise_only = _task([False] * 4, [False] * 2, [True] * 3)
    again = TaskResult.model_validate_json(raise_only.model_dump_json())
    assert again.score == 0 and again.status == "failed"


# --- a probe's verdict ------------------------------------------------------------------------

def _probe(raised_type: str, mro: list[str], message: str = "", wanted: str = "RuntimeError"):
    task = Task(name="conv2d", points=1, target="conv2d", cases=())
    case = Case(name="probe", args=(), raises=True)
    expected = ReferenceCase(raised=Raised(wanted, (wanted, "Exception", "BaseException", "object"), "bad"))
    raised = Raised(raised_type, (*mro, "Exception", "BaseException", "object"), message)
    return compare.judge(task, case, expected, CaseReply(0, raised=raised), "cpu")


def test_running_out_of_memory_or_stack_never_passes_a_probe():
    torch_cpu = _probe("RuntimeError", ["RuntimeError"], "DefaultCPUAllocator: can't allocate memory: you tried to "
                       "allocate 17592186044416 bytes. Error code 12 (Cannot allocate memory)")
    torch_cuda = _probe("OutOfMemoryError", ["OutOfMemoryError", "RuntimeError"], "CUDA out of memory.")
    both = _probe("Exhausted", ["Exhausted", "MemoryError", "RuntimeError"])
    for verdict in (torch_cpu, torch_cuda, both):
        assert not verdict.passed and verdict.diagnosis == "memory", str(verdict.message)
    for wanted in ("RuntimeError", "Exception"):
        assert not _probe("RecursionError", ["RecursionError", "RuntimeError"], wanted=wanted).passed
        assert not _probe("MemoryError", ["MemoryError"], wanted=wanted).passed
    assert _probe("RuntimeError", ["RuntimeError"], "stride must be positive").passed


# --- graded submissions -----------------------------------------------------------------------

def _raising(assignment: str, body: str, folder: Path) -> Path:
    """The assignment's stubs with every `raise NotImplementedError(...)` replaced by `body`."""
    folder.mkdir(parents=True)
    stubs = sorted((ROOT / "assignments" / assignment).glob("*.py"))
    assert stubs
    for stub in stubs:
        text = re.sub(r"raise NotImplementedError\b(\([^)\n]*\))?", body, stub.read_text())
        (folder / stub.name).write_text(text)
    return folder


BODIES = {"RuntimeError": 'raise RuntimeError("no")', "ValueError": "raise ValueError",
          "MemoryError": "raise MemoryError", "torch out of memory": '__import__("torch").empty(2 ** 42)'}


@pytest.mark.slow
@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_body_that_only_raises_scores_0_on_every_task(assignment, body, tmp_path):
    report = api.grade(assignment, _raising(assignment, BODIES[body], tmp_path / assignment), root=ROOT)
    assert {t.name: t.score for t in report.tasks if t.score} == {}
    assert {t.status for t in report.tasks} <= {"failed", "not_implemented"}


@pytest.mark.slow
def test_running_out_of_resources_on_every_call_passes_no_argument_check(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "hostile" / "points_out_of_resources.py", folder / "convolution.py")
    report = api.grade("assignment1", folder, root=ROOT)
    probes = {t.name: [c for c in t.checks if c.group == "argument checks"] for t in report.tasks}
    assert all(probes[name] for name in ("pad", "conv1d", "conv2d", "convolve2d"))
    assert {t: [str(c.message) for c in checks if c.passed] for t, checks in probes.items()} == {t: [] for t in probes}
    assert {c.diagnosis for checks in probes.values() for c in checks} <= {"memory", "exception"}
    assert report.score == 0
