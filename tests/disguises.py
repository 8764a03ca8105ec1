"""Disguised copies of a solution, as a student who copies one makes them: each disguise is a
function from source text to source text that keeps the program's meaning (tests/test_similarity.py,
tests/benchmarks/similarity_speed.py)."""
from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import re
import tokenize
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"


def _replace_tokens(text: str, change: Callable[[tokenize.TokenInfo, str], str | None]) -> str:
    """`text` with some tokens replaced (`change` returns the new string, or None to keep it), the
    layout kept: tokens are replaced in place, line by line."""
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        new = change(token, previous)
        if new is not None and token.start[0] == token.end[0]:
            edits.append((token.start[0], token.start[1], token.end[1], new))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.string
    for row, start, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def rename(text: str, seed: int = 0) -> str:
    """Every name the module defines (functions, arguments, variables) renamed consistently."""
    tree = ast.parse(text)
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    defined -= set(dir(builtins)) | {"self"}
    rng = random.Random(seed)
    words = ["val", "tmp", "arr", "res", "q", "z", "data", "item", "acc", "buf", "thing", "elem"]
    names = {name: f"{rng.choice(words)}_{n}" for n, name in enumerate(sorted(defined))}

    def change(token, previous):
        if token.type == tokenize.NAME and token.string in names and previous != "." \
                and not keyword.iskeyword(token.string):
            return names[token.string]
        return None
    return _replace_tokens(text, change)


def reorder(text: str) -> str:
    """The module's top-level functions in the opposite order (everything else where it was)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    blocks = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        blocks.append((first, node.end_lineno, isinstance(node, ast.FunctionDef)))
    functions = [b for b in blocks if b[2]]
    chunks = ["".join(lines[a - 1:b]) for a, b, _ in functions][::-1]
    out, cursor, taken = [], 1, iter(chunks)
    for a, b, is_function in blocks:
        out.append("".join(lines[cursor - 1:a - 1]))
        out.append(next(taken) if is_function else "".join(lines[a - 1:b]))
        cursor = b + 1
    out.append("".join(lines[cursor - 1:]))
    return "".join(out)


def recomment(text: str) -> str:
    """Comments rewritten in other words and docstrings replaced (half of them removed)."""
    def change(token, previous):
        if token.type == tokenize.COMMENT:
            return "# " + " ".join(reversed(token.string.lstrip("# ").split()))[:60]
        return None
    text = _replace_tokens(text, change)
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    docstrings = sorted((node.body[0] for node in ast.walk(tree)
                         if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                         and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
                         and isinstance(node.body[0].value.value, str)), key=lambda n: n.lineno, reverse=True)
    for n, doc in enumerate(docstrings):
        indent = re.match(r"\s*", lines[doc.lineno - 1]).group()
        new = [f'{indent}"""My own words about this part, number {n}."""\n'] if n % 2 else [f"{indent}pass\n"]
        lines[doc.lineno - 1:doc.end_lineno] = new
    return "".join(lines)


def dead_code(text: str) -> str:
    """Statements that do nothing at the start of every function, and two functions nobody calls."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), key=lambda n: -n.lineno):
        first = node.body[0]
        indent = re.match(r"\s*", lines[first.lineno - 1]).group()
        lines[first.lineno - 1:first.lineno - 1] = [f"{indent}_unused = [0] * 3\n",
                                                    f"{indent}if len(_unused) > 10:\n",
                                                    f"{indent}    print('never', _unused)\n"]
    lines.append("\n\ndef _helper_never_called(values):\n    total = 0\n    for value in values:\n"
                 "        total += value * 2\n    return total\n\n\ndef _debug(x):\n    print(x.shape, x.dtype)\n"
                 "    return x\n")
    return "".join(lines)


_RANGE_FOR = re.compile(r"^(?P<indent>[ \t]*)for (?P<var>\w+) in range\((?P<args>[^()]*(\([^()]*\)[^()]*)*)\):[ \t]*$")


def _split_args(args: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(args):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
    return parts + [args[start:].strip()]


def for_to_while(text: str) -> str:
    """`for i in range(a, b):` loops (one or two arguments, no `continue`) rewritten as `while` loops."""
    for _ in range(10):  # nested loops: the inner ones on the next pass
        text, before = _while_once(text), text
        if text == before:
            break
    return text


def _while_once(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _RANGE_FOR.match(lines[i].rstrip("\n"))
        args = _split_args(match["args"]) if match else []
        if not match or len(args) > 2:
            out.append(lines[i])
            i += 1
            continue
        indent, var = match["indent"], match["var"]
        start, stop = (args if len(args) == 2 else ["0", args[0]])
        end = i + 1
        while end < len(lines) and (not lines[end].strip()
                                    or len(lines[end]) - len(lines[end].lstrip()) > len(indent)):
            end += 1
        body = lines[i + 1:end]
        while body and not body[-1].strip():
            body.pop()
        if any(re.search(r"\bcontinue\b", line) for line in body):
            out.append(lines[i])
            i += 1
            continue
        inner = re.match(r"\s*", body[0]).group() if body else indent + "    "
        out += [f"{indent}{var} = {start}\n", f"{indent}while {var} < {stop}:\n", *body, f"{inner}{var} += 1\n"]
        i = i + 1 + len(body)
    return "".join(out)


def reformat(text: str) -> str:
    """The module as `ast.unparse` writes it: another layout, quotes and brackets, comments gone."""
    return ast.unparse(ast.parse(text)) + "\n"


DISGUISES: dict[str, Callable[[str], str]] = {
    "rename": rename, "reorder": reorder, "recomment": recomment, "dead_code": dead_code,
    "for_to_while": for_to_while, "reformat": reformat,
    "all": lambda text: reformat(dead_code(for_to_while(recomment(reorder(rename(text, 7)))))),
    "rename+reorder+comments": lambda text: recomment(reorder(rename(text, 3))),
}


def styles(assignment: str) -> dict[str, dict[str, str]]:
    """The independent correct solutions of an assignment: the styles in tests/submissions and the
    reference, each as module -> text."""
    found = {}
    for folder in sorted((SUBMISSIONS / assignment).iterdir()):
        found[folder.name] = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))}
    modules = sorted(p.name for p in (ROOT / "assignments" / assignment).glob("*.py"))
    found["reference"] = {m: (ROOT / "reference" / assignment / m).read_text(encoding="utf-8") for m in modules}
    return found


def disguised(files: dict[str, str], disguise: str) -> dict[str, str]:
    return {module: DISGUISES[disguise](text) for module, text in files.items()}
