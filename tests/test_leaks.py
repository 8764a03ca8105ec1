"""Nothing hidden travels back to a student: not the seed of final grading, not the grader's paths,
not what their code saw in a hidden case, not a live link; and the grader bounds its own work on
what a submission holds.

Against the grader before these changes (commit c9af050) each test here fails: feedback named
the seed and the temporary path, one secret seeded every assignment, hidden cases ran before
later public probes, links in messages were live, and a notebook of 300k cells took a minute."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from grader import api
from grader.reports import feedback
from grader.engine import wire
from grader.engine import frames
from grader.reports.classbook import Graded
from grader.engine.load import SubmissionError, find
from grader.reports.render import render
from grader.results import CheckResult, Environment, Isolation, Report, TaskResult

SEED = 987654321
COURSE = "/srv/private-course-root"
TEMPORARY = "/tmp/grade-batch-abc123/sources/Ivan Petrov_1470030_assignsubmission_file_/convolution.py"


def _report(message: str = "") -> Report:
    check = CheckResult(name="case", device="cpu", passed=False, message=message, diagnosis="exception")
    return Report(assignment="assignment1", submission=TEMPORARY, course=COURSE, seed=SEED, duration_s=1.0,
                  tasks=(TaskResult(name="conv1d", max_score=20, checks=(check,)),),
                  environment=Environment(python="3", torch="2", devices=("cpu",), grader="0",
                                          isolation=Isolation(level="jail as root", measures=())))


def test_feedback_names_no_seed_no_course_and_no_temporary_path(tmp_path):
    folder = feedback.write_feedback(tmp_path, Graded(student="1470030", report=_report()))
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert str(SEED) not in text, path.name
        assert COURSE not in text and "/tmp/grade-batch" not in text, path.name
    assert json.loads((folder / "feedback.json").read_text(encoding="utf-8"))["submission"] == "convolution.py"


def test_each_assignment_has_a_seed_of_its_own_derived_from_the_secret():
    seeds = {name: api.secret_seed(ROOT, name) for name in ("assignment1", "assignment2", "assignment3")}
    assert len(set(seeds.values())) == 3
    assert api.secret_seed(ROOT, "assignment1") == seeds["assignment1"]  # the same every time
    from grader.course import settings
    assert settings.secret_seed(ROOT) not in seeds.values()


def test_links_and_images_in_a_message_are_inert_in_markdown():
    text = render(_report("see [the answers](http://evil.example/x) ![p](http://evil.example/p.png)"), "markdown")
    assert "](" not in text.replace("\\](", "")
    assert "http://" not in text


def test_a_childs_exception_message_is_capped_and_one_line():
    frame = wire.encode({"case": 0, "value": None, "raised": {"type": "ValueError", "mro": ["ValueError"],
                                                               "message": "A\x1b[2J\nB" * 1_000, "where": None}})
    message = frames.student_results([frame])[0][0].raised.message
    assert len(message) <= wire.MAX_MESSAGE + 3
    assert not re.search("[\x00-\x1f]", message)


def test_no_public_message_comes_after_a_hidden_case(grade, tmp_path):
    """Each call raises with how many calls came before it: a public check's message that counts
    more calls than there are public cases ran after a hidden one, and could carry its inputs."""
    submission = tmp_path / "convolution.py"
    submission.write_text("CALLS = []\n\ndef conv1d(*args, **kwargs):\n    CALLS.append(1)\n"
                          "    raise ValueError(f'call number {len(CALLS)}')\n", encoding="utf-8")
    report = grade("assignment1", submission, tasks=["conv1d"], device="cpu")
    spec = api.open_assignment("assignment1", root=ROOT)
    task = next(task for task in spec.tasks if task.name == "conv1d")
    public = sum(not case.hidden for case in task.cases)
    assert public < len(task.cases)  # there are hidden cases to run
    shown = [int(n) for check in report.tasks[0].checks if not check.hidden
             for n in re.findall(r"call number (\d+)", str(check.message))]
    assert shown and max(shown) <= public, (max(shown), public)


@pytest.mark.slow
def test_a_notebook_of_too_many_cells_is_refused_without_reading_them(tmp_path):
    cells = [{"cell_type": "raw", "metadata": {}, "source": ""}] * 300_000
    notebook = tmp_path / "work.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                        encoding="utf-8")
    with pytest.raises(SubmissionError) as error:
        find(notebook, ("convolution.py",), tmp_path / "work")
    assert "300000" in error.value.say("en")


@pytest.mark.parametrize("mode", ["header", "exit status"])
def test_the_hidden_cases_process_tells_nothing_but_its_results(grade, tmp_path, mode):
    """tests/hostile/memory_hidden_child.py: the hidden process's import error or exit status (97)
    would be the task's problem if the grader took it when the public process sent nothing."""
    attack = (ROOT / "tests" / "hostile" / "memory_hidden_child.py").read_text(encoding="utf-8")
    (tmp_path / "convolution.py").write_text(attack.replace("__MODE__", mode), encoding="utf-8")
    report = grade("assignment1", tmp_path / "convolution.py", tasks=["conv1d"], device="cpu")
    task = report.tasks[0]
    shown = [str(task.problem) or ""] + [str(check.message) for check in task.checks if not check.hidden]
    assert not [text for text in shown if "HIDDEN-LEAK" in text or "97" in text], shown[:3]
    assert task.score == 0


def test_feedback_scrubs_the_grader_s_folders_from_messages(tmp_path):
    message = f"exe={COURSE}/.venv/bin/python3 /tmp/grade-batch-tsckr4yz/submission-jb3vz2y9/submission"
    folder = feedback.write_feedback(tmp_path, Graded(student="1470030", report=_report(message)))
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert COURSE not in text and "tsckr4yz" not in text and "jb3vz2y9" not in text, path.name


def test_bare_links_and_addresses_are_inert_in_markdown():
    text = render(_report("see www.evil.example/pwn and pwn@evil.example"), "markdown")
    assert "www.evil" not in text and "pwn@evil" not in text
