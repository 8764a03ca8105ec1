"""The student handout (`grade release`): the same feedback on public cases, and nothing it must not hold."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, submission_path
from grader import api
from grader.course import handout as handout_files, release
from grader.engine import codec, grading
from grader.engine import wire
from grader.results import Report
from grader.spec import assignment_names, load_assignment
from test_wrong_submissions import BUGGY, CORRECT

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

NAMES = tuple(assignment_names(ROOT))
GRADE = str(Path(sys.executable).with_name("grade"))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture(scope="session")
def handout(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    assert release.build_handout(out, root=ROOT) == list(NAMES)
    return out


# --- the same feedback -------------------------------------------------------------------------

def _public_checks(report) -> list[tuple]:
    """What a student reads of each public check; the numbers a submission produced are masked,
    since a submission may return random values (fake_print does)."""
    return [(task.name, check.name, check.device, check.passed, NUMBER.sub("#", str(check.message)), check.diagnosis,
             check.group, check.weight, check.expected, check.values_at)
            for task in report.tasks for check in task.checks if not check.hidden]


@pytest.mark.parametrize("assignment,name", CORRECT + [(a, n) for a, n, _ in BUGGY])
def test_the_handout_reports_public_cases_as_the_instructor_does(handout, graded, tmp_path, assignment, name):
    ours = api.grade(assignment, submission_path(assignment, name, tmp_path), root=handout)
    theirs = graded(assignment, name)
    assert _public_checks(ours) == _public_checks(theirs)
    devices = len(theirs.environment.devices)
    assert [t.withheld for t in ours.tasks] == [sum(c.hidden for c in t.checks) // devices for t in theirs.tasks]
    if theirs.score == 100:
        assert ours.score == 100


def test_a_handout_says_how_many_checks_are_hidden_and_nothing_else(handout):
    report = api.grade("assignment1", ROOT / "tests" / "submissions" / "assignment1" / "correct_naive", root=handout)
    conv1d = report.tasks[0]
    assert conv1d.withheld > 0 and not any(c.hidden for c in conv1d.checks)
    from grader.reports import render as rendering
    assert "hidden checks did not run here" in rendering.text(report)


# --- nothing leaks -------------------------------------------------------------------------------

def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _reference_bodies(root: Path) -> dict[str, str]:
    """The body of every function of every reference solution (docstrings left out), one stripped line each."""
    bodies = {}
    for path in sorted((root / "reference").glob("*/*.py")):
        if path.name in ("spec.py", handout_files.CHECKS_FILE):
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                if len(body) >= 2:
                    lines = "\n".join(ast.get_source_segment(text, statement) for statement in body)
                    bodies[f"{path.relative_to(root)}:{node.name}"] = _squeeze(lines)
    return bodies


def _squeeze(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _arrays(value) -> list[np.ndarray]:
    """Every tensor in a decoded frame, as float64 numpy arrays."""
    if isinstance(value, wire.TensorValue):
        return [value.data.numpy().astype(np.float64)] if value.data.numel() >= 4 else []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    return []


def _answers(spec, tasks) -> list[np.ndarray]:
    """The reference's answers (and its variants') to `tasks`' cases of `spec`, in order."""
    frames = grading.reference_frames(spec, tasks, ROOT, 60.0)
    return [a for task in tasks for frame in frames[task.name] for a in _arrays(wire.decode(frame))]


def _some_cases(spec, keep) -> tuple:
    """Two cases per task that `keep` selects (answers take time)."""
    return tuple(task.model_copy(update={"cases": tuple(c for c in task.cases if keep(c))[:2]}) for task in spec.tasks)


def _telling(found: list[np.ndarray], known: list[np.ndarray]) -> list[np.ndarray]:
    """The arrays that say something: not constant, and not among the `known` public ones."""
    return [a for a in found if len(np.unique(a)) > 2
            and not any(k.shape == a.shape and np.array_equal(k, a) for k in known)]


@pytest.fixture(scope="session")
def secrets() -> list[np.ndarray]:
    """Answers the handout must not hold: to hidden cases, and to public cases under the secret seed."""
    found = []
    for name in ("assignment1", "assignment3", "assignment5"):
        public, secret = load_assignment(name, 0, ROOT), load_assignment(name, api.secret_seed(ROOT, name), ROOT)
        sample = lambda case: not case.hidden and not case.raises  # noqa: E731
        known = _answers(public, _some_cases(public, sample))
        found += _telling(_answers(public, _some_cases(public, lambda case: case.hidden)), known)
        found += _telling(_answers(secret, _some_cases(secret, sample)), known)
    return found


def leaks(handout: Path, secrets: list[np.ndarray]) -> list[str]:
    files = _files(handout)
    texts = {path: _squeeze(data.decode("utf-8", "replace")) for path, data in files.items()}
    found = [f"{where} in {path.relative_to(handout)}" for where, body in _reference_bodies(ROOT).items()
             for path, text in texts.items() if body in text]
    found += [f"a reference file: {path.relative_to(handout)}" for path in files
              if "reference" in path.relative_to(handout).parts]
    stored = [a for path in handout.glob("public/*/" + handout_files.FRAMES_FILE)
              for frames in handout_files.read(path.parent)[1].values()
              for frame in frames for a in _arrays(wire.decode(frame))]
    for number, secret in enumerate(secrets):
        raw = [secret.tobytes(), secret.astype(np.float32).tobytes()]
        found += [f"secret answer {number} in {path.relative_to(handout)}" for path, data in files.items()
                  if any(blob in data for blob in raw)]
        if any(a.shape == secret.shape and np.allclose(a, secret, rtol=1e-6, atol=1e-9) for a in stored):
            found.append(f"secret answer {number} among the stored arrays")
    return found


def test_the_handout_holds_no_solution_no_hidden_answer_and_nothing_of_the_secret_seed(handout, secrets):
    assert len(secrets) > 20
    assert leaks(handout, secrets) == []
    assert not (handout / "reference").exists()
    assert not list(handout.rglob("*.pkl")) and not list(handout.rglob("*.pt"))


def test_the_leak_test_finds_a_copied_solution_and_a_hidden_answer(handout, secrets, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(handout, copy)
    shutil.copy(ROOT / "reference" / "assignment3" / "pooling.py", copy / "assignments" / "assignment3" / "notes.py")
    (copy / "public" / "assignment1" / "extra.bin").write_bytes(secrets[0].tobytes())
    found = leaks(copy, secrets)
    assert any("pooling.py:max_pool2d in assignments/assignment3/notes.py" in line for line in found), found
    assert any(line.startswith("secret answer 0 in public/assignment1/extra.bin") for line in found), found


# --- stale data, the smoke test ------------------------------------------------------------------

def test_stale_or_altered_expected_data_is_refused_in_one_line(handout, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(handout, copy)
    spec_file = copy / "public" / "assignment2" / handout_files.SPEC_FILE
    spec = json.loads(spec_file.read_text())
    spec_file.write_text(json.dumps({**spec, "grader": "0.0.1+0123456789abcdef"}))
    frames = copy / "public" / "assignment1" / handout_files.FRAMES_FILE
    frames.write_bytes(frames.read_bytes()[:-1] + b"\x01")
    with pytest.raises(api.UsageError, match="built for grader 0.0.1"):
        api.grade("assignment2", copy / "assignments" / "assignment2", root=copy)
    result = subprocess.run([GRADE, "assignment1", "--course", str(copy)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "does not match" in result.stderr
    with pytest.raises(api.UsageError, match="a handout does not hold"):
        api.check_reference(["assignment1"], root=copy)
    with pytest.raises(api.UsageError, match="public cases only"):
        api.grade("assignment1", seed=3, root=copy)


def test_a_handout_checked_out_with_crlf_line_ends_still_grades(handout, tmp_path):
    """Git on Windows turns LF into CRLF by default: the grader's fingerprint ignores line ends,
    and the handout's .gitattributes keeps its stored answers as they are."""
    copy = shutil.copytree(handout / "grader", tmp_path / "grader")
    for path in copy.glob("**/*.py"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert codec.grader_fingerprint(copy) == codec.grader_fingerprint(handout / "grader")
    (copy / "engine" / "files.py").write_bytes(b"# changed\r\n" + (copy / "engine" / "files.py").read_bytes())
    assert codec.grader_fingerprint(copy) != codec.grader_fingerprint(handout / "grader")
    assert "public/** -text" in (handout / ".gitattributes").read_text()


def test_the_handouts_own_smoke_test_passes_with_its_own_grader(handout):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=handout,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:]
    assert f"{len(NAMES) + 1} passed" in result.stdout  # each assignment's stubs, and that it holds no solutions


def test_the_handouts_ci_grades_a_pushed_assignment_as_its_readme_says(handout, tmp_path):
    for path, text in release.ci_files().items():  # the default threshold, 50 %
        assert (handout / path).read_text(encoding="utf-8") == text
    copy = tmp_path / "handout"
    shutil.copytree(handout, copy)
    (copy / ".venv" / "bin").mkdir(parents=True)  # the set-up's venv: this Python, the handout's grader
    (copy / ".venv" / "bin" / "grade").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    (copy / ".venv" / "bin" / "grade").chmod(0o755)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    environment = {**os.environ, "FAIL_UNDER": "50", "PYTHONPATH": str(copy)}
    result = subprocess.run(["bash", "ci/grade-pushed.sh", ""], cwd=copy, capture_output=True, text=True,
                            env=environment, timeout=900)
    assert result.returncode == 1, result.stderr[-2000:]  # the untouched stubs score 0, under 50 %
    assert result.stdout.count("not_implemented") >= len(NAMES)  # each report, printed in the log
    assert sorted(path.name for path in (copy / "reports").iterdir()) == [f"{name}.html" for name in NAMES]


def test_release_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("mine")
    result = subprocess.run([GRADE, "release", str(tmp_path / "old")], capture_output=True, text=True)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "old" / "notes.txt").read_text() == "mine"


def test_a_spec_whose_experiment_cannot_ship_is_refused(tmp_path):
    spec = load_assignment("assignment1", 0, ROOT)
    case = spec.tasks[0].cases[0].model_copy(update={"experiment": lambda target, *args: target(*args)})
    broken = spec.model_copy(update={"tasks": (spec.tasks[0].model_copy(update={"cases": (case,)}),)})
    with pytest.raises(TypeError, match="cannot ship in a handout"):
        handout_files.write(tmp_path / "public", handout_files.public_part(broken), {spec.tasks[0].name: ()})
    assert not (tmp_path / "public").exists()


def test_every_spec_comes_back_from_its_json_as_it_was():
    for name in NAMES:
        public = handout_files.public_part(load_assignment(name, 0, ROOT))
        text = json.dumps(codec.encode(public, f"_grader_checks_{name}"))
        back = codec.decode(json.loads(text), sys.modules.get(f"_grader_checks_{name}"))
        assert codec.encode(back, f"_grader_checks_{name}") == json.loads(text)
        assert [len(t.cases) for t in back.tasks] == [len(t.cases) for t in public.tasks]


# --- where students work: without the jail, and in a notebook -------------------------------------

@pytest.mark.parametrize("name", ["correct_naive", "no_bias"])
def test_the_process_fallback_gives_the_same_report_and_names_itself(handout, monkeypatch, tmp_path, name):
    submission = submission_path("assignment1", name, tmp_path)
    jailed = api.grade("assignment1", submission, root=handout)
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    fallback = api.grade("assignment1", submission, root=handout)
    assert _public_checks(fallback) == _public_checks(jailed)
    assert fallback.score == jailed.score
    assert fallback.environment.isolation.level == "process only (no sandbox)"
    assert jailed.environment.isolation.level.startswith("jail")


def test_on_a_system_like_windows_the_handout_falls_back_by_itself_and_reports_the_same(handout, tmp_path):
    """tests/windows_like takes away what Windows lacks (fork, O_NOFOLLOW, dir_fd, resource...) and
    makes the grader's text I/O without an explicit encoding an error; stdout is a pipe in a code
    page that cannot hold Russian, as on Windows."""
    submission = submission_path("assignment1", "no_bias", tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "windows_like"), "PYTHONWARNDEFAULTENCODING": "1",
                   "PYTHONIOENCODING": "cp1252"}
    environment.pop("GRADER_ISOLATION", None)
    done = subprocess.run([sys.executable, "-m", "grader", "assignment1", str(submission), "--format", "json",
                           "--lang", "ru"], cwd=handout, env=environment, capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    ours = Report.model_validate_json(done.stdout.decode("utf-8"))  # its messages are data
    assert ours.environment.language == "ru"
    said = subprocess.run([sys.executable, "-m", "grader", "assignment1", str(submission), "--task", "pad",
                           "--lang", "ru"], cwd=handout, env=environment, capture_output=True)
    assert said.returncode == 0 and re.search("[а-я]", said.stdout.decode("utf-8"))  # Russian, through a cp1252 pipe
    assert ours.environment.isolation.level == "process only (no sandbox)"
    jailed = api.grade("assignment1", submission, root=handout, language="ru")
    assert _public_checks(ours) == _public_checks(jailed) and ours.score == jailed.score < 100


def test_the_process_fallback_stops_a_loop_and_reports_a_crash(handout, monkeypatch, tmp_path):
    (tmp_path / "convolution.py").write_text(
        "import os\n\ndef pad(*args, **kwargs):\n    os._exit(3)\n\n\ndef conv1d(*args, **kwargs):\n"
        "    while True:\n        pass\n")
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    report = api.grade("assignment1", tmp_path, tasks=("pad", "conv1d"), timeout=2, root=handout)
    assert [(t.name, t.status) for t in report.tasks] == [("pad", "error"), ("conv1d", "timeout")]
    assert "exited with status 3" in str(report.tasks[0].problem)


def test_a_notebook_cell_grades_its_own_notebook_and_shows_the_report_inline(handout, monkeypatch, tmp_path):
    import nbformat

    from grader import notebook
    solution = (ROOT / "tests" / "submissions" / "assignment1" / "correct_naive" / "convolution.py").read_text()
    cells = [nbformat.v4.new_markdown_cell("# my work"), nbformat.v4.new_code_cell(solution),
             nbformat.v4.new_code_cell("from grader.notebook import grade\ngrade('assignment1')")]
    path = tmp_path / "work.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    shown = notebook.grade("assignment1", tasks=("conv1d",), course=handout)
    assert shown.report.score == 20 and shown.report.submission.endswith("work.ipynb")
    assert shown._repr_html_().startswith("<iframe srcdoc=") and "20 / 20" in repr(shown)
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(ValueError, match="pass its file name"):
        notebook.grade("assignment1", course=handout)
