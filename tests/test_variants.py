"""Every known mistake of every spec can be named, and says "not here" only with NotApplicable.

A Variant's diagnosis fires only where its value differs from the reference's answer, so each must
differ on at least one case of its task; and a Variant that raises anything but NotApplicable is a
defect of the spec (the grader would silently never name it there). In-process, on the CPU, with the
cases of seed 0: no sandbox and no grading, so that it stays in the fast tier.
"""

import pytest

from conftest import ROOT
from grader.engine import compare, wire
from grader.experiments import without_gradients
from grader.engine.run import _target, exercise, mistake_value, to_float64
from grader.spec import NotApplicable, Task, Variant, assignment_names, build, load_assignment
from test_specs import _reference  # the reference module, loaded apart from the grader


def _as_sent(value):
    """The value as the grader compares it: float64, through the result format."""
    return wire.decode(wire.encode(to_float64(without_gradients(value))))


def mistakes_on(task: Task, reference) -> tuple[set[int], list[str]]:
    """The task's Variants (by number) that differ from the reference on at least one case, and one
    line per (Variant, case) where a Variant raised something other than NotApplicable."""
    fired, raised = set(), []
    target = _target(reference, task)
    for case in task.cases:
        if case.raises:
            continue
        args, kwargs = to_float64(build(case.args)), to_float64(build(case.kwargs))
        expected = _as_sent(exercise(case, target)(*args, **kwargs))
        for number, variant in enumerate(task.variants):
            try:
                value = mistake_value(case, variant, reference, args, kwargs)  # as the reference's child computes it
            except Exception as error:  # noqa: BLE001 (what the test is for)
                raised.append(f"{task.name}/{variant.code}: case {case.name!r}: {type(error).__name__}: {error}")
                continue
            if value is not None and case.law is None and not compare.agree(expected, _as_sent(value)):
                fired.add(number)
    return fired, raised


@pytest.mark.parametrize("assignment", assignment_names(ROOT))
def test_every_variant_can_fire_and_raises_only_not_applicable(assignment):
    spec, references = load_assignment(assignment, 0, ROOT), {}
    never, raised = [], []
    for task in spec.tasks:
        if not task.variants:
            continue
        module = spec.module_of(task)
        reference = references.setdefault(module, _reference(assignment, module))
        fired, errors = mistakes_on(task, reference)
        never += [f"{task.name}/{v.code} (variant {n})" for n, v in enumerate(task.variants) if n not in fired]
        raised += errors
    assert raised == [], "a Variant raised; raise NotApplicable where it does not apply"
    assert never == [], "these Variants equal the reference on every case: their diagnosis never fires"


def test_the_check_finds_a_variant_that_never_differs_and_one_that_raises():
    """The test of the test: a task with a mistake that is the right answer, and one that crashes."""
    spec = load_assignment("assignment2", 0, ROOT)
    task = spec.task("conv_output_size")
    reference = _reference("assignment2", spec.module_of(task))
    right = Variant(code="is_right", hint="", compute=lambda ref, *a, **k: ref.conv_output_size(*a, **k))
    crashes = Variant(code="crashes", hint="", compute=lambda ref, *a, **k: 1 / 0)
    not_here = Variant(code="not_here", hint="", compute=_not_applicable)
    fired, raised = mistakes_on(task.model_copy(update={"variants": (*task.variants, right, crashes, not_here)}),
                                reference)
    assert fired == set(range(len(task.variants)))  # the task's own, and none of the three added
    assert raised and all(line.startswith("conv_output_size/crashes: case ") for line in raised)
    assert "ZeroDivisionError" in raised[0]


def _not_applicable(ref, *args, **kwargs):
    raise NotApplicable("never applies")
