"""The library behind the `grade` command: grade a submission, check the references, list tasks."""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import platform
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import torch

from grader import __version__, i18n, sandbox
from grader.engine import codec, compare, forbidden, memo, run, wire
from grader.course import handout, settings, similarity as similar, sources
from grader.reports.similarity_page import write_similarity
from grader.i18n import N_
from grader.engine.load import Submission, SubmissionError, find
from grader.results import CheckResult, Environment, Isolation, Report, ReviewFlag, TaskResult
from grader.spec import Assignment, Task, assignment_names, installed_course, load_assignment

DEFAULT_TIMEOUT_S = 10.0
Expected = Callable[[], dict[str, tuple[bytes, ...]]]  # loads the reference's frames per task, computed beforehand


class UsageError(i18n.ReaderError, ValueError):
    """Bad input from the user: unknown assignment or task, missing path. One line, exit 2."""


@dataclass(frozen=True)
class TaskRun:
    """Raw frames of one task: the reference's per case, and the student's per device."""

    task: Task
    expected: dict[int, dict]
    student: dict[str, tuple[dict[int, dict], dict | None, sandbox.Outcome]]  # device -> (cases, header, outcome)


def course(root: Path | None = None) -> Path:
    """The course folder: the one given (`--course`), else the one the grader is installed from;
    never the current folder, which may be a submission's."""
    folder = Path(root).resolve() if root else installed_course()
    if not (((folder / "reference").is_dir() or (folder / "public").is_dir()) and (folder / "assignments").is_dir()):
        if root:
            raise UsageError("{folder} (--course) is not a course folder: it needs assignments/ and reference/ "
                             "(or public/, in a handout)", folder=folder)
        raise UsageError("{folder} (the grader's installation) is not a course folder: it needs assignments/ and "
                         "reference/ (or public/, in a handout)", folder=folder)
    return folder


def choose_language(option: str | None, root: Path, reader: bool = True) -> str:
    """`--lang`, else (for a `reader` at this terminal) their locale, else the course's setting."""
    try:
        return settings.choose_language(option, root) if reader else option or settings.language(root)
    except settings.SettingsError as error:
        raise UsageError.of(error) from None


def secret_seed(root: Path, assignment: str) -> int:
    """The seed of an assignment's final grading: an HMAC of its name keyed with the course's
    secret (`secret_seed` in reference/course.toml, never in a handout), so that a seed that
    leaks opens one assignment's hidden values, not the others'."""
    try:
        secret = settings.secret_seed(root)
    except settings.SettingsError as error:
        raise UsageError.of(error) from None
    digest = hmac.new(str(secret).encode(), assignment.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # 63 bits: too many to try from a case's seed


def is_handout(root: Path) -> bool:
    """A student's copy of the course: expected answers in public/, no reference."""
    return not (root / "reference").is_dir()


def open_assignment(name: str, seed: int = 0, root: Path | None = None) -> Assignment:
    return open_graded(name, seed, root)[0]


def open_graded(name: str, seed: int = 0, root: Path | None = None) -> tuple[Assignment, Expected | None]:
    """The assignment, and in a handout the loader of its stored answers (None: run the reference)."""
    root = root or installed_course()
    if name not in assignment_names(root):
        known = ", ".join(assignment_names(root))
        if not known:
            raise UsageError("unknown assignment {name} (known: none)", name=repr(name))
        raise UsageError("unknown assignment {name} (known: {known})", name=repr(name), known=known)
    if not is_handout(root):
        return load_assignment(name, seed, root), None
    if seed != 0:
        raise UsageError("--seed {seed}: a handout holds the answers for the public cases only (seed 0)",
                         seed=str(seed))  # an identifier: its digits never grouped
    try:
        spec, frames = handout.read(root / "public" / name)
    except handout.StaleHandout as error:
        raise UsageError.of(error) from None
    return spec, lambda: frames


def need_reference(root: Path, what: str) -> None:
    if is_handout(root):
        raise UsageError("{what} needs the course's reference solutions, which a handout does not hold", what=what)


def select_tasks(assignment: Assignment, names: Iterable[str] = ()) -> tuple[Task, ...]:
    names = list(names)
    known = [task.name for task in assignment.tasks]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError("unknown task {name} in {assignment} (tasks: {known})", name=repr(unknown[0]),
                         assignment=assignment.name, known=", ".join(known))
    return tuple(t for t in assignment.tasks if not names or t.name in names)


def devices_for(choice: str) -> tuple[str, ...]:
    if choice == "cpu":
        return ("cpu",)
    cuda = torch.cuda.is_available()
    if choice == "cuda":
        if not cuda:
            raise UsageError("--device cuda: no CUDA device is available here")
        return ("cuda",)
    return ("cpu", "cuda") if cuda else ("cpu",)


def grade(assignment: str, submission: Path | None = None, *, tasks: Iterable[str] = (),
          device: str = "auto", seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S,
          workers: int | None = None, root: Path | None = None, language: str | None = None,
          runner: sandbox.Zygote | None = None) -> Report:
    """Grade one submission (folder, .py, .ipynb or .zip) of one assignment; `language` of the
    report: the reader's locale or the course's by default (`settings.choose_language`). `runner`: the zygote
    the student's children descend from, forked before anything secret was read (the command
    forks it before it reads its options); without one, one is forked here, first."""
    with _runner(runner) as runner:
        root = course(root)
        language = choose_language(language, root)
        spec, expected = open_graded(assignment, seed, root)
        origin = Path(submission) if submission else default_submission(assignment, root)
        try:
            return grade_submission(spec, select_tasks(spec, tasks), origin, root, devices_for(device), seed, timeout,
                                    workers, runner, expected, language)
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


def grade_submission(spec: Assignment, tasks: tuple[Task, ...], origin: Path, root: Path, devices: tuple[str, ...],
                     seed: int, timeout: float, workers: int | None, runner: sandbox.Zygote | None,
                     expected: Expected | None = None, language: str = "en") -> Report:
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
        report = judge_submission(spec, runs, found, root, devices, seed, timeout, mode, language, started)
        if expected is None:  # the reference ran here without its known mistakes: add them where one may apply
            plain = [task_run for task_run, result in zip(runs, report.tasks) if _named_nothing(result, task_run.task)]
            if plain:
                add_mistakes(spec, plain, root, timeout, workers)
                report = judge_submission(spec, runs, found, root, devices, seed, timeout, mode, language, started)
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def judge_submission(spec: Assignment, runs: list[TaskRun], found: Submission, root: Path, devices: tuple[str, ...],
                     seed: int, timeout: float, mode: str, language: str, started: float) -> Report:
    """The report of a submission whose children have run: every task judged, review flags listed;
    `language`, the reader's, is the report's default: its messages are data, said in either."""
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
                  environment=environment(devices, mode, language),
                  duration_s=round(time.monotonic() - started, 3))


def ungraded(spec: Assignment, origin: str, root: Path, seed: int, reason: str | i18n.Message,
             language: str = "en") -> Report:
    """The report of a submission that could not be graded at all: every task 0, and the reason,
    said once (on the first task)."""
    tasks = tuple(TaskResult(name=task.name, max_score=task.points, checks=(), problem=None if number else reason,
                             problem_status="error", shares=task.shares or {"results": 1.0})
                  for number, task in enumerate(spec.tasks))
    return Report(assignment=spec.name, title=i18n.text(spec.title), submission=origin,
                  course=str(root), seed=seed, graded_at=_now(),
                  tasks=tasks, environment=environment(("cpu",), language=language), duration_s=0.0)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_submission(assignment: str, root: Path) -> Path:
    """`assignments/NAME` in the course folder the user is in, else in the grader's own."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "assignments" / assignment).is_dir():
            return folder / "assignments" / assignment
    return root / "assignments" / assignment


def reference_sources(spec: Assignment, root: Path) -> dict[str, run.Source]:
    """The reference's files, read in the grader (never in the zygote nor in a student's child)."""
    folder = root / "reference" / spec.name
    return {module: run.Source(str(folder / module), (folder / module).read_bytes()) for module in spec.modules}


def _open_to_others(folder: Path) -> None:
    """Make the private copy of a submission readable by the unprivileged uid of GRADER_ISOLATION=user:
    it holds nothing but the student's own files."""
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def isolation_mode(root: Path) -> str:
    """"jail", or "process" (`sandbox.spawned`) where a student grades in a handout on a system
    that cannot build the jail (macOS, Windows, a Linux without user namespaces), or where
    GRADER_ISOLATION=process asks for it; "user" only where GRADER_ISOLATION=user asks for it (a
    root grader in a container without namespaces, Gradescope's: each task a spawned process as a
    uid of its own that cannot read the course). The instructor's grading never falls back by itself."""
    forced = os.environ.get("GRADER_ISOLATION", "")
    if forced not in ("", "jail", "process", "user"):
        raise UsageError("GRADER_ISOLATION={value}: use jail, user or process", value=forced)
    if forced:
        return forced
    return "process" if is_handout(root) and not sandbox.jail_works() else "jail"


def student_jobs(spec: Assignment, tasks: tuple[Task, ...], submission: Submission, root: Path,
                 devices: tuple[str, ...], jailed: bool = True) -> list[tuple[Task, str, sandbox.StudentJob]]:
    """(task, device, job) for each task whose file was submitted, on each device: one job for its
    public cases and one for its hidden cases, so that no process of the student's holds both and
    nothing a hidden case showed it can reach a public message. A job holds its cases as published
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
    if mode == "jail" and jobs:
        if runner is None:
            sandbox.need_fork()  # where nothing can fork: one line, exit 3
        runner.submit(0, request)
    known = reference_frames(spec, tasks, root, timeout, workers, "answers") if expected is None else expected()
    if mode in ("process", "user"):
        outcomes = sandbox.run_jobs(list(request.jobs), [timeout] * len(jobs), workers,
                                    [job.frames() for job in request.jobs], course=root if mode == "user" else None)
    elif jobs:
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
    runs = {task.name: TaskRun(task, wire.results(known.get(task.name, ()))[0], {}) for task in tasks}
    for task in tasks:
        if spec.module_of(task) not in submission.files:  # nothing ran: the task reports the missing file
            missing = ({}, {"missing_file": spec.module_of(task)}, sandbox.Outcome((), 0, False, False, 0))
            runs[task.name].student.update({device: missing for device in devices})
    for (task, device, job), outcome in zip(jobs, outcomes):
        cases, header = wire.results(outcome.frames)
        hidden = [index for index in job.indices if task.cases[index].hidden]
        if hidden:
            # Its hidden cases, run apart: only their results count. Their process's header, its
            # end (exit status, timeout) and its time are never shown: the student's code there
            # saw hidden inputs, and would write them into any of those.
            public_cases, header, outcome = runs[task.name].student.get(device, ({}, None, _NOTHING_SHOWN))
            cases = {**{index: cases[index] for index in hidden if index in cases}, **public_cases}
        runs[task.name].student[device] = (cases, header, outcome)
    return [runs[task.name] for task in tasks]


_NOTHING_SHOWN = sandbox.Outcome((), 0, False, False, 0.0)  # the end of a process whose end is not told


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
    return found


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
        for index, frame in wire.results(frames[task_run.task.name])[0].items():
            if index in task_run.expected:
                task_run.expected[index]["variants"] = frame.get("variants", {})


def _named_nothing(result: TaskResult, task: Task) -> bool:
    """A task with known mistakes that failed a check plainly (wrong values, shape, ...): one of the
    mistakes might name what went wrong."""
    return bool(task.variants) and any(not c.passed and c.diagnosis in compare.VALUE_DIAGNOSES for c in result.checks)


def read_sources(sources: dict[str, bytes]) -> dict[str, forbidden.Code | forbidden.Unreadable | None]:
    """Each module's source parsed once, as the compiler reads it, for the scan and the review
    (a notebook's one text may stand for every module)."""
    parsed: dict[bytes, forbidden.Code | forbidden.Unreadable] = {}
    for module, source in sources.items():
        if source and source not in parsed:
            try:
                parsed[source] = forbidden.read(source, module)
            except forbidden.Unreadable as error:
                parsed[source] = error
    return {module: parsed.get(source) for module, source in sources.items()}


def scan_source(spec: Assignment, sources: dict[str, bytes], tasks: tuple[Task, ...],
                codes: dict | None = None) -> dict[str, list[forbidden.Finding]]:
    """Forbidden APIs each task's code uses, read as the compiler reads the bytes that ran
    (`codes`: `read_sources` of them, if already done). A file Python cannot compile finds
    nothing here: its import fails, and `review_flags` flags it."""
    codes = read_sources(sources) if codes is None else codes
    return {task.name: _scan(spec.module_of(task), codes.get(spec.module_of(task)), sources, task) for task in tasks}


def _scan(module: str, code, sources: dict[str, bytes], task: Task) -> list[forbidden.Finding]:
    if isinstance(code, forbidden.Unreadable):
        # too deep for this stack is not proof the child fails too: the scan makes it a finding
        return [] if code.certain else forbidden.scan(sources[module], module, task.target, task.forbidden)
    return forbidden.scan(code, module, task.target, task.forbidden) if code else []


MAX_REVIEW_FLAGS = 50  # kept per report; the rest are counted (400k flagged lines cost seconds and megabytes)


def review_flags(submission: Submission, codes: dict | None = None) -> tuple[tuple[ReviewFlag, ...], int]:
    """Code that reaches into the grader, for a person to look at (not an automatic zero): the
    first MAX_REVIEW_FLAGS flags, and how many more there are (`codes`: `read_sources` of the
    submission's sources, if already done). A file the scanners cannot read is flagged, never
    passed as clean."""
    codes = read_sources(submission.sources) if codes is None else codes
    found = []
    for path in dict.fromkeys(submission.files.values()):  # a single file may stand for every module
        module = next(name for name, file in submission.files.items() if file == path)
        code = codes.get(module)
        if isinstance(code, forbidden.Unreadable):
            found.append((i18n.message("could not be read as Python ({why}): not scanned for forbidden APIs",
                                       why=str(code)), f"{path.name}:{code.line}", ""))
        elif code:
            found += forbidden.review(code, path.name)
    flags = tuple(ReviewFlag(what=what, where=compare.at(where, submission.place), line=line)
                  for what, where, line in found[:MAX_REVIEW_FLAGS])
    return flags, len(found) - len(flags)


def judge_safely(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
                 place: Callable[[str, int], i18n.Message] = compare.spot) -> TaskResult:
    """`judge_task`, where a failure of the grader itself costs this task, never the run."""
    try:
        return judge_task(task_run, findings, timeout, place)
    except Exception as error:
        said = i18n.message("the grader failed while judging this task ({error}): please report it",
                            error=type(error).__name__)
        check = CheckResult(name="judging", label=i18n.message("judging"), device="-", passed=False, message=said,
                            diagnosis="grader_defect")
        return TaskResult(name=task_run.task.name, max_score=task_run.task.points, checks=(check,),
                          problem=said, problem_status="error")


def judge_task(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
               place: Callable[[str, int], i18n.Message] = compare.spot) -> TaskResult:
    """Checks for every case on every device, and what stopped the task as a whole, as data: its
    messages are said by the renderers, in the reader's language; `place` says where a line of
    the student's code is (a notebook's cell)."""
    task = task_run.task
    checks: list[CheckResult] = []
    problem, problem_status = None, None
    if findings:
        where = i18n.joined("; ", [i18n.message("{api} at {place}", api=f.api, place=compare.at(f.where, place))
                                   for f in findings[:3]])
        problem, problem_status = i18n.message("uses forbidden {where}", where=where), "forbidden"
        checks.append(CheckResult(name="forbidden APIs (source scan)", label=i18n.message("forbidden APIs (source scan)"),
                                  device="-", passed=False, message=problem, diagnosis="forbidden_api"))
    for device, (cases, header, outcome) in task_run.student.items():
        stopped = _why_stopped(header, outcome, timeout, len(cases) < len(task.cases), place)
        if stopped and not problem:
            problem, problem_status = stopped[1], stopped[2]
        first_missing = next((index for index in task.run_order() if index not in cases), None)
        for index, case in enumerate(task.cases):
            got = cases.get(index)
            missing = None
            if got is None and stopped:  # the case it stopped at, and those it never reached
                missing = stopped[:2] if index == first_missing else \
                    ("not_run", i18n.message("not run: the task stopped at an earlier case"))
            verdict = compare.judge(task, case, task_run.expected.get(index), got, device, missing, place)
            if verdict.diagnosis == "forbidden_api" and problem_status != "forbidden":
                problem, problem_status = (i18n.message("called a forbidden API in a hidden case") if case.hidden
                                           else verdict.message), "forbidden"
            name = case.name if case.hidden is False else f"hidden case {index + 1}"
            label = i18n.name(case.name) if case.hidden is False else \
                i18n.message("hidden case {number}", number=index + 1)
            message, call = verdict.message, None
            if not verdict.passed and not case.hidden:
                shown = compare.describe_call(task, case)  # a spec's own words (call=) translated like a name
                call = None if shown == case.name else i18n.name(shown)
                if case.note and verdict.diagnosis in compare.VALUE_DIAGNOSES:
                    message = i18n.plain("{message} {note}", message=message,
                                         note=i18n.message("(note: {note})", note=i18n.text(case.note)))
            checks.append(CheckResult(name=name, label=label, call=call, device=device, passed=verdict.passed,
                                      message=message, diagnosis=verdict.diagnosis, hidden=case.hidden,
                                      group=case.check_group, weight=case.weight, **verdict.values))
    return TaskResult(name=task.name, max_score=task.points, checks=tuple(checks), problem=problem,
                      problem_status=problem_status, shares=task.shares or {"results": 1.0}, withheld=task.withheld,
                      duration_s=round(max((outcome.duration_s for *_, outcome in task_run.student.values()),
                                           default=0.0), 3))


def _why_stopped(header: dict | None, outcome: sandbox.Outcome, timeout: float, incomplete: bool,
                 place: Callable[[str, int], i18n.Message] = compare.spot) -> tuple[str, i18n.Message, str] | None:
    """(diagnosis, message, task status) when the child did not finish every case normally."""
    message, number = i18n.message, i18n.numeral
    if outcome.forged:
        return ("forged_results", message("something in your code wrote to the grader's result channel: results "
                                      "the grader did not produce count as cheating"), "forbidden")
    if header and header.get("missing_file"):
        return "not_implemented", message("your submission has no {file}", file=header["missing_file"]), None
    if header and header.get("missing"):
        return "not_implemented", message("{name} is not defined in your file", name=header["missing"]), None
    if header and header.get("not_own"):
        why = message(run.NOT_OWN.get(header.get("not_own_kind", ""), run.NOT_OWN["function"]),
                  name=header.get("not_own_name", ""))
        return ("forbidden_api", message("{what}: the task's function must be written in your file",
                                     what=i18n.plain("{target}: {why}", target=header["not_own"], why=why)), "forbidden")
    if header and header.get("import_error"):
        error = header["import_error"]
        if header.get("forbidden") or error["type"] == "ForbiddenCall":
            api, where = (header.get("forbidden") or [[message("a forbidden API"), "import"]])[0]
            return ("forbidden_api", message("importing your file called forbidden {api} at {place}", api=api,
                                         place=compare.at(where, place)), "forbidden")
        line_at = compare.where_raised(error, place)
        where = i18n.plain(" {at}", at=message("at {place}", place=line_at)) if line_at else ""
        return ("import_error", message("your file failed to import: {type}: {message}{where}",
                                    type=error["type"], message=compare.said(error), where=where), "error")
    if outcome.wall_clock:  # CPU time left, but the backstop for code that sleeps or waits passed
        seconds = number(sandbox.keeper.wall_backstop(timeout), "g")
        if not header:
            return ("timeout", message("importing your file took over {seconds} s of wall-clock time: code at "
                                   "the top level sleeps or waits for something that never comes",
                                   seconds=seconds), "timeout")
        return ("timeout", message("stopped after {seconds} s of wall-clock time: your code sleeps or waits for "
                               "something that never comes", seconds=seconds), "timeout")
    if outcome.timed_out and not header:
        return ("timeout", message("importing your file took over the {seconds} s time limit (CPU time): code "
                               "at the top level (a demo, a notebook cell) runs on import; move it under "
                               "if __name__ == '__main__':", seconds=number(timeout, "g")), "timeout")
    if outcome.timed_out:
        return ("timeout", message("stopped after the {seconds} s time limit (CPU time): an endless loop, far "
                               "too slow, or memory allocated without end", seconds=number(timeout, "g")), "timeout")
    if outcome.overflow:
        return "error", message("sent back more data than the result limit"), "error"
    if outcome.exit_status != 0:
        how = sandbox.describe_exit(outcome.exit_status)
        diagnosis = "memory" if outcome.exit_status in (-9, 137) else "crash"
        return diagnosis, message("the process running your code died ({how}): a crash, os._exit or memory",
                              how=how), "error"
    if incomplete:
        return "crash", message("the process running your code ended early (os._exit?)"), "error"
    return None


def environment(devices: tuple[str, ...], mode: str = "jail", language: str = "en") -> Environment:
    return Environment(python=platform.python_version(), torch=torch.__version__, devices=devices,
                       grader=__version__, isolation=isolation(devices, mode), language=language)


def isolation(devices: tuple[str, ...], mode: str = "jail") -> Isolation:
    """What every student child of this grading ran under: each one checked it before running."""
    if mode == "user":
        jail = sandbox.Jail(visible=(), submission=Path(), scratch=Path())
        return Isolation(level=N_("process as an unprivileged user (no jail)"), measures=(
            "a fresh Python process per task",
            "a uid of its own, no groups, no capabilities: the course is closed to it", "no_new_privs, seccomp filter",
            f"address space {jail.memory_bytes >> 30} GiB (CPU), {jail.processes} processes (RLIMIT_NPROC), "
            f"files of {jail.file_bytes >> 20} MiB", cpu_time_measure(()),
            "every process of its uid killed when it ends", "results as data, never pickle", "environment: an allowlist",
            "no namespaces: it sees the host's files that any user may read, and the network; "
            "GRADER_ISOLATION=user asked for this"))
    if mode == "process":
        return Isolation(level=N_("process only (no sandbox)"), measures=(
            "a fresh Python process per task", cpu_time_measure(()), "results as data, never pickle",
            "no jail: GRADER_ISOLATION=process asked for none" if os.environ.get("GRADER_ISOLATION") == "process"
            else f"no jail: this {platform.system()} cannot build one"))
    jail = sandbox.Jail(visible=(), submission=Path(), scratch=Path())
    as_root = os.getuid() == 0
    capped = sandbox.cgroup.available()
    memory = [f"address space {jail.memory_bytes >> 30} GiB (CPU)"]
    memory += [f"memory {jail.resident_bytes >> 30} GiB through a cgroup{' (CUDA too)' if 'cuda' in devices else ''}"
               if "memory" in capped else "no memory cgroup here" + (": CUDA children have no memory cap"
                                                                      if "cuda" in devices else "")]
    processes = f"{jail.processes} processes" + (" (pids cgroup)" if "pids" in capped else " (RLIMIT_NPROC)")
    return Isolation(level=N_("jail as root") if as_root else N_("jail in a user namespace"), measures=(
        "a uid of its own, no capabilities" if as_root else "your uid in a user namespace, no capabilities",
        "no_new_privs, seccomp filter", "own PID, mount, network, IPC, UTS namespaces and /proc",
        "read-only root: Python, its packages, the submission's copy", f"/tmp of {jail.scratch_bytes >> 20} MiB",
        *memory, processes, cpu_time_measure(capped), cpu_share_measure(jail, capped), "environment: an allowlist"))


def cpu_time_measure(capped: tuple[str, ...]) -> str:
    """How a task's time limit is counted, given the cgroup controllers available."""
    keeper = sandbox.keeper
    if not keeper.PROC_COUNTS:
        return "time limit per task: wall-clock time (no /proc to count CPU time)"
    backstop = f"wall-clock backstop {keeper.WALL_FACTOR:g}x the limit + {keeper.WALL_SLACK_S:g} s"
    if "cpuacct" in capped:
        return f"time limit per task: CPU time of all its processes, counted by a cgroup; {backstop}"
    return (f"time limit per task: CPU time of its processes, read from /proc (best effort: a process the kernel "
            f"reaps itself is missed); {backstop}")


def cpu_share_measure(jail: sandbox.Jail, capped: tuple[str, ...]) -> str:
    """How the cores are shared between children, given the cgroup controllers available."""
    if "cpu" in capped:
        return f"CPU share: an equal weight and at most {jail.cores:g} core per task (cpu cgroup)"
    return ("CPU share: one session per task, its scheduling group where the kernel's autogroups are on "
            f"({'on' if sandbox.cgroup.autogroups() else 'off'} here), {jail.processes} processes at most")


def list_assignments(root: Path | None = None) -> list[Assignment]:
    root = course(root)
    return [open_assignment(name, root=root) for name in assignment_names(root)]


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
            defects += _check_one_reference(spec, seed, root, devices, timeout, runner)
            progress(i18n.say_n(language, "{name}: checked {count} task on {devices} with seed {seed}",
                                "{name}: checked {count} tasks on {devices} with seed {seed}", len(spec.tasks),
                                name=name, devices=", ".join(devices), seed=str(seed)))  # an identifier
        return defects


def _check_one_reference(spec: Assignment, seed: int, root: Path, devices: tuple[str, ...], timeout: float,
                         runner: sandbox.Zygote) -> list[str]:
    name, defects = spec.name, []
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        reference = find(root / "reference" / name, spec.modules, Path(workdir))
        runs = execute(spec, spec.tasks, reference, root, devices, timeout, None, runner)
    findings = scan_source(spec, reference.sources, spec.tasks)
    for task_run in runs:
        result = judge_task(task_run, findings[task_run.task.name], timeout)
        prefix = f"{name}/{result.name} (seed {seed})"
        defects += [f"{prefix}: reference fails [{c.device}] {c.name}: {c.message}"
                    for c in result.checks if not c.passed]
        defects += [f"{prefix}: {line}" for line in oracle_disagreements(task_run)]
    stub = grade(name, root / "assignments" / name, seed=seed, timeout=timeout, root=root, device="cpu", runner=runner)
    defects += [f"{name}/{t.name}: the stub scores {t.score:g} with status {t.status}, expected 0 "
                f"and not_implemented" for t in stub.tasks if t.score or t.status != "not_implemented"]
    return defects


def oracle_disagreements(task_run: TaskRun) -> list[str]:
    """Cases where the reference and torch (or the lecture's numbers) disagree."""
    task, found = task_run.task, []
    for index, case in enumerate(task.cases):
        frame = task_run.expected.get(index)
        if frame is None:
            found.append(f"{case.name}: no reference result")
            continue
        if case.raises:
            ours, torchs = frame.get("raised"), frame.get("oracle_raised")
            if ours is None:
                found.append(f"{case.name}: the reference accepts invalid arguments")
            elif task.oracle and task.oracle_raises and (torchs is None or torchs["type"] != ours["type"]):
                found.append(f"{case.name}: the reference raises {ours['type']}, torch "
                             f"{torchs['type'] if torchs else 'nothing'}")
            continue
        expected = frame.get("expected")
        if case.law is not None:  # random by design: torch's answer must obey the law too
            broken = task.oracle and compare.breaks_law(case, frame.get("oracle"))
            if broken:
                found.append(f"{case.name}: torch's answer breaks the case's law: {broken}")
        elif task.oracle and not compare.agree(expected, frame.get("oracle")):
            found.append(f"{case.name}: the reference and torch disagree")
        if case.expect is not None and not compare.agree(expected, case.expect):
            found.append(f"{case.name}: the reference disagrees with the lecture's value {case.expect}")
    return found


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
    return analysis, write_similarity(out, analysis, assignment, language, anonymous)
