"""One submission graded: its children run in the sandbox, the reference's frames found or computed,
every task judged into a report."""
from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from grader import i18n, sandbox
from grader.course import handout
from grader.course.folder import Expected, is_handout, isolation_mode
from grader.engine import codec, compare, memo, run
from grader.engine.frames import TaskHeader, reference_results, student_results
from grader.engine.environment import environment
from grader.engine.judge import StudentRun, TaskRun, judge_safely
from grader.engine.load import find, Submission
from grader.engine.scan import read_sources, review_flags, scan_source
from grader.results import Report, TaskResult
from grader.spec import Assignment, Task

DEFAULT_TIMEOUT_S = 10.0  # CPU seconds per task, of all the processes its code starts


def grade_submission(spec: Assignment, tasks: tuple[Task, ...], origin: Path, root: Path, devices: tuple[str, ...],
                     seed: int, timeout: float, workers: int | None, runner: sandbox.Zygote | None,
                     expected: Expected | None = None) -> Report:
    """Grade one submission; `expected` loads the reference's frames computed beforehand (a handout).
    Raises SubmissionError for a submission that cannot be read."""
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        mode = isolation_mode(root)
        found = find(origin, spec.modules, workdir)
        if mode == "user":  # the student's uid reads its own copy (its helper modules) from here
            _open_to_others(workdir)
        runs = execute(spec, tasks, found, root, devices, timeout, workers, runner, expected, mode)
        report = judge_submission(spec, runs, found, root, devices, seed, timeout, mode, started)
        if expected is None:  # the reference ran here without its known mistakes: add them where one may apply
            plain = [task_run for task_run, result in zip(runs, report.tasks) if _named_nothing(result, task_run.task)]
            if plain:
                add_mistakes(spec, plain, root, timeout, workers)
                report = judge_submission(spec, runs, found, root, devices, seed, timeout, mode, started)
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def judge_submission(spec: Assignment, runs: list[TaskRun], found: Submission, root: Path, devices: tuple[str, ...],
                     seed: int, timeout: float, mode: str, started: float) -> Report:
    """The report of a submission whose children have run: every task judged, review flags listed.
    Its messages are data in no language (`Report.read_in` chooses the one it is said in)."""
    codes = read_sources(found.sources)  # parsed once for the scan and the review
    findings = scan_source(spec, found.sources, tuple(r.task for r in runs), codes)
    results = tuple(judge_safely(r, findings[r.task.name], timeout, found.place) for r in runs)
    flags, more_flags = review_flags(found, codes)
    notes = [i18n.message(message, **fields) for message, fields in found.notes]
    if mode == "process":
        notes.append(i18n.message("graded without a sandbox: your code ran as an ordinary process"))
    return Report(assignment=spec.name, title=i18n.text(spec.title), submission=str(found.origin),
                  course=str(root), seed=seed,
                  sha256=found.sha256, graded_at=_now(), tasks=results, review=flags, review_omitted=more_flags,
                  notes=tuple(notes),
                  environment=environment(devices, mode),
                  duration_s=round(time.monotonic() - started, 3))


def ungraded(spec: Assignment, origin: str, root: Path, seed: int, reason: str | i18n.Message) -> Report:
    """The report of a submission that could not be graded at all: every task 0, and the reason,
    said once (on the first task)."""
    tasks = tuple(TaskResult(name=task.name, max_score=task.points, checks=(), problem=None if number else reason,
                             problem_status="error", shares=task.shares or {"results": 1.0})
                  for number, task in enumerate(spec.tasks))
    return Report(assignment=spec.name, title=i18n.text(spec.title), submission=origin,
                  course=str(root), seed=seed, graded_at=_now(),
                  tasks=tasks, environment=environment(("cpu",)), duration_s=0.0)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def reference_sources(spec: Assignment, root: Path) -> dict[str, run.Source]:
    """The reference's files, read in the grader (never in the zygote nor in a student's child)."""
    folder = root / "reference" / spec.name
    return {module: run.Source(str(folder / module), (folder / module).read_bytes()) for module in spec.modules}


def _open_to_others(folder: Path) -> None:
    """Make the private copy of a submission readable by the unprivileged uid of GRADER_ISOLATION=user:
    it holds nothing but the student's own files."""
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def student_jobs(spec: Assignment, tasks: tuple[Task, ...], submission: Submission, root: Path,
                 devices: tuple[str, ...], jailed: bool = True) -> list[tuple[Task, str, sandbox.StudentJob]]:
    """(task, device, job) for each task whose file was submitted, on each device: one job for its
    public cases and one for its hidden cases, so that no process of the student's holds both and
    nothing a hidden case showed it can reach a public message. A job holds its cases as JSON
    data, less the lecture's pinned values (`expect`, compared here only), and the student's file
    with the bytes read once, at the path the child sees it."""
    folder = sandbox.SUBMISSION_MOUNT if jailed else submission.folder
    checks = root / ("public" if is_handout(root) else "reference") / spec.name / handout.CHECKS_FILE
    found = []
    for task in tasks:
        module = spec.module_of(task)
        if module not in submission.files:
            continue
        path = str(folder / submission.files[module].relative_to(submission.folder))
        for hidden in (False, True):
            indices = tuple(index for index, case in enumerate(task.cases) if case.hidden == hidden)
            if not indices:
                continue
            part = task.model_copy(update={"cases": tuple(task.cases[index].model_copy(update={"expect": None})
                                                          for index in indices)})
            task_json = codec.task_to_json(part, spec.name)
            for device in devices:
                found.append((task, device, sandbox.StudentJob(task_json, str(checks) if checks.exists() else None,
                                                               path, submission.sources[module], device, indices,
                                                               hidden)))
    return found


def execute(spec: Assignment, tasks: tuple[Task, ...], submission: Submission, root: Path,
            devices: tuple[str, ...], timeout: float, workers: int | None, runner: sandbox.Zygote | None,
            expected: Expected | None = None, mode: str = "jail") -> list[TaskRun]:
    """Run the student's code and, unless `expected` loads its frames, the reference, on every case.

    The student's children descend from `runner`, the zygote forked before anything secret was
    read (in "process" mode each job is a spawned process instead), so no reference, expected value
    or report path is in their memory; the reference's children are forked here, meanwhile."""
    workers = workers or os.cpu_count() or 2
    jobs = student_jobs(spec, tasks, submission, root, devices, jailed=mode == "jail")
    request = sandbox.Request(tuple(job for *_, job in jobs), str(submission.folder), timeout, workers)
    status = 0
    outcomes: list[sandbox.Outcome] | None
    if mode == "jail" and jobs:
        if runner is None:
            sandbox.need_fork()  # where nothing can fork: one line, exit 3
            raise sandbox.JailError("no process to run student code in the jail")
        runner.submit(0, request)
    known = reference_frames(spec, tasks, root, timeout, workers, "answers") if expected is None else expected()
    if mode in ("process", "user"):
        outcomes = sandbox.run_jobs(list(request.jobs), [timeout] * len(jobs), workers,
                                    [job.frames() for job in request.jobs], course=root if mode == "user" else None)
    elif jobs and runner is not None:  # the jail: `runner` took the request above
        number, status = next(runner.finished())
        outcomes = runner.outcomes(number, request)
    else:
        outcomes = []
    return task_runs(spec, tasks, submission, devices, known, jobs, outcomes, status)


def task_runs(spec: Assignment, tasks: tuple[Task, ...], submission: Submission, devices: tuple[str, ...],
              known: dict[str, tuple[bytes, ...]], jobs: list[tuple[Task, str, sandbox.StudentJob]],
              outcomes: list[sandbox.Outcome] | None, status: int = 0) -> list[TaskRun]:
    """Each task's frames: the reference's (`known`) and the student's, from the outcomes of `jobs`
    (None: the zygote's worker left none, with exit `status`: the grader's fault, exit 3)."""
    if outcomes is None:
        raise sandbox.JailError(f"the process that runs student code failed (exit status {status})")
    failed = next((outcome.jail_error for outcome in outcomes if outcome.jail_error), None)
    if failed:
        raise sandbox.JailError(failed)
    runs = {task.name: TaskRun(task, reference_results(known.get(task.name, ())), {}) for task in tasks}
    for task in tasks:
        if spec.module_of(task) not in submission.files:  # nothing ran: the task reports the missing file
            missing: StudentRun = ({}, TaskHeader(missing_file=spec.module_of(task)), _NOTHING_SHOWN)
            runs[task.name].student.update({device: missing for device in devices})
    for (task, device, job), outcome in zip(jobs, outcomes):
        cases, header = student_results(outcome.frames)
        hidden = [index for index in job.indices if task.cases[index].hidden]
        if hidden:
            # Its hidden cases, run apart: only their results count. Their process's header, its
            # end (exit status, timeout) and its time are never shown: the student's code there
            # saw hidden inputs, and would write them into any of those.
            public_cases, header, outcome = runs[task.name].student.get(device, ({}, None, _NOTHING_SHOWN))
            cases = {**{index: cases[index] for index in hidden if index in cases}, **public_cases}
        runs[task.name].student[device] = (cases, header, outcome)
    return [runs[task.name] for task in tasks]


_NOTHING_SHOWN = sandbox.Outcome(frames=(), exit_status=0, timed_out=False, overflow=False,
                                duration_s=0.0)  # the end of a process whose end is not told


def reference_frames(spec: Assignment, tasks: tuple[Task, ...], root: Path, timeout: float,
                     workers: int | None = None, parts: str = "all") -> dict[str, tuple[bytes, ...]]:
    """The reference's raw frames for every task (trusted children forked from the grader); `parts`
    as `run.run_reference` takes it. Frames kept from an earlier run of the same code on the same
    cases are taken from `memo`; those of a run that ended well are kept there."""
    references = reference_sources(spec, root)
    names = {task.name: _memo_key(spec, task, root, references, parts) for task in tasks}
    found = {task.name: memo.load(names[task.name]) for task in tasks}
    todo = tuple(task for task in tasks if found[task.name] is None)
    spawners = [functools.partial(sandbox.spawn, _reference_work(task, references[spec.module_of(task)], parts), None)
                for task in todo]
    outcomes = sandbox.run_all(spawners, [max(60.0, timeout)] * len(todo), workers or os.cpu_count() or 2,
                               [len(task.cases) for task in todo])
    for task, outcome in zip(todo, outcomes):
        found[task.name] = outcome.frames
        if outcome.exit_status == 0 and not (outcome.timed_out or outcome.overflow or outcome.forged) \
                and len(outcome.frames) == len(task.cases):
            memo.save(names[task.name], outcome.frames)
    return {name: frames for name, frames in found.items() if frames is not None}  # every one, now


def _memo_key(spec: Assignment, task: Task, root: Path, references: dict[str, run.Source], parts: str) -> str:
    """What a task's reference frames follow from: the spec and checks, the reference's files, the
    task's cases (seeded values and lecture values included) and the parts asked for."""
    folder = root / "reference" / spec.name
    code = [(folder / name).read_bytes() if (folder / name).is_file() else b"" for name in ("spec.py", "checks.py")]
    sources = [f"{module}\0".encode() + source.code for module, source in sorted(references.items())]
    return memo.key(spec.name, task.name, parts, codec.task_to_json(task, spec.name), *code, *sources)


def _reference_work(task: Task, source: run.Source, parts: str) -> Callable:
    return lambda send: run.run_reference(task, task.cases, source, send, "cpu", parts)


def add_mistakes(spec: Assignment, runs: list[TaskRun], root: Path, timeout: float, workers: int | None) -> None:
    """The known mistakes' values, for the tasks whose reference ran without them, added to each
    case's expected frame: computed only where they are needed, to name a mistake."""
    frames = reference_frames(spec, tuple(task_run.task for task_run in runs), root, timeout, workers, "mistakes")
    for task_run in runs:
        for index, frame in reference_results(frames[task_run.task.name]).items():
            if index in task_run.expected:
                task_run.expected[index] = dataclasses.replace(task_run.expected[index], variants=frame.variants)


def _named_nothing(result: TaskResult, task: Task) -> bool:
    """A task with known mistakes that failed a check plainly (wrong values, shape, ...): one of the
    mistakes might name what went wrong."""
    return bool(task.variants) and any(not c.passed and c.diagnosis in compare.VALUE_DIAGNOSES for c in result.checks)
