"""A class's grades as one CSV gradebook for the instructor: a spreadsheet, or Moodle's CSV grade import."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable

from grader.reports.classbook import Graded
from grader.i18n import Message, say
from grader.reports.render import clean, write_report
from grader.results import Report

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A number as it is; text on one line, defused if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = clean(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def task_names(reports: Iterable[Report]) -> list[str]:
    """The tasks' names in the spec's order (the first report with tasks), then any others seen."""
    names: list[str] = []
    for report in reports:
        names += [t.name for t in report.tasks if t.name not in names]
    return names


def failed_whole(report: Report, language: str | None = None) -> str:
    """Why nothing could be graded, if every task is an error that scored nothing, in `language`
    (by default the report's); else ""."""
    if report.tasks and all(t.status == "error" and t.score == 0 for t in report.tasks):
        problem = report.tasks[0].problem
        return say(language or report.environment.language, problem) if isinstance(problem, Message) else problem or ""
    return ""


def gradebook_csv(graded: list[Graded], anonymous: bool = False, similar: dict[str, str] | None = None) -> str:
    """The gradebook as CSV text (with its byte-order mark), one row per student.

    Columns, in this order:

    - `student`: the id the batch gave the submission (a Moodle participant id, a folder's name)
    - `name`: the full name where the source has one (empty with `--anonymous`)
    - `total`: the final grade: the graded points, with the instructor's adjustments and less the
      late penalty; `max`, `percent`: points possible, 100 * total / max
    - `raw_total`: the points as graded, before any penalty or adjustment
    - `submitted_at` (ISO 8601, where the source tells), `late_days` (started days after the
      deadline), `penalty` (percent of the points taken off), `adjustment` (the instructor's points)
    - for every task, in the spec's order: `<task> score` (adjusted) and `<task> status`
      (passed, partial, failed, not_implemented, error, timeout, forbidden)
    - `review flags`: how many places in the code reach into the grader (for a person to look at)
    - `problem`: why nothing could be graded, when every task failed with an error
    - `duration_s`, `sha256` (of the submission's files as graded), `graded_at` (UTC, ISO 8601)
    - with `similar` (`grade batch --similarity`), last: `similar_to`, the id of the most similar other
      student and the score ("1470031 0.93"): a hint for a person, which changes no grade

    The file is UTF-8 with a byte-order mark, comma-separated, "." as the decimal point: Excel then
    reads non-Latin names (Cyrillic) correctly, LibreOffice detects UTF-8 by itself, and Moodle
    strips the mark. Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
    prefixed with `'`, so a spreadsheet never runs a student's id or message as a formula.

    For a Moodle assignment, `moodle_worksheet.csv` (grader.reports.moodle) is the file to upload. This one
    imports through Grades > Import > CSV file when `student` holds something Moodle finds a user
    by (a username, an email address or an ID number): map `student` to that field and `total` to
    the assignment's grade item, and leave every other column on "Ignore".
    """
    tasks = task_names(entry.report for entry in graded)
    out = io.StringIO()
    # "\n" rows: write_report writes in text mode, which makes them "\r\n" on Windows, not "\r\r\n"
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", "total", "max", "percent", "raw_total", "submitted_at", "late_days",
                     "penalty", "adjustment"]
                    + [f"{name} {what}" for name in tasks for what in ("score", "status")]
                    + ["review flags", "problem", "duration_s", "sha256", "graded_at"]
                    + (["similar_to"] if similar is not None else []))
    for entry in graded:
        report = entry.report
        by_name = {t.name: t for t in report.tasks}
        percent = round(100 * entry.total / entry.max_score, 2) if entry.max_score else 0.0
        row: list[object] = [entry.student, "" if anonymous else entry.name, entry.total, float(entry.max_score),
                             percent, float(entry.raw_total),
                             entry.submitted_at.isoformat() if entry.submitted_at else "", entry.late_days,
                             entry.penalty, entry.adjustment]
        for name in tasks:
            task = by_name.get(name)
            row += [entry.task_score(task), task.status] if task else ["", ""]
        row += [report.review_count, failed_whole(report), round(report.duration_s, 1),
                report.sha256, report.graded_at]
        row += [similar.get(entry.student, "")] if similar is not None else []
        writer.writerow([_cell(value) for value in row])
    return BOM + out.getvalue()


def write_gradebook(path: Path, graded: list[Graded], anonymous: bool = False,
                    similar: dict[str, str] | None = None) -> Path:
    """Write the gradebook to `path` (whole or not at all) and return the path."""
    write_report(Path(path), gradebook_csv(graded, anonymous, similar))
    return Path(path)
