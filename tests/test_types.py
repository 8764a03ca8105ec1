"""The grader's own code type-checks: mypy, as configured in pyproject.toml ([tool.mypy]), finds nothing."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_is_clean_on_the_grader():
    pytest.importorskip("mypy")
    cache = Path(tempfile.gettempdir()) / "grader-mypy-cache"  # outside the tree, which other tests watch
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0 and "Success: no issues found" in done.stdout, done.stdout[-5000:] + done.stderr[-2000:]
