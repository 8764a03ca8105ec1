"""Where a batch keeps its reports: one SQLite row per student and assignment, written as each finishes."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .results import Report

FILE_NAME = "grades.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    sha256 TEXT NOT NULL,   -- of the submission as graded ('' when there was nothing to grade)
    seed INTEGER NOT NULL,
    grader TEXT NOT NULL,   -- the grader's version
    report TEXT NOT NULL,   -- the Report as JSON; scores are recomputed from it when read
    PRIMARY KEY (assignment, student)
)"""


def open_store(folder: Path) -> sqlite3.Connection:
    """The store in `folder` (made if missing). Each write is committed at once, so a batch
    killed midway keeps everything graded before."""
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / FILE_NAME, isolation_level=None)  # autocommit
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(_SCHEMA)
    return connection


def save(connection: sqlite3.Connection, student: str, report: Report) -> None:
    connection.execute("INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?, ?, ?)",
                       (report.assignment, student, report.sha256, report.seed, report.environment.grader,
                        report.model_dump_json()))


def is_current(connection: sqlite3.Connection, assignment: str, student: str, sha256: str, seed: int,
               grader: str) -> bool:
    """Whether this student's report is of this very submission, seed and grader version."""
    row = connection.execute("SELECT sha256, seed, grader FROM reports WHERE assignment = ? AND student = ?",
                             (assignment, student)).fetchone()
    return row == (sha256, seed, grader)


def load_all(connection: sqlite3.Connection, assignment: str) -> list[tuple[str, Report]]:
    """Every stored (student, report) of the assignment, by student."""
    rows = connection.execute("SELECT student, report FROM reports WHERE assignment = ? ORDER BY student",
                              (assignment,))
    return [(student, Report.model_validate_json(text)) for student, text in rows]
