"""The `grade` command: a thin click layer over `grader.api`."""
from __future__ import annotations

import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

from grader import api, sandbox
from grader.course import similarity
from grader.course.settings import LANGUAGES
from grader.i18n import ReaderError, number, say, say_n, say_text
from grader.reports import render as report
from grader.reports.feedback import VISIBILITIES

EXIT_GRADED, EXIT_BELOW, EXIT_USAGE, EXIT_GRADER = 0, 1, 2, 3
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2
FORMATS = ("text", "json", "markdown", "html")
FORMATS_BY_SUFFIX = {".json": "json", ".md": "markdown", ".html": "html", ".htm": "html"}
TEXT_COLUMNS = 80  # the text report's width in a file or a pipe


class _Grade(click.Group):
    """`grade ASSIGNMENT ...` without a sub-command name grades an assignment; a usage error
    is one line on stderr and exit 2."""

    def parse_args(self, ctx, args):
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["assignment", *args]
        return super().parse_args(ctx, args)

    def main(self, *args, **kwargs):
        _streams_speak_russian()
        # Forked before the options are parsed and anything is read: every student child descends
        # from it, so none holds the reference, the expected values or the report's path.
        zygote = sandbox.Zygote.start() if hasattr(os, "fork") else None
        try:
            return super().main(*args, standalone_mode=False, obj=zygote, **kwargs)
        except _NoArgsIsHelp as error:  # plain `grade`: the help, as a usage error
            click.echo(error.ctx.get_help(), err=True)
            sys.exit(EXIT_USAGE)
        except click.UsageError as error:
            _fail(EXIT_USAGE, f"{error.format_message()} (see grade --help)")
        except click.exceptions.Exit as done:  # --help, --version
            sys.exit(done.exit_code)
        except click.Abort:
            _fail(EXIT_GRADER, "interrupted")
        finally:
            if zygote is not None:
                zygote.stop()


class _AssignmentCommand(click.Command):
    def format_usage(self, ctx, formatter):
        formatter.write_usage("grade", "ASSIGNMENT [SUBMISSION] [OPTIONS]")


@click.group(cls=_Grade, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cnn-grader")
def main():
    """Grade CNN course assignments.

    \b
      grade ASSIGNMENT [SUBMISSION]   grade a folder, .py, .ipynb or .zip
      grade list                      assignments, tasks and points
      grade batch ASSIGNMENT SOURCE... -o DIR   grade a class into a gradebook
      grade merge DIR SHARD_DIR...              merge the shards of a batch (--shard K/N)
      grade similarity ASSIGNMENT SOURCE... -o DIR   similar submissions across a class
      grade release OUT [ASSIGNMENT...]         the student handout, without solutions
      grade gradescope ASSIGNMENT BUNDLE.zip    a Gradescope autograder
      grade check-reference           prove the reference solutions and the stubs
    """


def _streams_speak_russian() -> None:
    """A stream whose encoding cannot hold Russian (a Windows pipe in its ANSI code page, a
    Latin-1 locale) writes UTF-8 instead: a report must never crash on its own language."""
    for stream in (sys.stdout, sys.stderr):
        try:
            "ё".encode(stream.encoding or "ascii")
        except (LookupError, UnicodeEncodeError):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(encoding="utf-8")


def _fail(code: int, message: str):
    click.echo(f"grade: {message}", err=True)
    sys.exit(code)


COURSE = click.option("--course", type=click.Path(path_type=Path, file_okay=False),
                      help="The course folder (reference/, assignments/) [default: the one the grader is installed from].")


LANG = click.option("--lang", type=click.Choice(LANGUAGES),
                    help="Language of reports and messages [default: your locale if it is en or ru, else the "
                         "course's, in assignments/course.toml].")


def _language(option: str | None, course: Path | None) -> str:
    """The language this command speaks; where the course cannot be read, the reader's own."""
    try:
        return api.choose_language(option, api.course(course))
    except api.UsageError:
        return option or "en"


def _grader_failed(error: Exception, language: str):
    """The grader's own failure: one line, exit 3, never a partial grade."""
    if isinstance(error, BrokenPipeError):  # the reader stopped reading (`| head`): nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(EXIT_GRADED)
    if isinstance(error, sandbox.JailError):
        _fail(EXIT_GRADER, say(language, "the sandbox for student code could not be set up: {error}", error=error))
    _fail(EXIT_GRADER, say(language, "internal error: {kind}: {error}", kind=type(error).__name__, error=error))


@contextmanager
def _failures(language: str) -> Iterator[None]:
    """A command's work: a usage error is one line in `language` and exit 2, the grader's own
    failure exit 3 (`_grader_failed`), an interrupt exit 3."""
    try:
        yield
    except api.UsageError as error:
        _fail(EXIT_USAGE, error.say(language))
    except KeyboardInterrupt:
        click.echo(err=True)  # past the ^C
        _fail(EXIT_GRADER, say(language, "interrupted"))
    except Exception as error:
        _grader_failed(error, language)


@main.command("assignment", cls=_AssignmentCommand, hidden=True)
@click.argument("assignment")
@click.argument("submission", required=False, type=click.Path(path_type=Path))
@click.option("--task", "tasks", multiple=True, help="Grade only this task (repeatable).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              help="Report format [default: from the -o file's extension, else text].")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report to FILE.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random cases.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=api.DEFAULT_TIMEOUT_S, show_default=True,
              help="CPU seconds per task (it is also stopped after 3x that + 5 s of wall-clock time).")
@click.option("--fail-under", type=click.FloatRange(0, 100), help="Exit 1 when the score is below PERCENT.")
@click.option("-v", "--verbose", is_flag=True, help="Text: list every failing check, not one per kind of failure.")
@LANG
@COURSE
def grade_assignment(assignment, submission, tasks, device, fmt, output, seed, timeout, fail_under, verbose, lang,
                     course):
    """Grade SUBMISSION (default: assignments/ASSIGNMENT) of ASSIGNMENT."""
    with _failures(_language(lang, course)):
        result = api.grade(assignment, submission, tasks=tasks, device=device, seed=seed, timeout=timeout,
                           root=course, language=lang, runner=click.get_current_context().obj)
    shown = report.student_view(result)
    fmt = fmt or (FORMATS_BY_SUFFIX.get(output.suffix.lower(), "text") if output else "text")
    if output:
        try:
            report.write_report(output, report.render(shown, fmt, columns=TEXT_COLUMNS, verbose=verbose))
        except OSError as error:
            _fail(EXIT_USAGE, say(result.environment.language, "cannot write the report to {path}: {reason}",
                                  path=output, reason=error.strerror))
        click.echo(f"{result.assignment}: {result.score:g} / {result.max_score:g} -> {output}")
    else:
        terminal = fmt == "text" and sys.stdout.isatty()
        columns = shutil.get_terminal_size().columns if terminal else TEXT_COLUMNS
        click.echo(report.render(shown, fmt, colour=terminal, columns=columns, verbose=verbose), nl=False)
    percent = 100 * result.score / result.max_score if result.max_score else 100.0
    if fail_under is not None and percent < fail_under:
        sys.exit(EXIT_BELOW)


@main.command("list")
@LANG
@COURSE
def list_assignments(lang, course):
    """Assignments, their tasks and points."""
    language = _language(lang, course)
    with _failures(language):
        for assignment in api.list_assignments(course):
            files = say_n(language, "file {names}", "files {names}", len(assignment.modules),
                          names=", ".join(assignment.modules))
            points = say_n(language, "{points} point", "{points} points", int(assignment.max_score),
                           points=number(language, assignment.max_score, "g"))
            title = say_text(language, assignment.title)  # the spec's, in the catalog by extract_spec
            click.echo(f"{assignment.name}  {title}  ({points}, {files})")
            for task in assignment.tasks:
                where = "  " + say(language, "in {file}", file=assignment.module_of(task)) \
                    if len(assignment.modules) > 1 else ""
                cases = say_n(language, "{count} case", "{count} cases", len(task.cases) + task.withheld)
                if task.withheld:  # a handout: the count is the statement's; the hidden ones run only when graded
                    cases += " " + say_n(language, "({count} of them hidden: run only when your instructor grades)",
                                         "({count} of them hidden: run only when your instructor grades)",
                                         task.withheld)
                click.echo(f"  {task.name:<28} {task.points:>5g}  {cases}{where}")


@main.command("check-reference")
@click.argument("assignments", nargs=-1)
@click.option("--seed", "seeds", type=int, multiple=True, help="Seed of the random cases (repeatable; default 0).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
@LANG
@COURSE
def check_reference(assignments, seeds, timeout, lang, course):
    """Prove that every reference scores full marks and agrees with torch, and the stubs score 0."""
    language = _language(lang, course)
    with _failures(language):
        defects = api.check_reference(assignments, seeds=seeds or (0,), timeout=timeout, root=course,
                                      progress=click.echo, language=language, runner=click.get_current_context().obj)
    for defect in defects:
        click.echo(f"DEFECT {defect}")  # a marker to grep for, as the README says
    click.echo(say_n(language, "{count} defect", "{count} defects", len(defects)) if defects
               else say(language, "all references and stubs check out"))
    sys.exit(EXIT_BELOW if defects else EXIT_GRADED)


@main.command("release")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("assignments", nargs=-1)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds per task for the reference.")
@click.option("--ci-fail-under", type=click.FloatRange(0, 100), default=50.0, show_default=True,
              help="The handout's CI (GitHub Actions, GitLab CI) fails a push whose changed assignment scores "
                   "under PERCENT of its public checks.")
@LANG
@COURSE
def release_command(out, assignments, timeout, ci_fail_under, lang, course):
    """Build the student handout in the new folder OUT: stubs, statements, the grader and the
    answers to the public cases, without the solutions [default: every assignment]."""
    from grader.course import release

    language = _language(lang, course)
    with _failures(language):
        names = release.build_handout(out, assignments, root=course, timeout=timeout, progress=click.echo,
                                      language=language, ci_fail_under=ci_fail_under)
    click.echo(say(language, "handout of {names} -> {folder} (see its README.md)", names=", ".join(names),
                   folder=out))


@main.command("gradescope")
@click.argument("assignment")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--visibility", type=click.Choice(VISIBILITIES),
              default="visible", show_default=True, help="When students see their results on Gradescope.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=api.DEFAULT_TIMEOUT_S, show_default=True,
              help="CPU seconds per task.")
@LANG
@COURSE
def gradescope_command(assignment, bundle, visibility, timeout, lang, course):
    """Build BUNDLE, the Gradescope autograder zip of ASSIGNMENT (setup.sh, run_autograder, the course)."""
    from grader.course import gradescope

    language = _language(lang, course)
    with _failures(language):
        held = gradescope.build_bundle(assignment, bundle, root=course, visibility=visibility, timeout=timeout)
    click.echo(say_n(language, "Gradescope autograder of {assignment}: {count} file -> {path}",
                     "Gradescope autograder of {assignment}: {count} files -> {path}", len(held),
                     assignment=assignment, path=bundle))


@main.command("autograder", hidden=True)
@click.argument("assignment")
@click.option("--visibility", type=click.Choice(VISIBILITIES),
              default="visible")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=api.DEFAULT_TIMEOUT_S)
def autograder_command(assignment, visibility, timeout):
    """In a Gradescope container (the bundle's run_autograder): grade AUTOGRADER_ROOT/submission into
    AUTOGRADER_ROOT/results/results.json."""
    from grader.course import gradescope

    language = _language(None, gradescope.autograder_root() / "source")
    with _failures(language):
        result = gradescope.autograde(assignment, visibility=visibility, timeout=timeout,
                                      runner=click.get_current_context().obj)
    # Gradescope shows this output to the instructor alone (results/stdout)
    click.echo(f"{result.assignment}: {result.score:g} / {result.max_score:g} "
               f"({result.environment.isolation.level}) -> results/results.json")


def _hand_back_options(command):
    """The options of how a batch's outputs are written: `grade batch` and `grade merge` share them."""
    for option in reversed([
        click.option("--lang", type=click.Choice(LANGUAGES),
                     help="Language of the feedback and summary [default: the course's, in assignments/course.toml]."),
        click.option("--anonymous", is_flag=True, help="Ids only, no names, in every output (Moodle's blind marking)."),
        click.option("--deadline", metavar="ISO-8601",
                     help="Submissions after it lose --late-penalty per started day, e.g. 2026-12-01T23:59+03:00 "
                          "[without an offset: this machine's time zone]."),
        click.option("--late-penalty", type=click.FloatRange(0, 100), default=0.0, metavar="PERCENT",
                     help="Percent of the points taken off per started day after --deadline."),
        click.option("--overrides", type=click.Path(path_type=Path, dir_okay=False),
                     help="A CSV student,task,delta,comment: points added to a task (or to the total, task empty)."),
        click.option("--moodle-worksheet", type=click.Path(path_type=Path, dir_okay=False),
                     help="Moodle's grading worksheet as downloaded: filled in as RESULTS/moodle_worksheet.csv."),
        click.option("--moodle-lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                     help="Language of Moodle's interface, for a worksheet written without --moodle-worksheet."),
    ]):
        command = option(command)
    return command


@main.command("batch")
@click.argument("assignment")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "results", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="RESULTS_DIR: the store, gradebook.csv, summary.html and feedback/.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Submissions graded at once [default: all cores].")
@click.option("--regrade", is_flag=True, help="Grade every submission again, also those already in the store.")
@click.option("--report-only", is_flag=True, help="Write the outputs from the store again, grading nothing.")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the random cases' values [default: secret_seed in reference/course.toml].")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=api.DEFAULT_TIMEOUT_S, show_default=True,
              help="CPU seconds per task (it is also stopped after 3x that + 5 s of wall-clock time).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--shard", metavar="K/N|auto",
              help="Grade only the students of shard K of N (by a hash of their id), into RESULTS_DIR of its own; "
                   "auto: the Slurm array task or Kubernetes completion index. Then grade merge.")
@click.option("--shards", type=click.IntRange(min=1), help="With --shard auto in a Kubernetes Indexed Job: its "
                                                          "completions.")
@click.option("--similarity", "similar", is_flag=True,
              help="Also compare the class's submissions (as grade similarity) into RESULTS_DIR, and add "
                   "similar_to to the gradebook. Changes no score.")
@_hand_back_options
@COURSE
def batch_command(assignment, sources, results, jobs, regrade, report_only, seed, timeout, device, shard, shards,
                  similar, course, **hand_back):
    """Grade a class: SOURCES are folders of submissions, Moodle exports (.zip or folder) or CSV
    manifests (student,path). Deadlines, overrides and the Moodle files apply also with
    --report-only."""
    from grader.course import batch  # only here: grading one submission needs none of it

    lang = hand_back.pop("lang")
    language = _language(lang, course)
    with _failures(language):
        options = _hand_back(**hand_back)
        part = _shard(shard, shards) if shard else None
        if part and (options.overrides or options.worksheet):
            raise api.UsageError("--overrides and --moodle-worksheet are for the whole class: give them to grade merge")
        if part and similar:
            raise api.UsageError("--similarity compares the whole class: run grade similarity after grade merge")
        if report_only:
            graded = batch.regenerate(assignment, results, root=course)
        else:
            with _Progress(language) as progress:
                graded = batch.grade_batch(assignment, sources, results, jobs=jobs, seed=seed, timeout=timeout,
                                           device=device, regrade=regrade, root=course, progress=progress,
                                           language=lang, runner=click.get_current_context().obj, zone=options.zone,
                                           anonymous=options.anonymous, shard=part)
        matches = None
        if similar:  # after grading: it reads the same sources, and nothing it finds reaches a score
            from grader.reports.similarity_page import similar_to

            analysis, _ = api.similarity(assignment, sources, results, root=course, language=lang,
                                                       anonymous=options.anonymous)
            matches = similar_to(analysis)
        _write_outputs(assignment, results, graded, options, lang, course, language, matches)


@main.command("merge")
@click.argument("results", type=click.Path(path_type=Path, file_okay=False))
@click.argument("parts", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@_hand_back_options
@COURSE
def merge_command(results, parts, course, **hand_back):
    """Merge the RESULTS_DIRs of a batch's shards (grade batch --shard) into RESULTS, each student
    once, and write every output from it, as --report-only does."""
    from grader.course import batch, shards as sharding

    lang = hand_back.pop("lang")
    language = _language(lang, course)
    with _failures(language):
        options = _hand_back(**hand_back)
        try:
            assignment = sharding.merge(results, list(parts))
        except sharding.ShardError as error:
            raise api.UsageError.of(error) from None
        graded = batch.regenerate(assignment, results, root=course)
        _write_outputs(assignment, results, graded, options, lang, course, language)


@main.command("similarity")
@click.argument("assignment")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="OUT: similarity.csv (every pair) and similarity.html (the pairs above the threshold, side by side).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=similarity.THRESHOLD, show_default=True,
              help="Pairs at or above this score are shown side by side and link clusters.")
@click.option("--anonymous", is_flag=True, help="Ids only, no names, in the page and the CSV.")
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Language of the page [default: the course's, in assignments/course.toml].")
@COURSE
def similarity_command(assignment, sources, out, threshold, anonymous, lang, course):
    """Similar submissions across a class: SOURCES as for grade batch. A hint for a person: it grades
    nothing and changes no score."""
    language = _language(lang, course)
    with _failures(language):
        analysis, written = api.similarity(assignment, sources, out, root=course, language=lang,
                                                         anonymous=anonymous, threshold=threshold)
    above = sum(pair.score >= threshold for pair in analysis.pairs)
    click.echo(f"{assignment}: " + say_n(language, "{count} pair at or above {threshold} -> {paths}",
                                         "{count} pairs at or above {threshold} -> {paths}", above,
                                         threshold=number(language, threshold, "g"),
                                         paths=", ".join(str(path) for path in written)))


def _hand_back(anonymous, deadline, late_penalty, overrides, moodle_worksheet, moodle_lang):
    """How the outputs are written, checked before anything is graded: a wrong file must not wait
    for the whole class."""
    from grader.course import batch
    from grader.reports import classbook, moodle

    try:
        options = batch.HandBack(classbook.read_deadline(deadline) if deadline else None, late_penalty,
                                 overrides, moodle_worksheet, moodle_lang, anonymous)
        if moodle_worksheet:
            moodle.read_worksheet(moodle_worksheet)
        return options
    except ReaderError as error:
        raise api.UsageError.of(error) from None


def _shard(text: str, count: int | None):
    """The shard `--shard` names (with `--shards`)."""
    from grader.course import shards as sharding

    try:
        return sharding.parse(text, count)
    except sharding.ShardError as error:
        raise api.UsageError.of(error) from None


def _write_outputs(assignment, results, graded, options, lang, course, language, similar=None) -> None:
    """The batch's outputs, from `graded`, and one line that names them."""
    from grader.course import batch

    written = batch.write_outputs(results, graded, api.choose_language(lang, api.course(course), reader=False),
                                  options, similar)
    click.echo(f"{assignment}: " + say_n(language, "{count} student -> {paths}", "{count} students -> {paths}",
                                         len(graded), paths=", ".join(str(path) for path in written)))


class _Progress:
    """A bar with the count, the rate, the time left and the failures on a terminal; else a line each."""

    def __init__(self, language: str):
        self.bar: Any = None  # a tqdm bar, once one is shown (tqdm has no types here)
        self.failures, self.language = 0, language

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()

    def __call__(self, done: int, total: int, student: str, result) -> None:
        failed = any(task.status in ("error", "timeout", "forbidden") for task in result.tasks)
        self.failures += failed
        if not sys.stderr.isatty():
            problem = next((report.said(task.problem, self.language) for task in result.tasks if task.problem), None)
            click.echo(f"[{done}/{total}] {student}: {number(self.language, result.score, 'g')} / "
                       f"{number(self.language, result.max_score, 'g')}"
                       + (f" ({problem})" if problem else ""), err=True)
            return
        if self.bar is None:
            from tqdm import tqdm  # only on a terminal

            self.bar = tqdm(total=total, unit="submission", dynamic_ncols=True)
        self.bar.set_postfix_str(say(self.language, "{count} failed", count=self.failures) if self.failures else "")
        self.bar.update(1)


def run() -> None:
    """The `grade` command as a program: `main`, then the process ends at once, its output flushed.
    Python's own teardown would free torch's objects one by one: about 0.4 s, a fifth of a grading.
    Everything the command owns (the zygote, temporary folders, report files) is closed by then."""
    try:
        main()
        code = 0
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that stopped reading (`| head`), a closed stream
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
