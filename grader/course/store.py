"""Where a batch keeps its reports: one SQLite row per student and assignment, written as each finishes."""
from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

from grader.reports.classbook import Graded
from grader.results import Report

FILE_NAME = "grades.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    sha256 TEXT NOT NULL,   -- of the submission as graded ('' when there was nothing to grade)
    seed INTEGER NOT NULL,
    grader TEXT NOT NULL,   -- the grader's version
    report TEXT NOT NULL,   -- the Report as JSON; scores are recomputed from it when read
    name TEXT NOT NULL DEFAULT '',          -- the full name, where the source has one
    submitted_at TEXT NOT NULL DEFAULT '',  -- ISO 8601 with its offset, where the source tells
    PRIMARY KEY (assignment, student)
)"""
COLUMNS = ("assignment", "student", "sha256", "seed", "grader", "report", "name", "submitted_at")
_INSERT = f"INSERT OR REPLACE INTO reports ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
# Columns added since the first stores: a store written by an older grader gets them on opening.
_ADDED = {"name": "TEXT NOT NULL DEFAULT ''", "submitted_at": "TEXT NOT NULL DEFAULT ''"}


def open_store(folder: Path) -> sqlite3.Connection:
    """The store in `folder` (made if missing). Each write is committed at once, so a batch
    killed midway keeps everything graded before."""
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / FILE_NAME, isolation_level=None)  # autocommit
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(_SCHEMA)
    present = {row[1] for row in connection.execute("PRAGMA table_info(reports)")}
    for column, declaration in _ADDED.items():
        if column not in present:
            connection.execute(f"ALTER TABLE reports ADD COLUMN {column} {declaration}")
    return connection


def save(connection: sqlite3.Connection, student: str, report: Report, name: str = "",
         submitted_at: datetime | None = None) -> None:
    connection.execute(_INSERT, (report.assignment, student, report.sha256, report.seed, report.environment.grader,
                                 report.model_dump_json(), name, _when(submitted_at)))


def note(connection: sqlite3.Connection, assignment: str, student: str, name: str,
         submitted_at: datetime | None) -> None:
    """Keep a stored student's name and submission time as the latest source says (the report stays)."""
    connection.execute("UPDATE reports SET name = ?, submitted_at = ? WHERE assignment = ? AND student = ?",
                       (name, _when(submitted_at), assignment, student))


def is_current(connection: sqlite3.Connection, assignment: str, student: str, sha256: str, seed: int,
               grader: str) -> bool:
    """Whether this student's report is of this very submission, seed and grader version."""
    row = connection.execute("SELECT sha256, seed, grader FROM reports WHERE assignment = ? AND student = ?",
                             (assignment, student)).fetchone()
    return row == (sha256, seed, grader)


def load_all(connection: sqlite3.Connection, assignment: str) -> list[Graded]:
    """Every stored student of the assignment, by id, as graded (no instructor's decisions yet)."""
    rows = connection.execute("SELECT student, name, submitted_at, report FROM reports WHERE assignment = ? "
                              "ORDER BY student", (assignment,))
    return [Graded(student=student, name=name, submitted_at=datetime.fromisoformat(when) if when else None,
                   report=Report.model_validate_json(text)) for student, name, when, text in rows]


def rows(folder: Path) -> list[tuple]:
    """Every row of the store in `folder`, as stored (`COLUMNS`), for another store to take in."""
    with contextlib.closing(open_store(folder)) as connection:
        return connection.execute(f"SELECT {', '.join(COLUMNS)} FROM reports ORDER BY assignment, student").fetchall()


def replace_all(folder: Path, found: list[tuple]) -> None:
    """The store in `folder` holds these rows (`COLUMNS`) of their assignments, and no other of them."""
    with contextlib.closing(open_store(folder)) as connection:
        connection.execute("BEGIN")
        for assignment in {row[0] for row in found}:
            connection.execute("DELETE FROM reports WHERE assignment = ?", (assignment,))
        connection.executemany(_INSERT, found)
        connection.execute("COMMIT")


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
