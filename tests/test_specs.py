"""Every seed gives valid cases: the reference answers each value case like torch, and rejects each probe."""
import importlib.util

import pytest

from conftest import ROOT
from grader.engine import compare, wire
from grader.engine.run import exercise, to_float64
from grader.spec import assignment_names, build, load_assignment


def _reference(assignment, module):
    spec = importlib.util.spec_from_file_location(f"_ref_{assignment}_{module[:-3]}",
                                                  ROOT / "reference" / assignment / module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def _as_sent(value):
    """What the grader would see: the value after the trip through the result format."""
    return wire.decode(wire.encode(to_float64(value)))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", assignment_names(ROOT))
def test_cases_are_valid_for_many_seeds(assignment):
    problems = []
    references = {}
    for seed in range(25):
        spec = load_assignment(assignment, seed, ROOT)
        for task in spec.tasks:
            module = spec.module_of(task)
            reference = references.setdefault(module, _reference(assignment, module))
            if task.call == "mapping":
                continue
            target, oracle = getattr(reference, task.target), task.oracle
            for case in task.cases:
                target_run, oracle_run = exercise(case, target), oracle and exercise(case, oracle)
                args, kwargs = build(case.args), build(case.kwargs)
                if not case.raises:  # as the grader runs them: value cases in float64
                    args, kwargs = to_float64(args), to_float64(kwargs)
                try:
                    ours, raised = target_run(*args, **kwargs), False
                except Exception:
                    raised = True
                where = f"seed {seed} {task.name}: {case.name}"
                if raised != case.raises:
                    problems.append(where)
                elif raised or not oracle_run:
                    continue
                elif case.law:
                    broken = compare.breaks_law(case, _as_sent(oracle_run(*args, **kwargs)))
                    if broken:
                        problems.append(f"{where}: torch breaks the law: {broken}")
                elif not compare.agree(_as_sent(ours), _as_sent(oracle_run(*args, **kwargs))):
                    problems.append(f"{where} disagrees with torch")
    assert problems == []


@pytest.mark.parametrize("assignment", assignment_names(ROOT))
def test_a_worked_example_says_whether_the_lecture_prints_it(assignment):
    """A case whose numbers the lecture prints is named "lecture: ..." or "lecture's ..."; one computed
    from the lecture's settings but not printed there is named "derived: ..."; no other spelling."""
    for task in load_assignment(assignment, root=ROOT).tasks:
        for case in task.cases:
            if case.name.lower().startswith(("lecture", "derived")):
                assert case.name.startswith(("lecture: ", "lecture's ", "derived: ")), (task.name, case.name)
