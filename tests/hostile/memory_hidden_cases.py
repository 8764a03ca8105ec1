# ATTACK: at import, find the hidden cases in the child's memory (the Case objects of its task, with
# their shapes, settings and seeds) and report them through the public checks' messages: with the
# hidden inputs rebuilt offline, a later submission could answer them from a lookup table.
# MUST: the process that runs the public cases holds no hidden case ("hidden cases seen: 0").
import gc

_SEEN = sorted(repr(getattr(obj, "args", ""))[:40] for obj in gc.get_objects()
               if type(obj).__name__ == "Case" and getattr(obj, "hidden", False))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    raise RuntimeError(f"hidden cases seen: {len(_SEEN)} {_SEEN[:2]}")
