"""A batch's grades as the instructor hands them back: who each student is, when they submitted,
and the instructor's own decisions (a late penalty, adjustments) on top of the graded report.

The report stays what grading found; everything here is applied when the outputs are written
(also with `--report-only`), so a regrade keeps the decisions and a changed decision needs no
regrade. Final scores are computed, never stored.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Callable, Iterable

from pydantic import computed_field

from grader.i18n import ReaderError
from grader.results import Record, Report, TaskResult

DAY = timedelta(days=1)


class Adjustment(Record):
    """Points an instructor adds to (or, negative, takes from) one task, or the total (`task` "")."""

    task: str = ""
    delta: float
    comment: str = ""


class Graded(Record):
    """One student of a batch: the id, the display name, the report, and what is decided on top."""

    student: str  # the id: a Moodle participant id, a folder's or a manifest's name
    name: str = ""  # the full name where the source has one (a Moodle export)
    report: Report
    submitted_at: datetime | None = None  # timezone-aware; None where no source tells
    deadline: datetime | None = None
    late_penalty: float = 0.0  # percent of the points per started day after the deadline
    adjustments: tuple[Adjustment, ...] = ()

    def label(self, anonymous: bool = False) -> str:
        """How pages name the student: the full name, or the id where there is none or names are off."""
        return self.student if anonymous or not self.name else self.name

    def task_score(self, task: TaskResult) -> float:
        """The task's points after the instructor's adjustments to it, within 0 and its maximum."""
        delta = sum(a.delta for a in self.adjustments if a.task == task.name)
        return round(min(max(task.score + delta, 0.0), task.max_score), 2)

    @computed_field
    @property
    def late_days(self) -> int:
        """Started days after the deadline (0 when on time or unknown)."""
        if self.deadline is None or self.submitted_at is None or self.submitted_at <= self.deadline:
            return 0
        return math.ceil((self.submitted_at - self.deadline) / DAY)

    @computed_field
    @property
    def penalty(self) -> float:
        """The late penalty in percent of the points, at most 100."""
        return min(100.0, round(self.late_days * self.late_penalty, 6))

    @computed_field
    @property
    def raw_total(self) -> float:
        """What grading gave, before any penalty or adjustment."""
        return self.report.score

    @computed_field
    @property
    def adjustment(self) -> float:
        """The instructor's adjustments, in points as given (before clamping)."""
        return round(sum(a.delta for a in self.adjustments), 2)

    @computed_field
    @property
    def total(self) -> float:
        """The final grade: task points as adjusted, less the late penalty, plus an adjustment of the
        total, which comes last so that an instructor can give points back; within 0 and the maximum."""
        points = sum(self.task_score(task) for task in self.report.tasks) * (1 - self.penalty / 100)
        points += sum(a.delta for a in self.adjustments if not a.task)
        return round(min(max(points, 0.0), self.report.max_score), 2)

    @property
    def max_score(self) -> float:
        return self.report.max_score


class DecisionError(ReaderError, ValueError):
    """A deadline, penalty or adjustments file that cannot be used: one line, exit 2."""


def read_adjustments(path: Path, tasks: Iterable[str], students: Iterable[str]) -> dict[str, tuple[Adjustment, ...]]:
    """An instructor's CSV `student,task,delta,comment`, by student: `delta` points for that task,
    or for the total where `task` is empty. Every id and task must be of this batch: a typo must
    not go unnoticed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DecisionError("cannot read {path}: {why}", path=path, why=error.strerror) from None
    except UnicodeDecodeError:
        raise DecisionError("{path}: not UTF-8 text", path=path) from None
    rows = csv.DictReader(io.StringIO(text))
    if not {"student", "delta"} <= {(name or "").strip() for name in rows.fieldnames or ()}:
        raise DecisionError("{path}: the first row must name the columns student,task,delta,comment", path=path)
    known_tasks, known_students = set(tasks), set(students)
    found: dict[str, list[Adjustment]] = {}
    for row in rows:
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if isinstance(value, str)}
        where = {"path": path, "line": rows.line_num}
        if row.get("student") not in known_students:
            raise DecisionError("{path}, line {line}: no student {student} in this batch",
                                student=row.get("student", ""), **where)
        if row.get("task") and row["task"] not in known_tasks:
            raise DecisionError("{path}, line {line}: no task {task} in this assignment", task=row["task"], **where)
        try:
            delta = float(row.get("delta", ""))
        except ValueError:
            raise DecisionError("{path}, line {line}: delta must be a number of points, not {value}",
                                value=row.get("delta", ""), **where) from None
        if not math.isfinite(delta):
            raise DecisionError("{path}, line {line}: delta must be a number of points, not {value}",
                                value=row["delta"], **where)
        found.setdefault(row["student"], []).append(Adjustment(task=row.get("task", ""), delta=delta,
                                                               comment=row.get("comment", "")))
    return {student: tuple(adjustments) for student, adjustments in found.items()}


def read_deadline(text: str, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time (`2026-12-01T23:59`, `2026-12-01 23:59+03:00`); without an offset, in `zone`
    (the machine's by default)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DecisionError("--deadline {value}: expected a date and time such as 2026-12-01T23:59+03:00",
                            value=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone).astimezone() if zone is None \
        else moment.replace(tzinfo=zone)


def decide(graded: list[Graded], deadline: datetime | None = None, late_penalty: float = 0.0,
           adjustments: dict[str, tuple[Adjustment, ...]] | None = None,
           submitted: Callable[[str], datetime | None] | None = None) -> list[Graded]:
    """The stored students with the instructor's decisions on top; `submitted(student)`, where it
    knows (a Moodle grading worksheet), overrides the submission time the export gave."""
    adjustments = adjustments or {}
    decided = []
    for entry in graded:
        when = (submitted(entry.student) if submitted else None) or entry.submitted_at
        decided.append(entry.model_copy(update={"submitted_at": when, "deadline": deadline,
                                                "late_penalty": late_penalty,
                                                "adjustments": adjustments.get(entry.student, ())}))
    return decided
