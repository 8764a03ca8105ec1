"""What an assignment is: tasks, points and cases, declared as data by each assignment's spec."""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from grader.i18n import N_

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}

# What a task's checks are for; each group gets a declared share of the task's points.
GROUPS = ("results", "edge cases", "argument checks")
DEFAULT_SHARES = {"results": 0.7, "edge cases": 0.2, "argument checks": 0.1}


def recipe(factory: Callable[..., Callable]) -> Callable[..., Callable]:
    """Mark a factory of experiments or laws: what it makes remembers how it was made, so that a
    handout can store the recipe as data and make it again (`grader.course.handout`)."""
    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> Callable:
        made = factory(*args, **kwargs)
        setattr(made, "recipe", (make, args, kwargs))  # an attribute of a function: no type declares it
        return made
    return make


def load_checks(spec_file: str | Path) -> ModuleType:
    """The `checks.py` next to a spec: the experiments and laws that run around the student's code.
    Unlike the spec, it ships with the handout, so it must hold no solution and no known mistake."""
    path = Path(spec_file).with_name("checks.py")
    name = checks_module_name(path.parent.name)
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # its functions are found by module name in a handout
    module_spec.loader.exec_module(module)
    return module


def checks_module_name(assignment: str) -> str:
    return f"_grader_checks_{assignment}"


class Declared(BaseModel):
    """What a spec declares: immutable, and free to hold code (an oracle, a mistake's compute, a law)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")


class Tensor(Declared):
    """A tensor written out literally, e.g. a worked example from the lecture."""

    values: Any
    dtype: str = "float32"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(torch.tensor(self.values).shape)

    def build(self, device: str) -> torch.Tensor:
        return torch.tensor(self.values, dtype=DTYPES[self.dtype], device=device)


class Random(Declared):
    """A seeded standard-normal tensor; `contiguous=False` hands it over as a transposed view."""

    shape: tuple[int, ...]
    seed: int
    dtype: str = "float32"
    contiguous: bool = True
    negative: bool = False  # every value below 0: a window that reads padding shows it under every seed

    def build(self, device: str) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        shape = self.shape if self.contiguous else (*self.shape[:-2], self.shape[-1], self.shape[-2])
        tensor = torch.randn(shape, generator=generator, dtype=DTYPES[self.dtype])
        if self.negative:
            tensor = -tensor.abs() - 0.01
        if not self.contiguous:
            tensor = tensor.transpose(-1, -2)
        return tensor.to(device)


def random_tensors(rng: random.Random) -> Callable[..., Random]:
    """`r(2, 3, 8, 8, dtype="float64", contiguous=False)`: a `Random` tensor whose seed is the next
    draw of the spec's own stream `rng`."""
    def r(*shape: int, dtype: str = "float32", contiguous: bool = True) -> Random:
        return Random(shape=shape, seed=rng.randrange(2**31), dtype=dtype, contiguous=contiguous)
    return r


MODEL_MUST_NOT_RUN = N_("this model must not be run: compute the shapes from the layers' settings")


class Model(Declared):
    """An `nn.Module` built from a Python expression over `nn`, `torch` and `F`.

    Built on the meta device: shapes and parameter counts without memory, so AlexNet is cheap.
    With `runnable=False` every sub-module's `forward` raises, so a task that must compute
    shapes from hyper-parameters cannot get them by running the model.
    """

    code: str
    runnable: bool = True

    def build(self, device: str) -> torch.nn.Module:
        import torch.nn.functional as F

        with torch.device("meta"):
            model = eval(self.code, {"torch": torch, "nn": torch.nn, "F": F})  # trusted spec text
        if not self.runnable:
            for module in model.modules():
                module.forward = _forward_forbidden
        return model


def _forward_forbidden(*args, **kwargs):
    raise RuntimeError(MODEL_MUST_NOT_RUN)


def build(value: Any, device: str = "cpu") -> Any:
    """Turn a case's argument description into the real argument."""
    if isinstance(value, (Tensor, Random, Model)):
        return value.build(device)
    if isinstance(value, tuple):
        return tuple(build(v, device) for v in value)
    if isinstance(value, list):
        return [build(v, device) for v in value]
    if isinstance(value, dict):
        return {k: build(v, device) for k, v in value.items()}
    return value


# A law's verdict on an output: (diagnosis, message with {fields}, the fields), translated where shown.
Broken = tuple[str, str, dict]


class Case(Declared):
    """One call of the student's function. `raises`: an invalid-argument probe.

    `experiment(target, *args, **kwargs)` replaces the plain call `target(*args, **kwargs)` where a
    case needs more: build a module and run it, a property of the function, several steps. It runs
    the same way on the reference (float64 arguments) and on the student's code. `law(value, *args,
    **kwargs)` replaces comparing with the reference, for outputs that are random by design: it
    runs in the grader on the student's output and returns None or what it broke (`Broken`).
    """

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = Field(default_factory=dict)
    raises: bool = False
    hidden: bool = False  # the student never sees it: the handout leaves it out, reports show no details
                          # (a random sweep: `grader.kit.hidden(i)`, its first few public)
    requires_grad: bool = False  # inputs require grad: the output must keep its autograd graph
    expect: Any = None  # a value known independently (the lecture's), checked by check-reference
    note: str | None = None  # shown to the student when this case fails
    experiment: Callable[..., Any] | None = None
    law: Callable[..., Broken | None] | None = None
    call: str | None = None  # how messages show this case's call, where the arguments do not say it
    terms: int | None = None  # terms summed per output value (tolerance), where task.reduction does not fit
    group: Literal["results", "edge cases", "argument checks"] | None = None  # default: probes are argument checks
    weight: float = Field(default=1.0, gt=0)  # within its group (a lecture example may count more)

    @property
    def check_group(self) -> str:
        return self.group or ("argument checks" if self.raises else "results")


class NotApplicable(Exception):
    """What a Variant's `compute` raises where its mistake cannot happen in a case, or gives the
    right answer there: the case has no value for that mistake. Any other exception of a Variant
    is a defect of the spec, which `grade check-reference` reports."""


class Variant(Declared):
    """A known wrong answer: if the student's output equals it, `hint` says what went wrong.

    `compute(ref, *args, **kwargs)` is a wrong version of the task's target, given the reference
    module: called with the case's float64 arguments (or run by the case's experiment in its place).
    Where the mistake does not apply to a case, it raises `NotApplicable`.
    """

    code: str
    hint: str
    compute: Callable[..., Any]
    by_shape: bool = False  # also named when only the output's shape matches (a size-formula mistake)


class RaisedHint(Declared):
    """A known mistake that makes torch raise rather than give a wrong value: an exception whose
    message holds `fragment` is named `code`, and `hint` says what went wrong."""

    fragment: str
    code: str
    hint: str


class Task(Declared):
    name: str
    points: float
    target: str  # the name the student's module defines
    module: str | None = None  # the student's file defining it, when not the assignment's main one
    call: Literal["function", "mapping"] = "function"  # mapping: case.args[0] is a key of target
    forbidden: tuple[str, ...] = ()
    oracle: Callable[..., Any] | None = None  # torch's own answer, where torch has one
    variants: tuple[Variant, ...] = ()
    raised_hints: tuple[RaisedHint, ...] = ()
    reduction: Callable[..., int] | None = None  # terms summed per output element (tolerance)
    oracle_raises: bool = True  # probes must raise the exception class the oracle raises
    output_dtype: str | None = None  # for outputs not made from a float input, e.g. FILTERS
    shares: dict[str, float] | None = None  # of its points per check group; default: the assignment's (as loaded:
                                            # normalised over the groups it has)
    cases: tuple[Case, ...]
    withheld: int = 0  # hidden cases a handout leaves out: they run only when the instructor grades

    def run_order(self) -> list[int]:
        """The cases' indices in the order the student's code meets them: every public case first,
        so that nothing it saw in a hidden case can reach a public message."""
        return sorted(range(len(self.cases)), key=lambda index: self.cases[index].hidden)


class Assignment(Declared):
    name: str
    title: str
    module: str  # the student's file, e.g. "convolution.py"; a task may name another
    shares: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SHARES))  # each task's, unless it has its own
    tasks: tuple[Task, ...]

    def shares_of(self, task: Task) -> dict[str, float]:
        """The share of the task's points per group of checks it has (normalised over those)."""
        declared = task.shares or self.shares
        present = {case.check_group for case in task.cases}
        total = sum(share for group, share in declared.items() if group in present)
        return {group: share / total for group, share in declared.items() if group in present and total}

    def module_of(self, task: Task) -> str:
        return task.module or self.module

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.module_of(task) for task in self.tasks))

    @property
    def max_score(self) -> float:
        return sum(task.points for task in self.tasks)

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)


def installed_course() -> Path:
    """The course folder the grader is installed from (an editable install of the course repo)."""
    return Path(__file__).resolve().parent.parent


def assignment_names(root: Path | None = None) -> list[str]:
    """The course's assignments: its specs, or in a handout (no `reference/`) the ones it holds."""
    root = root or installed_course()
    if (root / "reference").is_dir():
        return sorted(p.parent.name for p in (root / "reference").glob("*/spec.py"))
    return sorted(p.parent.name for p in (root / "public").glob("*/spec.json"))


def load_assignment(name: str, seed: int = 0, root: Path | None = None) -> Assignment:
    """Import `reference/NAME/spec.py`, build its cases with `assignment()`, and draw the values of
    its random tensors for `seed`. The spec never sees the seed: every seed tests the same
    configurations (shapes, flags, strides), so that a grade does not depend on it."""
    root = root or installed_course()
    if name not in assignment_names(root) or not (root / "reference").is_dir():
        raise KeyError(name)
    path = root / "reference" / name / "spec.py"
    module_spec = importlib.util.spec_from_file_location(f"_grader_spec_{name}", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    built = module.assignment()
    tasks = tuple(task.model_copy(update={"shares": built.shares_of(task)}) for task in built.tasks)
    return reseed(built.model_copy(update={"tasks": tasks}), seed)


def _mixed(seed: int, case_seed: int) -> int:
    """A case's seed under a grading seed: a hash, so that a case's seed, which the student's code
    sees, does not give the grading seed away."""
    digest = hashlib.sha256(f"{seed}:{case_seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def reseed(assignment: Assignment, seed: int) -> Assignment:
    """The same cases with other values in their random tensors (seed 0: as the spec wrote them)."""
    if seed == 0:
        return assignment

    def values(value: Any) -> Any:
        if isinstance(value, Random):
            return value.model_copy(update={"seed": _mixed(seed, value.seed)})
        if isinstance(value, (tuple, list)):
            return type(value)(values(v) for v in value)
        if isinstance(value, dict):
            return {k: values(v) for k, v in value.items()}
        return value
    tasks = tuple(task.model_copy(update={"cases": tuple(
        case.model_copy(update={"args": values(case.args), "kwargs": values(case.kwargs)}) for case in task.cases)})
        for task in assignment.tasks)
    return assignment.model_copy(update={"tasks": tasks})
