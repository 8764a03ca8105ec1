"""The references score full marks and agree with torch; the untouched stubs score 0."""
import pytest

from conftest import ROOT
from grader import api
from grader.reports.render import student_view
from grader.spec import assignment_names

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

ASSIGNMENTS = assignment_names(ROOT)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks(grade, assignment):
    report = grade(assignment, ROOT / "reference" / assignment)
    failing = [f"{t.name}: {c.message}" for t in report.tasks for c in t.checks if not c.passed]
    assert failing == []
    assert report.score == report.max_score == 100


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stubs_score_zero_as_not_implemented(grade, assignment):
    report = grade(assignment)
    assert report.score == 0
    assert {t.status for t in report.tasks} == {"not_implemented"}
    # as the student sees it too: a hidden check keeps no detail, but "not attempted" is none
    assert {t.status for t in student_view(report).tasks} == {"not_implemented"}


def test_check_reference_finds_no_defect():
    assert api.check_reference(ASSIGNMENTS, root=ROOT) == []


def test_check_reference_catches_a_broken_reference(tmp_path):
    """Copy the course with a reference that flips the kernel: check-reference must object."""
    import shutil

    course = tmp_path / "course"
    shutil.copytree(ROOT / "reference", course / "reference")
    shutil.copytree(ROOT / "assignments", course / "assignments")
    broken = course / "reference" / "assignment1" / "convolution.py"
    broken.write_text(broken.read_text() + "\n\n_conv2d = conv2d\n"
                      "def conv2d(input, weight, *args, **kwargs):\n"
                      "    return _conv2d(input, weight.flip(-1, -2), *args, **kwargs)\n")
    defects = api.check_reference(["assignment1"], root=course)
    assert any("assignment1/conv2d" in d and "torch" in d for d in defects)
    assert any("lecture" in d for d in defects)
