"""`grade gradescope`: the autograder bundle's layout, and its run_autograder run in a temporary
tree (AUTOGRADER_ROOT) giving the results.json of single grading, in the jail and as an
unprivileged user (GRADER_ISOLATION=user)."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SUBMISSIONS, mutant

from grader import api, sandbox
from grader.course import gradescope

ASSIGNMENT = "assignment1"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    gradescope.build_bundle(ASSIGNMENT, path, root=ROOT, visibility="after_published", timeout=20)
    return path


def test_the_bundle_has_gradescopes_scripts_at_its_root_and_this_assignments_course(bundle):
    with zipfile.ZipFile(bundle) as archive:
        entries = {entry.filename: entry for entry in archive.infolist()}
        run = archive.read("run_autograder").decode()
        setup = archive.read("setup.sh").decode()
    for script in gradescope.SCRIPTS:
        mode = entries[script].external_attr >> 16
        assert stat.S_ISREG(mode) and mode & 0o111, script
    assert run.startswith("#!") and setup.startswith("#!")
    assert '"${AUTOGRADER_ROOT:-/autograder}"' in run and "grader autograder assignment1" in run
    assert "--visibility after_published --timeout 20" in run and "@" not in run
    assert "chmod -R go-rwx" in setup and "@TORCH@" not in setup
    names = set(entries)
    assert {"pyproject.toml", "grader/cli.py", "grader/templates/gradescope/run_autograder", "reference/course.toml",
            "reference/assignment1/spec.py", "reference/assignment1/convolution.py",
            "assignments/assignment1/convolution.py"} <= names
    # one assignment's reference, nothing of the repository's tests, history or caches
    assert not [name for name in names if name.startswith(("reference/assignment2", "tests/", ".git"))
                or "__pycache__" in name or name.endswith(".pyc")]


def test_the_bundle_is_made_from_the_instructors_course_only(tmp_path):
    with pytest.raises(api.UsageError, match="unknown assignment"):
        gradescope.build_bundle("assignment9", tmp_path / "a.zip", root=ROOT)
    with pytest.raises(api.UsageError, match="is a folder"):
        gradescope.build_bundle(ASSIGNMENT, tmp_path, root=ROOT)
    with pytest.raises(api.UsageError, match="cannot write .*: No such file"):
        gradescope.build_bundle(ASSIGNMENT, tmp_path / "none" / "a.zip", root=ROOT)
    handout = tmp_path / "handout"
    (handout / "public").mkdir(parents=True)
    (handout / "assignments").mkdir()
    with pytest.raises(api.UsageError, match="reference solutions"):
        gradescope.build_bundle(ASSIGNMENT, tmp_path / "a.zip", root=handout)
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".a.zip*"))


def test_the_autograder_never_runs_student_code_as_the_graders_own_user(monkeypatch):
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    with pytest.raises(api.UsageError, match="GRADER_ISOLATION=process"):
        gradescope.isolation()
    monkeypatch.setenv("GRADER_ISOLATION", "user")
    assert gradescope.isolation() == "user"


def test_the_command_writes_the_bundle_and_refuses_in_one_line(tmp_path):
    from click.testing import CliRunner

    from grader import cli

    result = CliRunner().invoke(cli.main, ["gradescope", "assignment9", str(tmp_path / "a.zip"), "--lang", "en"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "unknown assignment" in result.output
    result = CliRunner().invoke(cli.main, ["gradescope", ASSIGNMENT, str(tmp_path / "a.zip"), "--lang", "en"])
    assert result.exit_code == 0 and "-> " in result.output and zipfile.is_zipfile(tmp_path / "a.zip")


# ---------------------------------------------------------------- run_autograder in a temporary tree

def _tree(bundle: Path, folder: Path, submission: Path) -> Path:
    """/autograder as Gradescope makes it: the bundle in source/ (closed to others, as setup.sh
    leaves it), the submission's files in submission/, and the venv setup.sh would install: here
    the one running the tests."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder / "source")
    shutil.copytree(submission, folder / "submission")
    (folder / "venv").symlink_to(Path(sys.prefix))
    for path in (folder / "source").rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    (folder / "source").chmod(0o700)
    return folder


def _run_autograder(folder: Path, isolation: str | None = None, wrap: tuple[str, ...] = ()) -> dict:
    environment = {**os.environ, "AUTOGRADER_ROOT": str(folder), "PYTHONPATH": str(ROOT)}
    environment.pop("GRADER_ISOLATION", None)
    if isolation:
        environment["GRADER_ISOLATION"] = isolation
    done = subprocess.run([*wrap, "bash", str(folder / "source" / "run_autograder")], env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads((folder / "results" / "results.json").read_text(encoding="utf-8"))


def _single(submission: Path, folder: Path) -> dict:
    """results.json as single grading of the same submission makes it: the course's secret seed
    and language, against the bundle's course."""
    course = folder / "source"
    report = api.grade(ASSIGNMENT, submission, seed=api.secret_seed(course, ASSIGNMENT), root=course,
                       language=api.choose_language(None, course, reader=False), timeout=20)
    return json.loads(gradescope.results_json(report, "after_published"))


def _same(results: dict, single: dict) -> None:
    for shown in (results, single):
        shown.pop("execution_time")
        shown.pop("extra_data")
    assert results == single


@pytest.mark.slow
@pytest.mark.parametrize("which", ["correct_naive", "flipped_kernel"])
def test_run_autograder_gives_the_results_of_single_grading(bundle, tmp_path, which):
    if not sandbox.jail_works():
        pytest.skip("this machine cannot build the jail (see test_run_autograder_as_an_unprivileged_user)")
    submission = SUBMISSIONS / ASSIGNMENT / which if which.startswith("correct") \
        else mutant(ASSIGNMENT, which, tmp_path / "mutants")
    folder = _tree(bundle, tmp_path / "autograder", submission)
    results = _run_autograder(folder)
    assert results["extra_data"]["isolation"] in ("jail as root", "jail in a user namespace")
    assert results["visibility"] == "after_published" and results["output_format"] == "text"
    assert (results["score"] == 100) == (which == "correct_naive")
    assert "hidden case" not in json.dumps(results) or which == "correct_naive"
    _same(results, _single(submission, folder))


@pytest.mark.slow
def test_a_submission_without_the_file_scores_0_with_the_reason(bundle, tmp_path):
    empty = tmp_path / "empty"
    (empty / "notes").mkdir(parents=True)
    (empty / "notes" / "readme.txt").write_text("nothing here\n")
    results = _run_autograder(_tree(bundle, tmp_path / "autograder", empty), isolation="jail")
    assert results["score"] == 0 and "convolution.py" in results["tests"][0]["output"]


def _open_python_view(view: Path) -> tuple[str, ...] | None:
    """A command prefix under which student code, as another uid, can read Python, the venv and the
    grader: none needed where it can already; where one sits in a folder only root may enter (a
    pyenv under /root, as on the grader's test machine; CI's copy of the tree in a mktemp folder),
    a private mount namespace in which each such folder is a tmpfs anyone may enter, holding the
    folders on the way to them. None: no way here."""
    plan: dict[Path, set[str]] = {}  # a folder others cannot enter -> what under it they must reach
    for path in (Path(sys.base_prefix), Path(sys.prefix), ROOT / "grader"):
        blocked = next((folder for folder in (path, *path.parents) if not os.stat(folder).st_mode & stat.S_IXOTH),
                       None)
        if blocked == path:
            return None
        if blocked is not None:
            plan.setdefault(blocked, set()).add(path.relative_to(blocked).parts[0])
    if not plan:
        return ()
    if shutil.which("unshare") is None:
        return None
    steps = ["set -e"]
    for number, (blocked, needed) in enumerate(sorted(plan.items())):
        views = {name: view / f"{number}-{name}" for name in sorted(needed)}
        steps += [f"mkdir -p {views[name]}; mount --bind {blocked / name} {views[name]}" for name in views]
        steps.append(f"mount -t tmpfs -o mode=755 tmpfs {blocked}")
        steps += [f"mkdir -p {blocked / name}; mount --bind {views[name]} {blocked / name}" for name in views]
    return ("unshare", "-m", "--propagation", "private", "sh", "-c", "; ".join(steps) + '; exec "$@"', "sh")


HOSTILE = '''

def pad(*args, **kwargs):  # reads what it must not, and says what it got
    import os
    seen = []
    for path in (COURSE + "/reference/assignment1/convolution.py", COURSE + "/reference/course.toml",
                 f"/proc/{os.getppid()}/environ"):
        try:
            with open(path, "rb") as f:
                seen.append("READ " + f.read(30).hex())
        except OSError as error:
            seen.append(f"refused ({error.strerror})")
    raise RuntimeError(f"uid {os.getuid()}: " + ", ".join(seen))
'''


@pytest.fixture
def open_tmp():
    """A temporary folder others may enter, as /autograder is (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="gradescope-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_run_autograder_as_an_unprivileged_user(bundle, open_tmp):
    tmp_path = open_tmp
    if os.getuid() != 0:
        pytest.skip("GRADER_ISOLATION=user runs student code as another uid: the tests run as root to try it")
    wrap = _open_python_view(tmp_path / "python-view")
    if wrap is None:
        pytest.skip("Python is in a folder other users cannot enter, and unshare is missing to show them a view")
    correct = SUBMISSIONS / ASSIGNMENT / "correct_naive"
    folder = _tree(bundle, tmp_path / "autograder", correct)
    results = _run_autograder(folder, isolation="user", wrap=wrap)
    assert results["extra_data"]["isolation"] == "process as an unprivileged user (no jail)"
    assert results["score"] == 100
    _same(results, _single(correct, folder))  # the jail's grading, where it works: the same results

    hostile, tree = tmp_path / "hostile", tmp_path / "hostile-tree"
    hostile.mkdir()
    code = (correct / "convolution.py").read_text(encoding="utf-8")
    (hostile / "convolution.py").write_text(code + HOSTILE.replace("COURSE", repr(str(tree / "source"))),
                                            encoding="utf-8")
    results = _run_autograder(_tree(bundle, tree, hostile), isolation="user", wrap=wrap)
    said = results["tests"][0]["output"]
    assert "READ" not in said and said.count("refused") >= 3 and "uid 0:" not in said, said
