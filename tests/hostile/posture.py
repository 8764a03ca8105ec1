# ATTACK (reconnaissance): check what the child may do, without doing harm. Each item that holds
# is a hole in the sandbox the README promises: uid 0; any effective capability; no
# no_new_privs; no seccomp filter; the host's PID namespace, or host processes in /proc; a
# network interface besides lo; the course's files visible; the host's mount namespace.
# MUST: no PWNED.
import os

ROOT = "__COURSE_ROOT__"
HOST_PID_NS = "__HOST_PID_NS__"
HOST_MNT_NS = "__HOST_MNT_NS__"
HOST_NET_NS = "__HOST_NET_NS__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    if os.getuid() == 0 or os.geteuid() == 0:
        won.append("uid 0")
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    if int(status.get("CapEff", "0"), 16):
        won.append(f"CapEff {status['CapEff']}")
    if status.get("NoNewPrivs") != "1":
        won.append("no no_new_privs")
    if status.get("Seccomp") != "2":
        won.append(f"Seccomp {status.get('Seccomp')}")
    for kind, host in (("pid", HOST_PID_NS), ("mnt", HOST_MNT_NS), ("net", HOST_NET_NS)):
        try:
            if os.readlink(f"/proc/self/ns/{kind}") == host:
                won.append(f"host {kind} namespace")
        except OSError:
            pass
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    if len(pids) > 20:
        won.append(f"{len(pids)} processes visible")
    try:
        interfaces = [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]]
        if set(interfaces) - {"lo"}:
            won.append(f"interfaces {interfaces}")
    except OSError:
        pass
    for path in (f"{ROOT}/grader", f"{ROOT}/tests", f"{ROOT}/.git", f"{ROOT}/reference", f"{ROOT}/README.md"):
        if os.path.exists(path):  # the folder itself may exist: the venv can live under it
            won.append(f"sees {path}")
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
