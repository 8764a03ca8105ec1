"""Find the student's file in a submission: a folder, a .py file, a notebook or a .zip."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path


class SubmissionError(ValueError):
    """The submission cannot be graded as given (missing, unreadable, wrong kind)."""


@dataclass(frozen=True)
class Submission:
    origin: Path  # what the user named
    file: Path  # the Python file to import, possibly extracted into a temporary folder


def find(origin: Path, module: str, workdir: Path) -> Submission:
    """The module file `module` (e.g. convolution.py) inside `origin`; notebooks and zips are
    extracted into `workdir`, which the caller owns and removes."""
    origin = Path(origin)
    if not origin.exists():
        raise SubmissionError(f"no such file or folder: {origin}")
    if origin.is_dir():
        return Submission(origin, _in_folder(origin, module, workdir))
    suffix = origin.suffix.lower()
    if suffix == ".py":
        return Submission(origin, origin.resolve())
    if suffix == ".ipynb":
        target = workdir / module
        target.write_text(notebook_code(origin))
        return Submission(origin, target)
    if suffix == ".zip":
        folder = workdir / "unzipped"
        _safe_extract(origin, folder)
        return Submission(origin, _in_folder(folder, module, workdir))
    raise SubmissionError(f"cannot grade {origin.name}: expected a folder, .py, .ipynb or .zip")


def _in_folder(folder: Path, module: str, workdir: Path) -> Path:
    direct = folder / module
    if direct.is_file():
        return direct.resolve()
    found = sorted(p for p in folder.rglob(module) if "__MACOSX" not in p.parts)
    if found:
        return found[0].resolve()
    notebooks = sorted(folder.rglob("*.ipynb"))
    if len(notebooks) == 1:
        target = workdir / module
        target.write_text(notebook_code(notebooks[0]))
        return target
    raise SubmissionError(f"no {module} in {folder}")


def notebook_code(path: Path) -> str:
    """The code cells of a notebook as one module; IPython magics and shell lines are dropped."""
    import nbformat  # slow to import: only when a notebook is graded

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:
        raise SubmissionError(f"cannot read notebook {path.name}: {error}") from None
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return "\n\n".join(cells) + "\n"


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
