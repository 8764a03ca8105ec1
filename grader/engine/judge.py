"""Judge a task whose children have run: every case's check, and what stopped the task as a whole."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from grader import i18n, sandbox
from grader.engine import compare, forbidden, run
from grader.engine.frames import CaseReply, ReferenceCase, TaskHeader
from grader.results import CheckResult, Status, TaskResult
from grader.spec import Task


StudentRun = tuple[dict[int, CaseReply], TaskHeader | None, sandbox.Outcome]  # (cases, header, outcome)


@dataclass(frozen=True)
class TaskRun:
    """Raw frames of one task: the reference's per case, and the student's per device."""

    task: Task
    expected: dict[int, ReferenceCase]
    student: dict[str, StudentRun]  # by device


def judge_safely(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
                 place: Callable[[str, int], i18n.Message] = compare.spot) -> TaskResult:
    """`judge_task`, where a failure of the grader itself costs this task, never the run."""
    try:
        return judge_task(task_run, findings, timeout, place)
    except Exception as error:
        said = i18n.message("the grader failed while judging this task ({error}): please report it",
                            error=type(error).__name__)
        check = CheckResult(name="judging", label=i18n.message("judging"), device="-", passed=False, message=said,
                            diagnosis="grader_defect")
        return TaskResult(name=task_run.task.name, max_score=task_run.task.points, checks=(check,),
                          problem=said, problem_status="error")


def judge_task(task_run: TaskRun, findings: list[forbidden.Finding], timeout: float,
               place: Callable[[str, int], i18n.Message] = compare.spot) -> TaskResult:
    """Checks for every case on every device, and what stopped the task as a whole, as data: its
    messages are said by the renderers, in the reader's language; `place` says where a line of
    the student's code is (a notebook's cell)."""
    task = task_run.task
    checks: list[CheckResult] = []
    problem, problem_status = None, None
    if findings:
        where = i18n.joined("; ", [compare.forbidden_use(f, place) for f in findings[:3]])
        problem, problem_status = i18n.message("uses forbidden {where}", where=where), "forbidden"
        checks.append(CheckResult(name="forbidden APIs (source scan)", label=i18n.message("forbidden APIs (source scan)"),
                                  device="-", passed=False, message=problem, diagnosis="forbidden_api"))
    for device, (cases, header, outcome) in task_run.student.items():
        stopped = _why_stopped(header, outcome, timeout, len(cases) < len(task.cases), place)
        if stopped and not problem:
            problem, problem_status = stopped[1], stopped[2]
        first_missing = next((index for index in task.run_order() if index not in cases), None)
        for index, case in enumerate(task.cases):
            got = cases.get(index)
            missing = None
            if got is None and stopped:  # the case it stopped at, and those it never reached
                missing = stopped[:2] if index == first_missing else \
                    ("not_run", i18n.message("not run: the task stopped at an earlier case"))
            verdict = compare.judge(task, case, task_run.expected.get(index), got, device, missing, place)
            if verdict.diagnosis == "forbidden_api" and problem_status != "forbidden":
                problem, problem_status = (i18n.message("called a forbidden API in a hidden case") if case.hidden
                                           else verdict.message), "forbidden"
            name = case.name if case.hidden is False else f"hidden case {index + 1}"
            label = i18n.name(case.name) if case.hidden is False else \
                i18n.message("hidden case {number}", number=index + 1)
            message, call = verdict.message or "", None
            if not verdict.passed and not case.hidden:
                shown = compare.describe_call(task, case)  # a spec's own words (call=) translated like a name
                call = None if shown == case.name else i18n.name(shown)
                if case.note and verdict.diagnosis in compare.VALUE_DIAGNOSES:
                    message = i18n.plain("{message} {note}", message=message,
                                         note=i18n.message("(note: {note})", note=i18n.text(case.note)))
            checks.append(CheckResult(name=name, label=label, call=call, device=device, passed=verdict.passed,
                                      message=message, diagnosis=verdict.diagnosis, hidden=case.hidden,
                                      group=case.check_group, weight=case.weight, **verdict.values))
    return TaskResult(name=task.name, max_score=task.points, checks=tuple(checks), problem=problem,
                      problem_status=problem_status, shares=task.shares or {"results": 1.0}, withheld=task.withheld,
                      duration_s=round(max((outcome.duration_s for *_, outcome in task_run.student.values()),
                                           default=0.0), 3))


def _why_stopped(header: TaskHeader | None, outcome: sandbox.Outcome, timeout: float, incomplete: bool,
                 place: Callable[[str, int], i18n.Message] = compare.spot) -> tuple[str, i18n.Message, Status | None] | None:
    """(diagnosis, message, task status) when the child did not finish every case normally."""
    message, number = i18n.message, i18n.numeral
    if outcome.forged:
        return ("forged_results", message("something in your code wrote to the grader's result channel: results "
                                          "the grader did not produce count as cheating"), "forbidden")
    if header and header.missing_file:
        return "not_implemented", message("your submission has no {file}", file=header.missing_file), None
    if header and header.missing:
        return "not_implemented", message("{name} is not defined in your file", name=header.missing), None
    if header and header.not_own:
        why = message(run.NOT_OWN.get(header.not_own_kind or "", run.NOT_OWN["function"]),
                      name=header.not_own_name or "")
        return ("forbidden_api", message("{what}: the task's function must be written in your file",
                                         what=i18n.plain("{target}: {why}", target=header.not_own, why=why)),
                "forbidden")
    if header and header.import_error:
        error = header.import_error
        if header.forbidden or error.type == "ForbiddenCall":
            said = (message("importing your file called forbidden {use}",
                            use=compare.forbidden_use(header.forbidden[0], place)) if header.forbidden
                    else message("importing your file called a forbidden API"))
            return ("forbidden_api", said, "forbidden")
        return ("import_error", message("your file failed to import: {type}: {message}{where}", type=error.type,
                                        message=compare.said(error), where=compare.at_failing_line(error, place)),
                "error")
    if outcome.wall_clock:  # CPU time left, but the backstop for code that sleeps or waits passed
        seconds = number(sandbox.keeper.wall_backstop(timeout), "g")
        if not header:
            return ("timeout", message("importing your file took over {seconds} s of wall-clock time: code at "
                                   "the top level sleeps or waits for something that never comes",
                                   seconds=seconds), "timeout")
        return ("timeout", message("stopped after {seconds} s of wall-clock time: your code sleeps or waits for "
                               "something that never comes", seconds=seconds), "timeout")
    if outcome.timed_out and not header:
        return ("timeout", message("importing your file took over the {seconds} s time limit (CPU time): code "
                               "at the top level (a demo, a notebook cell) runs on import; move it under "
                               "if __name__ == '__main__':", seconds=number(timeout, "g")), "timeout")
    if outcome.timed_out:
        return ("timeout", message("stopped after the {seconds} s time limit (CPU time): an endless loop, far "
                               "too slow, or memory allocated without end", seconds=number(timeout, "g")), "timeout")
    if outcome.overflow:
        return "error", message("sent back more data than the result limit"), "error"
    if outcome.exit_status != 0:
        how = sandbox.describe_exit(outcome.exit_status)
        diagnosis = "memory" if outcome.exit_status in (-9, 137) else "crash"
        return diagnosis, message("the process running your code died ({how}): a crash, os._exit or memory",
                              how=how), "error"
    if incomplete:
        return "crash", message("the process running your code ended early (os._exit?)"), "error"
    return None


def oracle_disagreements(task_run: TaskRun) -> list[str]:
    """Cases where the reference and torch (or the lecture's numbers) disagree."""
    task, found = task_run.task, []
    for index, case in enumerate(task.cases):
        frame = task_run.expected.get(index)
        if frame is None:
            found.append(f"{case.name}: no reference result")
            continue
        if case.raises:
            ours, torchs = frame.raised, frame.oracle_raised
            if ours is None:
                found.append(f"{case.name}: the reference accepts invalid arguments")
            elif task.oracle and task.oracle_raises and (torchs is None or torchs.type != ours.type):
                found.append(f"{case.name}: the reference raises {ours.type}, torch "
                             f"{torchs.type if torchs else 'nothing'}")
            continue
        expected = frame.expected
        if case.law is not None:  # random by design: torch's answer must obey the law too
            broken = task.oracle and compare.breaks_law(case, frame.oracle)
            if broken:
                found.append(f"{case.name}: torch's answer breaks the case's law: {broken}")
        elif task.oracle and not compare.agree(expected, frame.oracle):
            found.append(f"{case.name}: the reference and torch disagree")
        if case.expect is not None and not compare.agree(expected, case.expect):
            found.append(f"{case.name}: the reference disagrees with the lecture's value {case.expect}")
    return found
