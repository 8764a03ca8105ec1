"""The command contract: exit codes, one-line usage errors, formats, notebooks and zips."""
import json
import re
import shlex
import subprocess
import sys
import zipfile

import nbformat
import pytest

from conftest import ROOT, SUBMISSIONS, mutant

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command


def grade_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("args,fragment", [
    (["assignment9"], "unknown assignment 'assignment9'"),
    (["assignment1", "--task", "conv3d"], "unknown task 'conv3d'"),
    (["assignment1", "no/such/folder"], "no such file or folder"),
    (["assignment1", "--format", "yaml"], "Invalid value for '--format'"),
    (["assignment1", "--task", "filters", "-o", "/no/such/dir/report.json"], "cannot write the report"),
])
def test_usage_errors_exit_2_with_one_line(args, fragment):
    result = grade_cli(*args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["assignment9"], ["assignment1", "--task", "conv3d"], ["assignment1", "no/such/folder"],
                                  ["assignment1", "--task", "filters", "-o", "/no/such/dir/report.json"]])
def test_usage_errors_are_in_the_readers_language(args):
    """The course's language is Russian: --lang ru (or the course's default) gives a Russian line,
    whose names and paths stay as they are."""
    result = grade_cli(*args, "--lang", "ru")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    line = result.stderr.strip()
    assert re.search("[\u0400-\u04ff]", line), line
    assert all(word in line for word in args if "/" in word or word.startswith(("assignment9", "conv3d"))), line


def test_stubs_exit_0_and_report_not_implemented():
    result = grade_cli("assignment1", "--task", "conv2d")
    assert result.returncode == 0
    assert "not_implemented" in result.stdout
    assert "Total: 0 / 35" in result.stdout


def test_a_reader_that_stops_reading_is_no_error():
    command = f"{shlex.quote(sys.executable)} -m grader.cli list | head -1"
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.startswith("assignment1") and result.stderr == ""


def test_fail_under_exits_1():
    assert grade_cli("assignment1", "--task", "filters", "--fail-under", "50").returncode == 1
    assert grade_cli("assignment1", str(ROOT / "reference" / "assignment1"), "--task", "filters",
                     "--fail-under", "100").returncode == 0


def test_json_report_has_the_contract_fields(tmp_path):
    out = tmp_path / "report.json"  # the format comes from the extension
    result = grade_cli("assignment1", str(mutant("assignment1", "no_bias", tmp_path)), "--task", "conv2d",
                       "-o", str(out))
    assert result.returncode == 0
    report = json.loads(out.read_text())
    assert {"assignment", "submission", "score", "max_score", "tasks", "environment", "duration_s"} <= set(report)
    task = report["tasks"][0]
    assert {"name", "score", "max_score", "status", "checks"} <= set(task)
    assert {"name", "device", "passed", "message", "diagnosis"} <= set(task["checks"][0])
    assert task["status"] == "partial" and 0 < task["score"] < 35
    assert "bias_missing" in {c["diagnosis"] for c in task["checks"]}


@pytest.mark.parametrize("fmt,marker", [("markdown", "| conv2d |"), ("html", "<table")])
def test_other_formats(fmt, marker):
    result = grade_cli("assignment1", "--task", "conv2d", "--format", fmt)
    assert result.returncode == 0 and marker in result.stdout


def test_notebook_and_zip_submissions(tmp_path):
    source = (SUBMISSIONS / "assignment2" / "correct_alt" / "shapes.py").read_text()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# my work"),
                                               nbformat.v4.new_code_cell("%matplotlib inline\n" + source)])
    path = tmp_path / "work.ipynb"
    nbformat.write(notebook, str(path))
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("student/shapes.py", source)
    for submission in (path, archive):
        result = grade_cli("assignment2", str(submission), "--task", "same_padding", "--format", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["score"] == 10


def test_list_shows_every_task_with_points():
    result = grade_cli("list")
    assert result.returncode == 0
    for name in ("pad", "conv1d", "conv2d", "convolve2d", "filters", "conv_output_size", "trace_shapes",
                 "parameter_table", "max_pool2d", "max_pool2d_backward", "spatial_pyramid_pool2d", "unfold",
                 "conv2d_matrix", "conv2d_im2col", "conv_transpose1d", "conv_transpose2d_matrix", "overlap_count",
                 "depthwise_separable", "basic_block", "bottleneck", "se_layer", "inception", "lenet5",
                 "vgg_layers", "dropout2d", "batchnorm2d"):
        assert f"  {name} " in result.stdout


def test_check_reference_exits_0():
    result = grade_cli("check-reference", "assignment2")
    assert result.returncode == 0, result.stdout + result.stderr


def test_errors_in_a_notebook_point_at_the_cell(tmp_path):
    source = (SUBMISSIONS / "assignment2" / "correct_alt" / "shapes.py").read_text()
    broken = source.replace("def same_padding(", "def same_padding(kernel_size, dilation=1):\n"
                                                  "    return [][3]\n\n\ndef _unused(", 1)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%load_ext autoreload\nimport math"),
                                               nbformat.v4.new_code_cell(broken)])
    path = tmp_path / "work.ipynb"
    nbformat.write(notebook, str(path))
    result = grade_cli("assignment2", str(path), "--task", "same_padding")
    line = 1 + broken.splitlines().index("    return [][3]")
    assert f"work.ipynb code cell 2, line {line}" in result.stdout


def test_without_the_sandbox_printing_stays_out_of_the_report_and_every_format_says_so(tmp_path):
    reference = (ROOT / "reference" / "assignment1" / "convolution.py").read_text()
    (tmp_path / "Convolution.py").write_text("print('PRINTED-AT-IMPORT')\n" + reference)
    import os
    environment = {**os.environ, "GRADER_ISOLATION": "process", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "grader", "assignment1", str(tmp_path), "--task", "pad", "--format",
                           "json", "--lang", "en"], capture_output=True, text=True, cwd=ROOT, env=environment,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # nothing the student printed in it
    assert "PRINTED-AT-IMPORT" not in done.stdout + done.stderr
    from grader.reports.render import render, said
    from grader.results import Report
    parsed = Report.model_validate_json(done.stdout)  # its messages are data, said in either language
    assert [said(note, "en") for note in parsed.notes] == [
        "Convolution.py is graded as convolution.py: name it exactly so",
        "graded without a sandbox: your code ran as an ordinary process"]
    assert said(parsed.notes[1], "ru") != said(parsed.notes[1], "en")
    for fmt in ("text", "markdown", "html"):
        assert "graded without a sandbox" in render(parsed, fmt), fmt


def test_errors_and_forbidden_calls_in_a_helper_module_point_at_the_helper_s_line(tmp_path):
    from grader import api
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "helper.py").write_text(
        "import torch.nn.functional as F\n\n\ndef broken(x):\n    raise ValueError('HELPER-FAILED')\n\n\n"
        "def cheat(x, w):\n    return F.conv1d(x, w)\n")
    (tmp_path / "convolution.py").write_text(
        "from tools.helper import broken, cheat\n\n\ndef pad(input, padding, value=0.0):\n    return broken(input)\n\n\n"
        "def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):\n"
        "    return cheat(input, weight)\n")
    report = api.grade("assignment1", tmp_path, tasks=["pad", "conv1d"], root=ROOT, device="cpu", language="en")
    pad, conv1d = report.tasks
    assert any("tools/helper.py:5 in broken" in str(check.message) for check in pad.checks), pad.checks[0].message
    assert "tools/helper.py:9" in (str(conv1d.problem) or ""), str(conv1d.problem)
    assert any(str(check.message) == "called forbidden torch.nn.functional.conv1d at tools/helper.py:9"
               for check in conv1d.checks), conv1d.checks[0].message


def test_a_forbidden_call_in_a_notebook_points_at_the_cell(tmp_path):
    from grader import api
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# conv1d"), nbformat.v4.new_code_cell("import torch.nn.functional as F"),
        nbformat.v4.new_code_cell("def pad(input, padding, value=0.0):\n    raise NotImplementedError\n\n\n"
                                  "def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):\n"
                                  "    found = getattr(F, 'conv' + '1d')  # a name the scanner cannot read\n"
                                  "    return found(input, weight, bias, stride, padding, dilation, groups)\n")])
    nbformat.write(notebook, str(tmp_path / "work.ipynb"))
    report = api.grade("assignment1", tmp_path / "work.ipynb", tasks=["conv1d"], root=ROOT, device="cpu", language="en")
    (conv1d,) = report.tasks
    assert conv1d.status == "forbidden" and conv1d.score == 0
    assert str(conv1d.problem) == "called forbidden torch.nn.functional.conv1d at work.ipynb code cell 2, line 7"
