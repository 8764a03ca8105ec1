"""`grade batch`: a class's submissions graded in parallel from one warm process, each in the sandbox.

The shape keeps every student's child clean. A *server* is forked first, when this process holds
nothing but the spec; for each submission it forks a *grader* that reads that submission, forks
its jailed children and only then loads the reference's outputs, computed once for the batch. So
no child ever holds another student's code or report, nor the expected values. Each report goes
into the store as it arrives: a batch killed midway loses nothing already graded.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from . import api, sandbox, sources, store
from .i18n import say
from .load import SubmissionError, find
from .report import write_report
from .results import Report
from .spec import Assignment


@dataclass(frozen=True)
class Settings:
    """How every submission of the batch is graded."""

    spec: Assignment
    root: Path
    devices: tuple[str, ...]
    seed: int
    timeout: float
    language: str  # of the students' feedback: the course's, unless --lang
    work: Path  # a private temporary folder: the reference's frames and each grader's report on its way


def grade_batch(assignment: str, origins: Iterable[Path], results: Path, *, jobs: int | None = None,
                seed: int | None = None, language: str | None = None,
                timeout: float = api.DEFAULT_TIMEOUT_S, device: str = "auto", regrade: bool = False,
                root: Path | None = None,
                progress: Callable[[int, int, str, Report], None] = lambda *args: None) -> list[tuple[str, Report]]:
    """Grade every student found in `origins` (folders, Moodle exports, CSV manifests) into the store
    in `results`; skip those whose stored report is of the same submission, seed and grader version
    (unless `regrade`). The seed defaults to the course's secret one. Returns every stored
    (student, report) of the assignment."""
    root = api.course(root)
    api.need_reference(root, "grade batch")
    seed = api.secret_seed(root) if seed is None else seed
    spec = api.open_assignment(assignment, seed, root)
    work = Path(tempfile.mkdtemp(prefix="grade-batch-"))
    settings = Settings(spec, root, api.devices_for(device), seed, timeout,
                        api.choose_language(language, root, reader=False), work)
    server = Server.start(settings, jobs or os.cpu_count() or 2)  # first: before anything is read
    try:
        try:
            entries = sources.discover(list(origins), work / "sources")
        except sources.SourceError as error:
            raise api.UsageError.of(error) from None
        connection = store.open_store(results)
        todo, empty = [], []
        for entry in entries:
            fingerprint = _fingerprint(entry, spec)
            if regrade or not store.is_current(connection, spec.name, entry.student, fingerprint, seed, api.__version__):
                (todo if entry.path else empty).append(entry)
        total, done = len(todo) + len(empty), 0
        for entry in empty:
            done += 1
            problem = entry.problem.say(settings.language) if entry.problem else say(settings.language, "no submission")
            report = api.ungraded(spec, entry.student, root, seed, problem, settings.language)
            store.save(connection, entry.student, report)
            progress(done, total, entry.student, report)
        if todo:
            _write_frames(work / "reference.frames", api.reference_frames(spec, spec.tasks, root, timeout, jobs))
        for entry, report in server.grade(todo, settings):
            done += 1
            store.save(connection, entry.student, report)
            progress(done, total, entry.student, report)
        return store.load_all(connection, spec.name)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _fingerprint(entry: sources.Entry, spec: Assignment) -> str:
    """The SHA-256 a report of this submission will carry ('' for one that cannot be read)."""
    if entry.path is None:
        return ""
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        try:
            return find(entry.path, spec.modules, Path(workdir)).sha256
        except SubmissionError:
            return ""


def _write_frames(path: Path, frames: dict[str, tuple[bytes, ...]]) -> None:
    text = json.dumps({task: [base64.b64encode(frame).decode() for frame in task_frames]
                       for task, task_frames in frames.items()})
    path.write_text(text, encoding="utf-8")


def _read_frames(path: Path) -> dict[str, tuple[bytes, ...]]:
    return {task: tuple(base64.b64decode(frame) for frame in task_frames)
            for task, task_frames in json.loads(path.read_text(encoding="utf-8")).items()}


@dataclass
class Server:
    """The clean process that forks one grader per submission, at most `jobs` at a time."""

    pid: int
    requests: int  # job lines to the server
    replies: int  # "index status" lines from it

    @classmethod
    def start(cls, settings: Settings, jobs: int) -> "Server":
        sandbox.need_fork()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(request_read)
            os.close(reply_write)
            return cls(pid, request_write, reply_read)
        status = 0
        try:
            os.close(request_write)
            os.close(reply_read)
            sandbox.die_with_parent()
            _serve(settings, jobs, request_read, reply_write)
        except BaseException:
            status = 70
        finally:
            os._exit(status)

    def grade(self, entries: list[sources.Entry], settings: Settings) -> Iterable[tuple[sources.Entry, Report]]:
        """Each entry with its report, in the order they finish."""
        waiting, pending, buffer = list(enumerate(entries)), 0, b""
        with os.fdopen(self.requests, "w", encoding="utf-8", buffering=1, closefd=False) as requests:
            while waiting or pending:
                while waiting and pending < 64:  # keep the pipe from filling
                    index, entry = waiting.pop(0)
                    requests.write(json.dumps({"index": index, "path": str(entry.path)}) + "\n")
                    pending += 1
                select.select([self.replies], [], [])
                chunk = os.read(self.replies, 4096)
                if not chunk:
                    raise RuntimeError("the batch's grading server stopped")
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    index, status = (int(part) for part in line.split())
                    pending -= 1
                    yield entries[index], _collect(entries[index], index, status, settings)

    def stop(self) -> None:
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _collect(entry: sources.Entry, index: int, status: int, settings: Settings) -> Report:
    """The grader's report of one submission, or a report saying why there is none."""
    path = settings.work / f"{index}.json"
    try:
        return Report.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        reason = say(settings.language, "the grader failed on this submission (exit status {status}): please report it",
                     status=status)
        return api.ungraded(settings.spec, str(entry.path), settings.root, settings.seed, reason, settings.language)
    finally:
        path.unlink(missing_ok=True)


def _serve(settings: Settings, jobs: int, requests: int, replies: int) -> None:
    """Fork a grader per job line, at most `jobs` at once; reply `index status` as each ends."""
    running: dict[int, int] = {}  # pid -> job index
    buffer, more = b"", True
    while more or running or b"\n" in buffer:
        while running and (ended := os.waitpid(-1, os.WNOHANG))[0]:
            pid, status = ended
            if pid in running:
                os.write(replies, f"{running.pop(pid)} {os.waitstatus_to_exitcode(status)}\n".encode())
        if b"\n" in buffer and len(running) < jobs:
            line, buffer = buffer.split(b"\n", 1)
            job = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _grade_one(settings, job["index"], Path(job["path"]))
            running[pid] = job["index"]
        elif more and b"\n" not in buffer and select.select([requests], [], [], 0.02)[0]:
            chunk = os.read(requests, 1 << 16)
            buffer, more = buffer + chunk, bool(chunk)
        else:
            time.sleep(0.005)  # every slot busy: wait for a grader to end


def _grade_one(settings: Settings, index: int, path: Path) -> None:
    """In a grader: grade one submission and leave its report as work/INDEX.json."""
    status = 0
    try:
        sandbox.die_with_parent()
        try:
            report = api.grade_submission(settings.spec, settings.spec.tasks, path, settings.root, settings.devices,
                                          settings.seed, settings.timeout, workers=1,
                                          expected=lambda: _read_frames(settings.work / "reference.frames"),
                                          language=settings.language)
        except SubmissionError as error:
            report = api.ungraded(settings.spec, str(path), settings.root, settings.seed,
                                  error.say(settings.language), settings.language)
        temporary = settings.work / f".{index}.json"
        temporary.write_text(report.model_dump_json())
        temporary.replace(settings.work / f"{index}.json")
    except BaseException:
        status = 70
    finally:
        os._exit(status)


def write_outputs(results: Path, entries: list[tuple[str, Report]], language: str | None = None) -> list[Path]:
    """gradebook.csv, moodle_worksheet.csv (for a Moodle export), summary.html and feedback/STUDENT/
    (HTML, Markdown, JSON, Gradescope's results.json), all made from the stored reports; the
    summary in the reports' own language, so that its quoted messages match it; `language` is
    only for a batch without reports."""
    from . import feedback, gradebook, summary

    title = entries[0][1].assignment if entries else say(language or "en", "no submissions")
    written = [gradebook.write_gradebook(results / "gradebook.csv", entries)]
    worksheet = gradebook.moodle_worksheet_csv(entries)
    if worksheet is not None:
        write_report(results / "moodle_worksheet.csv", worksheet)
        written.append(results / "moodle_worksheet.csv")
    for student, report in entries:
        feedback.write_feedback(results / "feedback", student, report)
    write_report(results / "summary.html", summary.render_summary(title, entries, None if entries else language))
    return [*written, results / "summary.html", results / "feedback"]


def regenerate(assignment: str, results: Path, root: Path | None = None) -> list[tuple[str, Report]]:
    """Every stored (student, report), without grading anything."""
    if not (results / store.FILE_NAME).exists():
        raise api.UsageError("{folder} holds no batch results ({file} is missing)", folder=results,
                             file=store.FILE_NAME)
    return store.load_all(store.open_store(results), assignment)
