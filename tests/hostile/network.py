# ATTACK: reach the network: TCP to a listener the test opened (on loopback and on the host's
# other addresses), UDP to it, and a DNS lookup.
# MUST: no PWNED and the listener gets no connection.
import socket

PORT = int("__PORT__")
ADDRESSES = __HOST_ADDRS__


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    for address in ADDRESSES:
        try:
            socket.create_connection((address, PORT), timeout=1).close()
            won.append(f"connected to {address}:{PORT}")
        except OSError:
            pass
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"hostile", (address, PORT))
        except OSError:
            pass
    try:
        socket.getaddrinfo("pypi.org", 443)
        won.append("resolved pypi.org")
    except OSError:
        pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
