"""The class summary page, on a small class of real gradings."""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from grader.summary import render_summary
from test_gradebook import SCRIPT_ID, UNGRADABLE, graded_class


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def page(entries):
    return render_summary("Assignment 1 <b>convolution</b>", entries)


class Elements(HTMLParser):
    """Every element's tag and attributes, and the page's text."""

    def __init__(self, page: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_summary_numbers(entries, page):
    text = " ".join(Elements(page).text.copy())
    assert f"{len(entries)} students" in text
    assert "Assignment 1 <b>convolution</b>" in text  # the title is text, not markup


def test_summary_is_self_contained(page):
    elements = Elements(page).elements
    assert not [a for tag, a in elements if tag in ("script", "link", "iframe")]
    sources = [a["src"] for tag, a in elements if tag == "img"]
    assert len(sources) == 2 and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    histogram = base64.b64decode(sources[0].split(",", 1)[1]).decode()
    assert "<svg" in histogram and "<script" not in histogram


def test_summary_has_a_row_per_task(entries, page):
    rows = [a["data-task"] for tag, a in Elements(page).elements if tag == "tr" and "data-task" in a]
    assert rows == [t.name for t in entries[0][1].tasks]
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
    sections = {name: page.split(f'id="{name}"', 1)[1].split("</table>", 1)[0] for name in
                ("timeouts", "crashes", "forbidden", "review")}
    assert "-loop" in sections["timeouts"] and "time limit" in sections["timeouts"]
    assert "SIGSEGV" in sections["crashes"] and UNGRADABLE in sections["crashes"]
    assert "no convolution.py in the submission" in sections["crashes"]
    assert "../../etc/passwd" in sections["forbidden"] and "torch.nn.functional.conv2d" in sections["forbidden"]
    assert "import ctypes" in sections["review"] and "convolution.py:" in sections["review"]


def test_summary_escapes_student_text(page):
    assert SCRIPT_ID not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not [tag for tag, _ in Elements(page).elements if tag in ("script", "b")]


def test_summary_of_nobody():
    page = render_summary("empty", [])
    assert "0 students" in page and "<img" not in page
