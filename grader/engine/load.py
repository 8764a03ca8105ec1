"""Read a submission once (a folder, a .py file, a notebook or a .zip) into the grader's own copy."""
from __future__ import annotations

import bisect
import errno
import functools
import hashlib
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Callable

from grader.engine import files
from grader.i18n import N_, Message, ReaderError, message, plain

MAX_ENTRIES = 2_000  # files and folders walked in a folder, members in a zip
MAX_PY_FILES = 500
MAX_FILE_BYTES = 16 * 2**20
MAX_TOTAL_BYTES = 64 * 2**20
MAX_CELLS = 2_000  # a notebook's cells: the grader reads each one
_SKIP = {"__pycache__", "__MACOSX", ".ipynb_checkpoints"}

Reader = Callable[[PurePosixPath, int], bytes]  # (path inside the submission, at most so many bytes) -> bytes


class SubmissionError(ReaderError, ValueError):
    """The submission cannot be graded as given (missing, unreadable, wrong kind)."""

    def __init__(self, message: str, /, **fields: Any):
        super().__init__(message, **{name: one_line(value) for name, value in fields.items()})


def one_line(value: Any) -> Any:
    """A field of an error's message: names come from a submission, so one line, no terminal escapes."""
    if isinstance(value, (int, float)):
        return value
    return re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", "?", str(value))[:1000]


@dataclass(frozen=True)
class Submission:
    origin: Path  # what the user named
    folder: Path  # the grader's copy of the .py files (under workdir); the student's code sees it read-only
    files: dict[str, Path]  # module name (e.g. pooling.py) -> its file inside `folder`; absent if not submitted
    sources: dict[str, bytes]  # module name -> the bytes read once: these are scanned and these are executed
    notebook: Path | None = None  # the notebook the code was extracted from, if any
    cell_starts: tuple[int, ...] = ()  # the module line where each of its code cells begins
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()  # (message, fields) the student must read: a file taken by a near name

    @functools.cached_property
    def sha256(self) -> str:
        """The fingerprint of what was graded: every copied file's path and bytes (read once: a
        batch compares it with the store before grading, and the report carries it)."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(self.folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def place(self, file: str, line: int) -> Message:
        """A line of the submission as a reader finds it: `file.py:LINE`, or in a notebook `work.ipynb
        code cell N, line L`."""
        if self.notebook and file in {path.name for path in self.files.values()}:
            cell = bisect.bisect_right(self.cell_starts, line)
            if cell:
                return message("{notebook} code cell {cell}, line {line}", notebook=self.notebook.name, cell=cell,
                               line=line - self.cell_starts[cell - 1] + 1)
        return spot(file, line)


def spot(file: str, line: int) -> Message:
    """A line of the student's code: `file.py:LINE` (`Submission.place` says a notebook's cell)."""
    return plain("{file}:{line}", file=file, line=str(line))


def find(origin: Path, modules: tuple[str, ...], workdir: Path) -> Submission:
    """The module files (e.g. pooling.py, im2col.py) of `origin`, copied into `workdir/submission`;
    a single .py or notebook stands for all of them. The caller owns and removes `workdir`."""
    origin = Path(origin)
    mode = _lstat(origin).st_mode
    copy = _Copy(origin, Path(workdir) / "submission")
    if stat.S_ISDIR(mode):
        return _choose(origin, *_walk(origin), _folder_reader(origin), modules, copy)
    suffix = origin.suffix.lower()
    if suffix not in (".py", ".ipynb", ".zip"):
        raise SubmissionError("cannot grade {name}: expected a folder, .py, .ipynb or .zip", name=origin.name)
    name = PurePosixPath(origin.name)
    read = _file_reader(origin)
    if suffix == ".py":
        path, source = copy.take(name, read)
        return Submission(origin, copy.folder, dict.fromkeys(modules, path), dict.fromkeys(modules, source))
    if suffix == ".ipynb":
        return _from_notebook(origin, name, read, modules, copy)
    archive = _zip_bytes(origin, read)
    try:
        zipped = zipfile.ZipFile(archive)
    except Exception:  # zipfile raises many kinds on a damaged archive
        raise SubmissionError("{name} is not a valid zip file", name=origin.name) from None
    with zipped:
        return _choose(origin, *_members(origin, zipped), _zip_reader(zipped), modules, copy)


def _lstat(origin: Path) -> os.stat_result:
    try:
        status = os.lstat(origin)
    except FileNotFoundError:
        raise SubmissionError("no such file or folder: {path}", path=origin) from None
    except OSError as error:
        raise SubmissionError("cannot read {path}: {why}", path=origin, why=error.strerror) from None
    if stat.S_ISLNK(status.st_mode):
        raise SubmissionError("{path} is a symbolic link: submit the file or folder itself", path=origin)
    return status


MAX_NAMED = 10  # files named in a message that says what a submission holds


def _choose(origin: Path, sources: list[PurePosixPath], notebooks: list[PurePosixPath], read: Reader,
            modules: tuple[str, ...], copy: _Copy) -> Submission:
    """Each module, the shallowest if nested, with every .py beside it; else the only notebook."""
    chosen = {module: path for module in modules if (path := _shallowest(origin, sources, module))}
    near = {module: path for module in modules if module not in chosen and (path := _nearest(origin, sources, module))}
    if chosen or near:
        if len(sources) > MAX_PY_FILES:
            raise SubmissionError("{name} holds {count} .py files; the limit is {limit}", name=origin.name,
                                  count=len(sources), limit=MAX_PY_FILES)
        copied = {path: copy.take(path, read) for path in sources}
        files = {m: copied[p][0] for m, p in chosen.items()}
        for module, path in near.items():  # under its own name too: `import convolution` finds it
            files[module] = copy.write(path.with_name(module), copied[path][1])
        notes = [(N_("{file} is graded as {module}: name it exactly so"), {"file": str(path), "module": module})
                 for module, path in near.items()]
        notes += [(N_("{module} is graded; {others} too are in the submission and are not graded"),
                   {"module": str(path), "others": ", ".join(map(str, others))})
                  for module, path in chosen.items() if (others := _near_names(sources, module, path))]
        return Submission(origin, copy.folder, files, {m: copied[p][1] for m, p in {**chosen, **near}.items()},
                          notes=tuple((message, {k: one_line(v) for k, v in fields.items()}) for message, fields in notes))
    if len(notebooks) == 1:
        return _from_notebook(origin, notebooks[0], read, modules, copy)
    named, last = ", ".join(modules[:-1]), modules[-1]
    if notebooks and named:
        raise SubmissionError("no {files} or {last} in {origin} and {count} notebooks, not one", files=named, last=last,
                              origin=origin.name, count=len(notebooks))
    if notebooks:
        raise SubmissionError("no {file} in {origin} and {count} notebooks, not one", file=last, origin=origin.name,
                              count=len(notebooks))
    if sources:  # say what it holds: `Convolution.py` or `convolution (1).py` is one rename away
        names = sorted({path.name for path in sources})
        found = ", ".join(names[:MAX_NAMED]) + (", ..." if len(names) > MAX_NAMED else "")
        if named:
            raise SubmissionError("no {files} or {last} in {origin}, only {found}", files=named, last=last,
                                  origin=origin.name, found=found)
        raise SubmissionError("no {file} in {origin}, only {found}", file=last, origin=origin.name, found=found)
    if named:
        raise SubmissionError("no {files} or {last} in {origin}", files=named, last=last, origin=origin.name)
    raise SubmissionError("no {file} in {origin}", file=last, origin=origin.name)


def _plain(name: str) -> str:
    """A file name as a near miss of a module's name reads: without case, spaces, or the " (1)" that
    browsers and Moodle add to a second download (`Convolution (1).py` -> `convolution.py`)."""
    return re.sub(r"\s+", "", re.sub(r"\s*\(\d+\)(?=\.py$)", "", name, flags=re.IGNORECASE)).lower()


def _near_names(sources: list[PurePosixPath], module: str, exact: PurePosixPath | None = None) -> list[PurePosixPath]:
    return sorted(path for path in sources if path != exact and path.name != module and _plain(path.name) == module)


def _nearest(origin: Path, sources: list[PurePosixPath], module: str) -> PurePosixPath | None:
    """The one file whose name is a near miss of `module`'s (see `_plain`), the shallowest."""
    return _shallowest(origin, _near_names(sources, module), None, module)


def _shallowest(origin: Path, sources: list[PurePosixPath], module: str | None,
                shown: str | None = None) -> PurePosixPath | None:
    """The shallowest file named `module` (any file of `sources` where `module` is None); two at one
    depth are an error naming them."""
    found = [path for path in sources if module is None or path.name == module]
    module = module or shown
    if not found:
        return None
    depth = min(len(path.parts) for path in found)
    shallowest = sorted(path for path in found if len(path.parts) == depth)
    if len(shallowest) > 1:
        names = ", ".join(str(path) for path in shallowest)
        raise SubmissionError("{name} holds {count} files named {module} ({names}): keep one", name=origin.name,
                              count=len(shallowest), module=module, names=names)
    return shallowest[0]


def _from_notebook(origin: Path, notebook: PurePosixPath, read: Reader, modules: tuple[str, ...],
                   copy: _Copy) -> Submission:
    path, raw = copy.take(notebook, read)
    code, cell_starts = _cells_code(raw, notebook.name)
    target = copy.write(PurePosixPath(modules[0]), code.encode())
    return Submission(origin, copy.folder, dict.fromkeys(modules, target), dict.fromkeys(modules, code.encode()),
                      path, cell_starts)


def notebook_code(path: Path) -> tuple[str, tuple[int, ...]]:
    """The code cells of a notebook as one module, and the line where each cell starts."""
    return _cells_code(_read_regular(str(path), str(path), MAX_FILE_BYTES + 1), Path(path).name)


def _cells_code(raw: bytes, name: str) -> tuple[str, tuple[int, ...]]:
    """IPython magics and shell lines become blank lines, so line numbers stay those of the cell;
    so does a cell that grades the notebook (it uses `grader.notebook`: not part of the solution).
    `from __future__` imports, which Jupyter allows in any cell, move up to line 1."""
    try:
        cells = _code_cell_sources(raw)
    except SubmissionError:
        raise
    except Exception as error:  # whatever the notebook holds, one line for the student
        why = (str(error).splitlines() or [""])[0][:250]  # whatever nbformat says: one short line
        raise SubmissionError("cannot read notebook {name}: {why}", name=name, why=why) from None
    if len(cells) > MAX_CELLS:
        raise SubmissionError("notebook {name} has {count} cells, more than the {limit} a submission may have",
                              name=name, count=len(cells), limit=MAX_CELLS)
    lines: list[str] = [""]  # line 1 takes the __future__ imports: Python wants them first
    starts: list[int] = []
    futures: list[str] = []
    for source in cells:
        starts.append(len(lines) + 1)
        if "grader.notebook" in source:
            source = "\n".join("" for _ in source.splitlines())
        for line in source.splitlines():
            if line.startswith("from __future__ import"):
                futures.append(line.removeprefix("from __future__ import").split("#")[0].strip())
                line = ""
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
        lines.append("")
    if futures:
        lines[0] = "from __future__ import " + ", ".join(dict.fromkeys(futures))
    return "\n".join(lines) + "\n", tuple(starts)


def _code_cell_sources(raw: bytes) -> list[str]:
    """The code cells' sources. A current (v4) notebook is read as the JSON it is, once, its cells
    counted before anything else (nbformat's validation of 345k empty cells takes a minute of the
    grader's time); an older one goes through nbformat's conversion, after the same count."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a notebook")
    cells = data.get("cells", [])
    if data.get("nbformat") == 4 and isinstance(cells, list):
        if len(cells) > MAX_CELLS:
            return [""] * len(cells)  # only their number matters now
        code = [cell.get("source", "") for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
        code = ["".join(source) if isinstance(source, list) else source for source in code]
    else:
        import nbformat  # slow to import: only for an old notebook

        worksheets = data.get("worksheets", [])
        if sum(len(sheet.get("cells", [])) for sheet in worksheets if isinstance(sheet, dict)) > MAX_CELLS:
            raise ValueError("too many cells")
        code = [cell.source for cell in nbformat.reads(raw.decode("utf-8"), as_version=4).cells
                if cell.cell_type == "code"]
    if not all(isinstance(source, str) for source in code):
        raise ValueError("a code cell's source is not text")
    return code


class _Copy:
    """The grader's copy of what it reads, within the size limits; readable by the sandbox's uid."""

    def __init__(self, origin: Path, folder: Path):
        self.origin, self.folder, self.total = origin, folder, 0

    def take(self, path: PurePosixPath, read: Reader) -> tuple[Path, bytes]:
        """Read `path` of the submission once and write it into the copy."""
        limit = min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - self.total)
        data = read(path, limit + 1)  # one byte more tells "over the limit" from "exactly at it"
        if len(data) > MAX_FILE_BYTES:
            raise SubmissionError("{path} is over {limit} MiB", path=path, limit=MAX_FILE_BYTES >> 20)
        if len(data) > limit:
            raise SubmissionError("{name} holds over {limit} MiB of code", name=self.origin.name,
                                  limit=MAX_TOTAL_BYTES >> 20)
        self.total += len(data)
        return self.write(path, data), data

    def write(self, path: PurePosixPath, data: bytes) -> Path:
        target = self.folder.joinpath(*path.parts)
        try:
            for folder in [self.folder, *reversed(target.parents[:len(path.parts) - 1])]:
                if not folder.is_dir():
                    folder.mkdir(parents=True)
                    os.chmod(folder, 0o755)  # past the umask: the sandbox's uid imports from here
            with os.fdopen(files.create_new(target), "wb") as out:
                out.write(data)
        except OSError as error:  # e.g. a file and a folder of the same name in a zip
            raise SubmissionError("cannot copy {path}: {why}", path=path, why=error.strerror) from None
        return target


def _walk(origin: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """The .py files and notebooks under `origin`, relative to it; symbolic links are not followed."""
    sources: list[PurePosixPath] = []
    notebooks: list[PurePosixPath] = []
    seen, pending = 0, [PurePosixPath()]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(origin / folder) as entries:
                listed = list(entries)
        except OSError as error:
            raise SubmissionError("cannot read {path}: {why}", path=origin / folder, why=error.strerror) from None
        seen += len(listed)
        if seen > MAX_ENTRIES:
            raise SubmissionError("{name} holds over {limit} files and folders: submit only your code",
                                  name=origin.name, limit=MAX_ENTRIES)
        for entry in listed:
            path = folder / entry.name
            if _skipped(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            else:
                _sort_into(path, sources, notebooks)
    return sorted(sources), sorted(notebooks)


def _sort_into(path: PurePath, sources: list, notebooks: list) -> None:
    """A .py file goes with the sources, a notebook with the notebooks; anything else nowhere."""
    if path.name.endswith(".py"):
        sources.append(path)
    elif path.name.lower().endswith(".ipynb"):
        notebooks.append(path)


def _skipped(name: str) -> bool:
    return name in _SKIP or name.startswith(".")


def _folder_reader(origin: Path) -> Reader:
    if not files.WALK_BY_DESCRIPTOR:
        return _folder_reader_by_path(origin)

    def read(path: PurePosixPath, limit: int) -> bytes:
        fd = _open_folder(str(origin), str(origin))
        try:  # every folder on the way is opened without following links, so none can be swapped for one
            for part in path.parts[:-1]:
                inner = _open_folder(part, str(path), fd)
                os.close(fd)
                fd = inner
            return _read_regular(path.name, str(path), limit, fd)
        finally:
            os.close(fd)
    return read


def _folder_reader_by_path(origin: Path) -> Reader:
    """Where folders cannot be opened (Windows): each folder on the way must not be a link when
    looked at, and the file read must be the one looked at (`_read_regular`)."""
    def read(path: PurePosixPath, limit: int) -> bytes:
        for depth in range(1, len(path.parts)):
            kind = _kind(str(origin.joinpath(*path.parts[:depth])), None)
            if kind != "a folder":
                raise _why(OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)), str(path), kind)
        return _read_regular(str(origin.joinpath(*path.parts)), str(path), limit)
    return read


def _file_reader(origin: Path) -> Reader:
    return lambda path, limit: _read_regular(str(origin), origin.name, limit)


def _open_folder(name: str, shown: str, folder_fd: int | None = None) -> int:
    try:
        return os.open(name, files.FOLDER_FLAGS, dir_fd=folder_fd)
    except OSError as error:  # O_DIRECTORY with O_NOFOLLOW says ENOTDIR for a link
        raise _why(error, shown, _kind(name, folder_fd)) from None


def _read_regular(name: str, shown: str, limit: int, folder_fd: int | None = None) -> bytes:
    """At most `limit` bytes of a regular file, opened without following a link or blocking on a FIFO."""
    looked = _lstat_at(name, folder_fd)
    kind = _kind_of(looked)
    if kind not in ("a file", None):  # before opening: opening a device can do things
        raise _not_a_file(shown, kind)
    try:
        fd = os.open(name, files.READ_FLAGS, dir_fd=folder_fd)
    except OSError as error:
        raise _why(error, shown, None) from None
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (looked and not os.path.samestat(looked, opened)):  # swapped since
            raise SubmissionError("{path} is not a regular file: submit the file itself", path=shown)
        try:
            return file.read(limit)
        except OSError as error:
            raise SubmissionError("cannot read {path}: {why}", path=shown, why=error.strerror) from None


def _lstat_at(name: str, folder_fd: int | None) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=folder_fd)
    except OSError:
        return None


def _kind(name: str, folder_fd: int | None) -> str | None:
    return _kind_of(_lstat_at(name, folder_fd))


def _kind_of(status: os.stat_result | None) -> str | None:
    if status is None:
        return None
    kinds = [(stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
             (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device")]
    return next((kind for test, kind in kinds if test(status.st_mode)), "not a regular file")


def _not_a_file(shown: str, kind: str) -> SubmissionError:
    """What `_kind` found where a file should be, one message per kind."""
    if kind == "a folder":
        return SubmissionError("{path} is a folder: submit the file itself", path=shown)
    if kind == "a symbolic link":
        return SubmissionError("{path} is a symbolic link: submit the file itself", path=shown)
    if kind == "a FIFO":
        return SubmissionError("{path} is a FIFO: submit the file itself", path=shown)
    if kind == "a socket":
        return SubmissionError("{path} is a socket: submit the file itself", path=shown)
    if kind == "a device":
        return SubmissionError("{path} is a device: submit the file itself", path=shown)
    return SubmissionError("{path} is not a regular file: submit the file itself", path=shown)


def _why(error: OSError, shown: str, kind: str | None) -> SubmissionError:
    if error.errno == errno.ELOOP or kind == "a symbolic link":
        return SubmissionError("{path} is a symbolic link: submit the file itself", path=shown)
    return SubmissionError("cannot read {path}: {why}", path=shown, why=error.strerror)


def _zip_bytes(origin: Path, read: Reader) -> io.BytesIO:
    data = read(PurePosixPath(origin.name), MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:  # its central directory alone could take much memory to parse
        raise SubmissionError("{name} is over {limit} MiB: submit only your code", name=origin.name,
                              limit=MAX_TOTAL_BYTES >> 20)
    return io.BytesIO(data)


def _members(origin: Path, zipped: zipfile.ZipFile) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """The .py files and notebooks in a zip, by their path inside it; links and escaping paths refused."""
    infos = zipped.infolist()
    if len(infos) > MAX_ENTRIES:
        raise SubmissionError("{name} holds over {limit} entries: submit only your code", name=origin.name,
                              limit=MAX_ENTRIES)
    sources: list[PurePosixPath] = []
    notebooks: list[PurePosixPath] = []
    seen = set()
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts:
            raise SubmissionError("{name} holds a path outside the archive: {path}", name=origin.name,
                                  path=info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SubmissionError("{name} holds a symbolic link ({path}): zip the files themselves", name=origin.name,
                                  path=info.filename)
        if info.is_dir() or not path.parts or any(_skipped(part) for part in path.parts):
            continue
        if path in seen:
            raise SubmissionError("{name} holds {path} twice: keep one", name=origin.name, path=info.filename)
        seen.add(path)
        _sort_into(path, sources, notebooks)
    return sorted(sources), sorted(notebooks)


def _zip_reader(zipped: zipfile.ZipFile) -> Reader:
    names = {PurePosixPath(info.filename): info for info in zipped.infolist()}

    def read(path: PurePosixPath, limit: int) -> bytes:
        try:
            with zipped.open(names[path]) as member:
                return member.read(limit)  # the declared size can lie: what counts is what comes out
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as error:
            raise SubmissionError("cannot unzip {path}: {why}", path=path, why=str(error)) from None
    return read
