"""Forbidden APIs: a static scan of the student's source and run-time tripwires in the child."""
from __future__ import annotations

import ast
import fnmatch
import importlib
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass

from torch.overrides import TorchFunctionMode


@dataclass(frozen=True)
class Finding:
    api: str  # the qualified name, e.g. torch.nn.functional.conv2d
    where: str  # file:line in the student's code


class ForbiddenCall(BaseException):
    """Raised by a tripwire; a BaseException so that `except Exception` cannot swallow it."""


def matches(name: str, patterns: tuple[str, ...]) -> str | None:
    """The pattern a qualified name falls under: `torch.nn.functional.conv*` (a `*` never spans
    a dot), or `scipy` for everything in scipy."""
    parts = name.split(".")
    for pattern in patterns:
        globs = pattern.split(".")
        if len(parts) >= len(globs) and all(fnmatch.fnmatchcase(p, g) for p, g in zip(parts, globs)) \
                and (len(parts) == len(globs) or "*" not in pattern):
            return pattern
    return None


# --- static scan --------------------------------------------------------------------------

def scan(source: str, filename: str, target: str, patterns: tuple[str, ...]) -> list[Finding]:
    """Forbidden names used by `target` or the module-level functions and classes it calls, and
    forbidden modules imported at all. Module-level statements are left to the run-time
    tripwires, which see which task actually calls what."""
    if not patterns:
        return []
    tree = ast.parse(source, filename)
    aliases = _import_aliases(tree)
    functions = {node.name: node for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for name in functions:
        aliases.pop(name, None)  # the student's own definition shadows an import
    todo, seen, scopes = [target], set(), []
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        scopes.append(functions[name])
        todo += [n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)]
    findings = []
    for scope in scopes:
        for node in ast.walk(scope):
            qualified = _qualified_name(node, aliases)
            if qualified and matches(qualified, patterns):
                findings.append(Finding(qualified, f"{filename}:{node.lineno}"))
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
                  and matches(f"torch.Tensor.{node.attr}", patterns)
                  and not _qualified_name(node.value, aliases)):
                findings.append(Finding(f"torch.Tensor.{node.attr}", f"{filename}:{node.lineno}"))
    for node in tree.body:  # importing a forbidden module at all, e.g. scipy
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                module = node.module if isinstance(node, ast.ImportFrom) else alias.name
                if module and any(module == p or module.startswith(p + ".") for p in patterns):
                    findings.append(Finding(module, f"{filename}:{node.lineno}"))
    return sorted(set(findings), key=lambda f: (int(f.where.rsplit(":", 1)[1]), f.api))


# What reaches into the grader rather than computing a result: flagged for a person to review.
REVIEW_MODULES = {"inspect": "frames", "gc": "the garbage collector's objects", "ctypes": "raw memory",
                  "_ctypes": "raw memory", "mmap": "raw memory", "importlib": "importing by computed names",
                  "builtins": "the builtins", "grader": "the grader's own modules", "signal": "signals",
                  "threading": "threads that outlive a call", "faulthandler": "the interpreter's internals"}
REVIEW_NAMES = {"sys._getframe": "frames", "sys.modules": "loaded modules", "sys.settrace": "tracing",
                "sys.setprofile": "tracing", "os.open": "raw file descriptors", "os.read": "raw file descriptors",
                "os.write": "raw file descriptors", "os.dup": "raw file descriptors", "os.dup2": "raw file descriptors",
                "os.fdopen": "raw file descriptors", "os.pipe": "raw file descriptors", "os.kill": "signals",
                "os.fork": "processes", "os.system": "processes", "subprocess": "processes"}
REVIEW_ATTRIBUTES = {"__code__": "code object surgery", "__globals__": "another function's globals",
                     "__closure__": "another function's closure", "__builtins__": "the builtins",
                     "__subclasses__": "every class in the interpreter", "f_back": "frames", "f_globals": "frames",
                     "f_locals": "frames", "tb_frame": "frames", "gi_frame": "frames", "cr_frame": "frames"}
REVIEW_CALLS = {"__import__": "importing by computed names", "eval": "code from strings", "exec": "code from strings",
                "compile": "code from strings", "open": "files", "globals": "module globals by name"}


_BY_NAME = ("getattr", "setattr", "delattr")


def review(source: str, filename: str) -> list[tuple[str, str, str]]:
    """(what, file:line, the line) for each place that reaches into the grader or the machine."""
    tree = ast.parse(source, filename)
    aliases, lines = _import_aliases(tree), source.splitlines()
    found = {}
    for node in ast.walk(tree):
        what = None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            what = next((f"imports {m} ({REVIEW_MODULES[m.split('.')[0]]})" for m in modules
                         if m.split(".")[0] in REVIEW_MODULES or m in REVIEW_NAMES), None)
        elif isinstance(node, ast.Attribute) and node.attr in REVIEW_ATTRIBUTES:
            what = f".{node.attr} ({REVIEW_ATTRIBUTES[node.attr]})"
        elif isinstance(node, ast.Attribute) and (name := _qualified_name(node, aliases)) in REVIEW_NAMES:
            what = f"{name} ({REVIEW_NAMES[name]})"
        elif isinstance(node, ast.Attribute) and (_qualified_name(node, aliases) or "").startswith(("torch._", "torch.ops")):
            what = "torch._* or torch.ops (torch's internals)"
        elif isinstance(node, ast.Name) and node.id in REVIEW_ATTRIBUTES:
            what = f"{node.id} ({REVIEW_ATTRIBUTES[node.id]})"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REVIEW_CALLS \
                and node.func.id not in aliases:
            what = f"{node.func.id}() ({REVIEW_CALLS[node.func.id]})"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BY_NAME \
                and len(node.args) > 1 and not isinstance(node.args[1], ast.Constant):
            what = f"{node.func.id}() with a computed name (hides which attribute it reaches)"
        if what and hasattr(node, "lineno"):
            line = lines[node.lineno - 1].strip()[:160] if node.lineno <= len(lines) else ""
            found.setdefault((node.lineno, what), (what, f"{filename}:{node.lineno}", line))
    return [found[key] for key in sorted(found)]


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _qualified_name(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


# --- run-time tripwires -------------------------------------------------------------------

class _Window:
    """Whether the student's code runs now (its import or a call of its function): then every
    tripwire refuses, whoever calls. One per child process, which grades one task."""

    armed = False
    watch: "_Watch | None" = None


_WINDOW = _Window()


class _Watch(TorchFunctionMode):
    """Sees every call of a torch function while the student's code runs, however the function
    was reached (a tripwire's closure, a class's __dict__, an object the grader holds): the
    original of a forbidden one is refused as its tripwire would be."""

    def __init__(self, originals: dict[int, tuple[str, object]], hits: list[Finding], student_file: str):
        super().__init__()
        self.originals, self.hits, self.student_file = originals, hits, student_file

    def __torch_function__(self, func, types, args=(), kwargs=None):
        known = self.originals.get(id(func))
        if known is not None and known[1] is func and _WINDOW.armed:
            self.hits.append(Finding(known[0], _where(self.student_file)))
            raise ForbiddenCall(f"{known[0]} is forbidden in this task")
        return func(*args, **(kwargs or {}))


@contextmanager
def student_running():
    _WINDOW.armed = True
    try:
        if _WINDOW.watch is None:
            yield
        else:
            with _WINDOW.watch:
                yield
    finally:
        _WINDOW.armed = False


@contextmanager
def grader_working():
    """The grader's own work inside a student call (autograd for the gradient checks): tripwires
    then refuse only where the student's code is on the stack, e.g. its own backward."""
    armed, _WINDOW.armed = _WINDOW.armed, False
    try:
        yield
    finally:
        _WINDOW.armed = armed


def install_tripwires(patterns: tuple[str, ...], hits: list[Finding], student_file: str) -> None:
    """Replace every forbidden callable with one that records the call and raises while the
    student's code runs, or wherever the student's code is on the stack.

    Installed in the child before the student's module is imported, so that
    `from torch.nn.functional import conv2d` picks up the tripwire too. A class becomes a subclass
    that cannot be built, so `isinstance` and subclassing still work; an object whose attributes
    are read-only (torch._C._VariableFunctions) is swapped for a guarded proxy in its parent.
    The originals are watched too (`_Watch`), for code that finds them elsewhere.
    """
    originals: dict[int, tuple[str, object]] = {}
    for pattern in patterns:
        owner_path, _, attr_glob = pattern.rpartition(".")
        owner = _resolve(owner_path) if owner_path else None
        if owner is None:  # a whole module, e.g. "scipy"
            sys.meta_path.insert(0, _ImportBlocker(pattern, hits, student_file))
            continue
        read_only = {}
        for attr in _names(owner, attr_glob):
            original = getattr(owner, attr, None)
            if not callable(original):
                continue
            wire = _tripwire(f"{owner_path}.{attr}", original, hits, student_file)
            originals.setdefault(id(original), (f"{owner_path}.{attr}", original))
            try:
                setattr(owner, attr, wire)
            except (AttributeError, TypeError):
                read_only[attr] = wire
        parent_path, _, name = owner_path.rpartition(".")
        if read_only and parent_path:
            setattr(_resolve(parent_path), name, _Guarded(owner, read_only))
    _WINDOW.watch = _Watch(originals, hits, student_file) if originals else None


def _names(owner, glob: str) -> list[str]:
    """The attributes a glob names, also the operators of a torch.ops namespace not loaded yet."""
    if "*" not in glob:
        return [glob]
    names = set(dir(owner))
    namespace = getattr(owner, "name", None)
    if type(owner).__name__ == "_OpNamespace" and isinstance(namespace, str):
        import torch

        names |= {op.split("::", 1)[1].split(".")[0] for op in torch._C._dispatch_get_all_op_names()
                  if op.startswith(namespace + "::")}
    return sorted(n for n in names if fnmatch.fnmatchcase(n, glob))


class _Guarded:
    """An object's stand-in whose forbidden attributes are tripwires."""

    def __init__(self, inner, wires: dict):
        self._inner, self._wires = inner, wires

    def __getattr__(self, name):
        return self._wires[name] if name in self._wires else getattr(self._inner, name)

    def __dir__(self):
        return dir(self._inner)


def _resolve(path: str):
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            obj = getattr(obj, part, None)
        return obj
    return None


def _where(student_file: str) -> str:
    frames = [f for f in traceback.extract_stack() if f.filename == student_file]
    if not frames:
        return "unknown place"
    frame = frames[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"


def _tripwire(name: str, original, hits: list[Finding], student_file: str):
    def refuse():
        hits.append(Finding(name, _where(student_file)))
        raise ForbiddenCall(f"{name} is forbidden in this task")

    if isinstance(original, type):
        def __init__(self, *args, **kwargs):
            if _WINDOW.armed or _student_on_stack(student_file) or _student_class(type(self), student_file):
                refuse()
            original.__init__(self, *args, **kwargs)
        return type(original.__name__, (original,), {"__init__": __init__, "__module__": original.__module__})

    def forbidden(*args, **kwargs):
        if _WINDOW.armed or _student_on_stack(student_file):
            refuse()
        return original(*args, **kwargs)
    forbidden.__name__ = name.rsplit(".", 1)[-1]
    forbidden.__module__, forbidden.__qualname__ = name.rpartition(".")[0], forbidden.__name__
    return forbidden


def _student_class(cls: type, student_file: str) -> bool:
    """The class, or one it inherits from, is the student's: built by the grader, it is still theirs."""
    return any(getattr(sys.modules.get(c.__module__), "__file__", None) == student_file for c in cls.__mro__)


def _student_on_stack(student_file: str) -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == student_file:
            return True
        frame = frame.f_back
    return False


class _ImportBlocker:
    def __init__(self, module: str, hits: list[Finding], student_file: str):
        self.module, self.hits, self.student_file = module, hits, student_file

    def find_spec(self, name, path=None, target=None):
        if (name == self.module or name.startswith(self.module + ".")) and (
                _WINDOW.armed or _student_on_stack(self.student_file)):
            self.hits.append(Finding(name, _where(self.student_file)))
            raise ForbiddenCall(f"importing {name} is forbidden in this task")
        return None
