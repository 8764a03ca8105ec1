"""The static side of grading: forbidden APIs in each task's source, and the review flags for a person."""
from __future__ import annotations

from grader import i18n
from grader.engine import compare, forbidden
from grader.engine.load import Submission
from grader.results import ReviewFlag
from grader.spec import Assignment, Task


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
            found.append((path, (i18n.message("could not be read as Python ({why}): not scanned for forbidden APIs",
                                              why=str(code)), code.line, "")))
        elif code:
            found += [(path, flag) for flag in forbidden.review(code, path.name)]
    flags = tuple(ReviewFlag(what=what, where=submission.place(path.name, number), line=line)
                  for path, (what, number, line) in found[:MAX_REVIEW_FLAGS])
    return flags, len(found) - len(flags)
