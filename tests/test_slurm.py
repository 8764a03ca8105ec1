"""grader/deploy/slurm for real: a one-node Slurm cluster on localhost (munged, slurmctld, slurmd)
grades a small class as a job array of shards and a dependent merge, and the merged gradebook is
the one a single batch writes. Skipped, with the reason, where Slurm cannot be started (it needs
Debian's `slurm-wlm` and `munge`, and root, whose slurmd runs jobs as their owner)."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, class_of
from test_batch import _without_times
from test_wrong_submissions import BUGGY, CORRECT

GRADE = str(Path(sys.executable).with_name("grade"))
SLURM = ROOT / "grader" / "deploy" / "slurm"
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _configuration(folder: Path, munge_socket: Path) -> Path:
    """slurm.conf of one node, this machine, under `folder`: every state and log file there, ports
    no other Slurm uses, and no cgroups or accounting, which a test machine may not have."""
    host = socket.gethostname()
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.9)
    lines = ["ClusterName=gradertest", f"SlurmctldHost={host}(127.0.0.1)", "SlurmUser=root", "SlurmdUser=root",
             f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
             "AuthType=auth/munge", "CredType=cred/munge", f"AuthInfo=socket={munge_socket}",
             f"StateSaveLocation={folder / 'state'}", f"SlurmdSpoolDir={folder / 'spool'}",
             f"SlurmctldPidFile={folder / 'slurmctld.pid'}", f"SlurmdPidFile={folder / 'slurmd.pid'}",
             f"SlurmctldLogFile={folder / 'slurmctld.log'}", f"SlurmdLogFile={folder / 'slurmd.log'}",
             "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none",
             "AccountingStorageType=accounting_storage/none", "SwitchType=switch/none", "MpiDefault=none",
             "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory", "ReturnToService=2",
             "MinJobAge=3600",  # finished jobs stay in `scontrol show job` until the test reads how they ended
             f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={memory_mb} State=UNKNOWN",
             "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP"]
    for name in ("state", "spool"):
        (folder / name).mkdir()
    (folder / "slurm.conf").write_text("\n".join(lines) + "\n")
    return folder / "slurm.conf"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def slurm_cluster(folder: Path) -> Iterator[dict[str, str]]:
    """munged, slurmctld and slurmd in the foreground, each in a session of its own, stopped (with
    whatever they still run) on the way out; yields the environment the Slurm commands need."""
    missing = [name for name in DAEMONS if not shutil.which(name) and not Path("/usr/sbin", name).exists()]
    if missing:
        pytest.skip(f"Slurm cannot be started: {', '.join(missing)} not installed (apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        pytest.skip("Slurm cannot be started: slurmd runs jobs as their owner, which needs root")
    folder.mkdir()
    key, munge_socket = folder / "munge.key", folder / "munge.socket"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = _configuration(folder, munge_socket)
    environment = {**os.environ, "SLURM_CONF": str(conf)}
    sbin = lambda name: shutil.which(name) or f"/usr/sbin/{name}"  # noqa: E731
    commands = [[sbin("munged"), "--foreground", "--force", f"--key-file={key}", f"--socket={munge_socket}",
                 f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'munged.log'}",
                 f"--seed-file={folder / 'munged.seed'}"],
                [sbin("slurmctld"), "-D", "-i", "-f", str(conf)],
                [sbin("slurmd"), "-D", "-f", str(conf)]]
    daemons = []
    try:
        for command in commands:
            with open(folder / "daemons.err", "ab") as errors:
                daemons.append(subprocess.Popen(command, env=environment, start_new_session=True,
                                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors))
            if command[0].endswith("munged"):
                _wait_for(lambda: munge_socket.exists(), 30, "munged's socket", folder)
        _wait_for(lambda: _run(["sinfo", "-h", "-o", "%t"], environment).stdout.strip() == "idle", 60,
                  "the node to be idle", folder)
        yield environment
    finally:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _run(["scancel", "--user", "root"], environment)  # on this test's own cluster: its jobs only
        for daemon in reversed(daemons):
            _stop(daemon)


def _run(command: list[str], environment: dict[str, str], **more) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, **more)


def _wait_for(condition, seconds: float, what: str, folder: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
                             for log in sorted(folder.glob("*.log")) + sorted(folder.glob("*.err")))
            pytest.fail(f"waited {seconds} s for {what}\n{logs}")
        time.sleep(1)


def _state(job: str, environment: dict[str, str]) -> str:
    shown = _run(["scontrol", "show", "job", job], environment).stdout
    return " ".join(sorted({word.split("=", 1)[1] for word in shown.split() if word.startswith("JobState=")}))


def test_a_job_array_of_shards_and_its_merge_write_what_one_batch_writes(tmp_path):
    names = [name for a, name in CORRECT if a == "assignment1"] + [name for a, name, _ in BUGGY if a == "assignment1"]
    folder = class_of(tmp_path / "class", "assignment1", names[:6])
    whole = subprocess.run([GRADE, "batch", "assignment1", str(folder), "-o", str(tmp_path / "whole"), "-j", "1",
                            "--seed", "0", "--lang", "ru"], capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    started = time.monotonic()
    with slurm_cluster(tmp_path / "slurm") as environment:
        environment = {**environment, "GRADE": GRADE, "PYTHONPATH": str(ROOT)}
        submitted = _run(["bash", str(SLURM / "submit"), "3", str(tmp_path / "merged"), "assignment1", str(folder),
                          "--seed", "0", "--", "--lang", "ru"], environment, cwd=tmp_path)
        assert submitted.returncode == 0, submitted.stderr
        array, merge = re.findall(r"job (\d+)", submitted.stdout)
        _wait_for(lambda: _state(merge, environment) in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"), 900,
                  "the merge job", tmp_path / "slurm")
        outputs = "\n".join(f"--- {out.name}\n{out.read_text(errors='replace')[-3000:]}"
                            for out in sorted(tmp_path.glob("grade-*.out")))
        assert (_state(array, environment), _state(merge, environment)) == ("COMPLETED", "COMPLETED"), outputs
    print(f"\nSlurm: cluster started, 3 shards graded and merged in {time.monotonic() - started:.0f} s")
    assert sorted(os.listdir(tmp_path / "merged.shards")) == ["1", "2", "3"]
    assert _without_times(tmp_path / "merged" / "gradebook.csv") == _without_times(tmp_path / "whole" / "gradebook.csv")
    assert sorted(os.listdir(tmp_path / "merged" / "feedback")) == sorted(os.listdir(tmp_path / "whole" / "feedback"))
