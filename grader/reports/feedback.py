"""Per-student feedback files: the student's report as HTML, Markdown and JSON, and Gradescope's results.json."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

from grader.i18n import number, percent, say, say_n
from grader.reports.classbook import Graded
from grader.reports.render import Handback, clean, failure_lines, handed_back, render, write_report
from grader.results import Report

# Gradescope's autograder output format: https://gradescope-autograders.readthedocs.io/en/latest/specs/
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

# path separators, characters Windows forbids in names (an instructor may unzip the folders
# there), control characters and the bidirectional overrides that disguise a name
_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]')
MAX_NAME_BYTES = 200  # file systems allow 255 bytes; Cyrillic takes 2 a letter


def folder_name(student: str) -> str:
    """`student` as one safe folder name: no separators, no `..`, no leading dot; letters of any script kept."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", student)).strip().lstrip(".").rstrip(". ")
    while len(name.encode("utf-8")) > MAX_NAME_BYTES - 7:
        name = name[:-1]
    if name != student:  # two ids made safe the same way must not share a folder
        name = f"{name}-{hashlib.sha256(student.encode()).hexdigest()[:6]}"
    return name


def gradescope_results(report: Report, visibility: str = "visible", total: float | None = None,
                       language: str | None = None) -> dict:
    """The report in Gradescope's results.json format: one test per task, details of hidden checks
    left out; `total`, the final grade where an instructor decided on top of grading; in
    `language`, by default the report's."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    shown = handed_back(report)
    score = shown.score if total is None else total
    share = 100 * score / shown.max_score if shown.max_score else 0.0
    language = language or report.environment.language
    tests = [{"name": task.name, "number": str(number), "score": task.score, "max_score": task.max_score,
              "status": "passed" if task.score >= task.max_score else "failed",
              "output": "\n".join(failure_lines(task, language=language)), "output_format": "text",
              "tags": [task.status], "visibility": visibility}
             for number, task in enumerate(shown.tasks, 1)]
    return {"score": score, "execution_time": round(shown.duration_s),
            # "text" everywhere: Gradescope renders the top-level output as HTML by default,
            # and these lines quote the student's own code and messages
            "output": clean(f"{shown.assignment}: {number(language, score, 'g')} / "
                            f"{number(language, shown.max_score, 'g')} ({percent(language, share)})"),
            "output_format": "text", "test_output_format": "text", "test_name_format": "text",
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def handback(graded: Graded, anonymous: bool = False, language: str | None = None) -> Handback:
    """Whom the feedback is for, and what the instructor decided on top of grading, in `language`
    (by default the report's)."""
    language = language or graded.report.environment.language
    decisions = []
    if graded.late_days:
        decisions.append(say_n(language, "submitted {count} started day after the deadline ({deadline}): {penalty} "
                                         "of the points taken off",
                               "submitted {count} started days after the deadline ({deadline}): {penalty} "
                               "of the points taken off", graded.late_days,
                               deadline=f"{graded.deadline:%Y-%m-%d %H:%M %z}",
                               penalty=percent(language, graded.penalty, "g")))
    for adjustment in graded.adjustments:
        decisions.append(say(language, "{task}: {delta} points from the instructor{comment}",
                             task=adjustment.task or say(language, "the total"),
                             delta=number(language, adjustment.delta, "+g"),
                             comment=f": {clean(adjustment.comment)}" if adjustment.comment else ""))
    return Handback(graded.label(anonymous), graded.total if decisions else None, tuple(decisions))


def write_feedback(folder: Path, graded: Graded, anonymous: bool = False, language: str | None = None) -> Path:
    """Write `folder/<student>/`: feedback.html, feedback.md, feedback.json and Gradescope's results.json,
    in `language` (by default the report's). Returns that folder; every file shows only what a
    student may see."""
    target = Path(folder) / folder_name(graded.student)
    target.mkdir(parents=True, exist_ok=True)
    shown, given = handed_back(graded.report), handback(graded, anonymous, language)
    for fmt, name in (("html", "feedback.html"), ("markdown", "feedback.md"), ("json", "feedback.json")):
        write_report(target / name, render(shown, fmt, handback=given, language=language))
    write_report(target / "results.json",
                 json.dumps(gradescope_results(graded.report, total=graded.total, language=language), indent=2,
                            ensure_ascii=False) + "\n")
    return target
