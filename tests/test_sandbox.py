"""The jail, step by step: what a jailed child is, and that a jail that cannot be built stops grading."""
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from grader import sandbox
from grader.sandbox import jail

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="the jail's root path needs root")


def jailed(work, **options):
    """Run `work()` in a jailed child; its JSON-able result, or the jail's error."""
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as submission:
        os.chmod(submission, 0o755)
        settings = {"visible": sandbox.python_paths(), "submission": Path(submission), "scratch": Path(scratch),
                    **options}
        child = lambda: sandbox.spawn(lambda send: send(json.dumps(work()).encode()), sandbox.Jail(**settings))  # noqa: E731
        [outcome] = sandbox.run_all([child], [30], 1, [1])
    return json.loads(outcome.frames[0]) if outcome.frames else outcome.jail_error


def describe_self() -> dict:
    status = dict(line.split(":\t", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {"uid": os.getuid(), "pid": os.getpid(), "processes": sorted(p for p in os.listdir("/proc") if p.isdigit()),
            "root": sorted(os.listdir("/")), "cwd": os.getcwd(), "environment": sorted(os.environ),
            "capabilities": [status[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
            "no_new_privs": status["NoNewPrivs"], "seccomp": status["Seccomp"],
            "cmdline": Path("/proc/self/cmdline").read_bytes().strip(b"\0").decode()}


def test_a_jailed_child_is_unprivileged_alone_and_sees_little(monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2")
    seen = jailed(describe_self)
    assert seen["uid"] >= jail.JAIL_UID_BASE
    assert seen["pid"] == 1 and seen["processes"] == ["1"]
    assert set(seen["capabilities"]) == {"0000000000000000"}
    assert seen["no_new_privs"] == "1" and seen["seccomp"] == "2"
    assert seen["cwd"] == "/tmp"
    assert "submission" in seen["root"] and not {"home", "srv", "opt", "mnt"} & set(seen["root"])
    assert "GRADER_TEST_SECRET" not in seen["environment"] and set(seen["environment"]) <= {
        *jail.ALLOWED_ENVIRONMENT, "HOME", "TMPDIR", "PATH"}
    assert seen["cmdline"] == ""


def test_the_only_writable_place_is_a_capped_tmp():
    def try_writes():
        results = {}
        for path in ("/etc/grader-probe", "/submission/probe.py", "/usr/probe", "/probe"):
            try:
                open(path, "w").close()
                results[path] = "written"
            except OSError as error:
                results[path] = error.strerror
        try:
            with open("/tmp/big", "wb") as out:
                for _ in range(100):
                    out.write(b"\0" * 2**20)
            results["/tmp/big"] = "100 MiB written"
        except OSError as error:
            results["/tmp/big"] = error.strerror
        return results
    results = jailed(try_writes, scratch_bytes=8 * 2**20)
    assert "written" not in results.values(), results
    assert results["/tmp/big"] == "No space left on device"


def test_an_unreadable_python_folder_stops_the_jail_with_what_to_change():
    private = Path(tempfile.mkdtemp())  # as root, 0700: the jail's uid cannot enter it
    try:
        error = jailed(lambda: "ran", visible=(*sandbox.python_paths(), private))
    finally:
        private.rmdir()
    assert error is not None and "cannot read" in error and f"chmod -R o+rX {private}" in error


def test_a_jail_that_cannot_be_built_is_a_grader_error(tmp_path):
    error = jailed(lambda: "ran", scratch=tmp_path / "missing")
    assert error and "No such file or directory" in error


def test_the_cuda_jail_shows_sys_and_device_folders(tmp_path):
    """No GPU here: the CUDA jail's settings with a stand-in folder for /dev/nvidia-caps."""
    caps = tmp_path / "nvidia-caps"
    caps.mkdir()
    (caps / "nvidia-cap1").write_text("")
    os.chmod(tmp_path, 0o755)
    seen = jailed(lambda: {"sys": sorted(os.listdir("/sys")), "caps": os.listdir(str(caps))},
                  memory_bytes=None, show_sys=True, devices=(caps,))
    assert "devices" in seen["sys"] and seen["caps"] == ["nvidia-cap1"]


def test_folders_made_in_tmp_for_a_venv_there_are_read_only():
    """A CI checkout keeps its venv under /tmp: the folders the jail makes on the way to it, inside
    the student's writable /tmp, must not take the student's files."""
    checkout = Path(tempfile.mkdtemp(dir="/tmp"))
    (checkout / "venv").mkdir()
    os.chmod(checkout, 0o755)

    def write_there():
        results = {}
        for path in (checkout / "planted.txt", checkout / "venv" / "planted.txt", Path("/tmp/mine.txt")):
            try:
                path.write_text("x")
                results[str(path)] = "written"
            except OSError as error:
                results[str(path)] = error.strerror
        return results
    try:
        results = jailed(write_there, visible=(*sandbox.python_paths(), checkout / "venv"))
    finally:
        shutil.rmtree(checkout)
    assert results[str(checkout / "planted.txt")] == "Read-only file system"
    assert results[str(checkout / "venv" / "planted.txt")] == "Read-only file system"
    assert results["/tmp/mine.txt"] == "written"


def test_children_forked_ahead_whose_jail_fails_each_end_with_its_error(tmp_path):
    """Children build their jails before they are started: one whose jail fails has ended by the
    time its turn comes (the first child takes half a second), and the keeper reports its error
    rather than stumbling on its closed start pipe."""
    (tmp_path / "scratch").mkdir()
    good = {"visible": sandbox.python_paths(), "submission": tmp_path, "scratch": tmp_path / "scratch"}
    bad = {**good, "scratch": tmp_path / "missing"}
    spawners = [lambda: sandbox.spawn(lambda send: (time.sleep(0.5), send(b"ran")), sandbox.Jail(**good))]
    spawners += [lambda: sandbox.spawn(lambda send: send(b"ran"), sandbox.Jail(**bad)) for _ in range(3)]
    outcomes = sandbox.run_all(spawners, [30] * 4, 1, [1] * 4)
    assert outcomes[0].frames == (b"ran",) and outcomes[0].jail_error is None
    assert all(o.frames == () and o.jail_error and "No such file or directory" in o.jail_error for o in outcomes[1:])


def test_each_child_has_cgroups_of_its_own_name_and_they_are_gone_after(tmp_path):
    """Not named by pid: pids come round again, and a child in an earlier one's groups would count
    its CPU time and carry its memory charges."""
    from grader.sandbox import cgroup

    (tmp_path / "scratch").mkdir()
    settings = {"visible": sandbox.python_paths(), "submission": tmp_path, "scratch": tmp_path / "scratch"}
    children = []

    def spawner():
        children.append(sandbox.spawn(lambda send: send(b"ran"), sandbox.Jail(**settings)))
        return children[-1]
    outcomes = sandbox.run_all([spawner, spawner], [30, 30], 1, [1, 1])
    assert [o.frames for o in outcomes] == [(b"ran",), (b"ran",)]
    names = [child.group for child in children]
    assert len(set(names)) == 2 and all(str(child.pid) not in name.split("-")[-1] for child, name in zip(children, names))
    if cgroup.available():
        assert not any((folder / name).exists() for folder in cgroup._own_folders().values() for name in names)
