"""grade batch: every student gets a row, a batch scores exactly as single grading does, and a
killed or repeated batch grades only what is missing or changed."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, class_of
from grader import api, i18n
from grader.course import batch, store
from grader.reports.render import said
from grader.spec import assignment_names
from test_wrong_submissions import BUGGY, CORRECT

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

GRADE = str(Path(sys.executable).with_name("grade"))


def one_of_each_outcome(assignment: str) -> list[str]:
    """The correct submissions of `assignment` in tests/, and for each set of statuses its mutants
    end in (partial, failed, forbidden, ...), the first mutant that ends so. Every submission is
    graded alone (`test_wrong_submissions`) and in the handout (`test_handout`); a batch runs the
    same grading in spawned processes, two at a time, so one of each kind shows it agrees."""
    kinds = {frozenset(status for status, _ in expected.values()): name
             for a, name, expected in reversed(BUGGY) if a == assignment}
    return [name for a, name in CORRECT if a == assignment] + sorted(kinds.values())


@pytest.mark.parametrize("assignment", assignment_names(ROOT))
def test_a_batch_scores_each_kind_of_submission_as_single_grading_does(graded, tmp_path, assignment):
    names = one_of_each_outcome(assignment)
    assert len(names) >= 3  # a correct one and at least two kinds of mistake
    folder = class_of(tmp_path / "class", assignment, names)
    results = {entry.student: entry.report  # as a course grades a class: in its language, Russian
               for entry in batch.grade_batch(assignment, [folder], tmp_path / "results", jobs=2, seed=0, root=ROOT)}
    assert sorted(results) == sorted(names)
    for name in names:
        alone, together = graded(assignment, name), results[name]
        assert together.score == alone.score, name
        assert [(t.name, t.status, t.score) for t in together.tasks] == [(t.name, t.status, t.score) for t in alone.tasks]
        assert [said(t.problem, "en") for t in together.tasks] == [said(t.problem, "en") for t in alone.tasks]
        assert together.sha256 == alone.sha256 and together.seed == alone.seed == 0
        assert (together.environment.language, alone.environment.language) == ("ru", "en")  # course's, reader's


def test_every_student_gets_a_row_and_a_second_run_grades_only_what_changed(tmp_path):
    folder = class_of(tmp_path / "class", "assignment1", ["correct_naive", "no_bias"])
    (folder / "empty").mkdir()
    (folder / "broken.py").write_text("def conv1d(:\n")
    results, graded_now = tmp_path / "results", []

    def run(**options):
        graded_now.clear()
        graded = batch.grade_batch("assignment1", [folder], results, jobs=2, root=ROOT,
                                   progress=lambda done, total, student, report: graded_now.append(student),
                                   **options)
        return {entry.student: entry.report for entry in graded}
    first = run()
    assert sorted(first) == ["broken", "correct_naive", "empty", "no_bias"]
    assert first["correct_naive"].score == 100 and 0 < first["no_bias"].score < 100
    assert first["no_bias"].seed == api.secret_seed(ROOT, "assignment1") != 0  # final grading: from the secret
    assert first["empty"].score == 0  # and why, in the course's language (Russian)
    assert first["empty"].environment.language == "ru"
    assert said(first["empty"].tasks[0].problem, "ru") == i18n.say("ru", "empty submission") != "empty submission"
    assert first["broken"].score == 0 and "SyntaxError" in str(first["broken"].tasks[0].problem)
    assert sorted(graded_now) == sorted(first)

    assert run() == first and graded_now == []  # nothing changed: nothing graded
    shutil.rmtree(folder / "no_bias")
    shutil.copytree(folder / "correct_naive", folder / "no_bias")
    again = run()
    assert graded_now == ["no_bias"] and again["no_bias"].score == 100
    run(regrade=True)
    assert sorted(graded_now) == sorted(first)

    written = batch.write_outputs(results, batch.regenerate("assignment1", results, root=ROOT))
    assert all(path.exists() for path in written)


SLOW = "\nimport time\ntime.sleep(1.5)\n"  # every task's import takes a while: the batch is slow to finish


def test_a_batch_killed_midway_keeps_what_it_graded_and_resumes(tmp_path):
    folder = class_of(tmp_path / "class", "assignment1", [])
    for number in range(4):
        student = folder / f"s{number}"
        shutil.copytree(ROOT / "reference" / "assignment1", student, ignore=shutil.ignore_patterns("spec.py", "__pycache__"))
        (student / "convolution.py").write_text((student / "convolution.py").read_text() + SLOW)
    results = tmp_path / "results"
    command = [GRADE, "batch", "assignment1", str(folder), "-o", str(results), "-j", "1", "--timeout", "5"]
    batch_process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while _stored(results) < 1 and time.monotonic() < deadline and batch_process.poll() is None:
        time.sleep(0.1)
    os.killpg(batch_process.pid, signal.SIGKILL)
    batch_process.wait()
    kept = _stored(results)
    assert 1 <= kept < 4
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    progress = [line for line in finished.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 4 - kept and all(line.endswith("100 / 100") for line in progress), progress
    assert _stored(results) == 4


def _stored(results: Path) -> int:
    try:
        with sqlite3.connect(results / store.FILE_NAME) as connection:
            return connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_moodle_export_goes_back_with_names_decisions_and_the_same_files_from_the_store(tmp_path):
    """The CLI on a Moodle export: names in the progress lines, the worksheet Moodle gave filled in,
    a late penalty and an adjustment applied, and --report-only writing the very same files."""
    import csv
    import io
    import zipfile

    reference = (ROOT / "reference" / "assignment1" / "convolution.py").read_text()
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zipped:
        for name, when in (("Иван Петров_1470030", (2026, 12, 1, 20, 0, 0)),
                           ("Иван Петров_1470031", (2026, 12, 3, 1, 0, 0))):  # two days late in Moscow
            zipped.writestr(zipfile.ZipInfo(f"{name}_assignsubmission_file_/convolution.py", when), reference)
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 1470030,Иван Петров,a@x,Submitted,,100.00,Yes,\"Tuesday, 1 December 2026, 8:00 PM\",-,\n"
        "Participant 1470031,Иван Петров,b@x,Submitted,,100.00,Yes,\"Thursday, 3 December 2026, 1:00 AM\",-,\n"
        "Participant 1470032,Ann Lee,c@x,No submission,,100.00,Yes,-,-,\n", encoding="utf-8")
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,task,delta,comment\n1470030,,-10,MARK-copied\n", encoding="utf-8")
    results = tmp_path / "results"
    options = ["--deadline", "2026-12-01T23:59+03:00", "--late-penalty", "10", "--overrides", str(overrides),
               "--moodle-worksheet", str(worksheet), "--lang", "en"]
    done = subprocess.run([GRADE, "batch", "assignment1", str(export), "-o", str(results), *options],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Иван Петров (1470030): 100 / 100" in done.stderr  # progress names the student
    # the store is closed before `grade` ends at once: every grade is in the one file an instructor copies
    assert sorted(path.name for path in results.glob(f"{store.FILE_NAME}*")) == [store.FILE_NAME]
    written = {name: (results / name).read_bytes() for name in ("gradebook.csv", "moodle_worksheet.csv",
                                                                 "moodle_feedback.zip", "summary.html")}
    rows = list(csv.reader(io.StringIO(written["moodle_worksheet.csv"].decode("utf-8-sig"))))
    assert rows[0][4] == "Grade" and [row[4] for row in rows[1:]] == ["90", "80", ""]  # adjusted, late, none
    assert "Adjusted by the instructor: -10" in rows[1][9]
    book = {row["student"]: row for row in csv.DictReader(io.StringIO(written["gradebook.csv"].decode("utf-8-sig")))}
    assert (book["1470031"]["late_days"], book["1470031"]["name"]) == ("2", "Иван Петров")
    feedback = (results / "feedback" / "1470030" / "feedback.md").read_text(encoding="utf-8")
    assert "MARK-copied" in feedback and feedback.startswith("# assignment1 (") and feedback.splitlines()[0].endswith(": 90 / 100")
    again = subprocess.run([GRADE, "batch", "assignment1", str(export), "-o", str(results), "--report-only",
                            *options], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    for name, data in written.items():
        assert (results / name).read_bytes() == data, f"{name} differs after --report-only"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("student,task,delta\n1470099,pad,1\n", encoding="utf-8")
    refused = subprocess.run([GRADE, "batch", "assignment1", str(export), "-o", str(results), "--report-only",
                              "--overrides", str(wrong), "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "line 2: no student 1470099 in this batch" in refused.stderr


def _without_times(gradebook: Path) -> list[dict]:
    import csv

    rows = list(csv.DictReader(gradebook.read_text(encoding="utf-8-sig").splitlines()))
    return [{k: v for k, v in row.items() if k not in ("duration_s", "graded_at")} for row in rows]


def test_three_shards_at_once_one_killed_and_rerun_merge_into_what_one_batch_writes(tmp_path):
    names = [name for a, name in CORRECT if a == "assignment4"] + [name for a, name, _ in BUGGY if a == "assignment4"]
    folder = class_of(tmp_path / "class", "assignment4", names[:6])

    def batch_command(out: Path, *more: str) -> list[str]:
        return [GRADE, "batch", "assignment4", str(folder), "-o", str(out), "-j", "1", "--seed", "0", *more]
    whole = subprocess.run(batch_command(tmp_path / "whole"), capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    parts = [tmp_path / f"shard{index}" for index in (1, 2, 3)]
    running = [subprocess.Popen(batch_command(out, "--shard", f"{index}/3"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
               for index, out in enumerate(parts, 1)]
    os.killpg(running[1].pid, signal.SIGKILL)  # one shard's machine dies: that shard alone runs again
    assert [process.wait(timeout=600) for process in running][::2] == [0, 0]
    again = subprocess.run(batch_command(parts[1], "--shard", "2/3"), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert sorted(sum(([row[1] for row in store.rows(part)] for part in parts), [])) == sorted(names[:6])
    merged = subprocess.run([GRADE, "merge", str(tmp_path / "merged"), *map(str, parts)], capture_output=True,
                            text=True, timeout=300)
    assert merged.returncode == 0, merged.stderr
    assert _without_times(tmp_path / "merged" / "gradebook.csv") == _without_times(tmp_path / "whole" / "gradebook.csv")
    assert sorted(os.listdir(tmp_path / "merged" / "feedback")) == sorted(os.listdir(tmp_path / "whole" / "feedback"))
    fullest = max(parts, key=lambda part: len(store.rows(part)))
    twice = subprocess.run([GRADE, "merge", str(tmp_path / "twice"), str(fullest), str(fullest.parent / ".." /
                            fullest.parent.name / fullest.name)], capture_output=True, text=True, timeout=300)
    assert twice.returncode == 2 and "is in two shards" in twice.stderr and twice.stderr.count("\n") == 1
