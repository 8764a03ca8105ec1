"""Makes this Linux Python look like Windows to the grader, for tests of native Windows. On
PYTHONPATH, it takes away what Windows lacks (fork, sessions, uids, O_NOFOLLOW and the other
POSIX open flags, dir_fd, the resource module), and, under `python -X warn_default_encoding`,
makes text I/O of the grader's without an explicit encoding an error: Windows would use its ANSI
code page there, which cannot hold Russian.

What stays Linux: the standard library's own internals (multiprocessing still spawns through
_posixsubprocess) and the file system (case-sensitive, forward slashes).
"""
import os
import sys
import warnings

for name in ("fork", "forkpty", "setsid", "killpg", "getuid", "geteuid", "getgid", "fchmod", "fchown",
             "O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK", "O_CLOEXEC"):
    if hasattr(os, name):
        delattr(os, name)
os.supports_dir_fd = set()
os.O_BINARY = 0  # Windows has it (and needs it: without it a read turns \r\n into \n); 0 on POSIX
sys.modules["resource"] = None  # import resource: ImportError, as on Windows
warnings.filterwarnings("ignore", category=EncodingWarning)  # other libraries' (torch reads /proc text)
warnings.filterwarnings("error", category=EncodingWarning, module=r"grader(\.|$)")
