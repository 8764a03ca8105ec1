"""The instructor's decisions on top of grading (late work, adjustments) and the store that keeps names and times."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT
from grader import api
from grader.course import store
from grader.reports.classbook import Adjustment, DecisionError, Graded, decide, read_adjustments, read_deadline
from grader.engine import grading

TASKS = ("pad", "conv1d", "conv2d", "convolve2d", "filters")


@pytest.fixture(scope="module")
def report():
    return grading.ungraded(api.open_assignment("assignment1", root=ROOT), "s", ROOT, 0, "empty submission")


def test_adjustments_are_read_by_student(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("\ufeffstudent,task,delta,comment\n101,conv1d,2.5,regraded by hand\n101,,-1,\n102,pad,-3,copied\n",
                    encoding="utf-8")
    found = read_adjustments(path, TASKS, ["101", "102", "103"])
    assert found == {"101": (Adjustment(task="conv1d", delta=2.5, comment="regraded by hand"), Adjustment(delta=-1)),
                     "102": (Adjustment(task="pad", delta=-3, comment="copied"),)}


@pytest.mark.parametrize("text, message", [
    ("student,task,delta\n999,pad,1\n", "line 2: no student 999 in this batch"),
    ("student,task,delta\n101,pads,1\n", "line 2: no task pads in this assignment"),
    ("student,task,delta\n101,pad,lots\n", "line 2: delta must be a number of points, not lots"),
    ("student,task,delta\n101,pad,nan\n", "delta must be a number of points, not nan"),
    ("id,points\n101,1\n", "the first row must name the columns student,task,delta,comment"),
])
def test_a_wrong_adjustments_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "overrides.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DecisionError, match=message) as caught:
        read_adjustments(path, TASKS, ["101"])
    assert "\n" not in str(caught.value)


def test_deadlines_with_and_without_an_offset():
    moscow = timezone(timedelta(hours=3))
    assert read_deadline("2026-12-01T23:59+03:00") == datetime(2026, 12, 1, 23, 59, tzinfo=moscow)
    assert read_deadline("2026-12-01 23:59", moscow) == datetime(2026, 12, 1, 23, 59, tzinfo=moscow)
    assert read_deadline("2026-12-01T23:59").tzinfo is not None  # this machine's zone
    with pytest.raises(DecisionError, match="expected a date and time"):
        read_deadline("next friday")


def test_late_days_are_started_days_and_the_total_adjustment_comes_last(report):
    deadline = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
    full = report.model_copy(update={"tasks": tuple(t.model_copy(update={"checks": ()}) for t in report.tasks)})
    entry = Graded(student="101", report=full, submitted_at=deadline + timedelta(seconds=1))
    [late] = decide([entry], deadline, 50.0, {"101": (Adjustment(delta=4),)})
    assert (late.late_days, late.penalty, late.raw_total, late.total) == (1, 50.0, 0, 4)  # given back after the penalty
    [worksheet_says] = decide([entry], deadline, 50.0, submitted=lambda student: deadline - timedelta(hours=1))
    assert worksheet_says.late_days == 0 and worksheet_says.submitted_at == deadline - timedelta(hours=1)
    [unknown] = decide([entry.model_copy(update={"submitted_at": None})], deadline, 50.0)
    assert unknown.late_days == 0


def test_a_store_from_an_older_grader_gets_names_and_times(tmp_path, report):
    with sqlite3.connect(tmp_path / store.FILE_NAME) as old:  # the schema before names and times
        old.execute("CREATE TABLE reports (assignment TEXT NOT NULL, student TEXT NOT NULL, sha256 TEXT NOT NULL, "
                    "seed INTEGER NOT NULL, grader TEXT NOT NULL, report TEXT NOT NULL, PRIMARY KEY (assignment, student))")
        old.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?)",
                    ("assignment1", "101", "", 0, "0", report.model_dump_json()))
    connection = store.open_store(tmp_path)
    [kept] = store.load_all(connection, "assignment1")
    assert (kept.student, kept.name, kept.submitted_at) == ("101", "", None)
    when = datetime(2026, 12, 2, 0, 30, tzinfo=timezone(timedelta(hours=3)))
    store.save(connection, "102", report, "Иван Петров", when)
    store.note(connection, "assignment1", "101", "Ann Lee", None)
    found = {entry.student: entry for entry in store.load_all(connection, "assignment1")}
    assert (found["102"].name, found["102"].submitted_at) == ("Иван Петров", when)
    assert found["101"].name == "Ann Lee"


def test_a_worksheet_moodle_would_misread_stops_the_outputs_before_any_file(tmp_path, report):
    from grader.course import batch
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text("Identifier,Full name,Grade,Maximum grade,Last modified (grade)\n"
                         "Participant 101,Ann Lee,,30.00,-\n", encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    with pytest.raises(api.UsageError, match="maximum grade is 30.00, the assignment's is 100") as caught:
        batch.write_outputs(results, [Graded(student="101", name="Ann Lee", report=report)],
                            options=batch.HandBack(worksheet=worksheet))
    assert "\n" not in str(caught.value) and list(results.iterdir()) == []
