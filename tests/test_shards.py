"""A batch split into shards: who grades whom, the schedulers' indices, and the merge's refusals."""
from __future__ import annotations

import contextlib

import pytest

from conftest import ROOT
from grader import api
from grader.course import shards, store
from grader.course.shards import Shard, ShardError
from grader.engine import grading

IDS = [f"{number:07d}" for number in range(1470000, 1470600)]


def test_every_student_is_in_exactly_one_shard_and_the_shards_are_even():
    counts = [sum(Shard(index, 4).holds(student) for student in IDS) for index in range(1, 5)]
    assert sum(counts) == len(IDS)
    assert all(sum(Shard(index, 4).holds(student) for index in range(1, 5)) == 1 for student in IDS)
    assert min(counts) > len(IDS) / 4 * 0.75


def test_a_students_shard_follows_from_their_id_alone():
    before = {student: next(i for i in range(1, 6) if Shard(i, 5).holds(student)) for student in IDS[:300]}
    after = {student: next(i for i in range(1, 6) if Shard(i, 5).holds(student)) for student in IDS}
    assert all(after[student] == shard for student, shard in before.items())


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", "1/0", ""])
def test_a_shard_is_k_of_n(text):
    assert shards.parse("2/3") == Shard(2, 3)
    with pytest.raises(ShardError, match="K/N"):
        shards.parse(text)


@pytest.mark.parametrize("environment, count, expected", [
    ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "7"}, None, Shard(2, 4)),
    ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6",
      "SLURM_ARRAY_TASK_STEP": "2"}, None, Shard(3, 4)),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3"}, None, Shard(1, 3)),
    ({"JOB_COMPLETION_INDEX": "0"}, 3, Shard(1, 3)),
    ({"JOB_COMPLETION_INDEX": "2"}, 3, Shard(3, 3)),
])
def test_auto_reads_the_schedulers_index(environment, count, expected):
    assert shards.parse("auto", count, environment) == expected


@pytest.mark.parametrize("environment, count, fragment", [
    ({}, None, "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"),
    ({"JOB_COMPLETION_INDEX": "1"}, None, "needs --shards N"),
    ({"JOB_COMPLETION_INDEX": "3"}, 3, "needs --shards N"),
    ({"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, None, "is not one of"),
])
def test_auto_without_a_usable_index_says_what_to_give(environment, count, fragment):
    with pytest.raises(ShardError, match=fragment):
        shards.parse("auto", count, environment)


def _shard_folder(folder, students, seed=0):
    """A shard's results folder whose store holds these students (reports of nothing graded)."""
    spec = api.open_assignment("assignment1", seed, ROOT)
    with contextlib.closing(store.open_store(folder)) as connection:
        for student in students:
            store.save(connection, student, grading.ungraded(spec, student, ROOT, seed, "no submission"), f"Name {student}")
    return folder


def test_merge_takes_every_row_as_stored(tmp_path):
    first, second = _shard_folder(tmp_path / "a", ["1", "3"]), _shard_folder(tmp_path / "b", ["2"])
    assert shards.merge(tmp_path / "out", [first, second]) == "assignment1"
    merged = store.rows(tmp_path / "out")
    assert merged == sorted(store.rows(first) + store.rows(second))
    assert shards.merge(tmp_path / "out", [first, second]) == "assignment1"  # again: the same
    assert store.rows(tmp_path / "out") == merged


@pytest.mark.parametrize("problem", ["twice", "seed", "out", "missing", "empty"])
def test_merge_refuses_what_is_not_the_shards_of_one_batch(tmp_path, problem):
    first = _shard_folder(tmp_path / "a", ["1", "3"])
    second = {"twice": lambda: _shard_folder(tmp_path / "b", ["2", "3"]),
              "seed": lambda: _shard_folder(tmp_path / "b", ["2"], seed=7),
              "out": lambda: tmp_path / "out",
              "missing": lambda: tmp_path / "nothing",
              "empty": lambda: (store.open_store(tmp_path / "b").close(), tmp_path / "b")[1]}[problem]()
    expected = {"twice": "student 3 is in two shards: .*a and .*b", "seed": "several seeds \\(0, 7\\)",
                "out": "both a shard and the merged output", "missing": "holds no batch results",
                "empty": None}[problem]
    if problem == "out":
        _shard_folder(tmp_path / "out", ["2"])
    if expected is None:  # an empty shard is merged like any other
        shards.merge(tmp_path / "out", [first, second])
        assert len(store.rows(tmp_path / "out")) == 2
        return
    with pytest.raises(ShardError, match=expected):
        shards.merge(tmp_path / "out", [first, second])
    assert not (tmp_path / "out" / store.FILE_NAME).exists() or problem == "out"


def test_the_merge_command_says_what_is_wrong_in_one_line(tmp_path):
    from click.testing import CliRunner

    from grader import cli

    first = _shard_folder(tmp_path / "a", ["1"])
    result = CliRunner().invoke(cli.main, ["merge", str(tmp_path / "out"), str(first), str(tmp_path / "none"),
                                           "--lang", "en"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "holds no batch results" in result.output
    result = CliRunner().invoke(cli.main, ["batch", "assignment1", str(tmp_path), "-o", str(tmp_path / "x"),
                                           "--shard", "4/3", "--lang", "en"])
    assert result.exit_code == 2 and "give K/N with 1 <= K <= N" in result.output
