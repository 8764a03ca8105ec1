"""The course folder as the grader reads it: which course, its assignments and settings, the
seeds, the language, and whether it is a student's handout; bad input is a `UsageError`."""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Callable, Iterable

import torch

from grader import i18n, sandbox
from grader.course import handout, settings
from grader.spec import Assignment, assignment_names, installed_course, load_assignment, Task


class UsageError(i18n.ReaderError, ValueError):
    """Bad input from the user: unknown assignment or task, missing path. One line, exit 2."""


Expected = Callable[[], dict[str, tuple[bytes, ...]]]  # loads the reference's frames per task, computed beforehand


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


def default_submission(assignment: str, root: Path) -> Path:
    """`assignments/NAME` in the course folder the user is in, else in the grader's own."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "assignments" / assignment).is_dir():
            return folder / "assignments" / assignment
    return root / "assignments" / assignment


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


def list_assignments(root: Path | None = None) -> list[Assignment]:
    root = course(root)
    return [open_assignment(name, root=root) for name in assignment_names(root)]
