"""Hostile code costs the task it sits in, and nothing else; it cannot read the reference."""
import pytest

from conftest import ROOT, mutant, summary

HOSTILE = {  # submission -> (task, statuses it may end in, diagnoses one of which must be named)
    "infinite_loop": ("conv2d", {"timeout"}, {"timeout"}),
    "memory_bomb": ("conv2d", {"timeout", "error", "failed"}, {"timeout", "memory"}),
    "sys_exit": ("conv1d", {"failed"}, {"exception"}),
    "os_exit": ("conv1d", {"error"}, {"crash"}),
    "segfault": ("conv2d", {"error"}, {"crash"}),
    "fork_bomb": ("conv1d", {"timeout", "failed", "error"}, {"timeout", "exception", "crash"}),
    "reads_reference": ("conv2d", {"failed", "partial", "forbidden"}, {"wrong_values", "exception", "forbidden_api"}),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_code_costs_only_its_task(grade, tmp_path, name):
    task, statuses, diagnoses = HOSTILE[name]
    report = grade("assignment1", mutant("assignment1", name, tmp_path), timeout=3)
    lost = summary(report)
    assert list(lost) == [task], lost
    status, found = lost[task]
    assert status in statuses
    assert found & diagnoses, found


def test_reference_is_unreadable_from_student_code(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text(
        "import pathlib\n"
        f"REFERENCE = pathlib.Path({str(ROOT / 'reference')!r})\n"
        "def conv1d(*args, **kwargs):\n"
        "    raise RuntimeError('saw ' + repr(sorted(p.name for p in REFERENCE.rglob('*'))))\n")
    report = grade("assignment1", probe, tasks=["conv1d"], timeout=5)
    messages = " ".join(c.message for c in report.tasks[0].checks)
    assert "saw []" in messages
    assert "convolution.py'" not in messages and "spec.py" not in messages


def test_no_network_in_the_child(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text(
        "import socket\n"
        "def conv1d(*args, **kwargs):\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=1)\n")
    report = grade("assignment1", probe, tasks=["conv1d"], timeout=5)
    check = report.tasks[0].checks[0]
    assert check.diagnosis == "exception"
    assert "Network is unreachable" in check.message


def test_slow_top_level_code_is_reported_as_an_import_timeout(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text("import time\ntime.sleep(60)  # a demo left at the top level\n")
    report = grade("assignment1", probe, tasks=["pad"], timeout=2)
    assert report.tasks[0].status == "timeout"
    assert "importing your file took over the 2 s time limit" in report.tasks[0].problem


def test_files_a_submission_writes_are_removed(grade, tmp_path):
    import tempfile
    from pathlib import Path

    probe = tmp_path / "convolution.py"
    probe.write_text("import os\ndef conv1d(*args, **kwargs):\n    open('left-behind.txt', 'w').write('x')\n"
                     "    return os.getcwd()\n")
    before = set(Path(tempfile.gettempdir()).glob("grade-*"))
    grade("assignment1", probe, tasks=["conv1d"])
    assert set(Path(tempfile.gettempdir()).glob("grade-*")) == before
