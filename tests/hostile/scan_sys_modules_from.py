# BASE: assignment1/correct_naive/convolution.py
# ATTACK: the loaded modules reached without writing `sys.modules`: `from sys import modules`,
# then `modules[...]` with any key (the grader's own modules, gc), and the same through an alias,
# getattr and vars(). Through them a submission disarmed the tripwires (99.67/100) or replaced
# the grader's comparison, with no review flag: only attribute chains `sys.modules` were flagged.
# MUST: every line below flagged for review (this copy only looks, and conv1d stays correct).
from sys import modules
import sys as system

_forbidden = modules.get("grader.engine.forbidden")
_gc = modules["gc"]
_again = getattr(system, "modules")["gc"]
_and_again = vars(system)["modules"]
