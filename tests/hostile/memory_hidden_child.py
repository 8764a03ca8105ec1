# ATTACK (found by the red team): a task's hidden cases run in a process of their own, which sees
# hidden inputs. The student's code tells which process it is in (the task's cases in the caller's
# frame), and there: raises at import with what it saw (the header), or ends with an exit status
# that encodes it; in the public process it ends at once, so that the hidden one's header or end
# would be what the report shows.
# MUST: nothing of the hidden process's header or end reaches the report's visible text.
import os
import sys

MODE = "__MODE__"


def _task():
    frame = sys._getframe()
    while frame is not None:
        if "task" in frame.f_locals and hasattr(frame.f_locals["task"], "cases"):
            return frame.f_locals["task"]
        frame = frame.f_back
    return None


_TASK = _task()
if _TASK is not None and all(case.hidden for case in _TASK.cases):
    if MODE == "header":
        raise ImportError("HIDDEN-LEAK " + repr([case.name for case in _TASK.cases])[:200])
    os._exit(97)
elif _TASK is not None:
    os._exit(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    raise RuntimeError("not reached")
