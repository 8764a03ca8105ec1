# BASE: assignment1/correct_naive/convolution.py
# ATTACK: search the child's whole memory (every object the garbage collector tracks, every frame
# on the stack with its locals) for what a grading holds besides the student's own work: the
# reference's code or text, the spec module and its functions, the lecture's pinned values, the
# report's path from the command line (a word that is never in this file whole), and a
# classmate's name and Moodle id from the batch's queue.
# MUST: nothing is found in single grading nor in a batch (no PWNED in the report); the public
# argument checks show "searched ... nothing".
import gc
import sys

_WORDS = ("cmdline-" + "s3cr3t", "Zzyzx" + "Qwerty", "14700" + "31", "Instructor " + "solution", "cases and known " + "wrong")
_FOUND = []  # searched once, on the first call


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("utf-8", "replace")


def _search():
    found = []
    objects = gc.get_objects()
    frame = sys._getframe()
    while frame is not None:
        objects.extend(frame.f_locals.values())
        objects.append(frame.f_code.co_filename)
        frame = frame.f_back
    for value in objects:
        for member in ([value] if not isinstance(value, (list, tuple, dict)) else
                       list(value.values()) + list(value.keys()) if isinstance(value, dict) else list(value)):
            for text in _texts(member):
                for word in _WORDS:
                    if word in text and text is not word:
                        found.append(f"{word}: {text[:60]!r}")
            code = getattr(member, "__code__", None) if callable(member) else None
            if code is not None and "/reference/assignment" in str(getattr(code, "co_filename", "")):
                found.append(f"reference code {code.co_filename}")
            if type(member).__name__ == "module" and "/reference/assignment" in str(getattr(member, "__file__", "")):
                found.append(f"reference module {member.__file__}")
            if type(member).__name__ == "Case" and getattr(member, "expect", None) is not None:
                found.append("a case's pinned value")
    return sorted(set(found)), len(objects)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if not _FOUND:
        _FOUND.append(_search())
    found, searched = _FOUND[0]
    if found:
        raise RuntimeError("PWNED: " + "; ".join(found)[:400])
    raise RuntimeError(f"searched {searched} objects: nothing")
