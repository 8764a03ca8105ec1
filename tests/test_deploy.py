"""grader/deploy: the Kubernetes manifests and image, and the Slurm scripts, read without a cluster.

The manifests are read with PyYAML where it is installed, else with `read_yaml` below, which reads
the block-style subset they are written in (and is checked against PyYAML where both are there).
The Job must be Indexed with N completions and run `grade batch ... --shard auto --shards N`, as
the grade command itself parses it; the merge must read the shards' folders the Job writes. The
Slurm scripts run for real in tests/test_slurm.py.
"""
from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from grader import cli

DEPLOY = ROOT / "grader" / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))


def _scalar(text: str):
    if text.startswith("["):
        return [_scalar(item.strip()) for item in re.findall(r'"(?:[^"\\]|\\.)*"|[^,\s\[\]][^,\]]*', text)]
    if text.startswith('"'):
        return json.loads(text)
    return {"true": True, "false": False}.get(text, int(text) if text.isdigit() else text)


def read_yaml(text: str) -> list:
    """The documents of a manifest in block style: mappings, sequences, plain or double-quoted
    scalars, and flow sequences of them (which may run over several lines); whole-line comments."""
    documents = []
    for document in re.split(r"^---$", text, flags=re.M):
        lines, pending = [], ""
        for line in document.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pending = f"{pending} {line.strip()}" if pending else line.rstrip()
            if pending.count("[") == pending.count("]"):
                lines.append((len(pending) - len(pending.lstrip()), pending.strip()))
                pending = ""
        if lines:
            documents.append(_block(lines, 0)[0])
    return documents


def _block(lines: list[tuple[int, str]], at: int):
    """The mapping or sequence whose first line is lines[at]; and the index of the line after it."""
    indent = lines[at][0]
    if lines[at][1].startswith("- "):
        items = []
        while at < len(lines) and lines[at][0] == indent and lines[at][1].startswith("- "):
            item = lines[at][1][2:]
            if re.match(r"[\w.-]+:( |$)", item):  # "- name: x": a mapping opens on the dash's line
                lines[at] = (indent + 2, item)
                value, at = _block(lines, at)
            else:
                value, at = _scalar(item), at + 1
            items.append(value)
        return items, at
    mapping = {}
    while at < len(lines) and lines[at][0] == indent and not lines[at][1].startswith("- "):
        key, _, rest = lines[at][1].partition(":")
        at += 1
        if rest.strip():
            mapping[key] = _scalar(rest.strip())
        elif at < len(lines) and (lines[at][0] > indent or lines[at][1].startswith("- ")):
            mapping[key], at = _block(lines, at)
        else:
            mapping[key] = None
    return mapping, at


def _load(path: Path) -> list:
    try:
        import yaml
    except ImportError:
        return read_yaml(path.read_text(encoding="utf-8"))
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def _manifests() -> dict[str, dict]:
    """Every object of grader/deploy/k8s by kind and name."""
    return {f"{item['kind']}/{item['metadata']['name']}": item for path in MANIFESTS for item in _load(path)}


def test_the_manifests_read_alike_with_pyyaml_and_without():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the manifests were read by read_yaml alone")
    for path in MANIFESTS:
        assert read_yaml(path.read_text(encoding="utf-8")) == list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def test_the_grade_job_is_indexed_and_each_index_grades_its_shard_in_the_jail():
    objects = _manifests()
    assert sorted(objects) == ["Job/grade-assignment1", "Job/merge-assignment1", "PersistentVolumeClaim/grading",
                               "Pod/grading-files"]
    job = objects["Job/grade-assignment1"]["spec"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] <= job["completions"]
    pod = job["template"]["spec"]
    assert pod["hostUsers"] is False and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["seccompProfile"]["type"] == "Unconfined"
    (container,) = pod["containers"]
    assert container["securityContext"]["procMount"] == "Unmasked"
    assert "command" not in container  # the image's entry point, grade
    context = cli.main.commands["batch"].make_context("batch", list(container["args"][1:]))
    assert container["args"][0] == "batch" and context.params["shard"] == "auto"
    assert context.params["shards"] == job["completions"]
    assert str(context.params["results"]).endswith("/$(JOB_COMPLETION_INDEX)")
    claims = {volume["name"]: volume["persistentVolumeClaim"]["claimName"] for volume in pod["volumes"]}
    mounted = {mount["name"] for mount in container["volumeMounts"]}
    assert mounted <= set(claims) and set(claims.values()) == {"grading"}


def test_the_merge_job_merges_every_shard_the_grade_job_writes():
    objects = _manifests()
    grade_args = objects["Job/grade-assignment1"]["spec"]["template"]["spec"]["containers"][0]["args"]
    shards = Path(grade_args[grade_args.index("-o") + 1]).parent
    (container,) = objects["Job/merge-assignment1"]["spec"]["template"]["spec"]["containers"]
    shell, flag, line = container["command"]
    assert (shell, flag) == ("sh", "-c")
    words = line.split()
    assert words[:3] == ["exec", "grade", "merge"] and words[4:] == [f"{shards}/*"]
    assert grade_args[1] == Path(words[3]).name == "assignment1"


def test_the_image_holds_the_course_and_the_grader_and_takes_the_torch_build_as_an_argument():
    text = (DEPLOY / "k8s" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG TORCH=cpu$", text, re.M) and "download.pytorch.org/whl/${TORCH}" in text
    copied = set(re.findall(r"^COPY (\S+) ", text, re.M))
    assert {"grader", "reference", "assignments"} <= copied
    assert re.search(r'^ENTRYPOINT \["grade"\]$', text, re.M) and re.search(r"^USER 1000$", text, re.M)


def test_the_slurm_scripts_are_valid_bash_and_run_the_shard_and_merge_commands():
    scripts = {path.name: path.read_text(encoding="utf-8") for path in (DEPLOY / "slurm").iterdir()}
    assert sorted(scripts) == ["grade.sbatch", "merge.sbatch", "submit"]
    for name in scripts:
        checked = subprocess.run(["bash", "-n", str(DEPLOY / "slurm" / name)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    assert re.search(r"grade\}? batch .*--shard auto", scripts["grade.sbatch"])
    assert re.search(r"grade\}? merge ", scripts["merge.sbatch"])
    assert "--dependency=\"afterok:$array\"" in scripts["submit"]


def test_an_installed_grader_ships_the_deploy_files():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["grader"]
    for path in DEPLOY.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = str(path.relative_to(ROOT / "grader"))
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
