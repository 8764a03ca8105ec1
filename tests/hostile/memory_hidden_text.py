# ATTACK: at import, read this process's whole memory (every readable mapping, through ctypes:
# /proc/self/mem is closed to an undumpable process) and count the published cases marked hidden
# in it (the request's JSON text, not parsed objects): their shapes, settings and seeds would come
# back in the public checks' messages.
# MUST: the process that runs the public cases holds no hidden case's text ("hidden texts seen: 0").
import ctypes
import re

_HIDDEN = re.compile(rb'"hidde[n]": true')  # written so that this file's own text does not match
_SEEN = 0
with open("/proc/self/maps") as maps:
    for line in maps:
        fields = line.split()
        start, end = (int(part, 16) for part in fields[0].split("-"))
        if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        _SEEN += len(_HIDDEN.findall(ctypes.string_at(start, end - start)))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    raise RuntimeError(f"hidden texts seen: {_SEEN}")
