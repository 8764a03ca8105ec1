"""`grade batch`: a class's submissions graded in parallel from one warm process, each in the sandbox.

The shape keeps every student's child clean. The *zygote* (`sandbox.zygote`) is forked first,
before this process reads the spec, the reference or any submission. This process then reads
each submission, and hands the zygote one request per submission: its tasks as data and its own
files, nothing of the queue. The zygote forks a worker per request, which runs that student's
jailed children; this process computes the reference's outputs once, compares, and stores each
report as it is done: a batch killed midway loses nothing already graded.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator

import grader
from grader import sandbox
from grader.course import folder, sources, store
from grader.course.shards import Shard
from grader.engine import grading
from grader.engine.load import Submission, SubmissionError, find
from grader.i18n import Message, ReaderError, message, say
from grader.reports import classbook
from grader.reports.classbook import Graded
from grader.reports.render import heading, write_report
from grader.results import Report
from grader.spec import Assignment


@dataclass(frozen=True)
class Plan:
    """How every submission of the batch is graded."""

    spec: Assignment
    root: Path
    devices: tuple[str, ...]
    seed: int
    timeout: float
    language: str  # of the students' feedback: the course's, unless --lang
    work: Path  # a private temporary folder: each submission's private copy while it is graded


@dataclass(frozen=True)
class _Pending:
    """A submission whose children are running."""

    entry: sources.Entry
    submission: Submission
    jobs: list
    request: sandbox.Request
    started: float


def grade_batch(assignment: str, origins: Iterable[Path], results: Path, *, jobs: int | None = None,
                seed: int | None = None, language: str | None = None,
                timeout: float = grading.DEFAULT_TIMEOUT_S, device: str = "auto", regrade: bool = False,
                root: Path | None = None, runner: sandbox.Zygote | None = None, zone: tzinfo | None = None,
                anonymous: bool = False, progress: Callable[[int, int, str, Report], None] = lambda *args: None,
                shard: Shard | None = None) -> list[Graded]:
    """Grade every student found in `origins` (folders, Moodle exports, CSV manifests) into the store
    in `results`; skip those whose stored report is of the same submission, seed and grader version
    (unless `regrade`). The seed defaults to the course's secret one. Returns every stored student
    of the assignment. `runner`: the zygote, forked before anything was read; `zone`: that of the
    file times in a zipped export; `progress(done, total, who, report)`, who by id alone where
    `anonymous`; `shard`: grade only its students (`shards`)."""
    own: sandbox.Zygote | None = None
    if runner is None:
        runner = own = sandbox.Zygote.start()  # first: before anything is read
    work = Path(tempfile.mkdtemp(prefix="grade-batch-"))
    connection = None
    try:
        root = folder.course(root)
        folder.need_reference(root, "grade batch")
        if folder.isolation_mode(root) == "process":
            raise folder.UsageError("grade batch runs student code in the jail only: GRADER_ISOLATION=process is for a "
                                 "student grading their own work")
        seed = folder.secret_seed(root, assignment) if seed is None else seed
        spec = folder.open_assignment(assignment, seed, root)
        plan = Plan(spec, root, folder.devices_for(device), seed, timeout,
                            folder.choose_language(language, root, reader=False), work)
        try:
            entries = sources.discover(list(origins), work / "sources", zone)
        except sources.SourceError as error:
            raise folder.UsageError.of(error) from None
        entries = [entry for entry in entries if shard is None or shard.holds(entry.student)]
        connection = store.open_store(results)
        todo: list[tuple[sources.Entry, Submission]] = []
        empty: list[tuple[sources.Entry, Message | None]] = []
        for entry in entries:
            submission = _read(entry.path, plan) if entry.path else None
            fingerprint = submission.sha256 if isinstance(submission, Submission) else ""
            if regrade or not store.is_current(connection, spec.name, entry.student, fingerprint, seed, grader.__version__):
                if isinstance(submission, Submission):
                    todo.append((entry, submission))
                else:
                    empty.append((entry, submission))
                continue
            store.note(connection, spec.name, entry.student, entry.name, entry.submitted_at)
            if isinstance(submission, Submission):
                shutil.rmtree(submission.folder.parent, ignore_errors=True)
        total, done = len(todo) + len(empty), 0
        for entry, problem in empty:
            done += 1
            reason = problem if problem is not None else entry.problem.data if entry.problem \
                else message("no submission")
            report = grading.ungraded(spec, entry.student, root, seed, reason).read_in(plan.language)
            store.save(connection, entry.student, report, entry.name, entry.submitted_at)
            progress(done, total, _who(entry, anonymous), report)
        for entry, report in _grade_all(todo, plan, runner, jobs or os.cpu_count() or 2):
            done += 1
            store.save(connection, entry.student, report, entry.name, entry.submitted_at)
            progress(done, total, _who(entry, anonymous), report)
        return store.load_all(connection, spec.name)
    finally:
        if connection is not None:  # closed, not left to the interpreter: `grade` ends with os._exit
            connection.close()
        if own is not None:
            own.stop()
        shutil.rmtree(work, ignore_errors=True)


def _who(entry: sources.Entry, anonymous: bool) -> str:
    """The student as a progress line names them: the full name and the id, or the id."""
    return f"{entry.name} ({entry.student})" if entry.name and not anonymous else entry.student


def _read(path: Path, plan: Plan) -> Submission | Message:
    """The private copy of the submission at `path`, or why it cannot be read."""
    workdir = Path(tempfile.mkdtemp(prefix="submission-", dir=plan.work))
    try:
        return find(path, plan.spec.modules, workdir)
    except SubmissionError as error:
        shutil.rmtree(workdir, ignore_errors=True)
        return error.data


def _grade_all(todo: list[tuple[sources.Entry, Submission]], plan: Plan, runner: sandbox.Zygote,
               jobs: int) -> Iterator[tuple[sources.Entry, Report]]:
    """Each submission with its report, in the order they finish; at most `jobs` at a time."""
    if not todo:
        return
    spec = plan.spec
    known = grading.reference_frames(spec, spec.tasks, plan.root, plan.timeout, jobs)
    waiting, pending = list(enumerate(todo)), dict[int, _Pending]()
    while waiting or pending:
        while waiting and len(pending) < jobs:
            number, (entry, submission) = waiting.pop(0)
            found = grading.student_jobs(spec, spec.tasks, submission, plan.root, plan.devices)
            request = sandbox.Request(tuple(job for *_, job in found), str(submission.folder), plan.timeout, 1)
            pending[number] = _Pending(entry, submission, found, request, time.monotonic())
            runner.submit(number, request)
        number, status = next(runner.finished())
        done = pending.pop(number)
        yield done.entry, _report(done, runner.outcomes(number, done.request), status, known, plan)


def _report(done: _Pending, outcomes: list[sandbox.Outcome] | None, status: int, known: dict,
            plan: Plan) -> Report:
    """The report of one submission whose children have run, or one saying why there is none."""
    spec = plan.spec
    try:
        runs = grading.task_runs(spec, spec.tasks, done.submission, plan.devices, known, done.jobs, outcomes, status)
        return grading.judge_submission(spec, runs, done.submission, plan.root, plan.devices, plan.seed,
                                        plan.timeout, "jail", done.started).read_in(plan.language)
    except sandbox.JailError:
        raise
    except Exception:
        reason = message("the grader failed on this submission (exit status {status}): please report it",
                         status=status)
        return grading.ungraded(spec, str(done.entry.path), plan.root, plan.seed, reason).read_in(plan.language)
    finally:
        shutil.rmtree(done.submission.folder.parent, ignore_errors=True)


@dataclass(frozen=True)
class HandBack:
    """How a batch's outputs are written: the instructor's decisions on top of grading, and Moodle's files."""

    deadline: datetime | None = None
    late_penalty: float = 0.0  # percent of the points per started day after the deadline
    overrides: Path | None = None  # a CSV student,task,delta,comment
    worksheet: Path | None = None  # Moodle's grading worksheet, as downloaded
    moodle_language: str = "en"  # of a worksheet written without one
    anonymous: bool = False  # ids only, no names (Moodle's blind marking)

    @property
    def zone(self) -> tzinfo:
        """The time zone of times that carry none (a zip's, a worksheet's): the deadline's, or the machine's."""
        zone = self.deadline.tzinfo if self.deadline else None  # read_deadline's are aware
        return zone or datetime.now(timezone.utc).astimezone().tzinfo or timezone.utc


def write_outputs(results: Path, graded: list[Graded], language: str | None = None,
                  options: HandBack = HandBack(), similar: dict[str, str] | None = None) -> list[Path]:
    """gradebook.csv, moodle_worksheet.csv and moodle_feedback.zip (for a Moodle export),
    summary.html and feedback/STUDENT/ (HTML, Markdown, JSON, Gradescope's results.json), all made
    from the stored reports with the instructor's decisions applied, in `language` (by default the
    reports' own): a stored report's messages are data, said in the language asked for. A
    worksheet or overrides file that cannot be used stops it in one line, before any file is
    written. `similar` (`--similarity`): each student's top match, the gradebook's `similar_to`."""
    from grader.reports import feedback, gradebook, moodle, summary

    language = language or (graded[0].report.environment.language if graded else "en")
    comments = lambda entry: moodle.feedback_comment(entry, language)  # noqa: E731
    try:
        worksheet = moodle.read_worksheet(options.worksheet) if options.worksheet else None
        adjustments = classbook.read_adjustments(options.overrides, gradebook.task_names(g.report for g in graded),
                                                 [g.student for g in graded]) if options.overrides else {}
        submitted = (lambda student: worksheet.submitted_at(student, options.zone)) if worksheet else None
        graded = classbook.decide(graded, options.deadline, options.late_penalty, adjustments, submitted)
        sheet = moodle.worksheet_csv(graded, worksheet, options.moodle_language, comments, options.anonymous)
    except ReaderError as error:  # e.g. Moodle's maximum grade is not the assignment's
        raise folder.UsageError.of(error) from None
    title = heading(graded[0].report.assignment, graded[0].report.title, language) if graded \
        else say(language, "no submissions")
    written = [gradebook.write_gradebook(results / "gradebook.csv", graded, options.anonymous, similar)]
    for entry in graded:
        feedback.write_feedback(results / "feedback", entry, options.anonymous, language)
    if sheet is not None:
        write_report(results / "moodle_worksheet.csv", sheet)
        written.append(results / "moodle_worksheet.csv")
    if zipped := moodle.write_feedback_zip(results / "moodle_feedback.zip", graded, results / "feedback",
                                           options.anonymous):
        written.append(zipped)
    write_report(results / "summary.html",
                 summary.render_summary(title, graded, language, options.anonymous))
    return [*written, results / "summary.html", results / "feedback"]


def regenerate(assignment: str, results: Path, root: Path | None = None) -> list[Graded]:
    """Every stored student, without grading anything."""
    if not (results / store.FILE_NAME).exists():
        raise folder.UsageError("{folder} holds no batch results ({file} is missing)", folder=results,
                             file=store.FILE_NAME)
    with contextlib.closing(store.open_store(results)) as connection:
        return store.load_all(connection, assignment)
