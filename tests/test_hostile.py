"""Hostile submissions: every attack fails, costs only the task it sits in, and changes nothing
outside the child's scratch folder.

One attack is one small submission in tests/hostile/ (a header comment says what it attacks
and what must happen); the ATTACKS table drives them. An attack that works says so: its
exception message starts with PWNED and names what it got, so that the report carries the
evidence. Placeholders such as __COURSE_ROOT__ are filled in when the file is written out.

Against the grader before the jail (commit 0d3dd95) 40 of these tests fail: each can fail.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, SUBMISSIONS, english, mutant, summary
from grader import api
from grader.reports import render as report_module
from grader.results import Report

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

HOSTILE = ROOT / "tests" / "hostile"
VENV_BIN = Path(sys.executable).parent
SITE_PACKAGES = [Path(p) for p in __import__("site").getsitepackages()]
SECRET = "hunter2"  # CI_SECRET_TOKEN in the grader's environment
COMMAND_SECRET = "cmdline-s3cr3t"  # a word in the grader's command line (the report path)
CLASSMATE_CANARY = "CLASSMATE-CANARY"
CANARY_GLOBS = [(ROOT, "_hostile_canary_*"), (ROOT / "grader", "_hostile_canary_*"),
                (ROOT / "tests", "_hostile_canary_*"), (ROOT / "reference", "_hostile_canary_*"),
                (ROOT / ".git" / "hooks", "_hostile_canary_*"),
                *[(p, "zz_hostile_canary_*.pth") for p in SITE_PACKAGES],
                (Path("/dev/shm"), "cnn-grader-hostile-*"), (Path("/tmp"), "cnn-grader-hostile-*"),
                (Path("/var/tmp"), "cnn-grader-hostile-*"), (Path.home(), "cnn-grader-hostile-*")]
HOSTILE_PROCESS_NAMES = ("hostile-orphan", "hostile-forker")


# --- what must not change ----------------------------------------------------------------

def _files(folder: Path) -> dict[str, tuple]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or ".pytest_cache" in path.parts or not path.is_file():
            continue
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2**20 else ""
        found[str(path)] = (info.st_size, info.st_mtime_ns, digest)
    return found


def _listing(folder: Path, pattern: str = "*") -> set[str]:
    try:
        return {p.name for p in folder.glob(pattern)}
    except OSError:
        return set()


def fingerprint() -> dict[str, object]:
    """Everything outside the child's scratch that an attack might change."""
    prints: dict[str, object] = {name: _files(ROOT / name) for name in ("grader", "reference", "tests", "assignments")}
    prints["root listing"] = _listing(ROOT) - {".pytest_cache", ".coverage"}
    prints["root files"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in ROOT.iterdir() if p.is_file()}
    prints["git hooks"] = _listing(ROOT / ".git" / "hooks")
    prints["git config"] = (ROOT / ".git" / "config").read_bytes() if (ROOT / ".git" / "config").is_file() else None
    for site_packages in SITE_PACKAGES:
        prints[f"{site_packages} listing"] = _listing(site_packages)
        prints[f"{site_packages} .pth"] = {p.name: p.read_bytes() for p in site_packages.glob("*.pth")}
    prints["/dev/shm"] = _listing(Path("/dev/shm"))
    prints["grade-* in the temp folder"] = _listing(Path(tempfile.gettempdir()), "grade-*")
    prints["hostile files in /tmp"] = _listing(Path("/tmp"), "cnn-grader-hostile-*")
    return prints


def _hostile_processes() -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name in HOSTILE_PROCESS_NAMES:
                found[int(entry.name)] = name
    return found


def _clean_up() -> None:
    """Remove what a successful attack left behind, so that one failure does not spill over."""
    for folder, pattern in CANARY_GLOBS:
        for path in _listing(folder, pattern):
            try:
                (folder / path).unlink()
            except OSError:
                pass
    for pid in _hostile_processes():  # processes our attacks started, by their id
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture(autouse=True)
def untouched(monkeypatch, tmp_path):
    """Nothing outside the scratch changes. The grader's temp folder is a private one, so that
    its grade-* entries are this test's only (and none may be left)."""
    private_tmp = tmp_path / "grader-tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    _clean_up()
    before = fingerprint()
    yield
    after = fingerprint()
    leftovers = sorted(p.name for p in private_tmp.iterdir())
    _clean_up()
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    if changed:
        key, (old, new) = next(iter(changed.items()))
        if isinstance(old, dict):
            diff = {k: (old.get(k), new.get(k)) for k in set(old) | set(new) if old.get(k) != new.get(k)}
        else:
            diff = (sorted(set(old or ()) ^ set(new or ())) if isinstance(old, set) else (old, new))
        pytest.fail(f"changed outside the scratch: {list(changed)}; first: {key}: {diff}")
    assert not leftovers, f"left in the grader's temp folder: {leftovers}"


# --- what the attacks are given ----------------------------------------------------------

class Listener:
    """A TCP listener on every address of the host (and a Unix socket under /tmp) that counts
    the connections it gets."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("0.0.0.0", 0))
        self.tcp.listen(16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = self.tcp.getsockname()[1]
        self.udp.bind(("0.0.0.0", self.port))
        self.folder = Path(tempfile.mkdtemp(prefix="hostile-sock-", dir="/tmp"))
        self.folder.chmod(0o755)
        self.unix_path = str(self.folder / "grader.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.unix.listen(16)
        self.got: list[str] = []
        for sock in (self.tcp, self.udp, self.unix):
            sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            for sock, kind in ((self.tcp, "tcp"), (self.unix, "unix")):
                try:
                    conn, _ = sock.accept()
                    self.got.append(kind)
                    conn.close()
                except OSError:
                    pass
            try:
                self.udp.recvfrom(64)
                self.got.append("udp")
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _host_addresses() -> list[str]:
    addresses = {"127.0.0.1"}
    try:
        addresses |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    return sorted(addresses)


def attack_text(path: Path) -> str:
    """An attack's source: a `# BASE: assignmentN/NAME/module.py` first line puts that correct
    submission before it."""
    text = path.read_text()
    base = re.match(r"# BASE: (\S+)\n", text)
    return (SUBMISSIONS / base.group(1)).read_text() + "\n\n" + text if base else text


@dataclass
class Context:
    token: str
    listener: Listener
    classmate: Path
    victim: Path

    @property
    def values(self) -> dict[str, str]:
        return {"__COURSE_ROOT__": str(ROOT), "__TOKEN__": self.token, "__PORT__": str(self.listener.port),
                "__HOST_ADDRS__": repr(_host_addresses()), "__CLASSMATE__": str(self.classmate),
                "__UNIX_SOCKET__": self.listener.unix_path, "__VICTIM__": str(self.victim),
                **{f"__HOST_{kind.upper()}_NS__": os.readlink(f"/proc/self/ns/{kind}") for kind in ("mnt", "pid", "net")}}

    def source(self, path: Path) -> str:
        text = attack_text(path)
        for key, value in self.values.items():
            text = text.replace(key, value)
        return text

    def write(self, name: str, folder: Path, module: str = "convolution.py") -> Path:
        """The attack as a submission folder."""
        folder.mkdir(parents=True, exist_ok=True)
        origin = HOSTILE / name
        files = sorted(origin.glob("*.py")) if origin.is_dir() else [HOSTILE / f"{name}.py"]
        for file in files:
            (folder / (file.name if origin.is_dir() else module)).write_text(self.source(file))
        return folder


@pytest.fixture
def context(monkeypatch):
    monkeypatch.setenv("CI_SECRET_TOKEN", SECRET)
    listener = Listener()
    classmate = Path(tempfile.mkdtemp(prefix="classmate-", dir="/tmp"))
    victim = Path(tempfile.mkdtemp(prefix="victim-", dir="/tmp")) / "victim.txt"
    try:
        classmate.chmod(0o755)
        (classmate / "convolution.py").write_text(f"# {CLASSMATE_CANARY}: another student's work\n")
        (classmate / "convolution.py").chmod(0o644)
        victim.write_text("the victim's own text\n")
        yield Context(uuid.uuid4().hex[:12], listener, classmate, victim)
    finally:
        listener.close()
        shutil.rmtree(classmate, ignore_errors=True)
        shutil.rmtree(victim.parent, ignore_errors=True)


# --- the attacks -------------------------------------------------------------------------

@dataclass(frozen=True)
class Attack:
    tasks: tuple[str, ...] = ("conv1d",)
    zero: bool = True  # every graded task scores 0 (else: none scores full marks)
    statuses: frozenset[str] | None = None  # the statuses each graded task may end in
    review: bool = False  # reaches into the grader: flagged in report.review
    check: Callable[[Context, object], None] | None = None  # what else must hold
    assignment: str = "assignment1"
    module: str = "convolution.py"
    timeout: float = 3.0


def _no_connection(context: Context, report) -> None:
    time.sleep(0.3)
    assert not context.listener.got, f"the child reached the host: {context.listener.got}"


def _no_files_left(context: Context, report) -> None:
    left = [str(folder / f"cnn-grader-hostile-{context.token}") for folder in
            (Path("/dev/shm"), Path("/tmp"), Path("/var/tmp"), Path.home())
            if (folder / f"cnn-grader-hostile-{context.token}").exists()]
    assert not left, f"outlived grading: {left}"


def _no_survivors(context: Context, report) -> None:
    deadline = time.monotonic() + 1.5
    while _hostile_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _hostile_processes(), f"processes outlived the task: {_hostile_processes()}"


def _classmate_untouched(context: Context, report) -> None:
    assert (context.classmate / "convolution.py").read_text() == f"# {CLASSMATE_CANARY}: another student's work\n"
    assert not (context.classmate / "planted.py").exists()


def _report_not_forged(context: Context, report) -> None:
    shown = report_module.student_view(report)
    for fmt in ("text", "markdown"):
        rendered = report_module.render(shown, fmt)
        bad = sorted({hex(ord(c)) for c in rendered if ord(c) < 32 and c not in "\n" or ord(c) == 127})
        assert not bad, f"{fmt} report holds control characters {bad}"
        forged = [line for line in rendered.splitlines()
                  if re.match(r"\W*(conv1d\s+passed|Total: 100 / 100)", line)]
        assert not forged, f"{fmt} report holds forged lines {forged}"


def _input_modified_named(context: Context, report) -> None:
    named = {check.diagnosis for task in report.tasks for check in task.checks}
    assert "input_modified" in named, f"no check named input_modified: {summary(report)}"


def _fake_output_ignored(context: Context, report) -> None:
    assert "FAKE-REPORT-LINE" not in report.model_dump_json()


FORBIDDEN = frozenset({"forbidden"})
ATTACKS: dict[str, Attack] = {
    # marks not earned: a forbidden callable bound as the task (status forbidden)
    "import_only": Attack(tasks=("pad", "conv1d", "conv2d"), statuses=FORBIDDEN),
    "alias_binding": Attack(statuses=FORBIDDEN),
    "partial_binding": Attack(statuses=FORBIDDEN),
    "helper_module": Attack(statuses=FORBIDDEN),
    "forged_co_filename": Attack(statuses=FORBIDDEN, review=True),
    "thread_calls_forbidden": Attack(statuses=FORBIDDEN),
    "variable_functions_class": Attack(statuses=FORBIDDEN, review=True),
    "aten_im2col": Attack(statuses=FORBIDDEN),  # spec gap: assignment 1 does not forbid aten.im2col
    "a3_import_only": Attack(assignment="assignment3", module="pooling.py", statuses=FORBIDDEN,
                             tasks=("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d")),
    "a5_alias_modules": Attack(assignment="assignment5", module="blocks.py", tasks=("batchnorm2d", "dropout2d"),
                               statuses=FORBIDDEN),
    "a5_subclass_module": Attack(assignment="assignment5", module="blocks.py", tasks=("batchnorm2d", "dropout2d"),
                                 statuses=FORBIDDEN),
    # marks not earned: reaching into the grader's memory
    "tripwire_closure": Attack(statuses=FORBIDDEN, review=True),
    # timeout: each call walks every object in memory, which a loaded machine may not finish in 3 s of CPU
    "oracle_from_spec": Attack(statuses=frozenset({"forbidden", "failed", "timeout"}), review=True),
    "gc_edit_spec": Attack(review=True),
    "steal_send_via_frames": Attack(review=True),
    "builtins_zip": Attack(zero=False, review=True),  # a correct conv1d that wipes its input: input_modified
    "monkeypatch_compare": Attack(),
    "mutation_disarmed": Attack(zero=False, review=True, check=_input_modified_named),
    "send_from_memory": Attack(tasks=("filters",), review=True),
    "grader_side_proc": Attack(review=True),
    "orphan_holds_reply_pipe": Attack(statuses=frozenset({"error"}), review=True, timeout=10.0),
    "forge_frames": Attack(review=True),
    "prints_fake_results": Attack(check=_fake_output_ignored),
    # the reference stays out of reach
    "reads_reference_paths": Attack(review=True),
    "reads_reference_via_proc": Attack(),
    "umount_hidden": Attack(review=True),
    "appends_reference": Attack(),
    # harm to the machine
    "writes_repo": Attack(),
    "writes_site_packages": Attack(),
    "leaves_files": Attack(check=_no_files_left),
    "setsid_orphan": Attack(check=_no_survivors),
    "fork_bomb_named": Attack(check=_no_survivors, statuses=frozenset({"timeout", "failed", "error"})),
    "ptrace_and_vm": Attack(review=True),
    "mknod_device": Attack(),
    "chattr_immutable": Attack(),
    "fills_disk": Attack(timeout=8.0),
    "setns_host_net": Attack(check=_no_connection, review=True),
    "network": Attack(check=_no_connection),
    "unix_socket_escape": Attack(check=_no_connection),
    "env_secret": Attack(),
    "classmate": Attack(check=_classmate_untouched),
    "lock_channel": Attack(),
    "posture": Attack(),
    # the parent survives anything the child sends
    "huge_output": Attack(timeout=8.0),
    "deep_output": Attack(),
    "tensor_subclass": Attack(),
    "ansi_message": Attack(check=_report_not_forged),
}


def assert_attack_failed(report, attack: Attack, context: Context | None = None) -> None:
    text = report.model_dump_json()
    pwned = re.findall(r"PWNED: [^\"\\]{0,200}", text)
    assert not pwned, f"the attack worked: {sorted(set(pwned))}"
    for secret in (SECRET, COMMAND_SECRET, CLASSMATE_CANARY):
        assert secret not in text and secret.encode().hex() not in text, f"{secret!r} reached the report"
    graded = {t.name: t for t in report.tasks}
    assert set(graded) == set(attack.tasks), graded
    for task in graded.values():
        if attack.zero:
            assert task.score == 0, f"{task.name} scored {task.score} ({task.status}): {summary(report)}"
        else:
            assert task.score < task.max_score, f"{task.name} scored full marks ({task.status})"
        if attack.statuses:
            assert task.status in attack.statuses, f"{task.name}: {task.status} ({str(task.problem)})"
    if attack.review:
        assert_flagged(report)


def assert_flagged(report) -> None:
    assert report.review, "code that reaches into the grader was not flagged for review"


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_fails_and_changes_nothing(grade, tmp_path, context, name):
    attack = ATTACKS[name]
    submission = context.write(name, tmp_path / "submission", attack.module)
    report = grade(attack.assignment, submission, tasks=attack.tasks, timeout=attack.timeout, device="cpu")
    assert_attack_failed(report, attack, context)
    if attack.check:
        attack.check(context, report)


# --- the grader's older hostile submissions (tests/mutants_assignment1.py) ---------------

MUTANTS = {  # submission -> (task, statuses it may end in, diagnoses one of which must be named)
    "infinite_loop": ("conv2d", {"timeout"}, {"timeout"}),
    "memory_bomb": ("conv2d", {"timeout", "error", "failed"}, {"timeout", "memory"}),
    "sys_exit": ("conv1d", {"failed"}, {"exception"}),
    "os_exit": ("conv1d", {"error"}, {"crash"}),
    "segfault": ("conv2d", {"error"}, {"crash"}),
    "fork_bomb": ("conv1d", {"timeout", "failed", "error"}, {"timeout", "exception", "crash"}),
    "reads_reference": ("conv2d", {"failed", "partial", "forbidden"}, {"wrong_values", "exception", "forbidden_api"}),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_hostile_code_costs_only_its_task(grade, tmp_path, name):
    task, statuses, diagnoses = MUTANTS[name]
    report = grade("assignment1", mutant("assignment1", name, tmp_path), timeout=3, device="cpu")
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
        "    try:\n"
        "        names = sorted(p.name for p in REFERENCE.rglob('*'))\n"
        "    except OSError:\n"
        "        names = []\n"
        "    raise RuntimeError('saw ' + repr(names))\n")
    report = grade("assignment1", probe, tasks=["conv1d"], timeout=5, device="cpu")
    messages = " ".join(str(c.message) for c in report.tasks[0].checks)
    assert "saw []" in messages
    assert "convolution.py'" not in messages and "spec.py" not in messages


def test_no_network_in_the_child(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text(
        "import socket\n"
        "def conv1d(*args, **kwargs):\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=1)\n")
    report = grade("assignment1", probe, tasks=["conv1d"], timeout=5, device="cpu")
    check = report.tasks[0].checks[0]
    assert check.diagnosis == "exception"
    assert "Network is unreachable" in str(check.message)


def test_slow_top_level_code_is_reported_as_an_import_timeout(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text("while True:  # a demo left at the top level\n    pass\n")  # (one that sleeps: test_fairness)
    report = grade("assignment1", probe, tasks=["pad"], timeout=2, device="cpu")
    assert report.tasks[0].status == "timeout"
    assert "importing your file took over the 2 s time limit" in str(report.tasks[0].problem)


def test_files_a_submission_writes_are_removed(grade, tmp_path):
    probe = tmp_path / "convolution.py"
    probe.write_text("import os\ndef conv1d(*args, **kwargs):\n    open('left-behind.txt', 'w').write('x')\n"
                     "    return os.getcwd()\n")
    grade("assignment1", probe, tasks=["conv1d"], device="cpu")  # the fixture finds no grade-* left


# --- submissions the loader must refuse (api.UsageError) -----------------------------

def _grade_with_rescue(grade, submission: Path, fifo: Path | None = None, limit_s: float = 6.0):
    """Grade in a thread; a grader stuck reading a FIFO is freed (by opening its other end) and
    the test fails."""
    outcome: dict[str, object] = {}

    def work():
        try:
            outcome["report"] = grade("assignment1", submission, tasks=["conv1d"], timeout=2, device="cpu")
        except BaseException as error:  # noqa: BLE001  (reported below)
            outcome["error"] = error
    thread = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(limit_s)
    stuck = thread.is_alive()
    while thread.is_alive() and fifo is not None and time.monotonic() - started < limit_s + 20:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        thread.join(0.1)
    assert not stuck, f"the grader hung for {limit_s} s on {submission}"
    return outcome


@pytest.mark.parametrize("as_folder", [True, False], ids=["folder", "file"])
def test_fifo_named_like_the_module_is_refused(grade, tmp_path, as_folder):
    folder = tmp_path / "submission"
    folder.mkdir()
    fifo = folder / "convolution.py"
    os.mkfifo(fifo)
    outcome = _grade_with_rescue(grade, folder if as_folder else fifo, fifo)
    assert isinstance(outcome.get("error"), api.UsageError), outcome
    assert "\n" not in str(outcome["error"])


@pytest.mark.parametrize("as_folder", [True, False], ids=["folder", "file"])
def test_symlink_to_the_reference_is_refused(grade, tmp_path, as_folder):
    folder = tmp_path / "submission"
    folder.mkdir()
    link = folder / "convolution.py"
    link.symlink_to(os.path.relpath(ROOT / "reference" / "assignment1" / "convolution.py", folder))
    outcome = _grade_with_rescue(grade, folder if as_folder else link)
    scored = [(t.name, t.score) for t in outcome["report"].tasks] if "report" in outcome else None
    assert isinstance(outcome.get("error"), api.UsageError), f"graded the reference as the student's: {scored}"


def test_symlinked_helper_module_is_refused(grade, tmp_path):
    """The module itself is a file, but a helper it imports is a link into reference/."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "convolution.py").write_text("from solution import conv1d  # noqa: F401\n")
    (folder / "solution.py").symlink_to(ROOT / "reference" / "assignment1" / "convolution.py")
    outcome = _grade_with_rescue(grade, folder)
    if "report" in outcome:  # refusing is fine too; grading must not earn marks
        assert outcome["report"].score == 0, summary(outcome["report"])
    else:
        assert isinstance(outcome["error"], api.UsageError), outcome


def test_planted_bytecode_is_ignored(grade, tmp_path):
    """__pycache__ holds the compiled correct solution (unchecked-hash .pyc, never validated
    against the source); the source's conv1d returns zeros. The .pyc must not be what runs."""
    import py_compile

    folder = tmp_path / "submission"
    folder.mkdir()
    source = folder / "convolution.py"
    source.write_text("import torch\n\n\ndef conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1,"
                      " groups=1):\n    return torch.zeros(1)\n")
    honest = tmp_path / "honest.py"
    shutil.copy(SUBMISSIONS / "assignment1" / "correct_naive" / "convolution.py", honest)
    (folder / "__pycache__").mkdir()
    py_compile.compile(str(honest), cfile=str(folder / "__pycache__" / f"convolution.{sys.implementation.cache_tag}.pyc"),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, doraise=True)
    report = grade("assignment1", folder, tasks=["conv1d"], timeout=3, device="cpu")
    assert report.tasks[0].score == 0, "the planted .pyc ran instead of the source"


@pytest.mark.parametrize("entry", ["dotdot", "symlink", "absolute"])
def test_hostile_zip_is_refused(grade, tmp_path, entry):
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("work/convolution.py", "def conv1d(*a, **k):\n    raise ValueError\n")
        if entry == "dotdot":
            zipped.writestr("work/../../escaped.py", "x = 1\n")
        elif entry == "absolute":
            zipped.writestr("/tmp/cnn-grader-hostile-absolute.py", "x = 1\n")
        else:
            info = zipfile.ZipInfo("work/helper.py")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, str(ROOT / "reference" / "assignment1" / "convolution.py"))
    with pytest.raises(api.UsageError) as refused:
        grade("assignment1", archive, tasks=["conv1d"], timeout=2, device="cpu")
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "escaped.py").exists() and not Path("/tmp/cnn-grader-hostile-absolute.py").exists()


# --- the report ---------------------------------------------------------------------------

def test_report_is_not_written_through_a_symlink(tmp_path, monkeypatch):
    """`grade ... -o link`: the link's target elsewhere stays as it was."""
    from click.testing import CliRunner

    from grader import cli

    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("precious\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli.main, ["assignment1", str(ROOT / "assignments" / "assignment1"),
                                           "--task", "filters", "-o", str(link), "--timeout", "3"])
    assert result.exit_code in (0, 2), result.output
    assert victim.read_text() == "precious\n", "the report was written through the symlink"


# --- the CLI: the grader's own process, the course root, an unprivileged user -------------

def _cli(args: list[str], *, cwd: Path | None = None, env: dict | None = None, user: int | None = None,
         timeout: float = 90) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT),
            "HOME": "/tmp", "TMPDIR": "/tmp"}
    command = [str(VENV_BIN / "grade"), *args]
    if user is not None:
        command = ["setpriv", "--reuid", str(user), "--regid", str(user), "--clear-groups", *command]
    return subprocess.run(command, cwd=cwd or ROOT, env={**base, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def public_folder():
    """A folder under /tmp that other users may read (pytest's own are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_grader_process_is_out_of_reach(context, public_folder):
    """ptrace, /proc/<grader>/mem, signals, secrets in the environment and the command line,
    and the report path: see tests/hostile/cli_grader_process.py."""
    submission = public_folder / f"sub-{context.token}"
    context.write("cli_grader_process", submission)
    out = public_folder / f"out-{context.token}"
    out.mkdir()
    report_path = out / f"report-{COMMAND_SECRET}.json"
    done = _cli(["assignment1", str(submission), "--task", "conv1d", "--task", "conv2d", "--task", "pad",
                 "--timeout", "5", "-o", str(report_path)], env={"CI_SECRET_TOKEN": SECRET})
    assert done.returncode == 0, done.stderr
    text = report_path.read_text() if report_path.is_file() else context.victim.read_text()
    try:
        assert_attack_failed(Report.model_validate_json(text), Attack(tasks=("conv1d", "conv2d", "pad")))
    finally:
        assert context.victim.read_text() == "the victim's own text\n", "the report was written over the victim"
        assert not (out / "planted-next-to-report.txt").exists(), "a file was planted next to the report"
        assert report_path.is_file() and not report_path.is_symlink()


def test_killing_the_grader_fails(context, public_folder):
    submission = public_folder / f"sub-{context.token}"
    context.write("cli_kill_grader", submission)
    done = _cli(["assignment1", str(submission), "--task", "conv1d", "--format", "json", "--timeout", "5"])
    assert done.returncode == 0, f"the grade died: {done.returncode} {done.stderr[-500:]}"
    assert json.loads(done.stdout)["tasks"][0]["score"] == 0


def test_course_root_is_not_taken_from_the_current_folder(public_folder):
    """A submission folder that ships assignments/ and reference/assignment1/spec.py, graded
    from inside: its spec must never be imported (it would write a canary)."""
    canary = public_folder / "canary-spec-imported"
    (public_folder / "assignments" / "assignment1").mkdir(parents=True)
    (public_folder / "assignments" / "assignment1" / "convolution.py").write_text("def conv1d(*a, **k):\n    raise ValueError\n")
    (public_folder / "reference" / "assignment1").mkdir(parents=True)
    (public_folder / "reference" / "assignment1" / "convolution.py").write_text("")
    (public_folder / "reference" / "assignment1" / "spec.py").write_text(
        f"open({str(canary)!r}, 'w').write('imported')\nraise SystemExit(0)\n")
    done = _cli(["assignment1", "--task", "conv1d", "--format", "json", "--timeout", "3"], cwd=public_folder)
    assert not canary.exists(), "the grader imported the submission's own spec.py"
    assert done.returncode == 0, done.stderr


@pytest.fixture
def traversable():
    """Let uid 65534 reach the interpreter, the venv and the repo: add the traverse bit (o+x,
    never o+r) to each folder on the way that lacks it, for this test only."""
    changed: list[tuple[Path, int]] = []
    targets = [Path(os.path.realpath(sys.executable)), Path(sys.prefix), Path(os.path.realpath(sys.base_prefix)),
               ROOT, *SITE_PACKAGES]
    try:
        for target in targets:
            for folder in [target, *target.parents] if target.is_dir() else target.parents:
                mode = folder.stat().st_mode
                if not mode & stat.S_IXOTH and folder not in [c[0] for c in changed]:
                    changed.append((folder, stat.S_IMODE(mode)))
                    folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
        yield
    finally:
        for folder, mode in reversed(changed):
            folder.chmod(mode)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_unprivileged_grade_resists_the_core_attacks(context, public_folder, traversable):
    """`grade` run by uid 65534, against one submission that tries a dozen attacks in turn
    (tests/hostile/cli_unprivileged_battery.py) and names those that worked."""
    submission = public_folder / f"sub-{context.token}"
    context.write("cli_unprivileged_battery", submission)
    for path in (submission, *submission.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    done = _cli(["assignment1", str(submission), "--task", "conv1d", "--format", "json", "--timeout", "5"],
                env={"CI_SECRET_TOKEN": SECRET}, user=65534)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    task = data["tasks"][0]
    messages = " ".join(english(c["message"]) for c in task["checks"])
    assert "blocked" in messages, messages[:500]  # the attacks ran and reported
    assert "PWNED" not in messages, re.findall(r"PWNED: [^\"]{0,400}", messages)[:1]
    assert SECRET not in done.stdout and SECRET.encode().hex() not in done.stdout
    assert task["score"] == 0
    _no_connection(context, None)
    _no_files_left(context, None)
