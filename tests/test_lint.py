"""Lint: ruff over the Python code, sqlfluff over queries/ (configuration in pyproject.toml and
.sqlfluff). Both must report nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_is_clean():
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_is_clean():
    result = _run("sqlfluff", "lint", "queries/", "--disable-progress-bar")
    assert result.returncode == 0, result.stdout + result.stderr
