# ATTACKS run through the CLI by an unprivileged user (uid 65534), one after the other; every
# one that works is named in the exception message after PWNED:
#   read the reference (path, /proc/<pid>/root), umount2 the mount hiding it, see the grader's
#   processes, read the env secret (os.environ, /proc/self/environ, hex too), create a canary in
#   the repo and in site-packages (.pth), leave files in /dev/shm and /tmp, connect to the test's
#   TCP listener, setns into /proc/1/ns/net, read the classmate's folder, uid 0 or capabilities.
# MUST: no PWNED, no secret, no canary left, no connection, nothing changed.
import ctypes
import os
import site
import socket

ROOT = "__COURSE_ROOT__"
TOKEN = "__TOKEN__"
PORT = int("__PORT__")
CLASSMATE = "__CLASSMATE__"
HOST_MNT_NS = "__HOST_MNT_NS__"
REFERENCE = f"{ROOT}/reference/assignment1/convolution.py"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _create(path):
    try:
        with open(path, "x") as f:
            f.write("# canary\n")
        return True
    except OSError:
        return False


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    libc = ctypes.CDLL(None, use_errno=True)
    pids = [p for p in os.listdir("/proc") if p.isdigit()][:4000]
    if b"def conv1d" in _read(REFERENCE):
        won.append("read the reference by path")
    if any(b"def conv1d" in _read(f"/proc/{pid}/root{REFERENCE}") for pid in pids):
        won.append("read the reference via /proc/<pid>/root")
    if os.readlink("/proc/self/ns/mnt") != HOST_MNT_NS:
        for target in (REFERENCE, f"{ROOT}/reference"):
            if libc.umount2(target.encode(), 2) == 0:
                won.append(f"umount2 {target}")
        if b"def conv1d" in _read(REFERENCE):
            won.append("read the reference after umount2")
    else:
        won.append("host mount namespace")
    if any(TOKEN.encode() in _read(f"/proc/{pid}/cmdline") for pid in pids if int(pid) != os.getpid()):
        won.append("sees the grader's processes")
    env = repr(dict(os.environ)).encode() + _read("/proc/self/environ")
    if b"hunter2" in env:
        won.append("env secret " + "hunter2".encode().hex())
    for path in (f"{ROOT}/grader/_hostile_canary_{TOKEN}", f"{ROOT}/_hostile_canary_{TOKEN}"):
        if _create(path):
            won.append(f"created {path}")
    for folder in site.getsitepackages():
        if _create(os.path.join(folder, f"zz_hostile_canary_{TOKEN}.pth")):
            won.append("created a .pth")
    for folder in ("/dev/shm", "/tmp"):  # the jail's own /tmp is fine: the test looks on the host
        _create(os.path.join(folder, f"cnn-grader-hostile-{TOKEN}"))
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        won.append("connected to the test's listener")
    except OSError:
        pass
    try:
        fd = os.open("/proc/1/ns/net", os.O_RDONLY)
        if libc.setns(fd, 0x40000000) == 0:
            won.append("setns /proc/1/ns/net")
    except OSError:
        pass
    if b"CLASSMATE-CANARY" in _read(os.path.join(CLASSMATE, "convolution.py")):
        won.append("read the classmate's file")
    if os.getuid() == 0:
        won.append("uid 0")
    status = _read("/proc/self/status").decode()
    caps = [line for line in status.splitlines() if line.startswith("CapEff")]
    if caps and int(caps[0].split()[1], 16):
        won.append(caps[0])
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
