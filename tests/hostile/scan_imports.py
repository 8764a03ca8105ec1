# BASE: assignment1/correct_naive/convolution.py
# ATTACK: none in itself: an honest, correct file that also imports a module that reaches the
# machine or the interpreter (the test puts one import form in place of __IMPORT__: subprocess,
# multiprocessing, threading, ctypes, importlib, `from os import fork, execv, system`, ...).
# `import subprocess` used to end the whole grading with "internal error: KeyError".
# MUST: graded as usual (conv1d full marks), and the import flagged for review.
__IMPORT__
