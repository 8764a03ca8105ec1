"""Every seed gives valid cases: the reference answers each value case like torch, and rejects each probe."""
import importlib.util

import pytest
import torch

from conftest import ROOT
from grader.run import to_float64
from grader.spec import build, load_assignment


def _reference(assignment, module):
    spec = importlib.util.spec_from_file_location(f"_ref_{assignment}", ROOT / "reference" / assignment / module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.mark.parametrize("assignment", ["assignment1", "assignment2"])
def test_cases_are_valid_for_many_seeds(assignment):
    problems = []
    for seed in range(25):
        spec = load_assignment(assignment, seed, ROOT)
        reference = _reference(assignment, spec.module)
        for task in spec.tasks:
            target = getattr(reference, task.target)
            for case in task.cases:
                if task.call == "mapping":
                    continue
                args, kwargs = build(case.args), build(case.kwargs)
                if not case.raises:  # as the grader runs them: value cases in float64
                    args, kwargs = to_float64(args), to_float64(kwargs)
                try:
                    ours, raised = target(*args, **kwargs), False
                except Exception:
                    raised = True
                if raised != case.raises:
                    problems.append(f"seed {seed} {task.name}: {case.name}")
                elif not raised and task.oracle and not _same(ours, task.oracle(*args, **kwargs)):
                    problems.append(f"seed {seed} {task.name}: {case.name} disagrees with torch")
    assert problems == []


def _same(ours, torchs):
    if isinstance(ours, torch.Tensor):
        return ours.shape == torchs.shape and torch.allclose(ours.double(), torchs.double(), atol=1e-9)
    return ours == torchs
