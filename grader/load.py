"""Find the student's file in a submission: a folder, a .py file, a notebook or a .zip."""
from __future__ import annotations

import bisect
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path


class SubmissionError(ValueError):
    """The submission cannot be graded as given (missing, unreadable, wrong kind)."""


@dataclass(frozen=True)
class Submission:
    origin: Path  # what the user named
    files: dict[str, Path]  # module name (e.g. pooling.py) -> the file to import; absent if not submitted
    notebook: Path | None = None  # the notebook the code was extracted from, if any
    cell_starts: tuple[int, ...] = ()  # the module line where each of its code cells begins

    def locate(self, text: str) -> str:
        """Rewrite `file.py:LINE` in a message as `notebook cell N, line L` for notebooks."""
        if not self.notebook:
            return text

        def cell_line(match: re.Match) -> str:
            line = int(match.group(1))
            cell = bisect.bisect_right(self.cell_starts, line)
            return f"{self.notebook.name} code cell {cell}, line {line - self.cell_starts[cell - 1] + 1}" if cell \
                else match.group(0)
        names = "|".join(re.escape(name) for name in {path.name for path in self.files.values()})
        return re.sub(rf"(?:{names}):(\d+)", cell_line, text)


def find(origin: Path, modules: tuple[str, ...], workdir: Path) -> Submission:
    """The module files (e.g. pooling.py, im2col.py) inside `origin`; a single .py or notebook
    stands for all of them. Notebooks and zips are extracted into `workdir`, which the caller
    owns and removes."""
    origin = Path(origin)
    if not origin.exists():
        raise SubmissionError(f"no such file or folder: {origin}")
    if origin.is_dir():
        return _in_folder(origin, origin, modules, workdir)
    suffix = origin.suffix.lower()
    if suffix == ".py":
        return Submission(origin, dict.fromkeys(modules, origin.resolve()))
    if suffix == ".ipynb":
        return _from_notebook(origin, origin, modules, workdir)
    if suffix == ".zip":
        folder = workdir / "unzipped"
        _safe_extract(origin, folder)
        return _in_folder(origin, folder, modules, workdir)
    raise SubmissionError(f"cannot grade {origin.name}: expected a folder, .py, .ipynb or .zip")


_SKIP = ("__MACOSX", ".ipynb_checkpoints")


def _in_folder(origin: Path, folder: Path, modules: tuple[str, ...], workdir: Path) -> Submission:
    """Each module in the folder, the shallowest if nested; else its only notebook."""
    files = {module: path for module in modules if (path := _shallowest(origin, folder, module))}
    if files:
        return Submission(origin, files)
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if not any(part in _SKIP for part in p.parts))
    if len(notebooks) == 1:
        return _from_notebook(origin, notebooks[0], modules, workdir)
    extra = f" and {len(notebooks)} notebooks, not one" if notebooks else ""
    raise SubmissionError(f"no {' or '.join(modules)} in {origin}{extra}")


def _shallowest(origin: Path, folder: Path, module: str) -> Path | None:
    found = [p for p in folder.rglob(module) if not any(part in _SKIP for part in p.parts)]
    if not found:
        return None
    depth = min(len(p.parts) for p in found)
    shallowest = sorted(p for p in found if len(p.parts) == depth)
    if len(shallowest) > 1:
        names = ", ".join(str(p.relative_to(folder)) for p in shallowest)
        raise SubmissionError(f"{origin.name} holds {len(shallowest)} files named {module} ({names}): keep one")
    return shallowest[0].resolve()


def _from_notebook(origin: Path, notebook: Path, modules: tuple[str, ...], workdir: Path) -> Submission:
    code, cell_starts = notebook_code(notebook)
    target = workdir / modules[0]
    target.write_text(code)
    return Submission(origin, dict.fromkeys(modules, target), notebook, cell_starts)


def notebook_code(path: Path) -> tuple[str, tuple[int, ...]]:
    """The code cells of a notebook as one module, and the line where each cell starts.

    IPython magics and shell lines become blank lines, so line numbers stay those of the cell;
    `from __future__` imports, which Jupyter allows in any cell, move up to line 1.
    """
    import nbformat  # slow to import: only when a notebook is graded

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:
        raise SubmissionError(f"cannot read notebook {path.name}: {error}") from None
    lines: list[str] = [""]  # line 1 takes the __future__ imports: Python wants them first
    starts: list[int] = []
    futures: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        starts.append(len(lines) + 1)
        for line in cell.source.splitlines():
            if line.startswith("from __future__ import"):
                futures.append(line.removeprefix("from __future__ import").split("#")[0].strip())
                line = ""
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
        lines.append("")
    if futures:
        lines[0] = "from __future__ import " + ", ".join(dict.fromkeys(futures))
    return "\n".join(lines) + "\n", tuple(starts)


def _safe_extract(archive: Path, folder: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            total = sum(info.file_size for info in zipped.infolist())
            if total > 64 * 2**20:
                raise SubmissionError(f"{archive.name} unpacks to {total >> 20} MiB; the limit is 64 MiB")
            for info in zipped.infolist():
                target = (folder / info.filename).resolve()
                if not target.is_relative_to(folder.resolve()):
                    raise SubmissionError(f"{archive.name} holds a path outside the archive: {info.filename}")
            zipped.extractall(folder)
    except zipfile.BadZipFile:
        raise SubmissionError(f"{archive.name} is not a valid zip file") from None
