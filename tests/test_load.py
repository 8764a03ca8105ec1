"""Reading a submission: once, into the grader's own copy, refusing links, odd files and bombs."""
import io
import os
import stat
import zipfile

import nbformat
import pytest

from grader.engine import files, load
from grader.engine.load import SubmissionError, find, notebook_code

MODULES = ("pooling.py", "im2col.py")


def _zip(path, members, links=()):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, "/etc/passwd")
    return path


@pytest.fixture(params=["by descriptor", "by path"])
def walker(request, monkeypatch):
    """Each folder test runs with both ways of reading a folder: by descriptor (POSIX), and by
    path with lstat checks (Windows, which has no openat)."""
    monkeypatch.setattr(files, "WALK_BY_DESCRIPTOR", request.param == "by descriptor")


def test_linux_walks_folders_by_descriptor():
    """The fixture below forces each way; this pins which one Linux really takes."""
    assert files.WALK_BY_DESCRIPTOR


def test_a_submission_may_lack_one_of_several_files(tmp_path, walker):
    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "pooling.py").write_text("x = 1\n")
    found = find(folder, MODULES, tmp_path / "w1")
    assert found.files == {"pooling.py": tmp_path / "w1" / "submission" / "sub" / "pooling.py"}
    assert found.sources == {"pooling.py": b"x = 1\n"}
    single = find(folder / "sub" / "pooling.py", MODULES, tmp_path / "w2")
    assert set(single.files) == set(single.sources) == {"pooling.py", "im2col.py"}  # one .py stands for every file
    assert single.files["im2col.py"] == tmp_path / "w2" / "submission" / "pooling.py"
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="no pooling.py or im2col.py"):
        find(tmp_path / "empty", MODULES, tmp_path / "w3")


def test_the_copy_holds_the_py_files_in_their_layout_readable_by_anyone(tmp_path, walker):
    folder = tmp_path / "work"
    for name in ("pooling.py", "helpers/util.py", "data.csv", "__pycache__/pooling.cpython-311.pyc",
                 ".git/hook.py", "__MACOSX/pooling.py", ".ipynb_checkpoints/im2col.py"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("pass\n")
    os.umask(0o077)
    try:
        found = find(folder, MODULES, tmp_path / "w")
    finally:
        os.umask(0o022)
    copied = sorted(str(p.relative_to(found.folder)) for p in found.folder.rglob("*"))
    assert copied == ["helpers", "helpers/util.py", "pooling.py"]
    assert stat.S_IMODE(found.folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((found.folder / "helpers").stat().st_mode) == 0o755
    assert stat.S_IMODE(found.files["pooling.py"].stat().st_mode) == 0o644
    assert "im2col.py" not in found.files


def test_the_shallowest_file_wins_and_two_at_one_depth_are_an_error(tmp_path, walker):
    for name in ("a/pooling.py", "a/b/pooling.py"):
        (tmp_path / "work" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "work" / name).write_text(f"# {name}\n")
    assert find(tmp_path / "work", MODULES, tmp_path / "w1").sources["pooling.py"] == b"# a/pooling.py\n"
    (tmp_path / "work" / "c").mkdir()
    (tmp_path / "work" / "c" / "pooling.py").write_text("")
    with pytest.raises(SubmissionError, match="2 files named pooling.py"):
        find(tmp_path / "work", MODULES, tmp_path / "w2")


def test_symbolic_links_are_refused_or_not_followed(tmp_path, walker):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "pooling.py").symlink_to(secret)
    with pytest.raises(SubmissionError, match="pooling.py is a symbolic link: submit the file itself"):
        find(folder, MODULES, tmp_path / "w1")
    with pytest.raises(SubmissionError, match="symbolic link"):
        find(folder / "pooling.py", MODULES, tmp_path / "w2")
    (folder / "pooling.py").unlink()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "pooling.py").write_text("")
    (folder / "linked").symlink_to(tmp_path / "elsewhere")  # a linked folder is not entered
    with pytest.raises(SubmissionError, match="no pooling.py"):
        find(folder, MODULES, tmp_path / "w3")
    (tmp_path / "link").symlink_to(folder)
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        find(tmp_path / "link", MODULES, tmp_path / "w4")


def test_a_fifo_does_not_hang_the_grader(tmp_path, walker):
    (tmp_path / "work").mkdir()
    os.mkfifo(tmp_path / "work" / "pooling.py")
    with pytest.raises(SubmissionError, match="pooling.py is a FIFO"):
        find(tmp_path / "work", MODULES, tmp_path / "w")


def test_a_file_swapped_for_a_link_after_it_was_looked_at_is_refused(tmp_path, monkeypatch):
    """Where open cannot refuse links (Windows: no O_NOFOLLOW), the file opened must be the one
    that lstat looked at, or a link swapped in between would be followed."""
    monkeypatch.setattr(files, "WALK_BY_DESCRIPTOR", False)
    monkeypatch.setattr(files, "READ_FLAGS", files.READ_FLAGS & ~os.O_NOFOLLOW)
    (tmp_path / "secret.py").write_text("SECRET = 1\n")
    (tmp_path / "work" / "sub").mkdir(parents=True)
    (tmp_path / "work" / "sub" / "pooling.py").write_text("x = 1\n")
    (tmp_path / "link").symlink_to(tmp_path / "secret.py")
    looked_at = load._lstat_at

    def swap_after_the_look(name, folder_fd):
        status = looked_at(name, folder_fd)
        if name.endswith("pooling.py"):
            os.replace(tmp_path / "link", tmp_path / "work" / "sub" / "pooling.py")
        return status
    monkeypatch.setattr(load, "_lstat_at", swap_after_the_look)
    with pytest.raises(SubmissionError, match="sub/pooling.py is not a regular file"):
        find(tmp_path / "work", MODULES, tmp_path / "w")


def test_size_and_count_limits(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "pooling.py").write_bytes(b"#" * 101)
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 100)
    with pytest.raises(SubmissionError, match="pooling.py is over"):
        find(folder, MODULES, tmp_path / "w1")
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(load, "MAX_TOTAL_BYTES", 150)
    (folder / "other.py").write_bytes(b"#" * 60)
    with pytest.raises(SubmissionError, match="over 0 MiB of code"):
        find(folder, MODULES, tmp_path / "w2")
    monkeypatch.setattr(load, "MAX_ENTRIES", 3)
    for i in range(3):
        (folder / f"f{i}.txt").write_text("")
    with pytest.raises(SubmissionError, match="over 3 files and folders"):
        find(folder, MODULES, tmp_path / "w3")


def test_zips_are_read_in_memory_and_checked(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"student/pooling.py": "x = 1\n", "student/util.py": "",
                                        "student/big.bin": "0" * 1000, "__MACOSX/student/._pooling.py": "junk"})
    found = find(archive, MODULES, tmp_path / "w1")
    assert found.sources == {"pooling.py": b"x = 1\n"}
    assert sorted(p.name for p in found.folder.rglob("*.*")) == ["pooling.py", "util.py"]
    for members, links, message in [({"../pooling.py": ""}, (), "outside the archive"),
                                    ({"/abs/pooling.py": ""}, (), "outside the archive"),
                                    ({}, ("pooling.py",), "symbolic link")]:
        with pytest.raises(SubmissionError, match=message):
            find(_zip(tmp_path / "b.zip", members, links), MODULES, tmp_path / "w2")
    (tmp_path / "c.zip").write_bytes(b"PK not a zip")
    with pytest.raises(SubmissionError, match="not a valid zip file"):
        find(tmp_path / "c.zip", MODULES, tmp_path / "w3")


def test_a_zip_bomb_is_measured_by_what_comes_out(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "bomb.zip", {"pooling.py": b"#" * 5000})
    data = bytearray(archive.read_bytes())
    for offset in range(len(data) - 4):  # the declared sizes say 10 bytes
        if data[offset:offset + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            at = offset + (22 if data[offset + 2] == 3 else 24)
            data[at:at + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 1000)
    with pytest.raises(SubmissionError):
        find(archive, MODULES, tmp_path / "w")
    monkeypatch.setattr(load, "MAX_ENTRIES", 2)
    with pytest.raises(SubmissionError, match="over 2 entries"):
        find(_zip(tmp_path / "many.zip", {f"{i}.txt": "" for i in range(3)}), MODULES, tmp_path / "w2")


def test_the_only_notebook_is_extracted_and_located(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%matplotlib inline\nimport math"),
                                               nbformat.v4.new_code_cell("def f():\n    return 1")])
    nbformat.write(notebook, str(folder / "work.ipynb"))
    found = find(folder, MODULES, tmp_path / "w")
    assert found.files["im2col.py"] == found.folder / "pooling.py" and found.notebook == found.folder / "work.ipynb"
    assert found.sources["pooling.py"] == found.files["pooling.py"].read_bytes()
    assert str(found.place("pooling.py", 6)) == "work.ipynb code cell 2, line 2"
    assert str(found.place("other.py", 6)) == "other.py:6"
    nbformat.write(notebook, str(folder / "other.ipynb"))
    with pytest.raises(SubmissionError, match="2 notebooks, not one"):
        find(folder, MODULES, tmp_path / "w2")
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(SubmissionError, match="cannot read notebook bad.ipynb"):
        find(tmp_path / "bad.ipynb", MODULES, tmp_path / "w3")


def test_notebook_future_imports_move_to_the_top(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import torch"),
                      nbformat.v4.new_code_cell("from __future__ import annotations  # for Foo\n"
                                                "def f(a: Foo) -> int:\n    return 1")]
    nbformat.write(notebook, tmp_path / "work.ipynb")
    code, starts = notebook_code(tmp_path / "work.ipynb")
    exec(compile(code, "work.py", "exec"), {})  # a SyntaxError without the move
    assert code.splitlines()[0] == "from __future__ import annotations"
    assert code.splitlines()[starts[1] - 1] == ""  # the cell keeps its line numbers


def test_other_kinds_are_refused(tmp_path):
    (tmp_path / "work.txt").write_text("")
    with pytest.raises(SubmissionError, match="expected a folder, .py, .ipynb or .zip"):
        find(tmp_path / "work.txt", MODULES, tmp_path / "w")
    with pytest.raises(SubmissionError, match="no such file or folder"):
        find(tmp_path / "nothing", MODULES, tmp_path / "w")


def test_names_in_errors_cannot_send_escapes(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"../\x1b[2J\nx.py": ""})
    with pytest.raises(SubmissionError) as error:
        find(archive, MODULES, tmp_path / "w")
    assert "\x1b" not in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("name", ["Convolution.py", "convolution (1).py", "convolution(2).py", "CONVOLUTION (1).PY",
                                  "con volution.py"])
def test_a_near_name_is_graded_under_the_module_s_name_with_a_note(tmp_path, name):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / name).write_text("x = 1\n")
    if name.endswith(".PY"):  # not a .py file at all for the walk: no near name
        with pytest.raises(SubmissionError):
            find(tmp_path / "sub", ("convolution.py",), tmp_path / "work")
        return
    found = find(tmp_path / "sub", ("convolution.py",), tmp_path / "work")
    assert found.files["convolution.py"].name == "convolution.py" and found.sources["convolution.py"] == b"x = 1\n"
    [(message, fields)] = found.notes
    assert message == "{file} is graded as {module}: name it exactly so" and fields["file"] == name


def test_the_exact_name_wins_and_the_near_ones_are_named(tmp_path):
    for name, code in (("convolution.py", "x = 1\n"), ("convolution (1).py", "x = 2\n"), ("Convolution.py", "x = 3\n")):
        (tmp_path / name).write_text(code)
    found = find(tmp_path, ("convolution.py",), tmp_path / "work")
    assert found.sources["convolution.py"] == b"x = 1\n"
    [(message, fields)] = found.notes
    assert "are not graded" in message and fields["others"] == "Convolution.py, convolution (1).py"


def test_two_near_names_and_no_exact_one_is_an_error_naming_them(tmp_path):
    (tmp_path / "Convolution.py").write_text("x = 1\n")
    (tmp_path / "convolution (1).py").write_text("x = 2\n")
    with pytest.raises(SubmissionError, match=r"Convolution.py, convolution \(1\).py"):
        find(tmp_path, ("convolution.py",), tmp_path / "work")
    other = tmp_path / "other"
    other.mkdir()
    (other / "conv.py").write_text("x = 1\n")
    with pytest.raises(SubmissionError, match="no convolution.py in other, only conv.py"):
        find(other, ("convolution.py",), tmp_path / "work2")
