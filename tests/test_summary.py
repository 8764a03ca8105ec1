"""The class summary page: on a small class of real gradings, and on classes built by hand (`report`,
`task`) for names, links, problems per student and who makes each mistake."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from grader.reports.classbook import Adjustment, Graded
from grader.reports.feedback import folder_name
from grader.results import CheckResult, Environment, Isolation, Report, ReviewFlag, TaskResult
from grader.reports.summary import render_summary
from test_gradebook import SCRIPT_ID, UNGRADABLE, graded_class

ENVIRONMENT = Environment(python="3.11", torch="2.3", devices=("cpu",), grader="test",
                          isolation=Isolation(level="none", measures=()))
TIME_LIMIT = "stopped after the 3 s time limit (CPU time)"


def task(name: str, passed: int = 4, mistakes: tuple[str, ...] = (), status: str | None = None,
         problem: str = "", max_score: float = 10) -> TaskResult:
    """A task with `passed` passing checks and a failing one per diagnosis in `mistakes`, or stopped
    as a whole (`status` "timeout", "error" or "forbidden") by `problem`."""
    checks = [CheckResult(name=f"case {i}", device="cpu", passed=True) for i in range(passed)]
    checks += [CheckResult(name=f"case {code}", device="cpu", passed=False, message=f"wrong values ({code})",
                           diagnosis=code) for code in mistakes]
    if status:
        return TaskResult(name=name, max_score=max_score, checks=(), problem=problem, problem_status=status)
    return TaskResult(name=name, max_score=max_score, checks=tuple(checks))


def report(*tasks: TaskResult, review: tuple[ReviewFlag, ...] = (), language: str = "en") -> Report:
    environment = ENVIRONMENT.model_copy(update={"language": language})
    return Report(assignment="assignment1", submission="submission", course="course", tasks=tasks,
                  review=review, environment=environment, duration_s=1.0)


def correct() -> Report:
    return report(task("conv1d"), task("conv2d"), task("pad"))


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def page(entries):
    return render_summary("Assignment 1 <b>convolution</b>", entries)


# A class built by hand: two students named alike, a student whose loop times out in every task,
# mistakes shared by some, and names that are hostile markup.
HOSTILE = ('<script>alert("x")</script>', '" onmouseover="alert(1)', "O'Brien #1 ?x=1")
CLASS = [
    Graded(student="1470034", name="Иван Петров", report=correct()),
    Graded(student="1470035", name="Иван Петров", report=report(
        task("conv1d", 3, ("flipped_kernel",)), task("conv2d", 3, ("flipped_kernel", "bias_missing")), task("pad"))),
    Graded(student="1470040", name="Анна Смирнова-Васильева", report=report(
        task("conv1d", 3, ("flipped_kernel",)), task("conv2d", 3, ("flipped_kernel",)), task("pad"))),
    Graded(student="1470041", name="Ольга Кузнецова", report=report(
        *(task(name, status="timeout", problem=TIME_LIMIT) for name in ("conv1d", "conv2d", "pad")))),
    Graded(student="1470042", name=HOSTILE[0], report=report(
        task("conv1d"), task("conv2d", status="error", problem="Segmentation fault (SIGSEGV)"),
        task("pad", status="forbidden", problem="calls torch.nn.functional.pad"),
        review=(ReviewFlag(what="imports ctypes", where="convolution.py:3", line="import ctypes"),))),
    Graded(student="1470043", name=HOSTILE[1], report=correct()),
    Graded(student="1470044", name=HOSTILE[2], report=report(task("conv1d"), task("conv2d", 3, ("bias_missing",)),
                                                             task("pad"))),
    Graded(student="1470045", report=correct(),  # no name: shown by id
           deadline=datetime(2024, 3, 1, tzinfo=timezone.utc),
           submitted_at=datetime(2024, 3, 1, tzinfo=timezone.utc) + timedelta(days=1, hours=2), late_penalty=10,
           adjustments=(Adjustment(delta=-1.5, comment="copied a comment"),)),
]
NAMES = ["Иван Петров", "Анна Смирнова-Васильева", "Ольга Кузнецова", *HOSTILE]


@pytest.fixture(scope="module")
def named():
    return render_summary("Assignment 1", CLASS)


@pytest.fixture(scope="module")
def anonymous():
    return render_summary("Assignment 1", CLASS, anonymous=True)


class Elements(HTMLParser):
    """Every element's tag and attributes, and the page's text; `section(id)` is one element's
    text and links (an element with that id, to its end)."""

    def __init__(self, page: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.sections: dict[str, dict] = {}
        self._open: list[tuple[str, dict]] = []  # (tag, section) of each open element with an id
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.sections[attributes["id"]] = {"text": [], "links": [], "rows": []}
            self._open.append((tag, self.sections[attributes["id"]]))
        for _, section in self._open:
            if tag == "a":
                section["links"].append(attributes["href"])
            if tag == "tr" and "data-student" in attributes:
                section["rows"].append(attributes["data-student"])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for _, section in self._open:
            section["text"].append(data)

    def section(self, id: str) -> dict:
        found = self.sections[id]
        return {**found, "text": " ".join(" ".join(found["text"]).split())}


def feedback_link(student: str) -> str:
    return f"feedback/{folder_name(student)}/feedback.html"


def test_summary_numbers(entries, page):
    text = " ".join(Elements(page).text.copy())
    assert f"{len(entries)} students" in text
    assert "Assignment 1 <b>convolution</b>" in text  # the title is text, not markup


def test_summary_totals_are_final_grades(named):
    """1470045 scored 30 of 30, lost 20% for two started days late, then 1.5 points: 22.5; the
    class's mean is 21.1 with it (22.0 without the penalty and adjustment)."""
    row = named.split('data-student="1470045"', 1)[1].split("</tr>", 1)[0]
    assert "22.5 / 30" in row and "2 days late: −20%" in row and "adjusted by the instructor: −1.5" in row
    assert '<div class="value">21.1</div>' in named


def test_summary_lists_students_by_name(named):
    # '"' < digits < '<' < Latin < Cyrillic; the two Иван Петров by id
    assert Elements(named).section("students")["rows"] == [
        "1470043", "1470045", "1470042", "1470044", "1470040", "1470034", "1470035", "1470041"]


def test_summary_is_self_contained(page):
    elements = Elements(page).elements
    assert not [a for tag, a in elements if tag in ("script", "link", "iframe")]
    sources = [a["src"] for tag, a in elements if tag == "img"]
    assert len(sources) == 2 and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert all(a["href"].startswith("feedback/") for tag, a in elements if tag == "a")
    histogram = base64.b64decode(sources[0].split(",", 1)[1]).decode()
    assert "<svg" in histogram and "<script" not in histogram


def test_summary_has_a_row_per_task(entries, page):
    rows = [a["data-task"] for tag, a in Elements(page).elements if tag == "tr" and "data-task" in a]
    assert rows == [t.name for t in entries[0].report.tasks]
    assert any(tag == "figure" and a.get("id") == "histogram" for tag, a in Elements(page).elements)


def test_summary_counts_students_not_checks(page):
    """Two students flip the kernel (42 failing conv2d checks each); one leaves out the bias."""
    elements = Elements(page).elements
    tables = [(tag, a) for tag, a in elements if tag in ("table", "tr")]
    counts: dict[tuple[str, str], int] = {}
    task = None
    for tag, attributes in tables:
        if tag == "table":
            task = attributes.get("data-task")
        elif "data-code" in attributes:
            counts[(task, attributes["data-code"])] = int(attributes["data-count"])
    assert counts[("conv2d", "flipped_kernel")] == 2
    assert counts[("conv1d", "flipped_kernel")] == 2
    assert counts[("conv2d", "bias_missing")] == 1
    assert ("pad", "flipped_kernel") not in counts


def test_summary_lists_problems(page):
    elements = Elements(page)
    problems, review = elements.section("problems"), elements.section("review")
    assert "time limit" in problems["text"] and "SIGSEGV" in problems["text"]
    assert UNGRADABLE in problems["text"] and "no convolution.py in the submission" in problems["text"]
    assert "all tasks" in problems["text"]
    assert "../../etc/passwd" in problems["text"] and "torch.nn.functional.conv2d" in problems["text"]
    assert len(problems["rows"]) == len(set(problems["rows"]))  # a student once, however many tasks
    assert {"-loop", SCRIPT_ID, "../../etc/passwd", UNGRADABLE} <= set(problems["rows"])
    assert "import ctypes" in review["text"] and "convolution.py:" in review["text"]


def test_summary_escapes_student_text(page):
    assert SCRIPT_ID not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not [tag for tag, _ in Elements(page).elements if tag in ("script", "b")]


def test_summary_of_nobody():
    page = render_summary("empty", [])
    assert "0 students" in page and "<img" not in page


def test_summary_names_the_students(named):
    elements = Elements(named)
    roster = elements.section("students")
    for name in NAMES:
        assert name in roster["text"]
    assert "1470045" in roster["text"]  # no name: the id
    assert roster["text"].count("Иван Петров") == 2
    assert "1470034" in roster["text"] and "1470035" in roster["text"]  # the same name, told apart by ids
    assert "1470040" not in roster["text"]  # a unique name needs no id


def test_summary_anonymous_shows_ids_only(anonymous):
    for name in NAMES:
        assert name not in anonymous
    for part in ("Иван", "Петров", "Смирнова", "O&#39;Brien", "onmouseover", "alert"):
        assert part not in anonymous
    text = Elements(anonymous).section("students")["text"]
    assert all(g.student in text for g in CLASS)
    assert "names students" not in anonymous


def test_summary_links_each_student_to_their_feedback(named):
    elements = Elements(named)
    roster = elements.section("students")
    assert sorted(unquote(link) for link in roster["links"]) == sorted(feedback_link(g.student) for g in CLASS)
    odd = Graded(student="O'Brien #1 ?x=1/Иван", report=correct())
    page = render_summary("Assignment 1", [odd])
    links = Elements(page).section("students")["links"]
    assert len(links) == 1 and unquote(links[0]) == feedback_link(odd.student)
    folder = links[0].split("/")[1]
    assert not set(folder) & set("#?' /") and folder_name(odd.student) != odd.student


def test_summary_gives_a_timeout_in_every_task_one_row(named):
    problems = Elements(named).section("problems")
    assert problems["rows"] == ["1470042", "1470041"]
    row = named.split('data-student="1470041"', 1)[1].split("</tr>", 1)[0]
    assert row.count(TIME_LIMIT) == 1 and row.count("<li>") == 1
    assert all(f"<code>{name}</code>" in row for name in ("conv1d", "conv2d", "pad"))
    crashed = named.split('data-student="1470042"', 1)[1].split("</tr>", 1)[0]
    assert crashed.count("<li>") == 2 and "SIGSEGV" in crashed and "torch.nn.functional.pad" in crashed
    assert "2 students with a timeout, crash or forbidden call" in " ".join(Elements(named).text)


def diagnoses(page: str, task: str) -> dict[str, list[str]]:
    """Per diagnosis of `task`: the feedback links of the students listed under it."""
    table = page.split(f'<table class="diagnoses" data-task="{task}">', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in table.split('<tr class="diagnosis"')[1:]:
        code = re.search(r'data-code="([^"]*)"', row).group(1)
        found[code] = [unquote(link) for link in re.findall(r'href="([^"]*)"', row)]
    return found


def test_summary_lists_who_makes_each_mistake(named):
    conv2d = diagnoses(named, "conv2d")
    assert conv2d["flipped_kernel"] == [feedback_link("1470040"), feedback_link("1470035")]  # by name
    assert sorted(conv2d["bias_missing"]) == sorted([feedback_link("1470035"), feedback_link("1470044")])
    assert list(diagnoses(named, "conv1d")) == ["flipped_kernel"]
    assert "<details" in named.split('data-task="conv2d"', 2)[2]


def test_summary_escapes_hostile_names(named):
    elements = Elements(named)
    assert not [tag for tag, _ in elements.elements if tag == "script"]
    assert not [a for _, a in elements.elements if "onmouseover" in a]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in named
    assert "&#34; onmouseover=&#34;alert(1)" in named
    assert HOSTILE[0] in elements.section("students")["text"]  # shown as text


def test_summary_keeps_names_and_ids_whole(named):
    style = named.split("<style>", 1)[1].split("</style>", 1)[0]
    name = re.search(r"\.student \.name \{([^}]*)\}", style).group(1)
    ident = re.search(r"\.student \.id \{([^}]*)\}", style).group(1)
    assert "word-break: keep-all" in name and "overflow-wrap: normal" in name
    assert "white-space: nowrap" in ident
    assert "anywhere" not in name + ident
    assert re.search(r'<span class="id twin">1470034</span>', named)
    assert '<span class="id">1470045</span>' in named
