"""The handout's smoke test: its stored answers load, and the untouched stubs grade as not attempted."""
from pathlib import Path

import pytest

from grader import api, spec

ROOT = Path(__file__).resolve().parents[1]


def test_the_handout_holds_no_solutions():
    assert not (ROOT / "reference").exists()
    assert spec.assignment_names(ROOT)


@pytest.mark.parametrize("name", spec.assignment_names(ROOT))
def test_an_untouched_stub_grades_as_not_attempted(name):
    report = api.grade(name, ROOT / "assignments" / name, device="cpu", root=ROOT)
    assert report.score == 0
    assert {task.status for task in report.tasks} == {"not_implemented"}
