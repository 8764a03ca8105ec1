"""Reports: a round trip to JSON, nothing a submission writes can forge a line, and -o never follows a link."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.report import clean, render, student_view, write_report
from grader.results import CheckResult, Environment, Isolation, Report, TaskResult

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
    assert all(line.replace("\\|", "").count("|") == 5 for line in table)
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
