"""Time is CPU time, and CPU is shared fairly: a child's limit counts the CPU time of its whole
process tree (with a wall-clock backstop for one that sleeps), so a correct submission scores the
same beside a hostile one and on a machine busy with other work. The figures are in
tests/benchmarks/fairness.py; these tests assert scores, with wide margins, never times."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS
from grader import api, sandbox
from grader.course import batch
from grader.engine.frames import TaskHeader
from grader.sandbox import keeper
from grader.engine import environment, judge

HOSTILE = ROOT / "tests" / "hostile" / "fair_busy_neighbour.py"
# A CPU time limit well above what the slow submission's conv2d needs alone (about 1 s of CPU),
# and well below its wall time when it gets a fifth of a core.
TIMEOUT_S = 3.0
BUSY_NEIGHBOURS = 8  # on 2 cores, each process of the grader gets a fifth of a core at most


def slow_correct_submission(folder: Path, wasted_cpu_s: float = 0.01) -> Path:
    """assignment 1's correct_naive, whose conv2d wastes `wasted_cpu_s` of CPU time on every call
    (about 110 calls): correct, and slow by the same CPU time on any machine."""
    folder.mkdir(parents=True, exist_ok=True)
    code = (SUBMISSIONS / "assignment1" / "correct_naive" / "convolution.py").read_text(encoding="utf-8")
    (folder / "convolution.py").write_text(code + f'''

import time as _time

_conv2d_at_full_speed = conv2d


def conv2d(*args, **kwargs):
    """The same conv2d, after wasting some CPU time: correct, and slow."""
    begun = _time.process_time()
    while _time.process_time() - begun < {wasted_cpu_s!r}:
        pass
    return _conv2d_at_full_speed(*args, **kwargs)
''', encoding="utf-8")
    return folder


def busy_neighbours(count: int = BUSY_NEIGHBOURS) -> list[subprocess.Popen]:
    """Processes outside the grader that spin, each in a session of its own, as other users' work
    does on a shared machine."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(count)]


def spinners_left(name: str) -> list[int]:
    """Processes named `name` (the hostile's spinners name themselves)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def run_jailed(work, timeout: float) -> sandbox.Outcome:
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as submission:
        os.chmod(submission, 0o755)
        jail = sandbox.Jail(visible=sandbox.python_paths(), submission=Path(submission), scratch=Path(scratch))
        [outcome] = sandbox.run_all([lambda: sandbox.spawn(work, jail)], [timeout], 1, [1])
    assert outcome.jail_error is None, outcome.jail_error
    return outcome


# --- the keeper: which limit stops a child ----------------------------------------------------

def _sleeps_while_its_processes_spin(send) -> None:
    for _ in range(3):
        if os.fork() == 0:
            while True:
                pass
    time.sleep(600)


@pytest.mark.slow
def test_the_limit_counts_the_cpu_time_of_every_process_of_the_child():
    """PID 1 sleeps while three processes it forked spin: their CPU time stops it, long before
    the wall-clock backstop (3 x 1 + 5 s)."""
    outcome = run_jailed(_sleeps_while_its_processes_spin, timeout=1.0)
    assert outcome.timed_out and not outcome.wall_clock
    assert outcome.cpu_s >= 1.0


@pytest.mark.slow
def test_a_child_that_sleeps_is_stopped_by_the_wall_clock_backstop(monkeypatch):
    monkeypatch.setattr(keeper, "WALL_SLACK_S", 0.5)
    outcome = run_jailed(lambda send: time.sleep(600), timeout=0.5)
    assert outcome.timed_out and outcome.wall_clock
    assert outcome.duration_s >= keeper.wall_backstop(0.5) and outcome.cpu_s < 0.5


@pytest.mark.slow
def test_cpu_time_of_processes_that_ended_still_counts_without_a_cgroup():
    """The fallback reads /proc: a process reaped by its parent counts in the parent's time."""
    pid = os.fork()
    if pid == 0:
        try:
            for _ in range(3):
                if os.fork() == 0:
                    begun = time.process_time()
                    while time.process_time() - begun < 0.3:
                        pass
                    os._exit(0)
            while True:
                try:
                    os.wait()
                except ChildProcessError:
                    break
            time.sleep(600)
        finally:
            os._exit(0)
    try:
        deadline = time.monotonic() + 60
        while keeper.tree_cpu_seconds(pid) < 0.85 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert keeper.tree_cpu_seconds(pid) >= 0.85
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.mark.parametrize("wall_clock, header, expected", [
    (False, None, "importing your file took over the 3 s time limit (CPU time)"),
    (False, TaskHeader(imported=True), "stopped after the 3 s time limit (CPU time)"),
    (True, None, "importing your file took over 14 s of wall-clock time"),
    (True, TaskHeader(imported=True), "stopped after 14 s of wall-clock time"),
])
def test_the_report_says_which_limit_stopped_the_task(wall_clock, header, expected):
    outcome = sandbox.Outcome((), -9, True, False, 1.0, wall_clock=wall_clock)
    diagnosis, message, status = judge._why_stopped(header, outcome, 3.0, True)
    assert (diagnosis, status) == ("timeout", "timeout") and str(message).startswith(expected), message


def test_isolation_states_the_cpu_measures():
    measures = " ".join(environment.isolation(("cpu",)).measures)
    assert "time limit per task: CPU time" in measures and "CPU share:" in measures


# --- a correct submission scores the same beside a hostile one, and on a busy machine ----------

@pytest.mark.slow
def test_a_correct_submission_beside_a_hostile_one_in_a_batch_scores_full_marks(tmp_path):
    folder = tmp_path / "class"
    slow_correct_submission(folder / "honest")
    (folder / "hostile").mkdir()
    name = f"fair-{os.getpid()}"  # this test's spinners, not those of another grading on this machine
    (folder / "hostile" / "convolution.py").write_bytes(HOSTILE.read_bytes().replace(b"fair-spinner", name.encode()))
    reports = {entry.student: entry.report for entry in batch.grade_batch(
        "assignment1", [folder], tmp_path / "results", jobs=2, seed=0, root=ROOT, language="en", timeout=TIMEOUT_S)}
    honest, hostile = reports["honest"], reports["hostile"]
    assert honest.score == honest.max_score, [(t.name, t.status, str(t.problem)) for t in honest.tasks]
    assert hostile.score == 0
    spinning = [t for t in hostile.tasks if t.name != "filters"]
    assert all(t.status == "timeout" and "(CPU time)" in str(t.problem) for t in spinning), \
        [(t.name, t.status, str(t.problem)) for t in spinning]
    deadline = time.monotonic() + 3
    while spinners_left(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not spinners_left(name)


@pytest.mark.slow
def test_a_correct_but_slow_submission_is_not_failed_by_a_busy_machine(tmp_path):
    submission = slow_correct_submission(tmp_path / "slow")
    neighbours = busy_neighbours()
    try:
        report = api.grade("assignment1", submission, root=ROOT, timeout=TIMEOUT_S)
    finally:
        for neighbour in neighbours:
            neighbour.kill()
            neighbour.wait()
    assert report.score == report.max_score, [(t.name, t.status, str(t.problem)) for t in report.tasks]
