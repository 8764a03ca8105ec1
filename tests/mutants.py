"""Wrong submissions kept as edits of a correct one, so that each shows its bug and nothing else."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SUBMISSIONS = Path(__file__).parent / "submissions"


@dataclass(frozen=True)
class Mutant:
    base: str  # a correct submission under tests/submissions, e.g. assignment1/correct_naive/convolution.py
    header: str  # what the bug is and which task it should hurt; becomes the file's opening comment
    edits: tuple[tuple[str, str], ...]  # (text, replacement), each text found exactly once
    extra_top: str = ""  # imports the bug needs

    def source(self) -> str:
        text = (SUBMISSIONS / self.base).read_text()
        for old, new in self.edits:
            assert text.count(old) == 1, f"edit does not apply once: {old[:60]!r}"
            text = text.replace(old, new)
        lines = [wrapped for line in textwrap.dedent(self.header).strip().splitlines()
                 for wrapped in (textwrap.wrap(line, 90) or [""])]
        text = "".join(f"# {line}\n" if line else "#\n" for line in lines) + "\n" + text
        if self.extra_top:
            text = text.replace("\nimport torch\n", "\nimport torch\n" + self.extra_top, 1)
        return text

    def write(self, folder: Path) -> Path:
        """The submission as a folder: the base's folder with the one module file edited."""
        folder.mkdir(parents=True, exist_ok=True)
        for sibling in (SUBMISSIONS / self.base).parent.glob("*.py"):
            (folder / sibling.name).write_text(sibling.read_text())
        (folder / Path(self.base).name).write_text(self.source())
        return folder


def registry(base: str) -> tuple[dict[str, Mutant], Callable[..., None]]:
    """An assignment's table of mutants, and `make(name, header, edits, extra_top="", base=base)`
    that adds one to it."""
    mutants: dict[str, Mutant] = {}

    def make(name: str, header: str, edits, extra_top: str = "", base: str = base) -> None:
        mutants[name] = Mutant(base, header, tuple(edits), extra_top)
    return mutants, make
