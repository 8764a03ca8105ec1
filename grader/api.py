"""The library behind the `grade` command: grade a submission, check the references, list tasks."""
from __future__ import annotations

import glob
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import torch

from . import __version__, compare, forbidden, i18n, published, run, sandbox, settings, wire
from .i18n import N_
from .load import Submission, SubmissionError, find
from .results import CheckResult, Environment, Isolation, Report, ReviewFlag, TaskResult
from .spec import Assignment, Task, assignment_names, installed_course, load_assignment

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
        return i18n.choose(option, root) if reader else option or settings.language(root)
    except settings.SettingsError as error:
        raise UsageError.of(error) from None


def secret_seed(root: Path) -> int:
    """The seed of final grading (`secret_seed` in reference/course.toml, never in a handout)."""
    try:
        return settings.secret_seed(root)
    except settings.SettingsError as error:
        raise UsageError.of(error) from None


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
        raise UsageError("--seed {seed}: a handout holds the answers for the public cases only (seed 0)", seed=seed)
    try:
        spec, frames = published.read(root / "public" / name)
    except published.StaleHandout as error:
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
          workers: int | None = None, root: Path | None = None, language: str | None = None) -> Report:
    """Grade one submission (folder, .py, .ipynb or .zip) of one assignment; `language` of the
    report: the reader's locale or the course's by default (`i18n.choose`)."""
    root = course(root)
    language = choose_language(language, root)
    spec, expected = open_graded(assignment, seed, root)
    origin = Path(submission) if submission else default_submission(assignment, root)
    try:
        return grade_submission(spec, select_tasks(spec, tasks), origin, root, devices_for(device), seed, timeout,
                                workers, expected, language)
    except SubmissionError as error:
        raise UsageError.of(error) from None


def grade_submission(spec: Assignment, tasks: tuple[Task, ...], origin: Path, root: Path, devices: tuple[str, ...],
                     seed: int, timeout: float, workers: int | None,
                     expected: Expected | None = None, language: str = "en") -> Report:
    """Grade one submission; `expected` loads the reference's frames computed beforehand (a batch, a handout),
    after every child is forked. Raises SubmissionError for a submission that cannot be read."""
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        found = find(origin, spec.modules, workdir)
        mode = isolation_mode(root)
        runs = execute(spec, tasks, found, root, devices, timeout, workers, expected, mode)
        fingerprint = found.sha256
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    findings = scan_source(spec, found.sources, tasks)
    results = tuple(_locate(judge_safely(r, findings[r.task.name], timeout, language), found, language) for r in runs)
    return Report(assignment=spec.name, submission=str(found.origin), course=str(root), seed=seed,
                  sha256=fingerprint, graded_at=_now(), tasks=results, review=review_flags(found),
                  environment=environment(devices, mode, language),
                  duration_s=round(time.monotonic() - started, 3))


def ungraded(spec: Assignment, origin: str, root: Path, seed: int, reason: str, language: str = "en") -> Report:
    """The report of a submission that could not be graded at all: every task 0, with the reason."""
    tasks = tuple(TaskResult(name=task.name, max_score=task.points, checks=(), problem=reason,
                             problem_status="error", shares=task.shares or {"results": 1.0}) for task in spec.tasks)
    return Report(assignment=spec.name, submission=origin, course=str(root), seed=seed, graded_at=_now(),
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


def _locate(result: TaskResult, submission: Submission, language: str = "en") -> TaskResult:
    """Point messages at notebook cells rather than at the module extracted from them."""
    if not submission.notebook:
        return result
    checks = tuple(c.model_copy(update={"message": submission.locate(c.message, language)}) for c in result.checks)
    problem = submission.locate(result.problem, language) if result.problem else None
    return result.model_copy(update={"checks": checks, "problem": problem})


def reference_sources(spec: Assignment, root: Path) -> dict[str, run.Source]:
    """The reference's files, read before any student code runs: nothing written later counts."""
    folder = root / "reference" / spec.name
    return {module: run.Source(str(folder / module), (folder / module).read_bytes()) for module in spec.modules}


def student_sources(submission: Submission, jailed: bool = True) -> dict[str, run.Source]:
    """The submission's files as the child sees them (jailed: under its mount), with the bytes read once."""
    folder = sandbox.SUBMISSION_MOUNT if jailed else submission.folder
    return {module: run.Source(str(folder / path.relative_to(submission.folder)), submission.sources[module])
            for module, path in submission.files.items()}


def isolation_mode(root: Path) -> str:
    """"jail", or "process" (`sandbox.spawned`) where a student grades in a handout on a system
    that cannot build the jail (macOS, Windows, a Linux without user namespaces), or where
    GRADER_ISOLATION=process asks for it. The instructor's grading never falls back by itself."""
    forced = os.environ.get("GRADER_ISOLATION", "")
    if forced not in ("", "jail", "process"):
        raise UsageError("GRADER_ISOLATION={value}: use jail or process", value=forced)
    if forced:
        return forced
    return "process" if is_handout(root) and not sandbox.jail_works() else "jail"


def jail_for(device: str, submission: Submission, scratch: Path) -> sandbox.Jail:
    """What a student child on `device` may see and use."""
    cuda = {"memory_bytes": None, "show_sys": True,  # the driver maps far more address space than it uses
            "devices": tuple(map(Path, glob.glob("/dev/nvidia*")))} if device == "cuda" else {}
    return sandbox.Jail(visible=sandbox.python_paths(), submission=submission.folder, scratch=scratch, **cuda)


def execute(spec: Assignment, tasks: tuple[Task, ...], submission: Submission, root: Path,
            devices: tuple[str, ...], timeout: float, workers: int | None,
            expected: Expected | None = None, mode: str = "jail") -> list[TaskRun]:
    """Fork every child up front, before any result exists in this process's memory: the
    reference's children (unless `expected` loads their frames, which it does only now) run it
    from bytes read before any student code starts. In "process" mode the student's jobs run
    afterwards, each in a spawned process (`sandbox.spawned`)."""
    runs = {task.name: TaskRun(task, {}, {}) for task in tasks}
    jobs: list[tuple[Task, str | None]] = []
    spawned: list[tuple[Task, str]] = []
    children, timeouts = [], []
    references = reference_sources(spec, root) if expected is None else {}
    students = student_sources(submission, jailed=mode == "jail")
    workers = workers or os.cpu_count() or 2
    with tempfile.TemporaryDirectory(prefix="grade-run-", ignore_cleanup_errors=True) as scratch:
        jails = {device: jail_for(device, submission, Path(scratch)) for device in devices}
        for task in tasks:
            module = spec.module_of(task)
            if expected is None:
                children.append(sandbox.spawn(_work(run.run_reference, task, references[module], "cpu"), None))
                timeouts.append(max(60.0, timeout))
                jobs.append((task, None))
            for device in devices:
                if module not in students:  # nothing to run: the task reports the missing file
                    runs[task.name].student[device] = ({}, {"missing_file": module}, sandbox.Outcome((), 0, False, False, 0))
                elif mode == "process":
                    spawned.append((task, device))
                else:
                    children.append(sandbox.spawn(_work(run.run_student, task, students[module], device), jails[device]))
                    timeouts.append(timeout)
                    jobs.append((task, device))
        known = expected() if expected else {}
        expected_frames = [len(task.cases) + (device is not None) for task, device in jobs]  # students: + header
        outcomes = sandbox.run_all(children, timeouts, workers, expected_frames)
    if spawned:
        outcomes += sandbox.run_jobs([_job(spec, root, task, students[spec.module_of(task)], device)
                                      for task, device in spawned], [timeout] * len(spawned), workers,
                                     [len(task.cases) + 1 for task, _ in spawned])
        jobs += spawned
    failed = next((outcome.jail_error for outcome in outcomes if outcome.jail_error), None)
    if failed:
        raise sandbox.JailError(failed)
    for task in tasks:
        runs[task.name].expected.update(wire.results(known.get(task.name, ()))[0])
    for (task, device), outcome in zip(jobs, outcomes):
        cases, header = wire.results(outcome.frames)
        if device is None:
            runs[task.name].expected.update(cases)
        else:
            runs[task.name].student[device] = (cases, header, outcome)
    return [runs[task.name] for task in tasks]


def reference_frames(spec: Assignment, tasks: tuple[Task, ...], root: Path, timeout: float,
                     workers: int | None = None) -> dict[str, tuple[bytes, ...]]:
    """The reference's raw frames for every task, computed once (for a batch)."""
    references = reference_sources(spec, root)
    children = [sandbox.spawn(_work(run.run_reference, task, references[spec.module_of(task)], "cpu"), None)
                for task in tasks]
    outcomes = sandbox.run_all(children, [max(60.0, timeout)] * len(tasks), workers or os.cpu_count() or 2,
                               [len(task.cases) for task in tasks])
    return {task.name: outcome.frames for task, outcome in zip(tasks, outcomes)}


def _job(spec: Assignment, root: Path, task: Task, source: run.Source, device: str) -> sandbox.Job:
    checks = root / ("public" if is_handout(root) else "reference") / spec.name / published.CHECKS_FILE
    return sandbox.Job(published.task_to_json(task, spec.name), str(checks) if checks.exists() else None,
                       source, device)


def _work(runner: Callable, task: Task, source: run.Source, device: str) -> Callable:
    return lambda send: runner(task, task.cases, source, send, device)


def scan_source(spec: Assignment, sources: dict[str, bytes], tasks: tuple[Task, ...]) -> dict[str, list[forbidden.Finding]]:
    """Forbidden APIs each task's code uses, by reading the bytes that ran (the import reports a
    syntax error)."""
    return {task.name: _scan(spec.module_of(task), sources.get(spec.module_of(task)), task) for task in tasks}


def _scan(module: str, source: bytes | None, task: Task) -> list[forbidden.Finding]:
    try:
        return forbidden.scan(source.decode(), module, task.target, task.forbidden) if source else []
    except (SyntaxError, ValueError):
        return []


def review_flags(submission: Submission) -> tuple[ReviewFlag, ...]:
    """Code that reaches into the grader, for a person to look at (not an automatic zero)."""
    flags = []
    for path in dict.fromkeys(submission.files.values()):  # a single file may stand for every module
        module = next(name for name, file in submission.files.items() if file == path)
        try:
            found = forbidden.review(submission.sources[module].decode(), path.name)
        except (SyntaxError, ValueError):
            continue
        flags += [ReviewFlag(what=what, where=submission.locate(where), line=line) for what, where, line in found]
    return tuple(flags)


def judge_safely(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
                 language: str = "en") -> TaskResult:
    """`judge_task`, where a failure of the grader itself costs this task, never the run."""
    try:
        return judge_task(task_run, findings, timeout, language)
    except Exception as error:
        message = i18n.say(language, "the grader failed while judging this task ({error}): please report it",
                           error=type(error).__name__)
        check = CheckResult(name=i18n.say(language, "judging"), device="-", passed=False, message=message,
                            diagnosis="grader_defect")
        return TaskResult(name=task_run.task.name, max_score=task_run.task.points, checks=(check,),
                          problem=message, problem_status="error")


def judge_task(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
               language: str = "en") -> TaskResult:
    """Checks for every case on every device, and what stopped the task as a whole; messages in `language`."""
    task = task_run.task
    checks: list[CheckResult] = []
    problem, problem_status = None, None
    if findings:
        where = "; ".join(i18n.say(language, "{api} at {place}", api=f.api, place=f.where) for f in findings[:3])
        problem, problem_status = i18n.say(language, "uses forbidden {where}", where=where), "forbidden"
        checks.append(CheckResult(name=i18n.say(language, "forbidden APIs (source scan)"), device="-", passed=False,
                                  message=problem, diagnosis="forbidden_api"))
    for device, (cases, header, outcome) in task_run.student.items():
        stopped = _why_stopped(header, outcome, timeout, len(cases) < len(task.cases), language)
        if stopped and not problem:
            problem, problem_status = stopped[1], stopped[2]
        for index, case in enumerate(task.cases):
            got = cases.get(index)
            missing = None
            if got is None and stopped:
                missing = stopped[:2]
                stopped = ("not_run", i18n.say(language, "not run: the task stopped at an earlier case"), stopped[2])
            verdict = compare.judge(task, case, task_run.expected.get(index), got, device, missing, language)
            if verdict.diagnosis == "forbidden_api" and problem_status != "forbidden":
                problem, problem_status = verdict.message, "forbidden"
            label = i18n.say_name(language, case.name) if case.hidden is False else \
                i18n.say(language, "hidden case {number}", number=index + 1)
            message = verdict.message
            if not verdict.passed and not case.hidden:
                call = compare.describe_call(task, case)  # a spec's own words (call=) translated like a name
                message = message if call == case.name else f"{i18n.say_name(language, call)}: {message}"
                if case.note and verdict.diagnosis in compare.VALUE_DIAGNOSES:
                    message += " " + i18n.say(language, "(note: {note})", note=i18n.say_text(language, case.note))
            checks.append(CheckResult(name=label, device=device, passed=verdict.passed, message=message,
                                      diagnosis=verdict.diagnosis, hidden=case.hidden, group=case.check_group,
                                      weight=case.weight, **verdict.values))
    return TaskResult(name=task.name, max_score=task.points, checks=tuple(checks), problem=problem,
                      problem_status=problem_status, shares=task.shares or {"results": 1.0}, withheld=task.withheld,
                      duration_s=round(max((outcome.duration_s for *_, outcome in task_run.student.values()),
                                           default=0.0), 3))


def _why_stopped(header: dict | None, outcome: sandbox.Outcome, timeout: float, incomplete: bool,
                 language: str = "en") -> tuple[str, str, str] | None:
    """(diagnosis, message, task status) when the child did not finish every case normally."""
    say = i18n.say
    if outcome.forged:
        return ("forged_results", say(language, "something in your code wrote to the grader's result channel: results "
                                                "the grader did not produce count as cheating"), "forbidden")
    if header and header.get("missing_file"):
        return "not_implemented", say(language, "your submission has no {file}", file=header["missing_file"]), None
    if header and header.get("missing"):
        return "not_implemented", say(language, "{name} is not defined in your file", name=header["missing"]), None
    if header and header.get("not_own"):
        return ("forbidden_api", say(language, "{what}: the task's function must be written in your file",
                                     what=header["not_own"]), "forbidden")
    if header and header.get("import_error"):
        error = header["import_error"]
        if header.get("forbidden") or error["type"] == "ForbiddenCall":
            api, where = (header.get("forbidden") or [[say(language, "a forbidden API"), "import"]])[0]
            return ("forbidden_api", say(language, "importing your file called forbidden {api} at {place}", api=api,
                                         place=where), "forbidden")
        where = " " + say(language, "at {place}", place=error["where"]) if error.get("where") else ""
        return ("import_error", say(language, "your file failed to import: {type}: {message}{where}",
                                    type=error["type"], message=error["message"], where=where), "error")
    if outcome.timed_out and not header:
        return ("timeout", say(language, "importing your file took over the {seconds} s time limit: code at the top "
                                         "level (a demo, a notebook cell) runs on import; move it under if __name__ "
                                         "== '__main__':", seconds=f"{timeout:g}"), "timeout")
    if outcome.timed_out:
        return ("timeout", say(language, "stopped after the {seconds} s time limit: an endless loop, far too slow, or "
                                         "memory allocated without end", seconds=f"{timeout:g}"), "timeout")
    if outcome.overflow:
        return "error", say(language, "sent back more data than the result limit"), "error"
    if outcome.exit_status != 0:
        how = sandbox.describe_exit(outcome.exit_status)
        diagnosis = "memory" if outcome.exit_status in (-9, 137) else "crash"
        return diagnosis, say(language, "the process running your code died ({how}): a crash, os._exit or memory",
                              how=how), "error"
    if incomplete:
        return "crash", say(language, "the process running your code ended early (os._exit?)"), "error"
    return None


def environment(devices: tuple[str, ...], mode: str = "jail", language: str = "en") -> Environment:
    return Environment(python=platform.python_version(), torch=torch.__version__, devices=devices,
                       grader=__version__, isolation=isolation(devices, mode), language=language)


def isolation(devices: tuple[str, ...], mode: str = "jail") -> Isolation:
    """What every student child of this grading ran under: each one checked it before running."""
    if mode == "process":
        return Isolation(level=N_("process only (no sandbox)"), measures=(
            "a fresh Python process per task", "the time limit per task", "results as data, never pickle",
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
        *memory, processes, "environment: an allowlist"))


def list_assignments(root: Path | None = None) -> list[Assignment]:
    root = course(root)
    return [open_assignment(name, root=root) for name in assignment_names(root)]


def check_reference(names: Iterable[str] = (), *, seeds: Iterable[int] = (0,), timeout: float = 60.0,
                    root: Path | None = None, progress: Callable[[str], None] = lambda line: None,
                    language: str = "en") -> list[str]:
    """Defects found: a reference losing points, disagreeing with torch or with the lecture's
    numbers, or an untouched stub that does not score 0 as "not implemented". The defects are
    for the course's developers, in English; the progress lines are in `language`."""
    root = course(root)
    need_reference(root, "check-reference")
    names = list(names) or assignment_names(root)
    defects = []
    for name, seed in ((name, seed) for name in names for seed in seeds):
        spec = open_assignment(name, seed, root)
        devices = devices_for("auto")
        with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
            reference = find(root / "reference" / name, spec.modules, Path(workdir))
            runs = execute(spec, spec.tasks, reference, root, devices, timeout, None)
        findings = scan_source(spec, reference.sources, spec.tasks)
        for task_run in runs:
            result = judge_task(task_run, findings[task_run.task.name], timeout)
            prefix = f"{name}/{result.name} (seed {seed})"
            defects += [f"{prefix}: reference fails [{c.device}] {c.name}: {c.message}"
                        for c in result.checks if not c.passed]
            defects += [f"{prefix}: {line}" for line in oracle_disagreements(task_run)]
        stub = grade(name, root / "assignments" / name, seed=seed, timeout=timeout, root=root, device="cpu")
        defects += [f"{name}/{t.name}: the stub scores {t.score:g} with status {t.status}, expected 0 "
                    f"and not_implemented" for t in stub.tasks if t.score or t.status != "not_implemented"]
        progress(i18n.say_n(language, "{name}: checked {count} task on {devices} with seed {seed}",
                            "{name}: checked {count} tasks on {devices} with seed {seed}", len(spec.tasks), name=name,
                            devices=", ".join(devices), seed=seed))
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
