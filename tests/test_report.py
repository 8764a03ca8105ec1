"""Reports: a round trip to JSON, nothing a submission writes can forge a line, and -o never follows a link."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.reports.render import clean, render, student_view, write_report
from grader.results import CheckResult, Environment, Isolation, Report, ReviewFlag, TaskResult

ROOT = Path(__file__).resolve().parent.parent
FORGED = "\x1b[2J\nconv2d  passed  58/58  35 / 35"


def _report(*checks, submission="s", problem=None, name="t"):
    return Report(assignment="a1", submission=submission, course="course", duration_s=1.0,
                  tasks=(TaskResult(name=name, max_score=10, checks=checks, problem=problem),),
                  environment=Environment(python="3", torch="2", devices=("cpu",), grader="0",
                                          isolation=Isolation(level="-", measures=())))


def test_report_round_trips_to_json_and_hides_hidden_details():
    checks = (CheckResult(name="a", device="cpu", passed=True),
              CheckResult(name="b", device="cpu", passed=False, message="secret config", diagnosis="x", hidden=True))
    report = _report(*checks)
    assert report.score == 5 and report.tasks[0].status == "partial"
    back = Report.model_validate_json(render(report, "json"))
    assert back == report
    tampered = render(report, "json").replace('"score": 5.0', '"score": 10.0')
    assert Report.model_validate_json(tampered).score == 5
    shown = render(student_view(report), "text")
    assert "secret config" not in shown and "hidden check" in shown


def _forged_report():
    return _report(CheckResult(name="case\x1b[31m 1", device="cpu", passed=False, message=FORGED, diagnosis="x"),
                   CheckResult(name="case 2", device="cuda\n", passed=False, message="a\u202eb\rc\x85d"),
                   submission="work\n  conv2d  passed\x1b]0;title\x07", problem="stopped\x00\n# Total: 35 / 35")


def test_a_message_cannot_forge_a_task_row_or_send_escapes():
    for colour in (False, True):
        shown = render(_forged_report(), "text", colour=colour)
        rows = [line for line in shown.splitlines() if line.startswith("  ") and not line.startswith("      ")]
        assert [row.split()[0] for row in rows] == ["task", "t", "Total:"]
        assert not any(line.lstrip().startswith(("conv2d", "# Total")) for line in shown.splitlines())
        assert "\x1b[2J" not in shown and "\x1b]" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert ("\x1b" in shown) == colour  # only the renderer's own colours
    assert "\x1b" not in render(_forged_report(), "markdown") + render(_forged_report(), "html")


def test_markdown_keeps_the_table_and_the_list_intact():
    report = _report(CheckResult(name="c", device="cpu", passed=False, message="x | y | z"),
                     CheckResult(name="d", device="-", passed=False, message="m", diagnosis="q"),
                     problem="# heading\n- item", name="t|u")
    shown = render(report, "markdown")
    table = [line for line in shown.splitlines() if line.startswith("|")]
    assert all(line.replace("\\|", "").count("|") == 6 for line in table)  # five columns
    assert "| t\\|u |" in shown
    assert not any(line.startswith(("# h", "- item", "## h")) for line in shown.splitlines())
    assert "- \\# heading - item" in shown and "x \\| y \\| z" in shown


def test_clean_makes_one_line():
    assert clean("a\r\nb\tc\x00d\x1b[0m\u2028e") == "a b cd[0m e"


def test_write_report_replaces_a_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "report.txt"
    out.symlink_to(victim)
    write_report(out, "the report\n")
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and out.read_text() == "the report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt", "victim.txt"]
    for bad in (tmp_path, tmp_path / "no" / "such.txt"):
        with pytest.raises(OSError):
            write_report(bad, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt", "victim.txt"]  # no temporary left


@pytest.mark.slow
def test_the_cli_writes_through_no_link(tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text("keep me")
    out = tmp_path / "report.json"
    out.symlink_to(victim)
    result = subprocess.run([sys.executable, "-m", "grader.cli", "assignment1", "--task", "filters", "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and '"assignment": "assignment1"' in out.read_text()
    directory = subprocess.run([sys.executable, "-m", "grader.cli", "assignment1", "--task", "filters",
                                "-o", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert directory.returncode == 2 and len(directory.stderr.strip().splitlines()) == 1
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


# The student-facing pages: HTML structure, side-by-side values, --verbose and 80 columns.

import json
import re

import markupsafe
import torch

from conftest import mutant
from grader import api
from grader.engine import compare, grading
from grader.engine.wire import TensorValue
from grader.engine.frames import CaseReply, ReferenceCase


@pytest.fixture(scope="module")
def wrong_reports(tmp_path_factory):
    """Reports of two mutants with many failures, graded in-process."""
    folder = tmp_path_factory.mktemp("mutants")
    return [student_view(api.grade("assignment1", mutant("assignment1", name, folder), root=ROOT))
            for name in ("no_bias", "flipped_kernel")]


def _kinds(task):
    """Failing checks by (device, diagnosis), as the page groups them."""
    kinds = {}
    for check in task.checks:
        if not check.passed:
            kinds.setdefault((check.device, check.diagnosis), []).append(check)
    return list(kinds.values())


def test_html_collapses_each_kind_of_failure_and_lists_every_check(wrong_reports):
    for report in wrong_reports:
        page = render(report, "html")
        expected = [len(checks) - 1 for task in report.tasks for checks in _kinds(task) if len(checks) > 1]
        blocks = re.findall(r"<details>(.*?)</details>", page, re.S)
        assert expected and len(blocks) == len(expected)
        for more, block in zip(expected, blocks):
            summary = re.search(r"<summary>and (\d+) more checks? like this</summary>", block)
            assert summary and int(summary.group(1)) == more
            assert block.count("<li>") == more
        for task in report.tasks:
            for check in task.checks:
                if not check.passed:
                    assert str(markupsafe.escape(check.name)) in page
        footer = page[page.index("<footer>"):]
        for field in (report.seed, report.sha256, report.graded_at, report.course, report.environment.grader,
                      report.environment.isolation.level):
            assert str(field) and str(field) in footer
        assert "<script" not in page and "<link" not in page and "http" not in page  # self-contained
        assert page.count("<style>") == 1


def _small_wrong_check():
    """The lecture's conv2d example judged with one wrong entry, as `judge_task` would record it."""
    task = next(t for t in api.open_assignment("assignment1", 0, ROOT).tasks if t.name == "conv2d")
    case = task.cases[0]  # expected [[[[1, 2], [5, 3]]]]
    want = torch.tensor([[[[1.0, 2.0], [5.0, 3.0]]]], dtype=torch.float64)
    got = torch.tensor([[[[1.0, 2.0], [5.0, 4.0]]]], dtype=torch.float64)
    value = lambda data: TensorValue(data, "float32", "cpu", True, False, False)  # noqa: E731
    verdict = compare.judge(task, case, ReferenceCase(expected=value(want)), CaseReply(0, value(got)), "cpu")
    assert verdict.diagnosis == "wrong_values"
    assert str(verdict.message) == "expected [[[[1, 2], [5, 3]]]], got [[[[1, 2], [5, 4]]]]"  # the message is unchanged
    return CheckResult(name="lecture <example>", device="cpu", passed=False, message=str(verdict.message),
                       diagnosis=verdict.diagnosis, **verdict.values)


def test_a_small_wrong_tensor_is_shown_side_by_side_with_the_wrong_entries_marked():
    check = _small_wrong_check()
    assert (check.expected, check.got, check.wrong, check.values_at) == \
        ([[1.0, 2.0], [5.0, 3.0]], [[1.0, 2.0], [5.0, 4.0]], [[False, False], [False, True]], "")
    page = render(_report(check), "html")
    tables = re.findall(r'<figure class="(expected|got)">.*?</figure>', page, re.S)
    assert tables == ["expected", "got"]
    for kind, cell in (("expected", "3"), ("got", "4")):
        figure = re.search(rf'<figure class="{kind}">(.*?)</figure>', page, re.S).group(1)
        assert re.findall(r'<td class="wrong">([^<]*)</td>', figure) == [cell]
        assert figure.count("<td") == 4
    assert "1 of 4 differ" in page and "lecture &lt;example&gt;" in page
    back = Report.model_validate_json(render(_report(check), "json"))
    assert back.tasks[0].checks[0] == check
    hidden = check.model_copy(update={"hidden": True})
    shown = student_view(_report(hidden)).tasks[0].checks[0]
    assert shown.expected is shown.got is shown.wrong is None and 'class="matrix"' not in render(_report(shown), "html")


def test_side_by_side_takes_the_slice_of_the_first_wrong_entry_and_skips_big_tensors():
    want = torch.arange(2 * 3 * 4 * 5, dtype=torch.float64).reshape(2, 3, 4, 5) / 3
    got = want.clone()
    got[1, 2, 3, 4] = float("nan")
    got[1, 2, 0, 1] = float("-inf")
    values = compare.side_by_side(want, got, compare._wrong(want, got, 1e-9))
    assert values["values_at"] == "[1, 2, :, :]" and len(values["expected"]) == 4 and len(values["got"][0]) == 5
    assert values["got"][3][4] == "nan" and values["got"][0][1] == "-inf" and values["expected"][0][0] == 33.3333
    assert sum(map(sum, values["wrong"])) == 2
    big = torch.zeros(1, 1, 9, 9, dtype=torch.float64)
    assert compare.side_by_side(big, big + 1, big == 0) == {}


def test_html_escapes_what_a_student_wrote():
    check = CheckResult(name="c<i>", device="cpu", passed=False, diagnosis="exception",
                        message="conv2d(x): raised ValueError: <script>alert('x')</script> & [<b>1</b>]")
    report = _report(check, submission="<img src=x onerror=alert(1)>", problem="<script>p</script>",
                     name="t<u>")
    report = report.model_copy(update={"review": (ReviewFlag(what="<b>w</b>", where="f.py:1",
                                                             line="import gc  # <script>"),)})
    page = render(report, "html")
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;p&lt;/script&gt;" in page


def test_verbose_lists_every_failing_check(wrong_reports):
    for report in wrong_reports:
        short, verbose = render(report, "text"), render(report, "text", verbose=True)
        items = lambda shown: [line for line in shown.splitlines() if line.startswith("      - ")]  # noqa: E731
        failing = sum(not c.passed for task in report.tasks for c in task.checks)
        assert len(items(verbose)) == failing > len(items(short))
        assert "more checks like this" in short and "more checks like this" not in verbose


def _cli(*args):
    result = subprocess.run([sys.executable, "-m", "grader.cli", *args, "--task", "conv2d"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_text_is_80_columns_wide_when_not_a_terminal(tmp_path):
    folder = mutant("assignment1", "flipped_kernel", tmp_path)
    short, verbose = _cli("assignment1", str(folder)), _cli("assignment1", str(folder), "--verbose")
    for shown in (short, verbose):
        lines = shown.splitlines()
        assert max(map(len, lines)) <= 80
        assert any(line.startswith("        ") and line.strip() for line in lines)  # the hanging indent
    assert len(verbose.splitlines()) > len(short.splitlines())
    written = tmp_path / "report.txt"
    _cli("assignment1", str(folder), "-o", str(written))
    same = lambda shown: [line for line in shown.splitlines() if "Total:" not in line]  # noqa: E731 (time differs)
    assert same(written.read_text()) == same(short)
    json.loads(_cli("assignment1", str(folder), "--format", "json"))
    assert max(map(len, _cli("assignment1", str(folder), "--format", "markdown").splitlines())) > 80


def test_a_notebook_shows_the_report_framed_and_names_its_notebook_from_jupyter(monkeypatch, tmp_path):
    from grader import notebook

    spec = api.open_assignment("assignment1", 0, ROOT)
    inline = notebook.InlineReport(grading.ungraded(spec, "a.ipynb", ROOT, 0, "no <convolution.py>"))
    assert inline._repr_html_().startswith('<iframe srcdoc="') and "<convolution.py>" not in inline._repr_html_()
    assert "no <convolution.py>" in repr(inline)
    monkeypatch.setenv("JPY_SESSION_NAME", "work/assignment1.ipynb")
    assert notebook._this_notebook(tmp_path) == Path("work/assignment1.ipynb")
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(ValueError, match="cannot tell which notebook this is"):
        notebook.grade("assignment1", course=ROOT)
