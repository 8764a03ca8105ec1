"""The library behind the `grade` command, and what other programs call: grade a submission, check
the references, list the assignments, compare a class's submissions. Each entry is a few lines over
the stage that does the work: `course.folder` (the course and its settings), `engine.grading` (one
submission), `course.checking` (the references), `course.similarity` (a class's code)."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from grader import i18n, sandbox
from grader.course import checking, similarity as similar, sources
from grader.course.folder import (UsageError, choose_language, course, default_submission, devices_for,
                                  list_assignments, need_reference, open_assignment, open_graded, secret_seed,
                                  select_tasks)
from grader.engine.grading import DEFAULT_TIMEOUT_S, grade_submission
from grader.engine.load import SubmissionError
from grader.reports.render import heading
from grader.reports.similarity_page import write_similarity
from grader.results import Report
from grader.spec import assignment_names

__all__ = ["DEFAULT_TIMEOUT_S", "UsageError", "check_reference", "choose_language", "course", "grade",
           "list_assignments", "open_assignment", "secret_seed", "similarity"]


def grade(assignment: str, submission: Path | None = None, *, tasks: Iterable[str] = (),
          device: str = "auto", seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S,
          workers: int | None = None, root: Path | None = None, language: str | None = None,
          runner: sandbox.Zygote | None = None) -> Report:
    """Grade one submission (folder, .py, .ipynb or .zip) of one assignment; `language` of the
    report: the reader's locale or the course's by default (`settings.choose_language`). `runner`:
    the zygote the student's children descend from, forked before anything secret was read (the command
    forks it before it reads its options); without one, one is forked here, first."""
    with _runner(runner) as runner:
        root = course(root)
        language = choose_language(language, root)
        spec, expected = open_graded(assignment, seed, root)
        origin = Path(submission) if submission else default_submission(assignment, root)
        try:
            return grade_submission(spec, select_tasks(spec, tasks), origin, root, devices_for(device), seed, timeout,
                                    workers, runner, expected).read_in(language)
        except SubmissionError as error:
            raise UsageError.of(error) from None


@contextmanager
def _runner(given: sandbox.Zygote | None) -> Iterator[sandbox.Zygote | None]:
    """The zygote given, else one of our own for the duration (none where nothing can fork: there
    only the spawned fallback runs student code)."""
    if given is not None or not hasattr(os, "fork"):
        yield given
        return
    with sandbox.Zygote.start() as own:
        yield own


def check_reference(names: Iterable[str] = (), *, seeds: Iterable[int] = (0,), timeout: float = 60.0,
                    root: Path | None = None, progress: Callable[[str], None] = lambda line: None,
                    language: str = "en", runner: sandbox.Zygote | None = None) -> list[str]:
    """Defects found: a reference losing points, disagreeing with torch or with the lecture's
    numbers, or an untouched stub that does not score 0 as "not implemented". The defects are
    for the course's developers, in English; the progress lines are in `language`."""
    with _runner(runner) as runner:
        root = course(root)
        need_reference(root, "check-reference")
        names = list(names) or assignment_names(root)
        defects = []
        for name, seed in ((name, seed) for name in names for seed in seeds):
            spec, devices = open_assignment(name, seed, root), devices_for("auto")
            defects += checking.check_one_reference(spec, seed, root, devices, timeout, runner)
            progress(i18n.say_n(language, "{name}: checked {count} task on {devices} with seed {seed}",
                                "{name}: checked {count} tasks on {devices} with seed {seed}", len(spec.tasks),
                                name=name, devices=", ".join(devices), seed=str(seed)))  # an identifier
        return defects


def similarity(assignment: str, origins: Iterable[Path], out: Path, *, root: Path | None = None,
               language: str | None = None, anonymous: bool = False, threshold: float = similar.THRESHOLD,
               entries: Sequence[sources.Entry] | None = None) -> tuple[similar.Analysis, list[Path]]:
    """Compare every student of `origins` (what `grade batch` takes: folders, Moodle exports, CSV
    manifests) for `assignment`, and write similarity.csv and similarity.html into `out`; the page
    in `language` [default: the course's]. Grades nothing and changes no score."""
    root = course(root)
    if assignment not in assignment_names(root):
        raise UsageError("unknown assignment {name} (known: {known})", name=repr(assignment),
                         known=", ".join(assignment_names(root)))
    language = choose_language(language, root, reader=False)
    folder = root / "assignments" / assignment
    modules = tuple(sorted(path.name for path in folder.glob("*.py")))
    work = Path(tempfile.mkdtemp(prefix="grade-similarity-"))
    try:
        try:
            found = list(entries) if entries is not None else sources.discover(list(origins), work / "sources")
        except sources.SourceError as error:
            raise UsageError.of(error) from None
        analysis = similar.compare(similar.read_class(found, modules, work, language), similar.course_template(folder),
                                   threshold=threshold)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    title = heading(assignment, i18n.text(open_assignment(assignment, 0, root).title), language)
    return analysis, write_similarity(out, analysis, title, language, anonymous)

