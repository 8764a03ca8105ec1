"""An assignment as a handout holds it: its public cases as JSON (`engine.codec`) and the
reference's answers to them as frames; stale or altered data is refused."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.engine import wire
from grader.engine.codec import decode, encode, grader_fingerprint, without_code
from grader.i18n import ReaderError
from grader.spec import Assignment, checks_module_name, load_checks

FORMAT = 1
SPEC_FILE, FRAMES_FILE, CHECKS_FILE = "spec.json", "expected.frames", "checks.py"


class StaleHandout(ReaderError, ValueError):
    """Expected data built for another grader or spec, or altered since: one line, exit 2."""


def visible(assignment: Assignment) -> Assignment:
    """The assignment less its hidden cases; each task counts how many it left out."""
    return assignment.model_copy(update={"tasks": tuple(task.model_copy(update={
        "cases": tuple(case for case in task.cases if not case.hidden),
        "withheld": task.withheld + sum(case.hidden for case in task.cases)}) for task in assignment.tasks)})


def public_part(assignment: Assignment) -> Assignment:
    """`visible(assignment)` less its code that needs the reference or torch's oracle, whose
    answers are in the frames."""
    return assignment.model_copy(update={"tasks": tuple(map(without_code, visible(assignment).tasks))})


def write(folder: Path, assignment: Assignment, frames: dict[str, tuple[bytes, ...]]) -> None:
    """`spec.json` and `expected.frames` for the public part of `assignment` (see `public_part`)."""
    blob = wire.join_frames(frame for task in assignment.tasks for frame in frames[task.name])
    spec = {"format": FORMAT, "grader": grader_fingerprint(), "frames_sha256": hashlib.sha256(blob).hexdigest(),
            "frame_counts": {task.name: len(frames[task.name]) for task in assignment.tasks},
            "assignment": encode(assignment, checks_module_name(assignment.name))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FRAMES_FILE).write_bytes(blob)
    (folder / SPEC_FILE).write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read(folder: Path) -> tuple[Assignment, dict[str, tuple[bytes, ...]]]:
    """The assignment and its frames per task; StaleHandout if they do not belong to this grader."""
    try:
        spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
        blob = (folder / FRAMES_FILE).read_bytes()
    except (OSError, ValueError) as error:
        raise StaleHandout("{folder}: the expected data cannot be read ({error})", folder=folder,
                           error=str(error)) from None
    here = grader_fingerprint()
    if spec.get("format") != FORMAT or spec.get("grader") != here:
        raise StaleHandout("{folder}: its expected data was built for grader {built}, this is grader {here}: get "
                           "the current handout (or reinstall its grader)", folder=folder.name,
                           built=spec.get("grader"), here=here)
    if hashlib.sha256(blob).hexdigest() != spec.get("frames_sha256"):
        raise StaleHandout("{folder}: {frames} does not match {spec}: get the current handout", folder=folder.name,
                           frames=FRAMES_FILE, spec=SPEC_FILE)
    checks = load_checks(folder / SPEC_FILE) if (folder / CHECKS_FILE).exists() else None
    assignment = decode(spec["assignment"], checks)
    frames, offset = {}, 0
    for task in assignment.tasks:
        split = wire.split_frames(blob, spec["frame_counts"][task.name], offset)
        if split is None:
            raise StaleHandout("{folder}: {frames} does not match {spec}: get the current handout", folder=folder.name,
                               frames=FRAMES_FILE, spec=SPEC_FILE)
        frames[task.name], offset = split
    return assignment, frames
