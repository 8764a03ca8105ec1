"""Messages as data: a report keeps each message as a catalog key and its fields, and says it only
where it is rendered, in the language asked for; the engine says nothing itself."""
from __future__ import annotations

import ast

from grader import i18n
from grader.i18n import Message, joined, message, name, numeral, pieces, plain, say, text
from grader.reports import render as report
from grader.results import CheckResult, Report

from conftest import ROOT


def test_a_message_is_data_said_in_either_language_and_read_back_from_json():
    said = plain("{call}: {message}", call="conv2d(x)", message=message(
        "{count} of {total} values wrong{nonfinite}; first at index {first}: expected {want}, got {got}",
        count=12345, total=20000, nonfinite="", first=(0, 1), want="1", got="2"))
    assert say("en", said) == str(said) == ("conv2d(x): 12345 of 20000 values wrong; first at index (0, 1): "
                                            "expected 1, got 2")
    russian = say("ru", said)
    assert russian.startswith("conv2d(x): неверны 12\u00a0345 из 20\u00a0000 значений"), russian
    assert Message.model_validate_json(said.model_dump_json()) == said
    assert say("ru", joined(" - or - ", [text("no such hint"), message("hidden check")])).endswith("скрытая проверка")
    assert say("ru", numeral(2.5, "g")) == "2,5" and say("en", numeral(2.5, "g")) == "2.5"
    assert say("en", name("random 3: kernel (3, 5)")) == "random 3: kernel (3, 5)"


def test_a_message_whose_fields_do_not_fit_its_key_is_still_shown():
    """A message read from a child or an edited report never fails the rendering."""
    assert say("en", Message(key="{missing} here", fields={"other": "x"})) == "{missing} here (x)"


def test_a_page_shows_the_values_a_message_quotes_as_code():
    said = message("expected {want}, got {got}", want="[[1, 2]]", got="[[1, 3]]")
    assert pieces("en", said) == [("expected ", False), ("[[1, 2]]", True), (", got ", False), ("[[1, 3]]", True)]


def test_a_readers_error_crosses_as_its_key_and_fields():
    error = i18n.ReaderError("{folder}: {count} files", folder="a", count=12345)
    assert error.data == message("{folder}: {count} files", folder="a", count=12345)
    assert Message.model_validate(error.data.model_dump(mode="json")).say("en") == str(error) == "a: 12345 files"


def test_no_function_of_the_engine_takes_a_language():
    """The engine builds messages as data; only the renderers say them (grader/reports)."""
    takes = []
    for path in sorted((ROOT / "grader" / "engine").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                takes += [f"{path.name}:{node.lineno} {node.name}" for a in arguments if a.arg == "language"]
    assert not takes


def _stored(checks: tuple[CheckResult, ...], problem: Message) -> Report:
    from grader.results import Environment, Isolation, TaskResult
    task = TaskResult(name="conv2d", max_score=2.0, checks=checks, problem=problem, problem_status="timeout")
    environment = Environment(python="3", torch="2", devices=("cpu",), grader="0", language="en",
                              isolation=Isolation(level="jail as root", measures=()))
    from grader import api
    title = api.open_assignment("assignment1", root=ROOT).title  # the spec's own text, in the catalog
    return Report(assignment="assignment1", title=text(title), submission="s.py", course="c", tasks=(task,),
                  notes=(message("graded without a sandbox: your code ran as an ordinary process"),),
                  environment=environment, duration_s=1.0)


def test_one_stored_report_renders_in_english_and_in_russian():
    stopped = message("stopped after the {seconds} s time limit (CPU time): an endless loop, far too slow, or memory "
                      "allocated without end", seconds=numeral(10.0, "g"))
    checks = (CheckResult(name="random 1: kernel (3, 3)", label=name("random 1: kernel (3, 3)"), device="cpu",
                          passed=False, call=name("conv2d(tensor (1, 1, 5, 5) float64)"),
                          message=message("shape {got}, expected {want}", got=(1, 1, 3, 3), want=(1, 1, 5, 5)),
                          diagnosis="wrong_shape"),
              CheckResult(name="hidden case 2", label=message("hidden case {number}", number=2), device="cpu",
                          passed=False, message=stopped, diagnosis="timeout", hidden=True))
    stored = Report.model_validate_json(_stored(checks, stopped).model_dump_json())
    english = [report.text(stored), report.markdown(stored), report.as_html(stored)]
    russian = [report.render(stored, fmt, language="ru") for fmt in ("text", "markdown", "html")]
    assert "random 1: kernel (3, 3): conv2d(tensor (1, 1, 5, 5) float64): shape (1, 1, 3, 3), expected (1, 1, 5, 5)" \
        in english[0]
    assert "stopped after the 10 s time limit" in english[0] and "(Convolution" in english[0]
    assert all("ожидалось" not in shown and "ядро" not in shown for shown in english)
    assert "случайный 1: ядро (3, 3): conv2d(tensor (1, 1, 5, 5) float64): форма (1, 1, 3, 3), ожидалась (1, 1, 5, 5)" \
        in russian[0], russian[0]
    from test_i18n import english_words
    names = frozenset({"conv2d", "cpu"})
    assert all(not english_words(shown, names) for shown in russian), [english_words(s, names) for s in russian]
    assert report.render(stored, "text", language="en") == english[0]
