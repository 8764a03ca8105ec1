"""`grade check-reference`: the reference solutions and the stubs checked against the specs and torch."""
from __future__ import annotations

import tempfile
from pathlib import Path

from grader import sandbox
from grader.engine.frames import reference_results
from grader.engine.grading import execute, grade_submission, reference_frames
from grader.engine.judge import judge_task, oracle_disagreements
from grader.engine.load import find
from grader.engine.scan import scan_source
from grader.spec import Assignment


def check_one_reference(spec: Assignment, seed: int, root: Path, devices: tuple[str, ...], timeout: float,
                         runner: sandbox.Zygote | None) -> list[str]:
    """The defects of one assignment's reference and stub at one seed, for the course's developers (English)."""
    name, defects = spec.name, []
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        reference = find(root / "reference" / name, spec.modules, Path(workdir))
        runs = execute(spec, spec.tasks, reference, root, devices, timeout, None, runner)
    findings = scan_source(spec, reference.sources, spec.tasks)
    for task_run in runs:
        result = judge_task(task_run, findings[task_run.task.name], timeout)
        prefix = f"{name}/{result.name} (seed {seed})"
        defects += [f"{prefix}: reference fails [{c.device}] {c.name}: {c.message}"
                    for c in result.checks if not c.passed]
        defects += [f"{prefix}: {line}" for line in oracle_disagreements(task_run)]
    defects += variant_defects(spec, seed, root, timeout)
    stub = grade_submission(spec, spec.tasks, root / "assignments" / name, root, ("cpu",), seed, timeout, None, runner)
    defects += [f"{name}/{t.name}: the stub scores {t.score:g} with status {t.status}, expected 0 "
                f"and not_implemented" for t in stub.tasks if t.score or t.status != "not_implemented"]
    return defects


def variant_defects(spec: Assignment, seed: int, root: Path, timeout: float) -> list[str]:
    """Known mistakes whose compute raised on a case, other than `NotApplicable`: a defect of the spec,
    which would otherwise leave the mistake unnamed there without a word."""
    frames, defects = reference_frames(spec, spec.tasks, root, timeout, parts="mistakes"), []
    for task in spec.tasks:
        for index, frame in sorted(reference_results(frames[task.name]).items()):
            for number, error in sorted(frame.variant_errors.items(), key=lambda item: int(item[0])):
                code = task.variants[int(number)].code if int(number) < len(task.variants) else f"variant {number}"
                defects.append(f"{spec.name}/{task.name}/{code} (seed {seed}): case {task.cases[index].name!r}: "
                               f"the variant raised {error.type}: {error.message} (raise NotApplicable where "
                               f"a mistake does not apply)")
    return defects
