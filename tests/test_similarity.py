"""grade similarity: disguised copies score above independent solutions, the template is subtracted,
clusters link copies, the page names students in their own alphabet, and no score changes."""
from __future__ import annotations

import csv
import html
import subprocess
import sys

import pytest

from conftest import ROOT
from disguises import DISGUISES, disguised, styles
from grader import api
from grader.course import similarity as sim
from grader.reports.similarity_page import render_page, similar_to, similarity_csv, write_similarity

ASSIGNMENTS = [f"assignment{n}" for n in range(1, 7)]


def _template(assignment: str) -> list[str]:
    return sim.course_template(ROOT / "assignments" / assignment)


def _student(student: str, files: dict[str, str], name: str = "") -> sim.Student:
    return sim.Student(student, name, tuple(files.items()))


def _corpus(assignment: str) -> tuple[sim.Analysis, list[sim.Pair], list[sim.Pair]]:
    """Each independent solution and its disguised copies, compared as one class: the pairs of two
    independent solutions, and the pairs of a copy with its original."""
    students = []
    for style, files in styles(assignment).items():
        students.append(_student(style, files))
        for disguise in DISGUISES:
            copy = disguised(files, disguise)
            if copy != files:  # a vectorised solution has no range loop to rewrite
                students.append(_student(f"{style}~{disguise}", copy))
    analysis = sim.compare(students, _template(assignment), common=len(students))  # one style's copies are many
    independent = [p for p in analysis.pairs if "~" not in p.a and "~" not in p.b]
    copies = [p for p in analysis.pairs if p.a.split("~")[0] == p.b.split("~")[0] and ("~" in p.a) != ("~" in p.b)]
    return analysis, independent, copies


@pytest.fixture(scope="module")
def corpus():
    return {assignment: _corpus(assignment) for assignment in ASSIGNMENTS}


def test_the_disguises_change_the_code_and_keep_it_python():
    import ast
    files = styles("assignment1")["correct_naive"]
    for disguise in DISGUISES:
        copy = disguised(files, disguise)
        assert copy != files, disguise
        for text in copy.values():
            ast.parse(text)
    assert "while " in disguised(files, "for_to_while")["convolution.py"]


def test_every_disguised_copy_scores_above_every_pair_of_independent_solutions(corpus):
    independent = [p for _, pairs, _ in corpus.values() for p in pairs]
    copies = [p for _, _, pairs in corpus.values() for p in pairs]
    assert len(independent) == 8 and len(copies) >= 6 * 2 * 7  # 8 disguises, for_to_while where there are loops
    highest, lowest = max(p.score for p in independent), min(p.score for p in copies)
    margin = lowest - highest
    print(f"independent up to {highest:.3f}, copies from {lowest:.3f}, margin {margin:.3f}")
    assert highest < sim.THRESHOLD <= lowest
    assert highest <= sim.MEASURED_INDEPENDENT + 0.005 and lowest >= sim.MEASURED_COPIES - 0.005  # what the page says
    assert margin >= 0.3
    for disguise in DISGUISES:  # each disguise alone, and several together
        assert any(p.b.endswith("~" + disguise) or p.a.endswith("~" + disguise) for p in copies), disguise


def test_scores_are_symmetric_and_between_0_and_1(corpus):
    analysis, _, _ = corpus["assignment3"]
    assert all(0 <= p.score <= 1 and p.a < p.b for p in analysis.pairs)
    flipped = sim.compare(list(reversed(analysis.students)), _template("assignment3"),
                          common=len(analysis.students))
    assert {(p.a, p.b): p.score for p in flipped.pairs} == {(p.a, p.b): p.score for p in analysis.pairs}


def test_the_stub_and_the_statement_code_are_subtracted():
    stub = (ROOT / "assignments" / "assignment1" / "convolution.py").read_text(encoding="utf-8")
    solution = styles("assignment1")["correct_einsum"]["convolution.py"]
    students = [_student("a", {"convolution.py": stub}), _student("b", {"convolution.py": stub}),
                _student("c", {"convolution.py": solution})]
    with_template = sim.compare(students, _template("assignment1"))
    assert all(p.score == 0 for p in with_template.pairs)  # two untouched stubs are not a copy
    without = sim.compare(students, [])
    assert next(p for p in without.pairs if (p.a, p.b) == ("a", "b")).score > 0.95  # the ends of a file: no window
    code = sim.statement_code("Text\n```python\nx = conv2d(a, b)\n```\n```text\nnot code\n```\n")
    assert code == ["x = conv2d(a, b)\n"]


def test_comments_docstrings_names_and_loops_are_normalised():
    one = 'def f(a, b):\n    """Doc."""\n    # add\n    for i in range(a):\n        b += i  # more\n    return b\n'
    two = "def g(x, y):\n    i = 0\n    while i < x: y += i; i += 1\n    return y\n"
    symbols = [t.symbol for t in sim.tokens(one)]
    assert "S" not in symbols and "LOOP" in symbols and "range" in symbols and symbols.count("V") == 8
    assert [t.symbol for t in sim.tokens(two)][:6] == ["def", "V", "(", "V", ",", "V"]
    assert sim.tokens("def broken(:\n  x = (") is not None  # a file that does not parse still gives tokens


def test_a_class_with_two_copies_makes_one_cluster_of_three():
    files = styles("assignment1")
    class_ = [_student("1470001", files["correct_naive"], "Иван Петров"),
              _student("1470002", disguised(files["correct_naive"], "all"), "Пётр Сидоров"),
              _student("1470003", disguised(files["correct_naive"], "rename+reorder+comments"), "Анна Волкова"),
              _student("1470004", files["correct_einsum"], "Мария Смирнова"),
              _student("1470005", files["reference"], "Ольга Кузнецова"),
              sim.Student("1470006", "Сергей Попов", (), "empty submission")]
    analysis = sim.compare(class_, _template("assignment1"))
    assert [c.students for c in analysis.clusters] == [("1470001", "1470002", "1470003")]
    assert len(analysis.pairs) == 10  # the student without code is in no pair
    top = analysis.top_match()
    assert top["1470002"][0] in ("1470001", "1470003") and "1470006" not in top
    assert similar_to(analysis)["1470001"].split()[0] in ("1470002", "1470003")


def test_the_page_names_students_in_cyrillic_and_highlights_the_shared_passages(tmp_path):
    files = styles("assignment1")
    class_ = [_student("1470001", files["correct_naive"], "Иван Петров"),
              _student("1470002", disguised(files["correct_naive"], "all"), "Пётр Сидоров"),
              _student("1470003", files["correct_einsum"], "Мария <b>Смирнова</b>"),
              sim.Student("1470004", "Сергей Попов", (), "пустая работа")]
    analysis = sim.compare(class_, _template("assignment1"))
    page = render_page(analysis, "assignment1", "ru")
    assert "Иван Петров" in page and "Пётр Сидоров" in page and "Сергей Попов" in page
    assert html.escape("Мария <b>Смирнова</b>") in page and "<b>Смирнова" not in page  # a name is text, never markup
    assert 'id="pair-0"' in page and 'class="l f0"' in page
    assert "http://" not in page and "https://" not in page and "<script" not in page  # self-contained
    anonymous = render_page(analysis, "assignment1", "ru", anonymous=True)
    assert "Иван" not in anonymous and "1470001" in anonymous
    written = write_similarity(tmp_path / "out", analysis, "assignment1", "en")
    assert [p.name for p in written] == ["similarity.csv", "similarity.html"]
    rows = list(csv.DictReader((tmp_path / "out" / "similarity.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert list(rows[0])[:5] == ["student_a", "student_b", "score", "shared_lines", "longest_fragment"]
    assert (rows[0]["student_a"], rows[0]["student_b"], rows[0]["name_a"]) == ("1470001", "1470002", "Иван Петров")
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    assert "Иван" not in similarity_csv(analysis, anonymous=True)


def _export(folder, students: dict[str, dict[str, str]]):
    for n, (name, files) in enumerate(students.items(), 1):
        target = folder / f"{name}_{1470000 + n}_assignsubmission_file_"
        target.mkdir(parents=True)
        for module, text in files.items():
            (target / module).write_text(text, encoding="utf-8")
    return folder


def test_a_moodle_export_is_read_as_grade_batch_reads_it(tmp_path):
    files = styles("assignment1")
    export = _export(tmp_path / "export", {"Иван Петров": files["correct_naive"],
                                           "Пётр Сидоров": disguised(files["correct_naive"], "all"),
                                           "Мария Смирнова": files["correct_einsum"]})
    (export / "Сергей Попов_1470009_assignsubmission_file_").mkdir()
    analysis, written = api.similarity("assignment1", [export], tmp_path / "out", root=ROOT, language="ru")
    assert [p.name for p in written] == ["similarity.csv", "similarity.html"]
    assert (analysis.pairs[0].a, analysis.pairs[0].b) == ("1470001", "1470002")
    empty = next(s for s in analysis.students if s.student == "1470009")
    assert empty.name == "Сергей Попов" and not empty.files and empty.problem
    assert "Сергей Попов" in (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")


def test_class_of_one_and_bad_input(tmp_path):
    from grader import api
    alone = _export(tmp_path / "alone", {"Иван Петров": styles("assignment1")["reference"]})
    analysis, _ = api.similarity("assignment1", [alone], tmp_path / "out", root=ROOT, language="en")
    assert analysis.pairs == () and analysis.clusters == ()
    assert "No two submissions" in (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    with pytest.raises(api.UsageError, match="unknown assignment"):
        api.similarity("assignment9", [alone], tmp_path / "out", root=ROOT)
    with pytest.raises(api.UsageError, match="cannot read"):
        api.similarity("assignment1", [tmp_path / "missing"], tmp_path / "out", root=ROOT)


@pytest.mark.slow
def test_the_command_writes_both_files_and_says_a_bad_source_in_one_line(tmp_path):
    files = styles("assignment2")
    export = _export(tmp_path / "export", {"Иван Петров": files["correct_alt"],
                                           "Пётр Сидоров": disguised(files["correct_alt"], "all")})
    command = [sys.executable, "-m", "grader", "similarity", "assignment2", str(export), "-o", str(tmp_path / "out"),
               "--course", str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 pair at or above 0.6" in done.stdout
    assert (tmp_path / "out" / "similarity.html").exists()
    bad = subprocess.run(command[:5] + [str(tmp_path / "nothing")] + command[6:], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_grade_batch_with_similarity_adds_similar_to_and_changes_no_score(tmp_path):
    files = styles("assignment2")
    export = _export(tmp_path / "export", {"Иван Петров": files["correct_alt"],
                                           "Пётр Сидоров": disguised(files["correct_alt"], "rename+reorder+comments"),
                                           "Мария Смирнова": files["reference"]})
    results = tmp_path / "results"
    batch = [sys.executable, "-m", "grader", "batch", "assignment2", str(export), "-o", str(results),
             "--course", str(ROOT), "-j", "2", "--device", "cpu"]
    done = subprocess.run(batch + ["--similarity"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (results / "similarity.html").exists() and (results / "similarity.csv").exists()
    read = lambda: list(csv.DictReader((results / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()))  # noqa: E731
    with_similarity = read()
    assert list(with_similarity[0])[-1] == "similar_to"
    top = {row["student"]: row["similar_to"].split() for row in with_similarity}
    assert top["1470001"][0] == "1470002" and float(top["1470001"][1]) >= sim.THRESHOLD
    again = subprocess.run(batch + ["--report-only"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    without = read()
    assert "similar_to" not in without[0]
    for row, plain in zip(with_similarity, without):  # the same grades, cell for cell
        assert {k: v for k, v in row.items() if k not in ("similar_to", "graded_at")} == \
            {k: v for k, v in plain.items() if k != "graded_at"}
    shard = subprocess.run(batch + ["--similarity", "--shard", "1/2"], capture_output=True, text=True, timeout=600)
    assert shard.returncode == 2 and "grade similarity" in shard.stderr
