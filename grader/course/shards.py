"""A class graded on several machines: which students a shard grades, and the shards' stores merged.

`grade batch ... --shard K/N` grades the students whose id hashes to shard K of N: a student's
shard depends on their id and N alone, so adding a student moves no one else. Each shard writes
its own results folder; `grade merge OUT SHARD...` puts their stores together, each student once,
and writes every output from the merged store, as `--report-only` does.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from grader.course import store
from grader.i18n import N_, ReaderError


class ShardError(ReaderError, ValueError):
    """A shard that cannot be named, or shards that cannot be merged: one line, exit 2."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` (from 1) of `count`."""

    index: int
    count: int

    def holds(self, student: str) -> bool:
        digest = hashlib.sha256(student.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(text: str, shards: int | None = None, environment: Mapping[str, str] = os.environ) -> Shard:
    """`K/N`, or `auto`: the scheduler's array index, where `shards` gives the count if it does not."""
    if text == "auto":
        return from_scheduler(environment, shards)
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise ShardError("--shard {text}: give K/N with 1 <= K <= N (e.g. 2/8), or auto", text=text)
    return Shard(int(index), int(count))


def from_scheduler(environment: Mapping[str, str], shards: int | None = None) -> Shard:
    """The shard of this task of a Slurm job array (SLURM_ARRAY_TASK_ID with its MIN, MAX and STEP,
    or COUNT), or of a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, from 0; the count is `shards`)."""
    number = lambda name: int(environment[name]) if environment.get(name, "").isdigit() else None  # noqa: E731
    task = number("SLURM_ARRAY_TASK_ID")
    if task is not None:
        low, high, step = number("SLURM_ARRAY_TASK_MIN") or 0, number("SLURM_ARRAY_TASK_MAX"), \
            number("SLURM_ARRAY_TASK_STEP") or 1
        count = shards or number("SLURM_ARRAY_TASK_COUNT") or (high is not None and (high - low) // step + 1)
        index = (task - low) // step + 1
        if not count or not 1 <= index <= count:
            raise ShardError("--shard auto: Slurm's array task {task} is not one of {count} tasks from {low}",
                             task=task, count=count or "?", low=low)
        return Shard(index, count)
    completion = number("JOB_COMPLETION_INDEX")
    if completion is not None:
        if not shards or completion >= shards:
            raise ShardError("--shard auto in a Kubernetes Indexed Job needs --shards N, the Job's completions "
                             "(JOB_COMPLETION_INDEX is {index})", index=completion)
        return Shard(completion + 1, shards)
    raise ShardError("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set: give --shard K/N")


# What every row of one batch shares: (its column in `store.COLUMNS`, the error when it differs).
_ONE_OF_EACH = ((0, N_("the shards hold several assignments ({found}): merge each assignment's shards apart")),
                (3, N_("the shards were graded with several seeds ({found}): merge the shards of one batch")),
                (4, N_("the shards were graded by several grader versions ({found}): merge the shards of one batch")))


def merge(out: Path, shards: list[Path]) -> str:
    """Put the stores of `shards` into the store in `out`, each student once; the assignment's name.

    Refused, naming them: a folder without a store, a student graded in two shards, rows of several
    assignments, seeds or grader versions (the shards of one batch share all three)."""
    rows: dict[tuple[str, str], tuple[Path, tuple]] = {}
    for folder in shards:
        if folder.resolve() == out.resolve():
            raise ShardError("{folder} is both a shard and the merged output: give another -o", folder=folder)
        if not (folder / store.FILE_NAME).is_file():
            raise ShardError("{folder} holds no batch results ({file} is missing)", folder=folder,
                             file=store.FILE_NAME)
        for row in store.rows(folder):
            key = (row[0], row[1])  # assignment, student
            if key in rows:
                raise ShardError("student {student} is in two shards: {first} and {second}", student=row[1],
                                 first=rows[key][0], second=folder)
            rows[key] = (folder, row)
    for column, message in _ONE_OF_EACH:
        found = sorted({str(row[column]) for _, row in rows.values()})
        if len(found) > 1:
            raise ShardError(message, found=", ".join(found))
    if not rows:
        raise ShardError("the shards hold no students")
    store.replace_all(out, [row for _, row in rows.values()])
    return next(iter(rows))[0]
