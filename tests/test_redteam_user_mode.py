"""Red team against GRADER_ISOLATION=user (Gradescope without the jail): a hostile submission
(tests/redteam/probe_user_mode.py, appended to a correct convolution.py, replacing `pad`) tries to
read the course and the secret seed, reach the root grader, write outside its folder, escape the
uid drop, outlive its task and pass data between tasks through /tmp. Each test asserts that one
attack FAILS: it passes while the defence holds."""
from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT, SUBMISSIONS
from test_gradescope import ASSIGNMENT, _open_python_view, _run_autograder, _tree

from grader.course import gradescope

PROBE = Path(__file__).parent / "redteam" / "probe_user_mode.py"
JAIL_UID_BASE = 200_000


def _jailed_processes() -> dict[int, int]:
    """pid -> (real uid, state) of every process of a student uid (the uids the mode hands out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid = int((entry / "status").read_text().split("\nUid:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            continue
        if uid >= JAIL_UID_BASE:
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "?"
            found[int(entry.name)] = (uid, state)
    return found


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """Runs the probe once as GRADER_ISOLATION=user; returns (what it said, what was left running, the tree)."""
    if os.getuid() != 0:
        pytest.skip("GRADER_ISOLATION=user needs root")
    folder = Path(tempfile.mkdtemp(prefix="redteam-"))
    folder.chmod(0o755)
    try:
        wrap = _open_python_view(folder / "python-view")
        if wrap is None:
            pytest.skip("no view of Python for another uid")
        bundle = tmp_path_factory.mktemp("bundle") / "autograder.zip"
        gradescope.build_bundle(ASSIGNMENT, bundle, root=ROOT, visibility="visible", timeout=20)
        suid = folder / "suid-id"  # a setuid-root binary that says its euid, as a careless image might hold
        shutil.copy("/usr/bin/id", suid)
        suid.chmod(0o4755)
        tree, mark = folder / "tree", uuid.uuid4().hex[:8]
        hostile = folder / "hostile"
        hostile.mkdir()
        site = next(p for p in sys.path if p.endswith("site-packages"))
        code = (SUBMISSIONS / ASSIGNMENT / "correct_naive" / "convolution.py").read_text(encoding="utf-8")
        attack = PROBE.read_text(encoding="utf-8")
        # The probe's reports go where the grader's cleanup of /tmp, /var/tmp and /dev/shm does not look:
        # a folder of root's that others may write in but not list.
        reports_folder = Path(f"/run/redteam-{mark}")
        reports_folder.mkdir(mode=0o733)
        reports_folder.chmod(0o733)
        for name, value in (("COURSE", tree / "source"), ("TREE", tree), ("VENV_SITE", site), ("MARK", mark),
                            ("GRADER_DIR", ROOT / "grader"), ("SUID", suid), ("REPORTS", reports_folder)):
            attack = re.sub(rf"\b{name}\b", repr(str(value)), attack)
        (hostile / "convolution.py").write_text(code + attack, encoding="utf-8")
        victim = Path(f"/dev/shm/redteam-victim-{mark}")  # root's, which the student cannot remove
        victim.write_text("root's")
        victim.chmod(0o600)
        results = _run_autograder(_tree(bundle, tree, hostile), isolation="user", wrap=wrap)
        time.sleep(1.0)
        reports = {path.name.rsplit("-", 1)[1]: path.read_text() for path in reports_folder.glob("report-*")}
        ours = {int(re.search(r"UID=(\d+)", text).group(1)) for text in reports.values()}  # only this run's uids:
        left = {pid: seen for pid, seen in _jailed_processes().items() if seen[0] in ours}  # other sessions use the range too
        left_files = [str(path) for top in ("/tmp", "/dev/shm", "/var/tmp") for path in Path(top).glob(f"redteam-*{mark}*")
                      if path.is_file() and path.stat().st_uid >= JAIL_UID_BASE]
        alive = list(Path("/tmp").glob(f"redteam-alive-{mark}-*"))
        time.sleep(1.0)
        alive += list(Path("/tmp").glob(f"redteam-hop-{mark}-*"))
        fresh = [p for p in alive if time.time() - p.stat().st_mtime < 1.5]
        left = {**left, **{pid: seen for pid, seen in _jailed_processes().items() if seen[0] in ours}}
        print("\nPUBLIC:", results["tests"][0]["output"], "\nREPORTS:", reports, "\nLEFT:", left, alive, fresh)
        assert reports, results
        yield {"said": " | ".join(reports.values()), "public": results["tests"][0]["output"], "reports": reports, "results": results, "left": left, "fresh": fresh,
               "tree": tree, "mark": mark,
               "victim_survived": victim.exists(),
               "left_files": left_files}
        victim.unlink(missing_ok=True)
        for _ in range(200):  # the probe's own leftovers, by pid, until none is left (the hopper changes pid)
            mine = [pid for pid, seen in _jailed_processes().items() if seen[0] in ours]
            if not mine:
                break
            for pid in mine:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)
    finally:
        shutil.rmtree(Path(f"/run/redteam-{mark}"), ignore_errors=True)
        for path in [*Path("/tmp").glob("redteam-*"), *Path("/dev/shm").glob("redteam-*")]:
            if path.is_file():
                path.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def _field(said: str, key: str) -> str:
    match = re.search(rf"{re.escape(key)}=(.*?)(?: \| |$)", said, re.S)
    assert match, f"{key} missing from the probe's message: {said}"
    return match.group(1)


@pytest.mark.slow
def test_the_probe_ran_as_a_uid_of_its_own(probe):
    assert "PROBE " in probe["said"], probe["said"]
    assert int(_field(probe["said"], "UID")) >= JAIL_UID_BASE


@pytest.mark.slow
def test_the_course_and_the_secret_seed_stay_out_of_reach(probe):
    said, seed = probe["said"], "29112026"
    assert "READ " + str(probe["tree"] / "source") not in said, said
    assert seed not in said and "secret_seed" not in _field(said, "MEMHITS") and "_flipped" not in said, said


@pytest.mark.slow
def test_the_root_grader_cannot_be_read_or_signalled(probe):
    said = probe["said"]
    assert "/environ=b" not in said and "/mem=b" not in said and "/fd/0=b" not in said, said
    assert "PARENTFDS=" not in said and "SIGNAL=" not in said, said


@pytest.mark.slow
def test_nothing_outside_its_folder_is_writable_but_the_shared_tmp(probe):
    writable = ast.literal_eval(_field(probe["said"], "WRITABLE"))
    assert set(writable) <= {"/tmp", "/dev/shm", "/var/tmp"}, writable


@pytest.mark.slow
def test_a_setuid_root_binary_gives_no_root(probe):
    said = _field(probe["said"], "SUID_ID")
    assert "euid=0" not in said and not said.startswith("uid=0"), said


@pytest.mark.slow
def test_no_process_outlives_its_task(probe):
    running = {pid: seen for pid, seen in probe["left"].items() if seen[1] != "Z"}  # zombies hold nothing
    assert not running and not probe["fresh"], (probe["left"], probe["fresh"])


@pytest.mark.slow
def test_no_hidden_input_reaches_a_public_message(probe):
    """Public tasks running side by side may see each other's files in /tmp (all public); no hidden
    task runs before every public one has ended and its files are gone."""
    assert "HIDDEN " not in probe["public"], probe["public"]


@pytest.mark.slow
def test_the_root_resource_tracker_unlinks_nothing_for_the_student(probe):
    """Every spawned child inherits the write end of the root grader's multiprocessing resource
    tracker; what is registered there the tracker unlinks, as root, when the grader exits."""
    assert probe["victim_survived"], probe["reports"]


@pytest.mark.slow
def test_nothing_a_task_wrote_outlives_it(probe):
    """Files a student uid leaves in the shared /tmp, /var/tmp or /dev/shm (RAM) stay after its
    processes are killed: a channel to later tasks, and memory or disk that is never given back."""
    assert not probe["left_files"], probe["left_files"]


@pytest.mark.slow
def test_a_tasks_memory_is_capped_apart_from_the_grader(probe):
    """RLIMIT_AS (4 GiB) is per process and RLIMIT_NPROC allows 64 of them: without a cgroup of
    its own a task may take 256 GiB of the container the root grader runs in."""
    ours = Path("/proc/self/cgroup").read_text().strip()
    theirs = _field(probe["said"], "CGROUP")
    assert theirs != ours, theirs
