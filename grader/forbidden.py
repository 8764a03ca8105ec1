"""Forbidden APIs: a static scan of the student's source and run-time tripwires in the child."""
from __future__ import annotations

import ast
import fnmatch
import importlib
import sys
import traceback
from dataclasses import dataclass


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

def install_tripwires(patterns: tuple[str, ...], hits: list[Finding], student_file: str) -> None:
    """Replace every forbidden callable with one that records the call and raises.

    Installed in the child before the student's module is imported, so that
    `from torch.nn.functional import conv2d` picks up the tripwire too.
    """
    for pattern in patterns:
        owner_path, _, attr_glob = pattern.rpartition(".")
        owner = _resolve(owner_path) if owner_path else None
        if owner is None:  # a whole module, e.g. "scipy"
            sys.meta_path.insert(0, _ImportBlocker(pattern, hits, student_file))
            continue
        names = [a for a in dir(owner) if fnmatch.fnmatchcase(a, attr_glob)] if "*" in attr_glob else [attr_glob]
        for attr in names:
            if callable(getattr(owner, attr, None)):
                try:
                    setattr(owner, attr, _tripwire(f"{owner_path}.{attr}", hits, student_file))
                except (AttributeError, TypeError):  # a C type: the static scan still sees its use
                    pass


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


def _tripwire(name: str, hits: list[Finding], student_file: str):
    def forbidden(*args, **kwargs):
        hits.append(Finding(name, _where(student_file)))
        raise ForbiddenCall(f"{name} is forbidden in this task")
    forbidden.__name__ = name.rsplit(".", 1)[-1]
    return forbidden


class _ImportBlocker:
    def __init__(self, module: str, hits: list[Finding], student_file: str):
        self.module, self.hits, self.student_file = module, hits, student_file

    def find_spec(self, name, path=None, target=None):
        if name == self.module or name.startswith(self.module + "."):
            self.hits.append(Finding(name, _where(self.student_file)))
            raise ForbiddenCall(f"importing {name} is forbidden in this task")
        return None
