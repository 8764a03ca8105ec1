"""The jail a student child enters before any of its code runs, one step after another.

Like isolate's `box_inside`: namespaces, a private read-only root, limits, an unprivileged uid
without capabilities, `no_new_privs`, a system-call filter, a clean environment. Every step checks
what it did and raises `JailError`, so the student's code never runs in a half-built jail.
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import secrets
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import cgroup

try:  # POSIX only: elsewhere no jail can be built, and grading falls back to sandbox.spawned
    import posix
    import resource
except ImportError:
    posix = resource = None  # type: ignore[assignment]  # None stands for "not POSIX": checked before use

try:  # loaded once here, not in every child
    import pyseccomp as seccomp
    _SECCOMP_MISSING = ""
except (ImportError, OSError) as missing:
    seccomp, _SECCOMP_MISSING = None, str(missing)

GiB, MiB = 2**30, 2**20
JAIL_UID_BASE = 200_000  # as root, child N runs as uid 200000 + its host pid: a uid of its own

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x20000, 0x4000000, 0x8000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET, _CLONE_NEWCGROUP = 0x10000000, 0x20000000, 0x40000000, 0x2000000
_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWCGROUP
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_MNT_DETACH = 2
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 1, 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_STATVFS_LOCKED = {os.ST_NOSUID: _MS_NOSUID, os.ST_NODEV: _MS_NODEV, os.ST_NOEXEC: _MS_NOEXEC}

# Refused with EPERM: nothing a grading needs, everything an escape or an attack on the host does.
DENIED_SYSCALLS = (
    "mount", "umount2", "pivot_root", "chroot", "setns", "unshare", "ptrace", "process_vm_readv",
    "process_vm_writev", "mknod", "mknodat", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
    "request_key", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "quotactl", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr", "pidfd_getfd", "kcmp", "lookup_dcookie", "ioperm", "iopl",
    "personality", "vhangup", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
    "fremovexattr", "flock", "nfsservctl", "uselib", "migrate_pages", "move_pages", "mbind", "set_mempolicy",
    "setsid",  # a session is a scheduling group of its own where autogroups are on: one per child, not per process
)
# fcntl requests refused: record locks (F_GETLK, F_SETLK, F_SETLKW and their open-file versions),
# which, like flock, two children could take on a read-only file both see to signal each other.
DENIED_FCNTLS = (5, 6, 7, 36, 37, 38)
# ioctl requests refused: the file-flags ioctls (chattr +i) and pushing keystrokes into a terminal.
DENIED_IOCTLS = (0x40086602, 0x40046602, 0x401C5820, 0x5412)  # FS_IOC_SETFLAGS (64/32), FS_IOC_FSSETXATTR, TIOCSTI
# Passed through from the grader's environment; everything else is dropped.
ALLOWED_ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                       "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTORCH_NVML_BASED_CUDA_CHECK", "CUDA_VISIBLE_DEVICES")


class JailError(RuntimeError):
    """The jail could not be built: a fault of the grader's machine, never of the student."""


@dataclass(frozen=True)
class Jail:
    """What a student child may see and use. Paths are the host's; they appear at the same place."""

    visible: tuple[Path, ...]  # read-only: Python, its packages, system libraries
    submission: Path  # the private copy of the submission, read-only at SUBMISSION_MOUNT
    scratch: Path  # a host folder of the grader's; the child builds its root on a folder made in it
    memory_bytes: int | None = 4 * GiB  # address space; None on CUDA, whose driver maps far more
    resident_bytes: int = 4 * GiB  # memory in use, through a cgroup where one can be made (CUDA too)
    scratch_bytes: int = 64 * MiB  # the writable /tmp, the only writable place
    file_bytes: int = 16 * MiB
    processes: int = 64  # threads count too
    cores: float = 1.0  # at most this many cores' worth of CPU time per second, through a cgroup where one can be made
    devices: tuple[Path, ...] = ()  # extra device nodes, e.g. /dev/nvidia*
    show_sys: bool = False  # /sys read-only, which the CUDA driver reads


SUBMISSION_MOUNT = Path("/submission")


def python_paths() -> tuple[Path, ...]:
    """Where `import` reads: Python's prefixes and site-packages folders. Never the other folders
    on sys.path, which may hold the course itself, its references and tests."""
    import site

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages()}
    if site.ENABLE_USER_SITE and site.getusersitepackages() in sys.path:
        paths.add(site.getusersitepackages())
    found = sorted(Path(p) for p in paths if Path(p).is_dir())
    return tuple(p for p in found if not any(p != q and p.is_relative_to(q) for q in found))
_BASIC_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def enter(jail: Jail, group: str) -> None:
    """Build the jail around the calling (forked) process, in fresh cgroups named `group`
    (`new_cgroup_name`); afterwards it runs as PID 1 of a new PID namespace, in /tmp of a private
    root, as an unprivileged uid with no capabilities."""
    host_uid, host_gid, host_pid = os.getuid(), os.getgid(), os.getpid()
    mount_point = Path(tempfile.mkdtemp(prefix="root-", dir=jail.scratch))
    _join_cgroups(jail, group)
    _blank_arguments_and_environment()
    _unshare(host_uid, host_gid)
    _become_pid_namespace_init()
    _build_root(jail, mount_point)
    _set_limits(jail)
    _drop_privileges(host_uid, JAIL_UID_BASE + host_pid)
    _check_readable(jail.visible)
    _forbid_new_privileges()
    _filter_system_calls()
    _check_confined()


def enter_unprivileged(jail: Jail, course: Path, group: str) -> None:
    """GRADER_ISOLATION=user, for a container that runs the grader as root but makes no namespaces
    (Gradescope's): the jail's steps that need none. The calling (spawned) process becomes a uid of
    its own with no groups and no capabilities, under the jail's limits, no_new_privs and seccomp
    filter, in `jail.scratch` (a folder made for it); and checks that this uid can neither read nor
    enter `course`, so that the reference and the course's secret stay out of its reach. It sees
    the host's file system otherwise, as that uid. Where cgroups can be made, it joins fresh ones
    named `group`, which cap the memory and processes of the whole task; elsewhere (a container's
    read-only /sys/fs/cgroup) the limits are per process only."""
    if os.getuid() != 0:
        raise JailError("GRADER_ISOLATION=user runs student code as a uid of its own, which needs root")
    uid = JAIL_UID_BASE + os.getpid()
    try:
        cgroup.join(group, jail.resident_bytes, jail.processes, jail.cores)
    except OSError:
        pass  # no cgroups here: the rlimits below still hold per process
    _blank_arguments_and_environment()
    os.chown(jail.scratch, uid, uid)
    os.chdir(jail.scratch)
    os.environ.update(HOME=str(jail.scratch), TMPDIR=str(jail.scratch))
    _set_limits(jail)
    _drop_privileges(0, uid)
    for path in jail.visible:  # found as root; no view of them is mounted where others may enter
        if not os.access(path, os.R_OK | os.X_OK):
            raise JailError(f"student code runs as uid {uid}, which cannot read {path}: install Python and the "
                            f"grader where any user may read them (not in a private home folder)")
    if os.access(course, os.R_OK) or os.access(course, os.X_OK):
        raise JailError(f"student code runs as uid {uid}, which can read the course {course}: close it to others "
                        f"(chmod -R go-rwx {course})")
    _forbid_new_privileges()
    _filter_system_calls()
    _check_confined()

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except (OSError, TypeError):  # Windows
    _libc = None  # type: ignore[assignment]  # None stands for "no libc": checked before use


def _call(what: str, result: int) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise JailError(f"{what}: {os.strerror(code)}")


def new_cgroup_name() -> str:
    """A name no other child's cgroups have had. Not the child's pid: pids come round again (after
    32768 on many systems), and a child that joined the groups of an earlier one would inherit
    their CPU time count and memory charges."""
    return f"grader-{os.getpid()}-{secrets.token_hex(8)}"


def _join_cgroups(jail: Jail, group: str) -> None:
    try:
        cgroup.join(group, jail.resident_bytes, jail.processes, jail.cores)
    except OSError as error:
        raise JailError(f"joining a cgroup: {error}") from None


def _blank_arguments_and_environment() -> None:
    """The grader's command line and environment (a CI token, the report's path) are in this
    process's memory from the fork: blank the bytes /proc/self/{cmdline,environ} read and keep
    only the allowed variables."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    arg_start, arg_end, env_start, env_end = (int(v) for v in fields[45:49])  # fields 48-51 of proc(5)
    for start, end in ((arg_start, arg_end), (env_start, env_end)):
        ctypes.memset(start, 0, end - start)
    kept = {name: os.environ[name] for name in ALLOWED_ENVIRONMENT if name in os.environ}
    os.environ.clear()
    posix.environ.clear()  # os.environ's source, which still holds every variable
    os.environ.update(kept, HOME="/tmp", TMPDIR="/tmp", PATH="/usr/local/bin:/usr/bin:/bin")
    sys.argv[:] = ["grader-child"]
    sys.orig_argv[:] = ["grader-child"]


def _unshare(host_uid: int, host_gid: int) -> None:
    """New mount, PID, network, IPC, UTS and cgroup namespaces; as an ordinary user through a new
    user namespace that maps the user to itself."""
    if host_uid == 0:
        _call("unshare (as root)", _libc.unshare(_NAMESPACES))
        return
    _call("unshare (user namespace: is kernel.unprivileged_userns_clone or an AppArmor rule "
          "refusing it?)", _libc.unshare(_NAMESPACES | _CLONE_NEWUSER))
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{host_uid} {host_uid} 1")
        Path("/proc/self/gid_map").write_text(f"{host_gid} {host_gid} 1")
    except OSError as error:
        raise JailError(f"mapping the user namespace: {error.strerror}") from None


def _become_pid_namespace_init() -> None:
    """Fork once more so the work runs as PID 1 of the new PID namespace.

    When PID 1 dies, the kernel kills everything else in the namespace, so a `setsid` grandchild
    or a fork bomb cannot outlive the parent's SIGKILL. The process left outside only waits.
    """
    pid = os.fork()
    if pid == 0:
        _call("prctl(PR_SET_PDEATHSIG)", _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))
        if os.getpid() != 1:
            raise JailError("not PID 1 of the new PID namespace")
        return
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _mount(source: str | None, target: str | Path, kind: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda value: None if value is None else str(value).encode()  # noqa: E731
    _call(f"mount {kind or source} on {target}",
          _libc.mount(encode(source), encode(target), encode(kind), flags, encode(data)))


def _bind_read_only(source: Path, target: Path) -> None:
    """A read-only view of `source` at `target`, keeping the flags the kernel locks in a user namespace."""
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(str(source), target, None, _MS_BIND)
    locked = sum(flag for stat_flag, flag in _STATVFS_LOCKED.items() if os.statvfs(source).f_flag & stat_flag)
    _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | locked)


def _build_root(jail: Jail, root: Path) -> None:
    """A tmpfs root holding read-only views of what the child needs, its own /proc, a size-capped
    /tmp; then pivot_root into it and detach the host's root, so no path leads back."""
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=755")
    (root / "tmp").mkdir()  # first: a venv under /tmp (a CI checkout) is then shown inside it
    _mount("tmpfs", root / "tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={jail.scratch_bytes},mode=1777")
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        host = Path(top)
        if host.is_symlink():  # merged /usr: /bin -> usr/bin
            (root / top.lstrip("/")).symlink_to(os.readlink(host))
        elif host.is_dir():
            _bind_read_only(host, root / top.lstrip("/"))
    for path in jail.visible:
        if path.exists():
            _bind_read_only(path, root / str(path).lstrip("/"))
    for folder in _folders_on_the_way(jail.visible, Path("/tmp")):  # made in the writable /tmp: freeze them
        _mount(str(root / str(folder).lstrip("/")), root / str(folder).lstrip("/"), None, _MS_BIND | _MS_REC)
        _mount(None, root / str(folder).lstrip("/"), None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    _bind_read_only(jail.submission, root / str(SUBMISSION_MOUNT).lstrip("/"))
    for device in (*map(Path, _BASIC_DEVICES), *jail.devices):
        if device.exists():  # a node, or a folder of them (/dev/nvidia-caps)
            target = root / str(device).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.mkdir() if device.is_dir() else target.touch()
            _mount(str(device), target, None, _MS_BIND | _MS_REC)
    if jail.show_sys:
        _bind_read_only(Path("/sys"), root / "sys")
    (root / "proc").mkdir()
    _mount("proc", root / "proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.chdir(root)
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise JailError(f"pivot_root: unknown system call number on {platform.machine()}")
    _call("pivot_root", _libc.syscall(number, b".", b"."))
    _call("detaching the host's root", _libc.umount2(b".", _MNT_DETACH))
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.chdir("/tmp")


def _folders_on_the_way(paths: tuple[Path, ...], scratch: Path) -> set[Path]:
    """The top folders inside `scratch` that hold a visible path (a venv in a CI checkout under
    /tmp): the jail made them, so without a read-only mount the student could write in them."""
    return {scratch / path.relative_to(scratch).parts[0] for path in paths
            if path.is_relative_to(scratch) and path != scratch and path.exists()}


def _set_limits(jail: Jail) -> None:
    limits = [(resource.RLIMIT_FSIZE, jail.file_bytes), (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_NPROC, jail.processes), (resource.RLIMIT_NOFILE, 256)]
    if jail.memory_bytes:
        limits.append((resource.RLIMIT_AS, jail.memory_bytes))
    for limit, value in limits:
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError) as error:
            raise JailError(f"setrlimit({limit}): {error}") from None


def _last_capability() -> int:
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        return 63


def _drop_privileges(host_uid: int, jail_uid: int) -> None:
    """Empty the capability bounding and ambient sets, then: as root, become `jail_uid` (which
    clears the permitted and effective sets); in a user namespace, clear them with capset."""
    for capability in range(_last_capability() + 1):
        _call(f"dropping capability {capability}", _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0))
    _call("clearing ambient capabilities", _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
    try:
        if host_uid == 0:
            os.setgroups([])
            os.setresgid(jail_uid, jail_uid, jail_uid)
            os.setresuid(jail_uid, jail_uid, jail_uid)
            return
    except OSError as error:
        raise JailError(f"becoming uid {jail_uid}: {error.strerror}") from None
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
    _call("capset", _libc.capset(header, data))


def _check_readable(paths: tuple[Path, ...]) -> None:
    """Fail with what to change where the unprivileged uid cannot read Python or its packages
    (files created with umask 077, say); a private home folder above them is no obstacle."""
    for path in paths:
        if path.exists() and not os.access(path, os.R_OK | os.X_OK):
            raise JailError(f"student code runs as uid {os.getuid()}, which cannot read {path}: make it readable "
                            f"to others (chmod -R o+rX {path}) or install the grader outside a private folder")


def _forbid_new_privileges() -> None:
    _call("prctl(PR_SET_NO_NEW_PRIVS)", _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))


def _filter_system_calls() -> None:
    """A seccomp filter through libseccomp: the denied calls fail with EPERM, creating namespaces
    through clone too; clone3 says ENOSYS so that the C library falls back to clone, whose flags
    the filter can read."""
    if seccomp is None:
        raise JailError(f"libseccomp is not available ({_SECCOMP_MISSING}): install libseccomp2")
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in DENIED_SYSCALLS:
            try:
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except (ValueError, OSError):  # a call this architecture does not have
                continue
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        for flag in (_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC, _CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET,
                     _CLONE_NEWCGROUP):
            rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
        for command in DENIED_FCNTLS:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), "fcntl", seccomp.Arg(1, seccomp.EQ, command))
        for request in DENIED_IOCTLS:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl",
                           seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
        rules.load()
    except OSError as error:
        raise JailError(f"loading the seccomp filter: {error}") from None


def _check_confined() -> None:
    """Fail closed: read back from the kernel that no capability and no uid 0 is left."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    held = [name for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb") if int(status[name], 16)]
    if held or os.getuid() == 0 or os.geteuid() == 0 or status["NoNewPrivs"].strip() != "1" \
            or status["Seccomp"].strip() != "2":
        raise JailError(f"the jail is not tight: capabilities {held}, uid {os.getuid()}, "
                        f"no_new_privs {status['NoNewPrivs'].strip()}, seccomp {status['Seccomp'].strip()}")
