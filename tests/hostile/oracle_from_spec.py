# ATTACK: the spec was imported by the grader before the child was forked, so the child's
# memory holds the Task objects, and a Task's `oracle` is torch's real conv1d, captured before
# any tripwire was installed. conv1d finds it with gc.get_objects() and calls it.
# Since the zygote, the child's Task is rebuilt from published data: its oracle is a stand-in
# that raises, so the attack fails outright.
# MUST: conv1d does not score full marks; flagged for review (gc).
import gc


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def _oracle():
    for obj in gc.get_objects():
        if type(obj).__name__ == "Task" and getattr(obj, "name", None) == "conv1d":
            return obj.oracle
    raise Found("no Task object found")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _oracle()(input, weight, bias, stride, padding, dilation, groups)
