"""The statements state each task's points and their split exactly as the specs declare them."""
import pytest

from conftest import ROOT
from grader import statement
from grader.spec import GROUPS, assignment_names, load_assignment

NAMES = assignment_names(ROOT)


@pytest.mark.parametrize("name", NAMES)
def test_the_statement_shows_the_spec_s_points(name):
    spec = load_assignment(name, root=ROOT)
    text = statement.statement_path(ROOT, name).read_text()
    assert statement.points_table(spec) in text, f"stale: run python -m grader.statement"


@pytest.mark.parametrize("name", NAMES)
def test_argument_checks_count_for_at_most_15_percent(name):
    for task in load_assignment(name, root=ROOT).tasks:
        assert set(task.shares) <= set(GROUPS) and abs(sum(task.shares.values()) - 1) < 1e-9, task.name
        assert task.shares.get("argument checks", 0) <= 0.15, task.name


def test_a_stale_statement_is_caught():
    spec = load_assignment("assignment1", root=ROOT)
    fresh = statement.with_points("# statement\n", spec)
    assert statement.points_table(spec) in fresh
    stale = fresh.replace(f"| `conv2d` | {spec.task('conv2d').points:g} |", "| `conv2d` | 99 |")
    assert statement.points_table(spec) not in stale
    assert statement.with_points(stale, spec) == fresh
