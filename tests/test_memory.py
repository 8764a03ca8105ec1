"""Nothing of the reference, the spec, the command line or another student is in a student's
process: tests/hostile/memory_secrets.py searches its whole memory, graded by the `grade` command
as an instructor runs it (a test process has loaded specs itself, so only a fresh command tells).

Against the grader before the zygote (commit c9af050) single grading found the reference's bytes
and the spec, and the public cases' process held all 72 hidden cases of conv1d; the batch's
children held a classmate's name when the queue's next line was read before the fork (a race)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS, english
from grader.course import store
from test_hostile import public_folder, traversable  # noqa: F401  (fixtures: a folder in /tmp; uid 65534 may reach Python)

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

GRADE = str(Path(sys.executable).with_name("grade"))
SECRET_WORD = "cmdline-s3cr3t"  # in the report's path: the attack looks for it
CLASSMATE = "ZzyzxQwerty"


def _attack() -> str:
    base = (SUBMISSIONS / "assignment1" / "correct_naive" / "convolution.py").read_text(encoding="utf-8")
    return base + "\n\n" + (ROOT / "tests" / "hostile" / "memory_secrets.py").read_text(encoding="utf-8")


def _grade(*args: str, user: int | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
    command = [GRADE, *args, "--lang", "en"]
    if user is not None:
        command = ["setpriv", "--reuid", str(user), "--regid", str(user), "--clear-groups", *command]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _searched_and_clean(task: dict) -> None:
    messages = [english(check["message"]) for check in task["checks"]]
    assert not [m for m in messages if "PWNED" in m], [m for m in messages if "PWNED" in m][:1]
    assert any("searched" in m and "nothing" in m for m in messages), messages[:3]


@pytest.mark.parametrize("user", [None, 65534], ids=["as root", "as uid 65534"])
def test_single_grading_leaves_nothing_secret_in_the_students_memory(public_folder, user, request):
    if user is not None:
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            pytest.skip("needs root and setpriv")
        request.getfixturevalue("traversable")
    submission = public_folder / "submission"
    submission.mkdir()
    (submission / "convolution.py").write_text(_attack(), encoding="utf-8")
    (submission / "convolution.py").chmod(0o644)
    submission.chmod(0o755)
    report_path = public_folder / SECRET_WORD / "report.json"
    report_path.parent.mkdir()
    report_path.parent.chmod(0o777)
    done = _grade("assignment1", str(submission), "--task", "conv1d", "--timeout", "30", "-o", str(report_path),
                  user=user)
    assert done.returncode == 0, done.stderr
    _searched_and_clean(json.loads(report_path.read_text(encoding="utf-8"))["tasks"][0])


def test_a_batchs_children_hold_no_classmate(public_folder):
    export = public_folder / "export"
    for name, code in (("Attacker Student_1470030", _attack()), (f"{CLASSMATE} Classmate_1470031", None)):
        folder = export / f"{name}_assignsubmission_file_"
        folder.mkdir(parents=True)
        correct = SUBMISSIONS / "assignment1" / "correct_naive" / "convolution.py"
        (folder / "convolution.py").write_text(code or correct.read_text(encoding="utf-8"), encoding="utf-8")
    results = public_folder / SECRET_WORD
    done = _grade("batch", "assignment1", str(export), "-o", str(results), "-j", "2", "--timeout", "30")
    assert done.returncode == 0, done.stderr
    reports = {entry.student: entry.report for entry in store.load_all(store.open_store(results), "assignment1")}
    attacker = next(report for student, report in reports.items() if "1470030" in student)
    _searched_and_clean(next(task for task in json.loads(attacker.model_dump_json())["tasks"]
                             if task["name"] == "conv1d"))
    assert next(report for student, report in reports.items() if "1470031" in student).score == 100


@pytest.mark.parametrize("attack, what", [("memory_hidden_cases", "cases"), ("memory_hidden_text", "texts")])
def test_the_process_of_the_public_cases_holds_no_hidden_case(public_folder, attack, what):
    submission = public_folder / "submission"
    submission.mkdir()
    text = (ROOT / "tests" / "hostile" / f"{attack}.py").read_text(encoding="utf-8")
    (submission / "convolution.py").write_text(text, encoding="utf-8")
    done = _grade("assignment1", str(submission), "--task", "conv1d", "--format", "json")
    assert done.returncode == 0, done.stderr
    task = json.loads(done.stdout)["tasks"][0]
    seen = [int(n) for check in task["checks"] if not check["hidden"]
            for n in re.findall(rf"hidden {what} seen: (\d+)", english(check["message"]))]
    assert seen and set(seen) == {0}, seen  # the grader before the split: 72 in every message
    assert any(check["hidden"] for check in task["checks"])  # the hidden cases ran, elsewhere
