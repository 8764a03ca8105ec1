"""The CSV gradebook and the per-student feedback files, on a small class of real gradings."""
from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import ROOT, SUBMISSIONS, mutant
from datetime import datetime, timedelta, timezone

from grader import api
from grader.reports.classbook import Adjustment, Graded, decide
from grader.reports.feedback import folder_name, gradescope_results, write_feedback
from grader.reports.gradebook import BOM, gradebook_csv, write_gradebook
from grader.results import TaskResult

SCRIPT_ID = "<script>alert(1)</script>"

# student id -> the submission they hand in: correct, wrong, crashing, forbidden, endless
CLASS = {
    "ivanov": "correct_naive",
    "Петрова Анна": "flipped_kernel",
    "smith": "flipped_kernel",
    "=HYPERLINK(\"http://x\")": "no_bias",
    SCRIPT_ID: "segfault",  # crashes in conv2d and imports ctypes: one review flag
    "../../etc/passwd": "forbidden_direct",
    "-loop": "infinite_loop",
}
UNGRADABLE = "@empty"  # a submission with nothing to grade: every task an error


def graded_class(folder) -> list[Graded]:
    """CLASS graded in-process on the CPU, plus one ungradable submission; each has a name."""
    entries = []
    for student, name in CLASS.items():
        path = SUBMISSIONS / "assignment1" / name if name.startswith("correct") else mutant("assignment1", name, folder)
        report = api.grade("assignment1", path, root=ROOT, device="cpu", timeout=3)
        entries.append(Graded(student=student, name=f"Name of {student}", report=report))
    first = entries[0].report
    problem = "no convolution.py in the submission"
    failed = tuple(TaskResult(name=t.name, max_score=t.max_score, checks=(), problem=problem, problem_status="error")
                   for t in first.tasks)
    entries.append(Graded(student=UNGRADABLE, report=first.model_copy(update={"tasks": failed, "review": (),
                                                                              "sha256": ""})))
    return entries


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("class"))


def rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM):])))


def test_gradebook_columns_follow_the_spec(entries):
    text = gradebook_csv(entries)
    header = next(csv.reader(io.StringIO(text[len(BOM):])))
    tasks = [t.name for t in entries[0].report.tasks]
    assert header == (["student", "name", "total", "max", "percent", "raw_total", "submitted_at", "late_days",
                       "penalty", "adjustment"]
                      + [f"{t} {what}" for t in tasks for what in ("score", "status")]
                      + ["review flags", "problem", "duration_s", "sha256", "graded_at"])


def test_gradebook_rows(entries):
    table = {row["student"]: row for row in rows(gradebook_csv(entries))}
    assert len(table) == len(entries)
    correct = table["ivanov"]
    assert (float(correct["total"]), float(correct["max"]), float(correct["percent"])) == (100, 100, 100)
    assert correct["name"] == "Name of ivanov" and float(correct["raw_total"]) == 100 and correct["late_days"] == "0"
    assert correct["conv2d status"] == "passed" and correct["problem"] == ""
    assert len(correct["sha256"]) == 64 and correct["graded_at"].endswith("+00:00")
    flipped = table["Петрова Анна"]
    assert flipped["conv2d status"] == "partial" and float(flipped["total"]) < 100
    crashed = table[SCRIPT_ID]
    assert crashed["conv2d status"] == "error" and crashed["review flags"] == "1"
    assert crashed["problem"] == ""  # only one task failed: the submission as a whole was graded
    assert table["'-loop"]["conv2d status"] == "timeout"
    empty = table["'" + UNGRADABLE]
    assert float(empty["total"]) == 0 and empty["problem"] == "no convolution.py in the submission"
    assert {empty[f"{t.name} status"] for t in entries[0].report.tasks} == {"error"}


def test_gradebook_applies_late_penalty_and_adjustments_and_anonymity(entries):
    deadline = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=3)))
    late = entries[0].model_copy(update={"submitted_at": deadline + timedelta(days=1, minutes=1)})  # 2 started days
    [decided] = decide([late], deadline, 10.0, {"ivanov": (Adjustment(task="pad", delta=-5, comment="copied"),
                                                           Adjustment(delta=3))})
    row = rows(gradebook_csv([decided]))[0]
    assert (row["late_days"], float(row["penalty"]), float(row["adjustment"])) == ("2", 20.0, -2.0)
    assert float(row["raw_total"]) == 100 and float(row["pad score"]) == 15
    assert float(row["total"]) == (100 - 5) * 0.8 + 3 and row["submitted_at"].startswith("2026-12-03T00:00")
    anonymous = rows(gradebook_csv([decided], anonymous=True))[0]
    assert anonymous["name"] == "" and anonymous["student"] == "ivanov"
    on_time = decide([entries[0].model_copy(update={"submitted_at": deadline})], deadline, 10.0)[0]
    assert (on_time.late_days, on_time.total) == (0, 100)
    capped = decide([late.model_copy(update={"submitted_at": deadline + timedelta(days=30)})], deadline, 10.0)[0]
    assert capped.penalty == 100 and capped.total == 0


def test_gradebook_defuses_formulas(entries):
    table = {row["student"]: row for row in rows(gradebook_csv(entries))}
    assert "'=HYPERLINK(\"http://x\")" in table and "'@empty" in table and "'-loop" in table
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table.values() for cell in row.values())


def test_write_gradebook_is_utf8_with_bom(entries, tmp_path):
    path = write_gradebook(tmp_path / "grades.csv", entries)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Петрова Анна".encode() in raw
    assert rows(raw.decode("utf-8")) == rows(gradebook_csv(entries))


def test_folder_names_are_safe():
    made_safe = {student: folder_name(student) for student in ("../../etc/passwd", "..", ".hidden", "", "a\\b\x00c\u202ed",
                                                               "a/b", "a_b", "я" * 500)}
    assert made_safe["../../etc/passwd"].startswith("_.._etc_passwd-") and made_safe[".hidden"].startswith("hidden-")
    assert made_safe["a\\b\x00c\u202ed"].startswith("a_b_c_d-") and made_safe["a_b"] == "a_b"
    assert all("/" not in name and not name.startswith(".") and len(name.encode()) <= 200 for name in made_safe.values())
    assert len(set(made_safe.values())) == len(made_safe)  # two ids never share a folder
    assert folder_name("Петрова Анна") == "Петрова Анна"
    for name in CLASS:
        assert "/" not in folder_name(name) and not folder_name(name).startswith(".")


# ---------------------------------------------------------------- Gradescope's results.json
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format")
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}
NUMBER = (int, float)
TOP = {"score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": str, "test_output_format": str,
       "test_name_format": str, "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
       "leaderboard": list}
TEST = {"score": NUMBER, "max_score": NUMBER, "status": str, "name": str, "name_format": str, "number": str,
        "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}


def gradescope_errors(results: dict) -> list[str]:
    """What makes `results` an invalid results.json, after Gradescope's documented fields."""
    errors = [f"unknown key {k}" for k in results if k not in TOP]
    errors += [f"{k} is not {TOP[k]}" for k, v in results.items() if k in TOP
               and (not isinstance(v, TOP[k]) or isinstance(v, bool))]
    tests = results.get("tests", [])
    if "score" not in results and not all("score" in t for t in tests):
        errors.append("a score is needed at the top level or on every test")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITY:
            errors.append(f"{key} {results[key]!r}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in results and results[key] not in FORMATS:
            errors.append(f"{key} {results[key]!r}")
    for test in tests:
        errors += [f"test: unknown key {k}" for k in test if k not in TEST]
        errors += [f"test {k} is not {TEST[k]}" for k, v in test.items() if k in TEST
                   and (not isinstance(v, TEST[k]) or isinstance(v, bool))]
        if test.get("status", "passed") not in ("passed", "failed"):
            errors.append(f"test status {test['status']!r}")
        if test.get("visibility", "visible") not in VISIBILITY:
            errors.append(f"test visibility {test['visibility']!r}")
        if test.get("output_format", "text") not in FORMATS or test.get("name_format", "text") not in FORMATS:
            errors.append("test format")
        if not all(isinstance(tag, str) for tag in test.get("tags", [])):
            errors.append("tags must be strings")
    return errors


def test_gradescope_checker_catches_mistakes():
    assert gradescope_errors({"tests": [{"name": "x", "status": "ok", "visibility": "always"}]}) == [
        "a score is needed at the top level or on every test", "test status 'ok'", "test visibility 'always'"]
    assert gradescope_errors({"score": "44", "grade": 1}) == ["unknown key grade", f"score is not {NUMBER}"]


def test_gradescope_results_match_the_spec(entries):
    for student, report in ((entry.student, entry.report) for entry in entries):
        results = gradescope_results(report)
        assert gradescope_errors(results) == [], student
        assert results["score"] == report.score
        assert sum(t["score"] for t in results["tests"]) == pytest.approx(report.score)
        assert [t["name"] for t in results["tests"]] == [t.name for t in report.tasks]
        for test, task in zip(results["tests"], report.tasks):
            assert test["status"] == ("passed" if task.score == task.max_score else "failed")
            assert test["max_score"] == task.max_score
    flipped = gradescope_results(entries[1].report)["tests"]
    conv2d = next(t for t in flipped if t["name"] == "conv2d")
    assert conv2d["status"] == "failed" and "[flipped_kernel]" in conv2d["output"]
    with pytest.raises(ValueError):
        gradescope_results(entries[0].report, visibility="later")


def test_write_feedback(entries, tmp_path):
    for entry in entries:
        write_feedback(tmp_path, entry)
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == sorted(folder_name(entry.student) for entry in entries)
    assert all(p.parent.parent == tmp_path for p in tmp_path.rglob("feedback.html"))  # nothing escaped the folder
    target = tmp_path / "Петрова Анна"
    assert sorted(p.name for p in target.iterdir()) == ["feedback.html", "feedback.json", "feedback.md", "results.json"]
    assert json.loads((target / "feedback.json").read_text())["score"] == entries[1].report.score
    assert "Name of Петрова Анна" in (target / "feedback.html").read_text()
    assert "flipped_kernel" in (target / "feedback.md").read_text()
    assert gradescope_errors(json.loads((target / "results.json").read_text())) == []


def test_feedback_says_what_the_instructor_decided(entries, tmp_path):
    deadline = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
    late = entries[0].model_copy(update={"submitted_at": deadline + timedelta(hours=1)})
    [decided] = decide([late], deadline, 25.0, {"ivanov": (Adjustment(task="conv1d", delta=-4, comment="MARK-a"),)})
    target = write_feedback(tmp_path, decided)
    markdown = (target / "feedback.md").read_text()
    assert markdown.splitlines()[0].endswith(": 72 / 100") and "MARK-a" in markdown and "25%" in markdown
    html = (target / "feedback.html").read_text()
    assert "MARK-a" in html and "72" in html and "Name of ivanov" in html
    data = json.loads((target / "feedback.json").read_text())
    assert data["handback"]["total"] == 72 and len(data["handback"]["decisions"]) == 2
    assert json.loads((target / "results.json").read_text())["score"] == 72
    plain = write_feedback(tmp_path / "plain", entries[0])
    assert json.loads((plain / "feedback.json").read_text())["handback"] == {  # nothing decided: no other total
        "student": "Name of ivanov", "total": None, "decisions": []}


def test_feedback_hides_hidden_checks(entries, tmp_path):
    student, report = entries[1].student, entries[1].report  # flipped_kernel: conv1d and conv2d fail
    secret = "SECRET-expected-values-of-a-hidden-case"

    def hide(task):
        return task.model_copy(update={"checks": tuple(
            c if c.passed else c.model_copy(update={"hidden": True, "message": secret}) for c in task.checks)})
    # the mutant's folder is named after its bug: a neutral path keeps the search for the code fair
    hidden = report.model_copy(update={"tasks": tuple(hide(t) for t in report.tasks), "submission": "work.py"})
    target = write_feedback(tmp_path, Graded(student=student, report=hidden))
    for path in target.iterdir():
        text = path.read_text()
        assert secret not in text and "flipped_kernel" not in text, path.name
    results = json.loads((target / "results.json").read_text())
    assert "hidden check" in next(t for t in results["tests"] if t["name"] == "conv2d")["output"]
