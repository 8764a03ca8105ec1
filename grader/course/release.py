"""`grade release`: the student handout, built from the course folder without its solutions.

The handout holds the stubs and statements, the grader, and for each assignment its public cases
(`public/NAME/spec.json`), the reference's answers to them with the known mistakes' and torch's
(`expected.frames`: JSON headers and raw arrays), and the experiments that run around student
code (`checks.py`). Never `reference/`, never a hidden case, never pickle.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Iterable

from grader.course import folder, handout, settings
from grader.engine import grading
from grader.i18n import say_n
from grader.spec import Assignment, assignment_names

TEMPLATES = Path(__file__).parent.parent / "templates" / "handout"
PUBLIC_SEED = 0  # the values students see; final grading uses the course's secret seed
GLOSSARY = Path("assignments") / "GLOSSARY.md"  # the lectures' terms and PyTorch's names, for every assignment
CI_FAIL_UNDER = 50.0  # percent of an assignment's public points under which a push's CI run fails
# The students' CI: (template, path in the handout). The platforms' runners grade each push with
# the public checks of the assignments it changed, as the handout's README says.
CI_FILES = (("github-workflow.yml", Path(".github") / "workflows" / "grade.yml"),
            ("gitlab-ci.yml", Path(".gitlab-ci.yml")), ("grade-pushed.sh", Path("ci") / "grade-pushed.sh"))


def build_handout(out: Path, names: Iterable[str] = (), *, root: Path | None = None, timeout: float = 60.0,
                  progress: Callable[[str], None] = lambda line: None, language: str = "en",
                  ci_fail_under: float = CI_FAIL_UNDER) -> list[str]:
    """Write the handout for `names` (default: every assignment) into the new folder `out`, telling
    `progress` in `language` what each holds; its CI fails a push whose changed assignment scores
    under `ci_fail_under` percent. Returns the assignments released."""
    root = folder.course(root)
    folder.need_reference(root, "grade release")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise folder.UsageError("{folder} already exists and is not empty: give a new folder", folder=out)
    names = list(names) or handout_names(root)
    specs = [folder.open_assignment(name, PUBLIC_SEED, root) for name in names]
    grader_folder = Path(__file__).parent.parent
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        # deploy/: the instructor's cluster files (an image of the course with its reference), no student's business
        shutil.copytree(grader_folder, staging / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                                         "deploy"))
        shutil.copy2(root / "pyproject.toml", staging / "pyproject.toml")
        for readme in ("README.md", "README.en.md"):  # Russian first: the course's language
            shutil.copy2(TEMPLATES / readme, staging / readme)
        shutil.copy2(TEMPLATES / "gitattributes", staging / ".gitattributes")
        (staging / "assignments").mkdir()
        for shared in (settings.PUBLIC, GLOSSARY):  # the course's language; reference/course.toml stays behind
            if (root / shared).exists():
                shutil.copy2(root / shared, staging / shared)
        (staging / "tests").mkdir()
        shutil.copy2(TEMPLATES / "test_handout.py", staging / "tests" / "test_handout.py")
        for path, text in ci_files(ci_fail_under).items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text, encoding="utf-8", newline="\n")
        for spec in specs:
            progress(_release_assignment(spec, root, staging, timeout, language))
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names


def ci_files(fail_under: float = CI_FAIL_UNDER) -> dict[Path, str]:
    """The handout's CI files, by their path in it, with the instructor's threshold."""
    if not 0 <= fail_under <= 100:
        raise ValueError(f"a threshold is a percent, not {fail_under}")
    return {path: (TEMPLATES / template).read_text(encoding="utf-8").replace("@FAIL_UNDER@", f"{fail_under:g}")
            for template, path in CI_FILES}


def handout_names(root: Path) -> list[str]:
    return [name for name in assignment_names(root) if (root / "assignments" / name).is_dir()]


def _release_assignment(spec: Assignment, root: Path, staging: Path, timeout: float, language: str = "en") -> str:
    shutil.copytree(root / "assignments" / spec.name, staging / "assignments" / spec.name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    visible = handout.visible(spec)
    frames = grading.reference_frames(visible, visible.tasks, root, timeout)
    short = [task.name for task in visible.tasks if len(frames[task.name]) != len(task.cases)]
    if short:
        raise RuntimeError(f"{spec.name}: the reference gave no answer to every case of {', '.join(short)}")
    target = staging / "public" / spec.name
    handout.write(target, handout.public_part(spec), frames)
    checks_file = root / "reference" / spec.name / handout.CHECKS_FILE
    if checks_file.exists():
        shutil.copy2(checks_file, target / handout.CHECKS_FILE)
    public = say_n(language, "{count} public case with its answer", "{count} public cases with their answers",
                   sum(len(task.cases) for task in visible.tasks))
    hidden = say_n(language, "{count} hidden", "{count} hidden", sum(task.withheld for task in visible.tasks))
    return f"{spec.name}: {public}, {hidden}"
