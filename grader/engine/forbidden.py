"""Forbidden APIs: a static scan of the student's source and run-time tripwires in the child."""
from __future__ import annotations

import ast
import fnmatch
import functools
import importlib
import io
import os
import re
import sys
import tokenize
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, Collection, TypeGuard

from torch.overrides import TorchFunctionMode

from grader.i18n import N_, Message
from grader.i18n import message as i18n_message


@dataclass(frozen=True)
class Finding:
    """A forbidden API the student's code uses, and where: the file as the student knows it
    (`convolution.py`, `helpers/util.py`) and the line. A tripwire that caught a call with no line
    of the submission on the stack has no place: `file` is None."""

    api: str  # the qualified name, e.g. torch.nn.functional.conv2d
    file: str | None
    line: int = 0


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

class Unreadable(ValueError):
    """A source the scanners cannot read as the compiler would: flagged for review, never clean.
    `certain`: Python cannot compile it either (a syntax or encoding error, whose import fails).
    Not so for nesting too deep for this process's stack: that limit depends on the stack's depth
    when parsing, so the child that compiles it may well succeed."""

    def __init__(self, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.line = getattr(error, "lineno", None) or 1
        self.certain = not isinstance(error, (RecursionError, MemoryError))


TOO_DEEP = "code nested too deeply to scan"


@dataclass(frozen=True)
class Code:
    """A source as Python reads it: its syntax tree (walked once: every node, and the names its
    imports bind), and its lines as the tokenizer numbers them."""

    tree: ast.Module
    lines: tuple[str, ...]
    nodes: tuple[ast.AST, ...]
    aliases: dict[str, str]

    @functools.cached_property
    def uses(self) -> dict[str | None, "Uses"]:
        """What each top-level function or class reads, by its name (None: the module-level
        statements): worked out once, for every task that reaches it."""
        definitions = [node for node in self.tree.body if isinstance(node, _DEFINITIONS)]
        visible = {name: module for name, module in self.aliases.items()
                    if name not in {node.name for node in definitions}}  # a definition shadows an import
        module_level = [node for statement in self.tree.body if not isinstance(statement, _DEFINITIONS)
                        for node in ast.walk(statement)]
        found: dict[str | None, Uses] = {node.name: _uses(list(ast.walk(node)), self.aliases, visible)
                                         for node in definitions}
        found[None] = _uses(module_level, self.aliases, visible)
        return found


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Uses:
    """The names one part of a file reads: (line, name) pairs."""

    names: tuple[str, ...]  # plain names: the functions and classes it may call
    qualified: tuple[tuple[int, str], ...]  # dotted names through imports, e.g. torch.nn.functional.conv2d
    attributes: tuple[tuple[int, str], ...]  # attributes of values no import names (maybe a tensor's method)
    private: tuple[tuple[int, str], ...]  # private torch namespaces


def _uses(nodes: list[ast.AST], aliases: dict[str, str], visible: dict[str, str]) -> Uses:
    """What `nodes` read: names through `visible` (the imports no definition shadows), private
    torch names through every import (`aliases`)."""
    qualified: list[tuple[int, str]] = []
    attributes: list[tuple[int, str]] = []
    private: list[tuple[int, str]] = []
    for node in nodes:
        name = _qualified_name(node, visible)
        if name:
            qualified.append((_line(node), name))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                and not _qualified_name(node.value, visible):
            attributes.append((node.lineno, node.attr))
        for named in [*_imported(node, aliases), _qualified_name(node, aliases) or ""]:
            if found := private_torch(named):
                private.append((_line(node), found))
    return Uses(tuple(node.id for node in nodes if isinstance(node, ast.Name)), tuple(qualified), tuple(attributes),
                tuple(private))


def _line(node: ast.AST) -> int:
    """A node's line: every node that names something (an expression, a statement) has one."""
    return int(getattr(node, "lineno", 0))


def read(source: "bytes | str | Code", filename: str) -> Code:
    """Parse bytes exactly as `compile` does (the PEP 263 cookie, a BOM), so that the scanners see
    what runs; raises Unreadable where Python cannot read them either."""
    if isinstance(source, Code):
        return source
    try:
        tree = ast.parse(source, filename)  # bytes: decoded by the compiler itself
        text = source if isinstance(source, str) else \
            source.decode(tokenize.detect_encoding(io.BytesIO(source).readline)[0])
    except (SyntaxError, ValueError, LookupError, RecursionError, MemoryError) as error:
        raise Unreadable(error) from None
    # Python ends lines at \n, \r\n and \r only (str.splitlines also splits at \f, \x1c, ...)
    nodes = tuple(ast.walk(tree))
    return Code(tree, tuple(re.split(r"\r\n|\r|\n", text)), nodes, _import_aliases(nodes))


def private_torch(name: str) -> str | None:
    """The private torch namespace a name reaches (`torch._refs` for `torch._refs.nn.pad`,
    `torch.ops`, `torch.nn.functional._max_pool2d`), or None. Forbidden in student code for every
    task: torch's internals hold its own Python convolutions, pads, pools, ..."""
    parts = name.split(".")
    if parts[0] != "torch":
        return None
    for depth, part in enumerate(parts[1:], 2):
        if (part == "ops" and depth == 2) or (part.startswith("_") and not (part.startswith("__") and part.endswith("__"))):
            return ".".join(parts[:depth])
    return None


def scan(source: "bytes | str | Code", filename: str, target: str, patterns: tuple[str, ...]) -> list[Finding]:
    """Forbidden names used by `target` or the module-level functions and classes it calls,
    forbidden modules imported at all, and private torch names at module level or in what
    `target` reaches (another task's function only costs that task). Module-level
    statements are left to the run-time tripwires, which see which task actually calls what.
    Raises Unreadable for a source Python cannot compile either; a source it may compile but
    that cannot be scanned is a finding itself."""
    try:
        code = read(source, filename)
    except Unreadable as error:
        if error.certain:
            raise
        return [Finding(TOO_DEEP, filename, error.line)]
    todo: list[str | None] = [target]
    uses, reached = code.uses, set[str | None]([None])  # module-level code counts for every task
    while todo:
        name = todo.pop()
        if name not in reached and name in uses:
            reached.add(name)
            todo += uses[name].names
    findings = []
    for part in (uses[name] for name in reached):
        findings += [Finding(private, filename, line) for line, private in part.private]
        if part is uses[None]:
            continue  # module-level statements: the run-time tripwires see which task calls what
        findings += [Finding(name, filename, line) for line, name in part.qualified if matches(name, patterns)]
        findings += [Finding(f"torch.Tensor.{attribute}", filename, line) for line, attribute in part.attributes
                     if matches(f"torch.Tensor.{attribute}", patterns)]
    tree = code.tree
    for node in tree.body:  # importing a forbidden module at all, e.g. scipy
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                module = node.module if isinstance(node, ast.ImportFrom) else alias.name
                if module and any(module == p or module.startswith(p + ".") for p in patterns):
                    findings.append(Finding(module, filename, node.lineno))
    return sorted(set(findings), key=lambda f: (f.line, f.api))


# What reaches into the grader rather than computing a result: flagged for a person to review.
PROCESSES = N_("processes")
REVIEW_MODULES = {"inspect": N_("frames"), "gc": N_("the garbage collector's objects"), "ctypes": N_("raw memory"),
                  "_ctypes": N_("raw memory"), "mmap": N_("raw memory"), "importlib": N_("importing by computed names"),
                  "builtins": N_("the builtins"), "grader": N_("the grader's own modules"), "signal": N_("signals"),
                  "threading": N_("threads that outlive a call"), "_thread": N_("threads that outlive a call"),
                  "faulthandler": N_("the interpreter's internals"), "subprocess": PROCESSES,
                  "multiprocessing": PROCESSES, "concurrent": PROCESSES, "_posixsubprocess": PROCESSES,
                  "pty": PROCESSES, "posix": N_("the operating system's raw calls")}
REVIEW_NAMES = {"sys._getframe": N_("frames"), "sys._current_frames": N_("frames"), "sys.modules": N_("loaded modules"),
                "sys.settrace": N_("tracing"), "sys.setprofile": N_("tracing"), "os.open": N_("raw file descriptors"),
                "os.read": N_("raw file descriptors"), "os.write": N_("raw file descriptors"), "os.dup*": N_("raw file descriptors"),
                "os.fdopen": N_("raw file descriptors"), "os.pipe*": N_("raw file descriptors"), "os.kill*": N_("signals"),
                "os.fork*": PROCESSES, "os.exec*": PROCESSES, "os.spawn*": PROCESSES, "os.posix_spawn*": PROCESSES,
                "os.system": PROCESSES, "os.popen": PROCESSES, "os.register_at_fork": PROCESSES}
REVIEW_ATTRIBUTES = {"__code__": N_("code object surgery"), "__globals__": N_("another function's globals"),
                     "__closure__": N_("another function's closure"), "__builtins__": N_("the builtins"),
                     "__subclasses__": N_("every class in the interpreter"), "f_back": N_("frames"), "f_globals": N_("frames"),
                     "f_locals": N_("frames"), "tb_frame": N_("frames"), "gi_frame": N_("frames"), "cr_frame": N_("frames")}
REVIEW_CALLS = {"__import__": N_("importing by computed names"), "eval": N_("code from strings"), "exec": N_("code from strings"),
                "compile": N_("code from strings"), "open": N_("files"), "globals": N_("module globals by name")}
TORCH_INTERNALS = N_("torch's internals: forbidden in every task")


_BY_NAME = ("getattr", "setattr", "delattr")


def review(source: "bytes | str | Code", filename: str) -> list[tuple[Message, int, str]]:
    """(what, line number, the line) for each place that reaches into the grader or the machine,
    `what` a message (data, said where it is shown). Raises Unreadable for a source Python cannot
    read either."""
    code = read(source, filename)
    found: dict[tuple[int, str], tuple[Message, int, str]] = {}
    for node in code.nodes:
        for message, fields in _review_reasons(node, code.aliases):
            what = i18n_message(message, **{name: i18n_message(value) if name == "why" else value
                                            for name, value in fields.items()})
            number = _line(node)  # a node without a line has no reasons
            line = code.lines[number - 1].strip()[:160] if number <= len(code.lines) else ""
            found.setdefault((number, str(what)), (what, number, line))
    return [found[key] for key in sorted(found)]


def _review_reasons(node: ast.AST, aliases: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Why one node is worth a person's look, whatever form it takes: an import statement or call,
    a name imported with `from`, an attribute chain, `getattr`, `x.__dict__[...]`. Each reason is a
    message and its fields (`why` itself a message), said in the reader's language by `review`."""
    if not hasattr(node, "lineno"):
        return []
    imported = _imported(node, aliases)
    reasons = [(N_("imports {what} ({why})"), {"what": shown, "why": why})
               for name in imported for shown, why in [_why_name(name, imported=True)] if why]
    if isinstance(node, ast.ImportFrom) and node.module and any(alias.name == "*" for alias in node.names) \
            and any(pattern.startswith(node.module + ".") for pattern in REVIEW_NAMES):
        reasons.append((N_("from {module} import * (names it does not spell)"), {"module": node.module}))
    reached = not imported and isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
    name = _qualified_name(node, aliases) if reached else None
    listed = N_("{what} ({why})")
    if name and (shown_why := _why_name(name, imported=False))[1]:
        reasons.append((listed, {"what": shown_why[0], "why": shown_why[1]}))
    if isinstance(node, ast.Attribute) and node.attr in REVIEW_ATTRIBUTES:
        reasons.append((listed, {"what": f".{node.attr}", "why": REVIEW_ATTRIBUTES[node.attr]}))
    elif isinstance(node, ast.Name) and node.id in REVIEW_ATTRIBUTES:
        reasons.append((listed, {"what": node.id, "why": REVIEW_ATTRIBUTES[node.id]}))
    elif _calls(node, REVIEW_CALLS, aliases):
        reasons.append((listed, {"what": f"{_callee(node)}()", "why": REVIEW_CALLS[_callee(node)]}))
    elif _calls(node, _BY_NAME, aliases) and len(node.args) > 1:
        if _constant(node.args[1]) is None:
            reasons.append((N_("{call}() with a computed name (hides which attribute it reaches)"),
                            {"call": _callee(node)}))
        elif _qualified_name(node.args[0], aliases):
            reasons.append((N_("{call}() on a module (a name reached as a string)"), {"call": _callee(node)}))
    return reasons


def _why_name(name: str, imported: bool) -> tuple[str, str | None]:
    """(the name as the review lists show it, why it is listed) for a qualified name; why is None
    for a name not listed. Uses of a listed module are not flagged again: its import is."""
    private = private_torch(name)
    if private:
        return private, TORCH_INTERNALS
    pattern = matches(name, tuple(REVIEW_NAMES))
    if pattern:
        return ".".join(name.split(".")[:pattern.count(".") + 1]), REVIEW_NAMES[pattern]
    return name, REVIEW_MODULES.get(name.split(".")[0]) if imported else None


def _import_aliases(nodes: tuple[ast.AST, ...]) -> dict[str, str]:
    aliases = {}
    for node in nodes:
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
    """The dotted name an expression reaches from the file's imports, through attributes,
    `getattr(x, "name")`, `x.__dict__["name"]`, `vars(x)["name"]`, `sys.modules["name"]` and
    `importlib.import_module("name")`; None where it does not start at an import."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif _calls(node, ("getattr",), aliases) and len(node.args) > 1 and (name := _constant(node.args[1])):
            parts.append(name)
            node = node.args[0]
        elif isinstance(node, ast.Subscript) and (name := _constant(node.slice)) \
                and (namespace := _namespace_of(node.value, aliases)):
            parts.append(name)
            node = namespace
        elif isinstance(node, ast.Subscript) and (name := _constant(node.slice)) \
                and _dotted(node.value, aliases) == "sys.modules":
            return ".".join([name, *reversed(parts)])
        else:
            break
    base = aliases.get(node.id) if isinstance(node, ast.Name) else \
        next(iter(_imported(node, aliases)), None) if isinstance(node, ast.Call) else None
    return ".".join([base, *reversed(parts)]) if base else None


def _namespace_of(node: ast.AST, aliases: dict[str, str]) -> ast.AST | None:
    """x for `x.__dict__` or `vars(x)`: a subscript of them reaches x's attribute."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return node.value
    if _calls(node, ("vars",), aliases) and len(node.args) == 1:
        return node.args[0]
    return None


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """A plain attribute chain from an import, e.g. `sys.modules`."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([aliases[node.id], *reversed(parts)]) if isinstance(node, ast.Name) and node.id in aliases else None


def _imported(node: ast.AST, aliases: dict[str, str]) -> list[str]:
    """The modules (and, for `from m import n`, the names m.n) an import statement or an import
    by a constant name (`importlib.import_module("m")`, `__import__("m")`) brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    if isinstance(node, ast.Call) and node.args and (name := _constant(node.args[0])) and (
            _calls(node, ("__import__",), aliases) or _dotted(node.func, aliases) == "importlib.import_module"):
        return [name]
    return []


def _calls(node: ast.AST, names: Collection[str], aliases: dict[str, str]) -> TypeGuard[ast.Call]:
    """A call of one of the builtins `names`, not shadowed by an import."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names \
        and node.func.id not in aliases


def _callee(node: ast.Call) -> str:
    """The name a call by a plain name calls (`_calls` says it is one)."""
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value else None


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
            self.hits.append(_caught(known[0], self.student_file))
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
        names |= operator_names(namespace)
    return sorted(n for n in names if fnmatch.fnmatchcase(n, glob))


@functools.cache
def operator_names(namespace: str) -> frozenset[str]:
    """The operators torch has registered in a namespace (`aten`): read once, in the zygote, and
    inherited by every child (each would take some 5 ms a pattern to list them)."""
    import torch

    return frozenset(op.split("::", 1)[1].split(".")[0] for op in torch._C._dispatch_get_all_op_names()
                     if op.startswith(namespace + "::"))


class _Guarded:
    """An object's stand-in whose forbidden attributes are tripwires."""

    def __init__(self, inner, wires: dict):
        self._inner, self._wires = inner, wires

    def __getattr__(self, name):
        return self._wires[name] if name in self._wires else getattr(self._inner, name)

    def __dir__(self):
        return dir(self._inner)


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            obj = getattr(obj, part, None)
        return obj
    return None


def in_submission(filename: str, student_file: str) -> str | None:
    """`filename` as the student knows it (`convolution.py`, `helpers/util.py`) if it is a file of
    the submission, the graded file's folder and below; else None."""
    folder = os.path.dirname(student_file)
    if filename == student_file or (folder and filename.startswith(folder + os.sep)):
        return os.path.relpath(filename, folder) if folder else filename
    return None


def _caught(api: str, student_file: str) -> Finding:
    """`api` used at the innermost line of the submission's own files (the graded one or a helper)
    on the stack."""
    frames = [(shown, f) for f in traceback.extract_stack() if (shown := in_submission(f.filename, student_file))]
    if not frames:
        return Finding(api, None)
    shown, frame = frames[-1]
    return Finding(api, shown, frame.lineno or 0)


def _tripwire(name: str, original, hits: list[Finding], student_file: str):
    def refuse():
        hits.append(_caught(name, student_file))
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
    frame: FrameType | None = sys._getframe(2)
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
            self.hits.append(_caught(name, self.student_file))
            raise ForbiddenCall(f"importing {name} is forbidden in this task")
        return None
