"""The one scheduling loop (`scheduler.run`) with fake children: admission, the phase barrier,
making ahead, overflow, completion, deadlines and abandoning, in milliseconds and without processes."""
from __future__ import annotations

import os
import time

import pytest

from grader.sandbox import scheduler


class Fake:
    """A child that sends `script` (each item one `receive`: frames, and how it ends or None), then
    stays silent; `limit_s` after its start, its time is up. Its channel is a pipe kept readable
    while it has something to say."""

    def __init__(self, log: list, name: str, script: list, limit_s: float = 10.0, held: int = 0) -> None:
        self.log, self.name, self.script, self.limit_s, self.held = log, name, list(script), limit_s, held
        self.channel, self._write = os.pipe()
        log.append(("make", name))

    def start(self, cpu_s: float) -> None:
        self.started = time.monotonic()
        self.log.append(("start", self.name))
        if self.script:
            os.write(self._write, b"x")

    def receive(self):
        got = self.script.pop(0)
        if not self.script:
            os.read(self.channel, 1)  # nothing more to say: not readable any more
        return got

    def passed(self, now: float):
        return "cpu" if now - self.started > self.limit_s else None

    def next_check(self) -> float:
        return self.started + self.limit_s

    def finish(self, frames, how):
        self.log.append(("finish", self.name, how))
        self._close()
        return (self.name, tuple(frames), how)

    def abandon(self) -> None:
        self.log.append(("abandon", self.name))
        self._close()

    def _close(self) -> None:
        os.close(self.channel)
        os.close(self._write)


def run(scripts: dict, workers=1, expected=2, result_bytes=100, **options):
    log: list = []
    makers = [lambda name=name, script=script: Fake(log, name, script) for name, script in scripts.items()]
    outcomes = scheduler.run(makers, [1.0] * len(makers), workers, [expected] * len(makers), result_bytes, **options)
    return outcomes, log


def test_frames_completion_and_how_a_child_ends():
    outcomes, _ = run({"complete": [([b"a"], None), ([b"b"], None), ([b"late"], None)],
                       "ended": [([b"a"], None), ([], "ended")],
                       "forged": [([b"a"], "forged")],
                       "overflow": [([b"a" * 60], None), ([b"b" * 60], None)]}, workers=2)
    assert outcomes == [("complete", (b"a", b"b"), "complete"), ("ended", (b"a",), "ended"),
                        ("forged", (b"a",), "forged"), ("overflow", (b"a" * 60, b"b" * 60), "overflow")]


def test_bytes_held_count_toward_the_result_limit():
    log: list = []
    outcomes = scheduler.run([lambda: Fake(log, "held", [([b"a"], None)], held=100)], [1.0], 1, [2], 100)
    assert outcomes == [("held", (b"a",), "overflow")]


def test_a_silent_child_is_ended_by_its_time():
    log: list = []
    outcomes = scheduler.run([lambda: Fake(log, "silent", [], limit_s=0.05)], [1.0], 1, [1], 100)
    assert outcomes == [("silent", (), "cpu")]


def test_at_most_workers_run_and_ahead_are_made_before_they_start():
    _, log = run({name: [([b"a", b"b"], None)] for name in "abcd"}, workers=2, ahead=1)
    running, most = set(), 0
    for event in log:
        if event[0] == "start":
            running.add(event[1])
        elif event[0] == "finish":
            running.discard(event[1])
        most = max(most, len(running))
    assert most == 2
    assert log.index(("make", "c")) < log.index(("finish", "a", "complete"))  # made ahead
    assert log.index(("make", "d")) > log.index(("start", "c"))  # one ahead at most


def test_no_later_phase_is_made_while_an_earlier_one_runs():
    scripts = {"hidden": [([b"a", b"b"], None)], "public1": [([b"a"], None), ([b"b"], None)],
               "public2": [([b"a", b"b"], None)]}
    outcomes, log = run(scripts, workers=3, ahead=3, phases=[1, 0, 0])
    assert [outcome[2] for outcome in outcomes] == ["complete"] * 3
    assert log.index(("make", "hidden")) > max(log.index(("finish", "public1", "complete")),
                                               log.index(("finish", "public2", "complete")))


def test_every_child_left_is_abandoned_when_the_loop_fails():
    log: list = []

    class Failing(Fake):
        def receive(self):
            raise RuntimeError("the grader's fault")

    makers = [lambda: Fake(log, "quiet", []), lambda: Failing(log, "failing", [([], None)]),
              lambda: Fake(log, "ahead", [])]
    with pytest.raises(RuntimeError):
        scheduler.run(makers, [1.0] * 3, 2, [1] * 3, 100, ahead=1)
    assert sorted(event for event in log if event[0] == "abandon") == [
        ("abandon", "ahead"), ("abandon", "failing"), ("abandon", "quiet")]
