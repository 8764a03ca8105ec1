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
from grader import api, batch, i18n, store
from test_wrong_submissions import BUGGY, CORRECT

GRADE = str(Path(sys.executable).with_name("grade"))


@pytest.mark.parametrize("assignment", ["assignment1", "assignment2", "assignment3", "assignment4", "assignment5",
                                        "assignment6"])
def test_a_batch_scores_every_submission_as_single_grading_does(graded, batch_graded, assignment):
    names = [name for a, name in CORRECT if a == assignment] + [name for a, name, _ in BUGGY if a == assignment]
    results = batch_graded(assignment)
    assert sorted(results) == sorted(names)
    for name in names:
        alone, together = graded(assignment, name), results[name]
        assert together.score == alone.score, name
        assert [(t.name, t.status, t.score) for t in together.tasks] == [(t.name, t.status, t.score) for t in alone.tasks]
        assert together.sha256 == alone.sha256 and together.seed == alone.seed == 0
        assert (together.environment.language, alone.environment.language) == ("ru", "en")  # course's, reader's


def test_every_student_gets_a_row_and_a_second_run_grades_only_what_changed(tmp_path):
    folder = class_of(tmp_path / "class", "assignment1", ["correct_naive", "no_bias"])
    (folder / "empty").mkdir()
    (folder / "broken.py").write_text("def conv1d(:\n")
    results, graded_now = tmp_path / "results", []

    def run(**options):
        graded_now.clear()
        return dict(batch.grade_batch("assignment1", [folder], results, jobs=2, root=ROOT,
                                      progress=lambda done, total, student, report: graded_now.append(student),
                                      **options))
    first = run()
    assert sorted(first) == ["broken", "correct_naive", "empty", "no_bias"]
    assert first["correct_naive"].score == 100 and 0 < first["no_bias"].score < 100
    assert first["no_bias"].seed == api.secret_seed(ROOT, "assignment1") != 0  # final grading: from the secret
    assert first["empty"].score == 0  # and why, in the course's language (Russian)
    assert first["empty"].tasks[0].problem == i18n.say("ru", "empty submission") != "empty submission"
    assert first["broken"].score == 0 and "SyntaxError" in first["broken"].tasks[0].problem
    assert sorted(graded_now) == sorted(first)

    assert run() == first and graded_now == []  # nothing changed: nothing graded
    shutil.rmtree(folder / "no_bias")
    shutil.copytree(folder / "correct_naive", folder / "no_bias")
    again = run()
    assert graded_now == ["no_bias"] and again["no_bias"].score == 100
    run(regrade=True)
    assert sorted(graded_now) == sorted(first)

    written = batch.write_outputs(results, list(again.items()))
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
