"""Shared helpers: grade a submission in-process and summarise what each task lost."""
from __future__ import annotations

import grader  # noqa: F401  (pins thread counts before torch is imported)

import importlib
from pathlib import Path

import pytest

from grader import api

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"


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
