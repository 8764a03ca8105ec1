"""A class's reports as one CSV gradebook, for a spreadsheet or Moodle's grade import."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .report import clean, write_report
from .results import Report

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


def task_names(entries: list[tuple[str, Report]]) -> list[str]:
    """The tasks' names in the spec's order (the first report with tasks), then any others seen."""
    names: list[str] = []
    for _, report in entries:
        names += [t.name for t in report.tasks if t.name not in names]
    return names


def failed_whole(report: Report) -> str:
    """Why nothing could be graded, if every task is an error that scored nothing; else ""."""
    if report.tasks and all(t.status == "error" and t.score == 0 for t in report.tasks):
        return report.tasks[0].problem or ""
    return ""


def gradebook_csv(entries: list[tuple[str, Report]]) -> str:
    """The gradebook as CSV text (with its byte-order mark), one row per (student, report).

    One row per student, columns in this order:

    - `student`: the id the batch gave the submission (e.g. a Moodle participant's name or id)
    - `total`, `max`, `percent`: points earned, points possible, 100 * total / max
    - for every task, in the spec's order: `<task> score` and `<task> status`
      (passed, partial, failed, not_implemented, error, timeout, forbidden)
    - `review flags`: how many places in the code reach into the grader (for a person to look at)
    - `problem`: why nothing could be graded, when every task failed with an error
    - `duration_s`, `sha256` (of the submission's files as graded), `graded_at` (UTC, ISO 8601)

    The file is UTF-8 with a byte-order mark, comma-separated, "." as the decimal point: Excel then
    reads non-Latin names (Cyrillic) correctly, LibreOffice detects UTF-8 by itself, and Moodle
    strips the mark. Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
    prefixed with `'`, so a spreadsheet never runs a student's id or message as a formula.

    Importing into Moodle (Grades > Import > CSV file):

    1. The `student` column must hold something Moodle can find a user by: a username, an email
       address or an ID number (the `idnumber` profile field). Name each submission by one of them
       when you collect the batch (e.g. `ivanov.zip` for username `ivanov`).
    2. In the course: Grades > Import > CSV file. Upload the CSV; Encoding: UTF-8; Separator: comma.
    3. On the preview page, "Identify user by": Map from `student`, Map to `username`,
       `useremail` or `useridnumber` (whichever the ids are).
    4. "Grade item mappings": map `total` to the assignment's grade item (or to "New grade item";
       set its maximum to the `max` column's value), and leave every other column on "Ignore".
       Moodle rejects a file whose mapped grade column holds text, so map only numeric columns.
    5. Upload grades. Grades imported this way can no longer be edited on the activity's own page.
    """
    tasks = task_names(entries)
    out = io.StringIO()
    # "\n" rows: write_report writes in text mode, which makes them "\r\n" on Windows, not "\r\r\n"
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "total", "max", "percent"]
                    + [f"{name} {what}" for name in tasks for what in ("score", "status")]
                    + ["review flags", "problem", "duration_s", "sha256", "graded_at"])
    for student, report in entries:
        by_name = {t.name: t for t in report.tasks}
        percent = round(100 * report.score / report.max_score, 2) if report.max_score else 0.0
        row: list[object] = [student, float(report.score), float(report.max_score), percent]
        for name in tasks:
            task = by_name.get(name)
            row += [float(task.score), task.status] if task else ["", ""]
        row += [report.review_count, failed_whole(report), round(report.duration_s, 1),
                report.sha256, report.graded_at]
        writer.writerow([_cell(value) for value in row])
    return BOM + out.getvalue()


def write_gradebook(path: Path, entries: list[tuple[str, Report]]) -> Path:
    """Write the gradebook to `path` (whole or not at all) and return the path."""
    write_report(Path(path), gradebook_csv(entries))
    return Path(path)


def moodle_worksheet_csv(entries: list[tuple[str, Report]]) -> str | None:
    """The totals as the Moodle assignment's grading worksheet (*Upload grading worksheet*), which
    names students as `Participant <id>`, the id of a Moodle export's folder names; None when the
    students are not identified that way."""
    if not entries or not all(student.isdigit() for student, _ in entries):
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Identifier", "Grade"])
    writer.writerows([f"Participant {student}", f"{report.score:g}"] for student, report in entries)
    return BOM + out.getvalue()
