# ATTACK: a Unix socket bound to a path is reached through the file system, not the network
# namespace: connect to one the test listens on under /tmp.
# MUST: no PWNED and the listener gets no connection (the path is not visible to the child).
import socket

SOCKET = "__UNIX_SOCKET__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(SOCKET)
            s.sendall(b"hostile")
    except OSError as error:
        raise Found(f"blocked: {error}")
    raise Found("PWN" f"ED: connected to {SOCKET}")
