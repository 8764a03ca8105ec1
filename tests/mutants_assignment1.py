"""Buggy and hostile assignment 1 submissions: correct_naive with a few edits each (see mutants.py)."""
from mutants import registry

BASE = "assignment1/correct_naive/convolution.py"
MUTANTS, make = registry(BASE)


CONV2D_CALL = "    out = _correlate2d(x, weight, stride, dilation, groups)\n    if bias is not None:\n        out = out + bias.view(1, -1, 1, 1)\n"
CONV1D_CALL = "    out = _correlate1d(x, weight, stride[0], dilation[0], groups)\n"
CONV2D_HEAD = '''def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
'''
CONV1D_HEAD = '''def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
'''
CONV2D_PAD = "    x = pad(x, (left, right, top, bottom))\n"
CONV2D_RET = "        out = out + bias.view(1, -1, 1, 1)\n    return out.squeeze(0) if unbatched else out\n"
CONV1D_RET = "        out = out + bias.view(1, -1, 1)\n    return out.squeeze(0) if unbatched else out\n"

# ------------------------------------------------------------------ buggy
make("flipped_kernel", """
    SUBMISSION flipped_kernel (buggy): a copy of correct_naive with ONE bug.
    BUG: conv1d and conv2d flip the kernel (true mathematical convolution instead of
    torch's cross-correlation).  convolve2d is still correct.
    SHOULD HURT: conv1d and conv2d (any kernel that is not symmetric under a 180-degree turn).
    """, [
    (CONV1D_CALL, "    out = _correlate1d(x, weight.flip(-1), stride[0], dilation[0], groups)  # BUG: flipped\n"),
    ("    out = _correlate2d(x, weight, stride, dilation, groups)\n    if bias is not None:\n        out = out + bias.view(1, -1, 1, 1)\n",
     "    out = _correlate2d(x, weight.flip(-2, -1), stride, dilation, groups)  # BUG: flipped\n    if bias is not None:\n        out = out + bias.view(1, -1, 1, 1)\n"),
])

make("no_bias", """
    SUBMISSION no_bias (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d ignores the bias (it is still validated, just never added).
    SHOULD HURT: conv2d, only in cases where a (non-zero) bias is passed.
    """, [
    (CONV2D_RET, "        pass  # BUG: bias is never added\n    return out.squeeze(0) if unbatched else out\n"),
])

make("pad_one_side", """
    SUBMISSION pad_one_side (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d puts all of its zero padding (top+bottom, left+right) on the top/left and none
    on the bottom/right; the output shape is still right, the values are shifted.
    SHOULD HURT: conv2d, in cases with padding > 0 (int, tuple or "same" with kernel > 1).
    """, [
    (CONV2D_PAD, "    x = pad(x, (left + right, 0, top + bottom, 0))  # BUG: everything on top/left\n"),
])

make("same_wrong_side", """
    SUBMISSION same_wrong_side (buggy): a copy of correct_naive with ONE bug.
    BUG: padding="same" puts the extra (odd) padding element on the left/top instead of the
    right/bottom.
    SHOULD HURT: conv1d and conv2d with padding="same" where dilation*(kernel-1) is odd
    (even kernel with odd dilation).  Odd totals are split equally and stay correct.
    """, [
    ("                pads.append((total // 2, total - total // 2))   # extra one on the right\n",
     "                pads.append((total - total // 2, total // 2))   # BUG: extra one on the left\n"),
])

make("groups_ignored", """
    SUBMISSION groups_ignored (buggy): a copy of correct_naive with ONE bug.
    BUG: in conv2d every group reads the FIRST group's input channels.
    SHOULD HURT: conv2d with groups > 1 (conv1d and convolve2d are correct).
    """, [
    ("                p = patch[:, g * c_per_group:(g + 1) * c_per_group]               # (N, cg, kh, kw)\n",
     "                p = patch[:, 0:c_per_group]    # BUG: always the first group's channels\n"),
])

make("ceil_output", """
    SUBMISSION ceil_output (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d's output size uses ceil instead of floor: when (H + 2p - d(k-1) - 1) % s != 0
    the padded input is extended with zeros at the bottom/right so that one more (partial)
    window fits, giving an output one larger in that dimension.
    SHOULD HURT: conv2d with stride > 1 where the windows do not tile the padded input exactly.
    """, [
    (CONV2D_PAD, CONV2D_PAD + """    # BUG: round the output size up by padding zeros at the end
    extra = []
    for size, k, s, d in zip(x.shape[2:], weight.shape[2:], stride, dilation):
        rest = (size - d * (k - 1) - 1) % s
        extra.append(s - rest if rest else 0)
    x = pad(x, (0, extra[1], 0, extra[0]))
"""),
])

make("dilation_ignored", """
    SUBMISSION dilation_ignored (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d treats dilation as 1 (invalid dilations are still rejected).
    SHOULD HURT: conv2d with dilation != 1.
    """, [
    (CONV2D_HEAD, CONV2D_HEAD + """    if any(d <= 0 for d in _ntuple(dilation, 2, "dilation")):
        raise RuntimeError("dilation should be greater than zero")
    dilation = 1  # BUG: dilation ignored
"""),
])

make("dtype_float64", """
    SUBMISSION dtype_float64 (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d always returns float64 (values are right, dtype is wrong for float32 input).
    SHOULD HURT: conv2d with float32 (or any non-float64) input.
    """, [
    (CONV2D_RET, "        out = out + bias.view(1, -1, 1, 1)\n    out = out.to(torch.float64)  # BUG: dtype not preserved\n    return out.squeeze(0) if unbatched else out\n"),
])

make("inplace_input", """
    SUBMISSION inplace_input (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d negates its input tensor in place (through .data, so autograd does not
    notice) AFTER computing the output: the returned values are right, the caller's input
    is destroyed.
    SHOULD HURT: conv2d, the "input is not modified" check (any input with a non-zero value).
    """, [
    (CONV2D_RET, "        out = out + bias.view(1, -1, 1, 1)\n    input.data.neg_()  # BUG: modifies the caller's tensor in place\n    return out.squeeze(0) if unbatched else out\n"),
])

make("symmetric_reflect", """
    SUBMISSION symmetric_reflect (buggy): a copy of correct_naive with ONE bug.
    BUG: pad mode "reflect" repeats the edge element (numpy's 'symmetric': 2 1 | 1 2 3)
    instead of torch's reflect without the edge (3 2 | 1 2 3).
    SHOULD HURT: pad with mode="reflect" and a positive pad amount.
    """, [
    ("""            if j < 0:
                j = -j
            if j > size - 1:
                j = 2 * (size - 1) - j
""", """            if j < 0:
                j = -j - 1               # BUG: edge element repeated
            if j > size - 1:
                j = 2 * size - 1 - j     # BUG: edge element repeated
"""),
])

make("circular_reversed", """
    SUBMISSION circular_reversed (buggy): a copy of correct_naive with ONE bug.
    BUG: pad mode "circular" wraps the wrong way: the left padding is taken from the START of
    the signal and the right padding from its END.
    SHOULD HURT: pad with mode="circular" and 0 < pad < size (a pad equal to the whole
    length wraps to the same values either way).
    """, [
    ("        index = [j % kept for j in range(-left, kept + right)]\n",
     "        # BUG: left pad copies the first elements, right pad the last ones\n"
     "        index = list(range(left)) + list(range(kept)) + list(range(kept - right, kept))\n"),
])

make("convolve_not_flipped", """
    SUBMISSION convolve_not_flipped (buggy): a copy of correct_naive with ONE bug.
    BUG: convolve2d forgets to flip the kernel, i.e. computes cross-correlation.
    SHOULD HURT: convolve2d (any kernel not symmetric under a 180-degree turn).
    """, [
    ("    flipped = kernel.flip(0, 1)\n", "    flipped = kernel  # BUG: not flipped\n"),
])

make("numpy_output", """
    SUBMISSION numpy_output (buggy): a copy of correct_naive with ONE bug.
    BUG: conv1d returns a numpy array instead of a torch tensor (values are right).
    SHOULD HURT: conv1d (output type / dtype / autograd checks).
    """, [
    (CONV1D_RET, "        out = out + bias.view(1, -1, 1)\n    out = out.squeeze(0) if unbatched else out\n    return out.detach().cpu().numpy()  # BUG: numpy, not torch\n"),
])

make("wrong_filters", """
    SUBMISSION wrong_filters (buggy): a copy of correct_naive with ONE bug.
    BUG: FILTERS has left_sobel and right_sobel swapped.
    SHOULD HURT: filters (only the two sobel entries left/right).
    """, [
    ('''    "left_sobel": torch.tensor([[1.0, 0.0, -1.0],
                                [2.0, 0.0, -2.0],
                                [1.0, 0.0, -1.0]]),
    "right_sobel": torch.tensor([[-1.0, 0.0, 1.0],
                                 [-2.0, 0.0, 2.0],
                                 [-1.0, 0.0, 1.0]]),''',
     '''    # BUG: left and right sobel swapped
    "left_sobel": torch.tensor([[-1.0, 0.0, 1.0],
                                [-2.0, 0.0, 2.0],
                                [-1.0, 0.0, 1.0]]),
    "right_sobel": torch.tensor([[1.0, 0.0, -1.0],
                                 [2.0, 0.0, -2.0],
                                 [1.0, 0.0, -1.0]]),'''),
])

make("no_raise", """
    SUBMISSION no_raise (buggy): a copy of correct_naive with ONE bug.
    BUG: conv2d (groups=1) silently accepts a weight whose in-channel count does not match
    the input: both are cut down to the smaller channel count instead of raising
    RuntimeError.
    SHOULD HURT: conv2d's invalid-argument probe "channel mismatch" (groups=1) only.
    """, [
    (CONV2D_HEAD, CONV2D_HEAD + """    # BUG: "repair" a channel mismatch instead of raising
    if (groups == 1 and input.dim() in (3, 4) and weight.dim() == 4
            and input.shape[-3] != weight.shape[1]):
        channels = min(input.shape[-3], weight.shape[1])
        input = input[..., :channels, :, :]
        weight = weight[:, :channels]
"""),
])

# ------------------------------------------------------------------ hostile
HOST = """
    SUBMISSION {name} (hostile): correct_naive except {func}, which {what}.
    """
def hostile(name, func, what, head, body, extra_top="", ret=None):
    edits = [(head, head + body)]
    make(name, HOST.format(name=name, func=func, what=what), edits, extra_top)

hostile("infinite_loop", "conv2d", "never returns (busy loop, `while True: pass`)",
        CONV2D_HEAD, "    while True:  # HOSTILE: never returns\n        pass\n")
hostile("sys_exit", "conv1d", "calls sys.exit(0) (raises SystemExit, not an Exception)",
        CONV1D_HEAD, "    sys.exit(0)  # HOSTILE\n", extra_top="import sys\n")
hostile("os_exit", "conv1d", "kills its own process with os._exit(0) (exit status 0, no output)",
        CONV1D_HEAD, "    os._exit(0)  # HOSTILE\n", extra_top="import os\n")
hostile("segfault", "conv2d", "crashes the interpreter with a segmentation fault (ctypes.string_at(0))",
        CONV2D_HEAD, "    import ctypes\n    ctypes.string_at(0)  # HOSTILE: SIGSEGV\n")
hostile("memory_bomb", "conv2d", "allocates memory forever (64 MiB chunks, touched so they are really used)",
        CONV2D_HEAD, "    hoard = []\n    while True:  # HOSTILE: grows until killed\n        hoard.append(bytearray(b\"x\" * (64 << 20)))\n")
hostile("forbidden_direct", "conv2d", "just calls torch's own functional conv2d (forbidden API, found by a static scan)",
        CONV2D_HEAD, "    import torch.nn.functional\n    return torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)  # FORBIDDEN\n")
hostile("forbidden_dynamic", "conv2d", "fetches torch's functional conv2d by a computed name (forbidden API, invisible to a plain static scan)",
        CONV2D_HEAD, '    fn = getattr(__import__("torch").nn.functional, "con" + "v2d")  # FORBIDDEN, hidden\n    return fn(input, weight, bias, stride, padding, dilation, groups)\n')
hostile("exception", "conv2d", "raises IndexError from the line marked STUDENT-INDEX-ERROR",
        CONV2D_HEAD, "    three_items = [1, 2, 3]\n    return three_items[3]  # STUDENT-INDEX-ERROR: IndexError raised here on purpose\n")
hostile("fork_bomb", "conv1d", "forks children in an endless loop; every child sleeps 600 s and then exits",
        CONV1D_HEAD, """    while True:  # HOSTILE: endless forking
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.01)
            continue
        if pid == 0:
            time.sleep(600)
            os._exit(0)
""", extra_top="import os\nimport time\n")

# monkeypatch ---------------------------------------------------------------
MONKEY_TOP = '''

# HOSTILE: at import time make every common comparison say "equal".
def _always_true(*args, **kwargs):
    return True


def _all_true_tensor(self, other):
    try:
        shape = torch.broadcast_shapes(self.shape, getattr(other, "shape", ()))
    except Exception:
        shape = self.shape
    return torch.ones(shape, dtype=torch.bool, device=self.device)


def _all_false_tensor(self, other):
    return ~_all_true_tensor(self, other)


torch.allclose = _always_true
torch.equal = _always_true
torch.Tensor.allclose = _always_true
torch.Tensor.equal = _always_true
torch.Tensor.__eq__ = _all_true_tensor
torch.Tensor.eq = _all_true_tensor
torch.Tensor.__ne__ = _all_false_tensor
try:
    import torch.testing
    torch.testing.assert_close = lambda *args, **kwargs: None
except Exception:
    pass
try:
    import numpy
    numpy.allclose = _always_true
    numpy.array_equal = _always_true
    numpy.testing.assert_allclose = lambda *args, **kwargs: None
    numpy.testing.assert_array_equal = lambda *args, **kwargs: None
except Exception:
    pass
'''
make("monkeypatch", """
    SUBMISSION monkeypatch (hostile): correct_naive, plus at IMPORT time it replaces
    torch.allclose, torch.equal, Tensor.allclose, Tensor.equal, Tensor.__eq__/eq (all-True
    tensor), Tensor.__ne__ (all-False), torch.testing.assert_close (no-op) and numpy's
    allclose / array_equal / testing.assert_allclose / testing.assert_array_equal;
    conv2d then returns zeros of the right shape (arguments are still validated).
    A grader that compares inside the student's process is fooled.
    """, [
    ("\n\n# ---------------------------------------------------------------------------\n# Filters from the lecture\n",
     MONKEY_TOP + "\n\n# ---------------------------------------------------------------------------\n# Filters from the lecture\n"),
    (CONV2D_RET, "        out = out + bias.view(1, -1, 1, 1)\n    out = torch.zeros_like(out.detach())  # HOSTILE: wrong values, right shape\n    return out.squeeze(0) if unbatched else out\n"),
])

# fake_print ------------------------------------------------------------------
make("fake_print", """
    SUBMISSION fake_print (hostile): correct_naive except conv2d, which prints fake grader
    output ("PASSED 100/100", JSON-looking result lines, a pytest summary) to stdout AND
    stderr, then returns random garbage of the right shape, dtype and device.
    """, [
    (CONV2D_RET, '''        out = out + bias.view(1, -1, 1, 1)
    # HOSTILE: pretend to be the grader
    fake = [
        "PASSED 100/100",
        '{"task": "conv2d", "status": "passed", "passed": true, "score": 100, "max_score": 100}',
        '{"assignment": "assignment1", "score": 100, "max_score": 100, "failures": 0, "tests": 100}',
        '{"results": [{"name": "conv2d", "outcome": "passed"}], "summary": {"passed": 100, "failed": 0}}',
        "RESULT: PASS",
        "============================== 100 passed in 0.42s ==============================",
    ]
    for line in fake:
        print(line, flush=True)
        print(line, file=sys.stderr, flush=True)
    out = torch.rand_like(out.detach()) * 1000  # garbage
    return out.squeeze(0) if unbatched else out
'''),
], extra_top="import sys\n")

# reads_reference -------------------------------------------------------------
STEAL = '''

# HOSTILE: go looking for the instructors' reference solution.
def _steal_reference_conv2d():
    """Return a conv2d found in a reference solution, or None."""
    import glob
    import importlib
    import importlib.util
    import os
    import sys

    found = None
    here = os.path.dirname(os.path.abspath(__file__))
    bases = []
    for start in (here, os.getcwd()):
        path = start
        while True:
            bases.append(path)
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    seen = set()
    for base in bases:
        for guess in (os.path.join(base, "..", "..", "reference", "assignment1", "convolution.py"),
                      os.path.join(base, "reference", "assignment1", "convolution.py")):
            guess = os.path.normpath(guess)
            if guess in seen:
                continue
            seen.add(guess)
            try:
                with open(guess) as handle:
                    handle.read()
                spec = importlib.util.spec_from_file_location("stolen_reference", guess)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                if found is None and callable(getattr(module, "conv2d", None)):
                    found = module.conv2d
            except Exception:
                pass
        ref_dir = os.path.join(base, "reference")
        if os.path.isdir(ref_dir) and ref_dir not in seen:
            seen.add(ref_dir)
            for name in glob.glob(os.path.join(ref_dir, "**", "*"), recursive=True)[:2000]:
                try:
                    with open(name, "rb") as handle:
                        handle.read()
                except Exception:
                    pass
    for module_name in ("reference", "reference.assignment1", "reference.assignment1.convolution"):
        try:
            module = importlib.import_module(module_name)
            if found is None and callable(getattr(module, "conv2d", None)):
                found = module.conv2d
        except Exception:
            pass
    for module_name, module in list(sys.modules.items()):
        if "reference" in module_name.lower() and module is not None:
            candidate = getattr(module, "conv2d", None)
            if found is None and callable(candidate) and candidate is not conv2d:
                found = candidate
    return found
'''
make("reads_reference", """
    SUBMISSION reads_reference (hostile): correct_naive except conv2d, which tries to read the
    reference solution: opens ../../reference/assignment1/convolution.py and
    reference/assignment1/convolution.py relative to every parent of its own folder and of the
    working directory, reads every file under any reference/ folder it finds, imports
    `reference`, `reference.assignment1(.convolution)`, and scans sys.modules for anything
    named *reference*.  If it finds a conv2d there it returns that function's result;
    otherwise it returns zeros of the right shape (so a sandbox that hides the reference
    makes it fail conv2d's value checks).
    """, [
    ("\n\n# ---------------------------------------------------------------------------\n# Public convolutions\n",
     STEAL + "\n\n# ---------------------------------------------------------------------------\n# Public convolutions\n"),
    (CONV2D_HEAD, CONV2D_HEAD + "    stolen = _steal_reference_conv2d()  # HOSTILE\n    if stolen is not None:\n        return stolen(input, weight, bias, stride, padding, dilation, groups)\n"),
    (CONV2D_RET, "        out = out + bias.view(1, -1, 1, 1)\n    out = torch.zeros_like(out.detach())  # nothing stolen: zeros\n    return out.squeeze(0) if unbatched else out\n"),
])
