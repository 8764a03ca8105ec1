"""The CSV gradebook and the per-student feedback files, on a small class of real gradings."""
from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import ROOT, SUBMISSIONS, mutant
from grader import api
from grader.feedback import folder_name, gradescope_results, write_feedback
from grader.gradebook import BOM, gradebook_csv, write_gradebook
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


def graded_class(folder) -> list[tuple[str, object]]:
    """(student, report) for CLASS, graded in-process on the CPU, plus one ungradable submission."""
    entries = []
    for student, name in CLASS.items():
        path = SUBMISSIONS / "assignment1" / name if name.startswith("correct") else mutant("assignment1", name, folder)
        entries.append((student, api.grade("assignment1", path, root=ROOT, device="cpu", timeout=3)))
    first = entries[0][1]
    problem = "no convolution.py in the submission"
    failed = tuple(TaskResult(name=t.name, max_score=t.max_score, checks=(), problem=problem, problem_status="error")
                   for t in first.tasks)
    entries.append((UNGRADABLE, first.model_copy(update={"tasks": failed, "review": (), "sha256": ""})))
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
    tasks = [t.name for t in entries[0][1].tasks]
    assert header == (["student", "total", "max", "percent"]
                      + [f"{t} {what}" for t in tasks for what in ("score", "status")]
                      + ["review flags", "problem", "duration_s", "sha256", "graded_at"])


def test_gradebook_rows(entries):
    table = {row["student"]: row for row in rows(gradebook_csv(entries))}
    assert len(table) == len(entries)
    correct = table["ivanov"]
    assert (float(correct["total"]), float(correct["max"]), float(correct["percent"])) == (100, 100, 100)
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
    assert {empty[f"{t.name} status"] for t in entries[0][1].tasks} == {"error"}


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
    for student, report in entries:
        results = gradescope_results(report)
        assert gradescope_errors(results) == [], student
        assert results["score"] == report.score
        assert sum(t["score"] for t in results["tests"]) == pytest.approx(report.score)
        assert [t["name"] for t in results["tests"]] == [t.name for t in report.tasks]
        for test, task in zip(results["tests"], report.tasks):
            assert test["status"] == ("passed" if task.score == task.max_score else "failed")
            assert test["max_score"] == task.max_score
    flipped = gradescope_results(entries[1][1])["tests"]
    conv2d = next(t for t in flipped if t["name"] == "conv2d")
    assert conv2d["status"] == "failed" and "[flipped_kernel]" in conv2d["output"]
    with pytest.raises(ValueError):
        gradescope_results(entries[0][1], visibility="later")


def test_write_feedback(entries, tmp_path):
    for student, report in entries:
        write_feedback(tmp_path, student, report)
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == sorted(folder_name(s) for s, _ in entries)
    assert all(p.parent.parent == tmp_path for p in tmp_path.rglob("feedback.html"))  # nothing escaped the folder
    target = tmp_path / "Петрова Анна"
    assert sorted(p.name for p in target.iterdir()) == ["feedback.html", "feedback.json", "feedback.md", "results.json"]
    assert json.loads((target / "feedback.json").read_text())["score"] == entries[1][1].score
    assert "flipped_kernel" in (target / "feedback.md").read_text()
    assert gradescope_errors(json.loads((target / "results.json").read_text())) == []


def test_feedback_hides_hidden_checks(entries, tmp_path):
    student, report = entries[1]  # flipped_kernel: conv1d and conv2d fail
    secret = "SECRET-expected-values-of-a-hidden-case"

    def hide(task):
        return task.model_copy(update={"checks": tuple(
            c if c.passed else c.model_copy(update={"hidden": True, "message": secret}) for c in task.checks)})
    # the mutant's folder is named after its bug: a neutral path keeps the search for the code fair
    hidden = report.model_copy(update={"tasks": tuple(hide(t) for t in report.tasks), "submission": "work.py"})
    target = write_feedback(tmp_path, student, hidden)
    for path in target.iterdir():
        text = path.read_text()
        assert secret not in text and "flipped_kernel" not in text, path.name
    results = json.loads((target / "results.json").read_text())
    assert "hidden check" in next(t for t in results["tests"] if t["name"] == "conv2d")["output"]


def test_moodle_worksheet_names_participants_and_only_for_moodle_ids():
    from grader import api
    from grader.gradebook import moodle_worksheet_csv

    spec = api.open_assignment("assignment1", root=ROOT)
    report = api.ungraded(spec, "s", ROOT, 0, "empty submission")
    sheet = moodle_worksheet_csv([("12345", report), ("678", report)])
    assert sheet.lstrip("\ufeff").splitlines() == ["Identifier,Grade", "Participant 12345,0", "Participant 678,0"]
    assert moodle_worksheet_csv([("ivanov", report)]) is None
