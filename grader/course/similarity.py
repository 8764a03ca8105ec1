"""Similar submissions across a class: fingerprints of normalised token streams, the pairs they link, clusters.

A hint for a person, never a grade: nothing here reads or changes a score.

The method is MOSS's and Dolos's. Each file becomes a stream of Python tokens in which what a
copier changes cheaply is made the same for everyone: identifiers that are not keywords, builtins,
attributes or the usual modules become one symbol, `for` and `while` one, every number one, every
string one; comments, docstrings, blank lines and line breaks inside brackets are dropped, `;` is a
line's end. The hashes of its k-grams (K tokens) are winnowed (the smallest hash of every window
of W k-grams), which keeps at least one fingerprint of every passage of K + W - 1 tokens that two
files share. The template, i.e. the assignment's stub files and the code of its statements, is
subtracted (every k-gram of it, not only the winnowed ones), and so are fingerprints that most of
a large class shares (MOSS's -m). A pair's score is the share of the two files' own tokens (not
the template's) that its shared fingerprints cover, (covered_a + covered_b) / (own_a + own_b), as
Dolos computes it: 0 to 1, symmetric, and a copy with dead code added still covers the original.
"""
from __future__ import annotations

import builtins
import io
import keyword
import math
import re
import shutil
import tempfile
import tokenize
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from grader.course import sources
from grader.engine.load import SubmissionError, find
from grader.i18n import say

K = 12  # tokens per k-gram: shorter ones match between any two solutions of the same statement
W = 6  # k-grams per winnowing window: a shared passage of K + W - 1 = 17 tokens is always found
THRESHOLD = 0.6  # pairs at or above it are shown on the page and link clusters: between the measured 0.40 and 0.78
MEASURED_INDEPENDENT = 0.40  # the highest score of two independent correct solutions (tests/test_similarity.py)
MEASURED_COPIES = 0.78  # the lowest score of a disguised copy with its original (the same test)
MIN_COMMON = 10  # a fingerprint is "common" only when more students than this have it ...
COMMON_SHARE = 0.5  # ... and more than this share of the class: MOSS's -m, Dolos's maxFingerprintPercentage
KEPT_NAMES = frozenset(dir(builtins)) | {"torch", "nn", "F", "np", "numpy", "math", "functools", "itertools",
                                         "operator", "self", "cls", "super"}
_LOOPS = {"for": "LOOP", "while": "LOOP"}
_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_PARTS = {getattr(tokenize, name) for name in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, name)}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_STATEMENT_START = {"NEWLINE", "INDENT", "DEDENT", None}
_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<info>[\w+-]*)[^\n]*\n(?P<code>.*?)^(?P=fence)[ \t]*$",
                    re.M | re.S)


@dataclass(frozen=True)
class Token:
    symbol: str  # the normalised token: "V" for an identifier, "LOOP", "#" for a number, "S" for a string, ...
    line: int  # 1-based, in its file


@dataclass(frozen=True)
class Student:
    """One student's code as the comparison reads it."""

    student: str  # the batch's id
    name: str = ""  # a display name where the source has one
    files: tuple[tuple[str, str], ...] = ()  # (module, text) in the order of the assignment's modules
    problem: str = ""  # why nothing could be read (such a student is in no pair)


@dataclass(frozen=True)
class Span:
    module: str
    first: int  # lines, 1-based, inclusive
    last: int


@dataclass(frozen=True)
class Fragment:
    """A passage found in both files: where it is in each, and its length in tokens."""

    a: Span
    b: Span
    tokens: int
    lines: int  # lines holding its tokens, on the side that has fewer


@dataclass(frozen=True)
class Pair:
    a: str  # student ids, a < b
    b: str
    score: float  # 0 to 1: the share of both files' own tokens the shared passages cover
    shared_lines: int  # lines of the shared passages, on the side that has fewer
    longest_fragment: int  # lines of the longest shared passage, on the side that has fewer
    fragments: tuple[Fragment, ...] = ()


@dataclass(frozen=True)
class Cluster:
    """Students linked by pairs at or above the threshold (each linked to another, not every one to every one)."""

    students: tuple[str, ...]
    top: float  # the highest score of a pair inside


@dataclass(frozen=True)
class Analysis:
    students: tuple[Student, ...]
    pairs: tuple[Pair, ...]  # every pair of readable students, the highest score first
    clusters: tuple[Cluster, ...]  # the largest first
    threshold: float
    k: int = K
    w: int = W

    def top_match(self) -> dict[str, tuple[str, float]]:
        """Each student's most similar other student and their score (students in no pair are absent)."""
        best: dict[str, tuple[str, float]] = {}
        for pair in self.pairs:  # highest first: the first seen is the top
            best.setdefault(pair.a, (pair.b, pair.score))
            best.setdefault(pair.b, (pair.a, pair.score))
        return best


# --- tokens ---------------------------------------------------------------------------------------

def tokens(text: str) -> list[Token]:
    """`text` as normalised tokens; a file that does not tokenise to its end keeps what came before."""
    raw: list[tuple[str, int]] = []
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, string, line = token.type, token.string, token.start[0]
            if kind in _DROPPED or kind in _FSTRING_PARTS:
                continue
            if kind == _FSTRING_START:
                raw.append(("S", line))
                continue
            if kind == tokenize.NAME:
                if keyword.iskeyword(string):
                    symbol = _LOOPS.get(string, string)
                elif previous == ".":
                    symbol = "." + string  # an attribute: torch's API, a tensor's method
                else:
                    symbol = string if string in KEPT_NAMES else "V"
            elif kind == tokenize.NUMBER:
                symbol = "#"
            elif kind == tokenize.STRING:
                symbol = "S"
            elif kind == tokenize.NEWLINE or string == ";":
                symbol = "NEWLINE"
            elif kind == tokenize.INDENT:
                symbol = "INDENT"
            elif kind == tokenize.DEDENT:
                symbol = "DEDENT"
            else:
                symbol = string
            if symbol == "NEWLINE" and raw and raw[-1][0] == "NEWLINE":
                continue  # `x = 1;` is one statement
            raw.append((symbol, line))
            previous = string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return _without_docstrings(raw)


def _without_docstrings(raw: list[tuple[str, int]]) -> list[Token]:
    """Drop the statements that are strings alone (docstrings, strings used as comments)."""
    kept: list[Token] = []
    i = 0
    while i < len(raw):
        start = kept[-1].symbol if kept else None
        if raw[i][0] == "S" and start in _STATEMENT_START:
            j = i
            while j < len(raw) and raw[j][0] == "S":
                j += 1
            if j == len(raw) or raw[j][0] == "NEWLINE":
                i = j + 1
                continue
        kept.append(Token(*raw[i]))
        i += 1
    return kept


def statement_code(markdown: str) -> list[str]:
    """The code blocks of a statement (Markdown): fenced blocks marked python or with no language."""
    return [m["code"] for m in _FENCE.finditer(markdown) if m["info"].lower() in ("", "python", "py", "python3")]


# --- fingerprints ---------------------------------------------------------------------------------

_SYMBOLS: dict[str, int] = {}


def _symbol_id(symbol: str) -> int:
    """A stable number per symbol (CRC-32, not Python's salted str hash): the same fingerprints in every run."""
    found = _SYMBOLS.get(symbol)
    if found is None:
        found = _SYMBOLS[symbol] = zlib.crc32(symbol.encode())
    return found


def kgram_hashes(stream: Sequence[Token], k: int = K) -> np.ndarray:
    """The hash of every k-gram of `stream` (int64, len(stream) - k + 1 of them, or none)."""
    if len(stream) < k:
        return np.zeros(0, dtype=np.int64)
    ids = [_symbol_id(t.symbol) for t in stream]
    return np.fromiter((hash(tuple(ids[i:i + k])) for i in range(len(ids) - k + 1)), dtype=np.int64,
                       count=len(ids) - k + 1)


def winnow(hashes: np.ndarray, w: int = W) -> np.ndarray:
    """The positions winnowing keeps: in every window of `w` hashes its smallest, the rightmost of equals."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= w:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    rightmost = w - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(rightmost + np.arange(len(windows)))


@dataclass(frozen=True)
class _File:
    module: str
    lines: np.ndarray  # the line of each token
    hashes: np.ndarray  # every k-gram's hash
    kept: np.ndarray  # the winnowed positions outside the template (and, later, the common fingerprints)
    own: np.ndarray  # per token: not covered by the template's k-grams


@dataclass
class _Prints:
    student: str
    files: list[_File] = field(default_factory=list)

    def own_tokens(self) -> int:
        return int(sum(f.own.sum() for f in self.files))

    def fingerprints(self) -> set[int]:
        return {int(h) for f in self.files for h in f.hashes[f.kept]}


def template_hashes(texts: Iterable[str], k: int = K) -> set[int]:
    """Every k-gram hash of the template's texts (stub files, the statements' code blocks)."""
    found: set[int] = set()
    for text in texts:
        found.update(int(h) for h in kgram_hashes(tokens(text), k))
    return found


def _covered(positions: np.ndarray, length: int, k: int) -> np.ndarray:
    """Per token: inside one of the k-grams that start at `positions`."""
    marks = np.zeros(length + 1, dtype=np.int64)
    np.add.at(marks, positions, 1)
    np.add.at(marks, np.minimum(positions + k, length), -1)
    return np.cumsum(marks[:length]) > 0


def _prints(student: Student, template: set[int], k: int, w: int) -> _Prints:
    result = _Prints(student.student)
    template_array = np.fromiter(template, dtype=np.int64, count=len(template))
    for module, text in student.files:
        stream = tokens(text)
        hashes = kgram_hashes(stream, k)
        in_template = np.isin(hashes, template_array)
        own = ~_covered(np.flatnonzero(in_template), len(stream), k)
        kept = winnow(hashes, w)
        kept = kept[~in_template[kept]]
        result.files.append(_File(module, np.array([t.line for t in stream], dtype=np.int64), hashes, kept, own))
    return result


def _drop_common(prints: list[_Prints], limit: int, k: int) -> None:
    """Forget the fingerprints that more than `limit` students have, as if they were the template."""
    holders: dict[int, int] = defaultdict(int)
    for p in prints:
        for h in p.fingerprints():
            holders[h] += 1
    common = np.fromiter((h for h, n in holders.items() if n > limit), dtype=np.int64)
    if not len(common):
        return
    for p in prints:
        for i, f in enumerate(p.files):
            hit = np.isin(f.hashes, common)
            own = f.own & ~_covered(np.flatnonzero(hit), len(f.own), k)
            p.files[i] = _File(f.module, f.lines, f.hashes, f.kept[~hit[f.kept]], own)


# --- pairs ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Point:
    file: int
    position: int  # of the k-gram's first token in its file


def _index(p: _Prints) -> tuple[list[tuple[int, _Point]], dict[int, list[int]]]:
    """The student's kept fingerprints in file order, and per hash where in that list it is."""
    order = [(int(f.hashes[pos]), _Point(i, int(pos))) for i, f in enumerate(p.files) for pos in f.kept]
    where: dict[int, list[int]] = defaultdict(list)
    for n, (h, _) in enumerate(order):
        where[h].append(n)
    return order, where


def _compare(pa: _Prints, pb: _Prints, ia, ib, k: int) -> Pair | None:
    order_a, where_a = ia
    order_b, where_b = ib
    shared = where_a.keys() & where_b.keys()
    if not shared:
        return None
    matches = {(x, y) for h in shared for x in where_a[h] for y in where_b[h]}
    runs = []  # (first, last) in each side's fingerprint list: consecutive matches in the same file
    for x, y in sorted(matches):
        if (x - 1, y - 1) in matches and _same_file(order_a, x - 1, x) and _same_file(order_b, y - 1, y):
            continue  # inside a run that starts earlier
        end_x, end_y = x, y
        while (end_x + 1, end_y + 1) in matches and _same_file(order_a, end_x, end_x + 1) \
                and _same_file(order_b, end_y, end_y + 1):
            end_x, end_y = end_x + 1, end_y + 1
        runs.append((x, end_x, y, end_y))
    fragments = []
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    for x, end_x, y, end_y in sorted(runs, key=lambda r: (r[0] - r[1], r[0], r[2])):  # the longest first
        if taken_a.isdisjoint(range(x, end_x + 1)) and taken_b.isdisjoint(range(y, end_y + 1)):
            taken_a.update(range(x, end_x + 1))
            taken_b.update(range(y, end_y + 1))
            fragments.append(_fragment(pa, pb, order_a[x][1], order_a[end_x][1], order_b[y][1], order_b[end_y][1], k))
    cover_a, cover_b = _cover(pa, [order_a[x][1] for x, _ in matches], k), _cover(pb, [order_b[y][1] for _, y in matches], k)
    own = pa.own_tokens() + pb.own_tokens()
    covered = sum(int((c & f.own).sum()) for c, f in zip(cover_a, pa.files)) \
        + sum(int((c & f.own).sum()) for c, f in zip(cover_b, pb.files))
    lines = min(_lines(cover_a, pa), _lines(cover_b, pb))
    fragments.sort(key=lambda f: (f.a.module, f.a.first, f.b.first))
    longest = max((f.lines for f in fragments), default=0)
    return Pair(pa.student, pb.student, round(min(covered / own, 1.0), 4) if own else 0.0, lines, longest,
                tuple(fragments))


def _same_file(order: list[tuple[int, _Point]], i: int, j: int) -> bool:
    return order[i][1].file == order[j][1].file


def _fragment(pa: _Prints, pb: _Prints, a0: _Point, a1: _Point, b0: _Point, b1: _Point, k: int) -> Fragment:
    def span(p: _Prints, start: _Point, end: _Point) -> tuple[Span, int]:
        f = p.files[start.file]
        lines = f.lines[start.position:min(end.position + k, len(f.lines))]
        return Span(f.module, int(lines[0]), int(lines[-1])), len(np.unique(lines))
    (a, lines_a), (b, lines_b) = span(pa, a0, a1), span(pb, b0, b1)
    return Fragment(a, b, a1.position - a0.position + k, min(lines_a, lines_b))


def _cover(p: _Prints, points: list[_Point], k: int) -> list[np.ndarray]:
    """Per file, per token: covered by one of the shared k-grams."""
    by_file: dict[int, list[int]] = defaultdict(list)
    for point in points:
        by_file[point.file].append(point.position)
    return [_covered(np.array(by_file.get(i, []), dtype=np.int64), len(f.lines), k) for i, f in enumerate(p.files)]


def _lines(cover: list[np.ndarray], p: _Prints) -> int:
    return sum(len(np.unique(f.lines[c & f.own])) for c, f in zip(cover, p.files))


def clusters(pairs: Iterable[Pair], threshold: float) -> tuple[Cluster, ...]:
    """Groups of students linked by pairs at or above `threshold` (union-find), the largest first."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    linked = [p for p in pairs if p.score >= threshold]
    for pair in linked:
        parent[root(pair.a)] = root(pair.b)
    groups: dict[str, list[str]] = defaultdict(list)
    for student in parent:
        groups[root(student)].append(student)
    top: dict[str, float] = defaultdict(float)
    for pair in linked:
        top[root(pair.a)] = max(top[root(pair.a)], pair.score)
    found = [Cluster(tuple(sorted(members)), top[r]) for r, members in groups.items() if len(members) > 1]
    return tuple(sorted(found, key=lambda c: (-len(c.students), -c.top, c.students)))


def compare(students: Sequence[Student], template: Iterable[str] = (), *, threshold: float = THRESHOLD,
            k: int = K, w: int = W, common: int | None = None) -> Analysis:
    """Every pair of `students` who have code, scored, with their shared passages; `template`: the
    texts whose code everyone was given (stubs, the statements' code blocks). `common`: a
    fingerprint more students than this share is ignored [default: more than half the class, once
    it has over MIN_COMMON students]."""
    given = template_hashes(template, k)
    readable = [s for s in students if s.files]
    prints = [_prints(s, given, k, w) for s in sorted(readable, key=lambda s: s.student)]
    limit = common if common is not None else max(MIN_COMMON, math.floor(COMMON_SHARE * len(prints)))
    _drop_common(prints, limit, k)
    indexes = [_index(p) for p in prints]
    holders: dict[int, list[int]] = defaultdict(list)  # which students have a fingerprint: only they are compared
    for n, (_, where) in enumerate(indexes):
        for h in where:
            holders[h].append(n)
    candidates = {(a, b) for group in holders.values() for i, a in enumerate(group) for b in group[i + 1:]}
    pairs = []
    for a in range(len(prints)):
        for b in range(a + 1, len(prints)):
            found = _compare(prints[a], prints[b], indexes[a], indexes[b], k) if (a, b) in candidates else None
            pairs.append(found or Pair(prints[a].student, prints[b].student, 0.0, 0, 0))
    pairs.sort(key=lambda p: (-p.score, -p.shared_lines, p.a, p.b))
    return Analysis(tuple(students), tuple(pairs), clusters(pairs, threshold), threshold, k, w)


# --- a class --------------------------------------------------------------------------------------

def course_template(folder: Path) -> list[str]:
    """What every student of an assignment was given: its stub files and the code blocks of its
    statements (README.md and its translations, README.ru.md)."""
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in sorted(folder.glob("*.py"))]
    for statement in sorted(folder.glob("README*.md")):
        texts += statement_code(statement.read_text(encoding="utf-8", errors="replace"))
    return texts


def read_class(entries: Sequence[sources.Entry], modules: tuple[str, ...], work: Path, language: str) -> list[Student]:
    """Each student's code as `grade batch` would grade it (load.find: a folder, .py, notebook or zip);
    one who has none gets the reason, in `language`."""
    students = []
    for entry in entries:
        if entry.path is None:
            problem = entry.problem.say(language) if entry.problem else say(language, "no submission")
            students.append(Student(entry.student, entry.name, (), problem))
            continue
        workdir = Path(tempfile.mkdtemp(prefix="similarity-", dir=work))
        try:
            found = find(entry.path, modules, workdir)
        except SubmissionError as error:
            students.append(Student(entry.student, entry.name, (), error.say(language)))
            continue
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        files, seen = [], set()
        for module in modules:  # a single .py or notebook stands for every module: read it once
            if module in found.sources and found.files[module] not in seen:
                seen.add(found.files[module])
                files.append((module, found.sources[module].decode("utf-8", errors="replace")))
        students.append(Student(entry.student, entry.name, tuple(files)))
    return students
