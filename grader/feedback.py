"""Per-student feedback files: the student's report as HTML, Markdown and JSON, and Gradescope's results.json."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

from .report import clean, failure_lines, handed_back, render, write_report
from .results import Report

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


def gradescope_results(report: Report, visibility: str = "visible") -> dict:
    """The report in Gradescope's results.json format: one test per task, details of hidden checks left out."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    shown = handed_back(report)
    percent = 100 * shown.score / shown.max_score if shown.max_score else 0.0
    tests = [{"name": task.name, "number": str(number), "score": task.score, "max_score": task.max_score,
              "status": "passed" if task.score >= task.max_score else "failed",
              "output": "\n".join(failure_lines(task, language=report.environment.language)), "output_format": "text",
              "tags": [task.status], "visibility": visibility}
             for number, task in enumerate(shown.tasks, 1)]
    return {"score": shown.score, "execution_time": round(shown.duration_s),
            # "text" everywhere: Gradescope renders the top-level output as HTML by default,
            # and these lines quote the student's own code and messages
            "output": clean(f"{shown.assignment}: {shown.score:g} / {shown.max_score:g} ({percent:.1f}%)"),
            "output_format": "text", "test_output_format": "text", "test_name_format": "text",
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def write_feedback(folder: Path, student: str, report: Report) -> Path:
    """Write `folder/<student>/`: feedback.html, feedback.md, feedback.json and Gradescope's results.json.
    Returns that folder; every file shows only what a student may see."""
    target = Path(folder) / folder_name(student)
    target.mkdir(parents=True, exist_ok=True)
    shown = handed_back(report)
    for fmt, name in (("html", "feedback.html"), ("markdown", "feedback.md"), ("json", "feedback.json")):
        write_report(target / name, render(shown, fmt))
    write_report(target / "results.json",
                 json.dumps(gradescope_results(report), indent=2, ensure_ascii=False) + "\n")
    return target
