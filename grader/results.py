"""What grading found: plain, immutable data that round-trips to JSON; scores computed from it."""
from __future__ import annotations

from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, computed_field, model_validator

from grader.i18n import Message

# What a person reads: a message as data (`i18n.Message`), said in the reader's language by the
# renderers; text where a report was written before messages were data (read back as it is).
Said = Message | str

Status = Literal["passed", "partial", "failed", "not_implemented", "error", "timeout", "forbidden"]


class Record(BaseModel):
    """What grading found: immutable plain data that round-trips to JSON, its scores computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data):
        """Reading a report back: scores are recomputed, never taken from the JSON."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in cls.model_computed_fields}
        return data


class CheckResult(Record):
    name: str  # the case's name, in English: what identifies the check
    device: str
    passed: bool
    message: Said = ""
    label: Message | None = None  # the name as a reader reads it (a case's name translated, "hidden case 3")
    call: Message | None = None  # the student's call that failed, where the name does not tell it
    diagnosis: str | None = None  # a stable code such as "flipped_kernel"
    hidden: bool = False
    group: str = "results"  # "results", "edge cases" or "argument checks"
    weight: float = 1.0  # within its group
    # A small wrong tensor (squeezed, or the 2-D slice `values_at` such as "[0, 1, :, :]" that holds
    # the first wrong entry): the reference's and the student's values as nested lists (6 significant
    # digits; "nan", "inf", "-inf" as text) and where they differ; never for hidden checks.
    expected: list | None = None
    got: list | None = None
    wrong: list | None = None
    values_at: str = ""


ARGUMENT_CHECKS = "argument checks"


def _answers_something(checks: Sequence[CheckResult]) -> bool:
    """Whether the function got at least one result or edge case right. Rejecting invalid arguments
    is worth points only in a function that also computes: otherwise a body that only raises, or
    one that runs out of memory on every call, would pass every argument check. A task made of
    argument checks alone is judged on them alone."""
    answers = [c for c in checks if c.group != ARGUMENT_CHECKS]
    return not answers or any(c.passed for c in answers)


class GroupScore(Record):
    """One group of a task's checks: how many passed and the points they earned."""

    name: str
    passed: int
    total: int
    points: float
    max_points: float


class TaskResult(Record):
    name: str
    max_score: float
    checks: tuple[CheckResult, ...]
    problem: Said | None = None  # what stopped the task as a whole: timeout, crash, forbidden call
    problem_status: Status | None = None
    shares: dict[str, float] = {"results": 1.0}  # of the points, per group of checks (declared by the spec)
    duration_s: float = 0.0  # the wall time of the student's code for this task (the slowest device)
    withheld: int = 0  # hidden checks a handout cannot run: they count only when the instructor grades

    def _earned(self) -> list[tuple[str, list[CheckResult], float, float]]:
        """(group, its counted checks, points earned, points possible) for each group with checks.
        A check the grader itself broke does not count; a group without checks gives its share
        to the others. Argument checks earn points only once one of the task's other checks passes
        (see `_answers_something`)."""
        counted = [c for c in self.checks if c.diagnosis != "grader_defect"]
        present = [name for name in self.shares if any(c.group == name for c in counted)]
        total_share = sum(self.shares[name] for name in present)
        answers = _answers_something(self.checks)  # a result the grader broke answers nothing either
        earned = []
        for name in present:
            checks = [c for c in counted if c.group == name]
            possible = self.max_score * self.shares[name] / total_share
            passed = sum(c.weight for c in checks if c.passed) / sum(c.weight for c in checks)
            scores = self.problem_status != "forbidden" and (name != ARGUMENT_CHECKS or answers)
            earned.append((name, checks, possible * passed if scores else 0.0, possible))
        return earned

    @computed_field
    @property
    def groups(self) -> tuple[GroupScore, ...]:
        """Each group's points: its share of the task's points times the weighted share of its
        checks that passed."""
        return tuple(GroupScore(name=name, passed=sum(c.passed for c in checks), total=len(checks),
                                points=round(points, 2), max_points=round(possible, 2))
                     for name, checks, points, possible in self._earned())

    @computed_field
    @property
    def score(self) -> float:
        return round(sum(points for _, _, points, _ in self._earned()), 2)

    @computed_field
    @property
    def status(self) -> Status:
        if self.problem_status:
            return self.problem_status
        if self.checks and all(c.diagnosis == "not_implemented" for c in self.checks if not c.passed) \
                and not any(c.passed for c in self.checks):
            return "not_implemented"
        passed = sum(c.passed for c in self.checks)
        if self.checks and passed == len(self.checks):
            return "passed"
        # Passed argument checks that earn nothing (no right answer yet) do not make a task partial.
        return "partial" if any(points for _, _, points, _ in self._earned()) else "failed"


class Isolation(Record):
    """What the student's code ran under, so an instructor knows what a grading guarantees."""

    level: str  # "jail as root" or "jail in a user namespace"
    measures: tuple[str, ...]


class Environment(Record):
    python: str
    torch: str
    devices: tuple[str, ...]
    grader: str
    isolation: Isolation
    language: Literal["en", "ru"] = "en"  # the reader's the grader chose: a report renders in either


class ReviewFlag(Record):
    """Code that reaches into the grader (frames, gc, ctypes, raw file descriptors, ...): for a
    person to look at, not a score."""

    what: Said
    where: Said  # file:line, or a notebook's cell and line
    line: str


class Report(Record):
    assignment: str
    title: Said = ""  # the assignment's title
    submission: str
    course: str  # the course folder whose reference and specs graded it
    seed: int | None = 0  # of the random cases' values; None where a student must not learn it (feedback)
    sha256: str = ""  # of the submission's files as graded (their paths and bytes)
    graded_at: str = ""  # when, in UTC (ISO 8601)
    tasks: tuple[TaskResult, ...]
    review: tuple[ReviewFlag, ...] = ()  # the first engine.scan.MAX_REVIEW_FLAGS found
    review_omitted: int = 0  # flags found beyond those kept in `review`
    notes: tuple[Said, ...] = ()  # how it was graded, for the student to read: a file taken by a near name, no sandbox
    environment: Environment
    duration_s: float

    @computed_field
    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 2)

    @computed_field
    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tasks)

    @property
    def review_count(self) -> int:
        """Every review flag found, kept or not."""
        return len(self.review) + self.review_omitted

    def read_in(self, language: str) -> Report:
        """The same report, said in `language` unless its reader asks for another: the engine's
        reports are data in no language; the front doors (`api.grade`, a batch) choose it."""
        return self.model_copy(update={"environment": self.environment.model_copy(update={"language": language})})
