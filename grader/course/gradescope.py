"""`grade gradescope`: one assignment as a Gradescope autograder bundle, and `grade autograder`,
what the bundle's run_autograder runs for each submission.

Gradescope's layout (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a zip with
`setup.sh` and `run_autograder` at its root. The image is built with the zip unpacked in
/autograder/source and setup.sh run once, as root; then, for each submission, run_autograder runs
as root in /autograder, with the student's files in /autograder/submission, and writes
/autograder/results/results.json. AUTOGRADER_ROOT stands for /autograder, so that a test can run
the bundle in a temporary tree.

The bundle holds the instructor's course for this assignment (its reference and the secret seed:
Gradescope runs it privately), never another assignment's. Student code must not read it: in the
jail it does not exist; without one (GRADER_ISOLATION=user) setup.sh has closed it to every other
user, and each student child runs as a uid of its own that checks it cannot enter it.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import torch

from grader import sandbox
from grader.course import folder, settings
from grader.engine import grading
from grader.engine.load import SubmissionError
from grader.reports.feedback import VISIBILITIES, gradescope_results
from grader.reports.render import write_report
from grader.results import Report

TEMPLATES = Path(__file__).parent.parent / "templates" / "gradescope"
ROOT_VARIABLE, DEFAULT_ROOT = "AUTOGRADER_ROOT", Path("/autograder")
SCRIPTS = ("setup.sh", "run_autograder")  # at the zip's root, executable
_SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


def build_bundle(assignment: str, bundle: Path, *, root: Path | None = None, visibility: str = "visible",
                 timeout: float = grading.DEFAULT_TIMEOUT_S) -> list[str]:
    """Write the autograder zip of `assignment` to `bundle` (replaced whole, or left as it was).
    Returns the paths it holds."""
    root = folder.course(root)
    folder.need_reference(root, "grade gradescope")
    folder.open_assignment(assignment, 0, root)  # it exists, and its spec loads
    folder.secret_seed(root, assignment)  # the course's secret is there: the bundle grades with it
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    values = {"@ASSIGNMENT@": assignment, "@VISIBILITY@": visibility, "@TIMEOUT@": f"{timeout:g}",
              "@TORCH@": torch.__version__.split("+")[0]}  # the instructor's torch, as a CPU build
    files = course_files(root, assignment)
    bundle = Path(bundle)
    if bundle.is_dir():
        raise folder.UsageError("{path} is a folder: give the zip file to write", path=bundle)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{bundle.name}.", dir=bundle.parent.resolve())
    except OSError as error:
        raise folder.UsageError("cannot write {path}: {why}", path=bundle, why=error.strerror) from None
    os.close(handle)
    partial = Path(name)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for script in SCRIPTS:
                text = (TEMPLATES / script).read_text(encoding="utf-8")
                for key, value in values.items():
                    text = text.replace(key, value)
                entry = zipfile.ZipInfo(script, date_time=(1980, 1, 1, 0, 0, 0))
                entry.external_attr = 0o100755 << 16  # a regular file, executable: Gradescope runs it as is
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, text)
            for name, path in files:
                archive.write(path, name)
        os.replace(partial, bundle)
    finally:
        partial.unlink(missing_ok=True)
    return [*SCRIPTS, *(name for name, _ in files)]


def course_files(root: Path, assignment: str) -> list[tuple[str, Path]]:
    """(name in the zip, file) of the course as the bundle holds it: the grader that builds it,
    pyproject.toml, the course's settings, and this assignment's statement, stub and reference."""
    grader = Path(__file__).parent.parent
    found = [(f"grader/{path.relative_to(grader).as_posix()}", path) for path in _walk(grader)]
    found.append(("pyproject.toml", root / "pyproject.toml"))
    for shared in (settings.PUBLIC, settings.PRIVATE):
        if (root / shared).exists():
            found.append((shared.as_posix(), root / shared))
    for part in (Path("assignments") / assignment, Path("reference") / assignment):
        found += [((part / path.relative_to(root / part)).as_posix(), path) for path in _walk(root / part)]
    return found


def _walk(folder: Path) -> list[Path]:
    """The files under `folder`, sorted, without caches and notebook checkpoints."""
    return [path for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix != ".pyc"
            and not _SKIPPED.intersection(path.relative_to(folder).parts)]


def autograder_root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)


def isolation() -> str:
    """The jail where this container can build it, else GRADER_ISOLATION=user (which needs root);
    GRADER_ISOLATION may choose either, never "process": the course is in this container."""
    chosen = os.environ.get("GRADER_ISOLATION") or ("jail" if sandbox.jail_works() else "user")
    if chosen not in ("jail", "user"):
        raise folder.UsageError("GRADER_ISOLATION={value}: grade autograder runs student code in the jail or as an "
                             "unprivileged user (jail or user)", value=chosen)
    return chosen


def autograde(assignment: str, *, visibility: str = "visible", timeout: float = grading.DEFAULT_TIMEOUT_S,
              runner: sandbox.Zygote | None = None) -> Report:
    """Grade AUTOGRADER_ROOT/submission against the course in AUTOGRADER_ROOT/source, with the
    course's secret seed and in its language, and write AUTOGRADER_ROOT/results/results.json.
    A submission without a gradable file scores 0 with the reason, as in a batch."""
    base = autograder_root()
    course = folder.course(base / "source")
    os.environ["GRADER_ISOLATION"] = isolation()  # what folder.isolation_mode reads, and the report states
    language = folder.choose_language(None, course, reader=False)  # the course's: what its students read
    seed = folder.secret_seed(course, assignment)
    spec, _ = folder.open_graded(assignment, seed, course)
    try:
        report = grading.grade_submission(spec, spec.tasks, base / "submission", course, folder.devices_for("auto"),
                                          seed, timeout, None, runner, None)
    except SubmissionError as error:
        report = grading.ungraded(spec, "submission", course, seed, error.data)
    report = report.read_in(language)
    (base / "results").mkdir(exist_ok=True)  # Gradescope's harness makes it; a test's tree may not
    write_report(base / "results" / "results.json", results_json(report, visibility))
    return report


def results_json(report: Report, visibility: str = "visible") -> str:
    """Gradescope's results.json of a report, with how the student's code was isolated (and the
    grader's version) in `extra_data`, which Gradescope keeps for the instructor."""
    results = gradescope_results(report, visibility)
    environment = report.environment
    results["extra_data"] = {"grader": environment.grader, "isolation": environment.isolation.level,
                             "measures": list(environment.isolation.measures)}
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
