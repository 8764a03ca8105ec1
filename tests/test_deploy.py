"""grader/deploy: the Kubernetes manifests and image, and the Slurm scripts, read without a cluster.

The Job must be Indexed with N completions and run `grade batch ... --shard auto --shards N`, as
the grade command itself parses it; the merge must read the shards' folders the Job writes. The
Slurm scripts run for real in tests/test_slurm.py.
"""
from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import yaml

from conftest import ROOT
from grader import cli

DEPLOY = ROOT / "grader" / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))


def _load(path: Path) -> list:
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def _manifests() -> dict[str, dict]:
    """Every object of grader/deploy/k8s by kind and name."""
    return {f"{item['kind']}/{item['metadata']['name']}": item for path in MANIFESTS for item in _load(path)}


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
