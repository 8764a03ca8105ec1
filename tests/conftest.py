"""Shared helpers: grade a submission in-process and summarise what each task lost."""
from __future__ import annotations

import grader  # noqa: F401  (pins thread counts before torch is imported)

import importlib
import os
import shutil
from pathlib import Path

import pytest

from grader import api

ROOT = Path(__file__).resolve().parent.parent

# The tests read English messages: the reader's locale decides over the course's Russian default,
# here and in every command the tests run.
for _variable in ("LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "en_US.UTF-8"
SUBMISSIONS = ROOT / "tests" / "submissions"

# The test tiers: `pytest -m "not slow"` is the everyday one. Slow is whatever grades whole
# submissions, runs the reference or runs the `grade` command: every test that uses one of these
# fixtures, and those marked in their file (`pytestmark`, `@pytest.mark.slow`).
SLOW_FIXTURES = {"grade", "graded", "wrong_reports", "handout", "public_folder"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def english(message) -> str:
    """A report's message in English, as the tests read it: a message read back from JSON (a
    dict), a message, or text."""
    from grader.i18n import Message
    from grader.reports.render import said

    return said(Message.model_validate(message) if isinstance(message, dict) else message, "en")


def summary(report) -> dict[str, tuple[str, set[str]]]:
    """Task -> (status, diagnoses of its failing checks), for the tasks that lost points."""
    return {t.name: (t.status, {c.diagnosis for c in t.checks if not c.passed})
            for t in report.tasks if t.score < t.max_score}


def mutant(assignment: str, name: str, folder: Path) -> Path:
    """A wrong submission (tests/mutants_ASSIGNMENT.py), written out as a folder under `folder`."""
    table = importlib.import_module(f"mutants_{assignment}").MUTANTS
    return table[name].write(folder / name)


@pytest.fixture(scope="session")
def grade():
    def run(assignment: str, submission: Path | str | None = None, **options):
        return api.grade(assignment, submission, root=ROOT, **options)
    return run


@pytest.fixture(scope="session")
def graded(grade, tmp_path_factory):
    """The report of a submission in tests/ (a correct one by its folder's name, or a mutant),
    graded once with the default options and shared by the tests that need it."""
    reports = {}

    def report(assignment: str, name: str):
        if (assignment, name) not in reports:
            reports[assignment, name] = grade(assignment, submission_path(assignment, name, tmp_path_factory.mktemp(name)))
        return reports[assignment, name]
    return report


def submission_path(assignment: str, name: str, folder: Path) -> Path:
    correct = SUBMISSIONS / assignment / name
    return correct if correct.is_dir() else mutant(assignment, name, folder)


def class_of(folder: Path, assignment: str, names: list[str]) -> Path:
    """A folder with one sub-folder per student, named after the submission in tests/."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = submission_path(assignment, name, folder.parent / f"{name}-source")
        shutil.copytree(source, folder / name)
    return folder


@pytest.fixture(scope="session")
def batch_graded(tmp_path_factory):
    """Every submission in tests/ of an assignment (correct and mutants), graded in one batch with
    seed 0 as a course grades a class: in the course's language, Russian. Once per session."""
    from grader.course import batch
    from test_wrong_submissions import BUGGY, CORRECT
    reports = {}

    def graded_class(assignment: str) -> dict:
        if assignment not in reports:
            names = [n for a, n in CORRECT if a == assignment] + [n for a, n, _ in BUGGY if a == assignment]
            work = tmp_path_factory.mktemp(f"class-{assignment}")
            folder = class_of(work / "class", assignment, names)
            graded = batch.grade_batch(assignment, [folder], work / "results", jobs=2, seed=0, root=ROOT)
            reports[assignment] = {entry.student: entry.report for entry in graded}
        return reports[assignment]
    return graded_class
