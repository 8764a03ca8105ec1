"""Files and descriptors: opening files without following links, with the means each system has
(Windows lacks O_NOFOLLOW and dir_fd), and closing every descriptor a child must not keep."""
from __future__ import annotations

import os
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_COMMON = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)  # O_BINARY (Windows): no \r\n translation
READ_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _COMMON  # O_NONBLOCK: a FIFO cannot hang us
FOLDER_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | _COMMON
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _COMMON

# Whether a path can be walked one folder at a time by descriptor (openat), so that no folder on the
# way can be swapped for a link. Windows cannot; there each folder is checked with lstat instead.
# (os.supports_dir_fd lists os.stat, never os.lstat, which is os.stat without following links.)
WALK_BY_DESCRIPTOR = (os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd
                      and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY"))


def create_new(path: Path | str, mode: int = 0o644) -> int:
    """A descriptor of a new file at `path` with `mode` past the umask; fails if anything, a link
    included, is there already."""
    fd = os.open(path, NEW_FILE_FLAGS, mode)
    if hasattr(os, "fchmod"):  # Windows: no modes beyond read-only, and no sandbox uid to read it
        os.fchmod(fd, mode)
    return fd


def close_all_but(*keep: int) -> None:
    """Close every file descriptor above 2 but `keep`."""
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
