"""Shared fixtures.

Real data: `MTEB_LB_REAL_RESULTS` names a folder holding the real `results/` (`.ci/run` unpacks
the pinned tarball and sets it); `MTEB_LB_REAL_WAREHOUSE` may name an already built warehouse to
reuse. Tests marked `realdata` skip without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow
import pytest


def pytest_report_header(config):
    return (f"duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}; real results: "
            f"{os.environ.get('MTEB_LB_REAL_RESULTS') or 'not set (realdata tests skip)'}")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """No test writes into the project's warehouse or the user's cache."""
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("MTEB_LB_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory) -> Path:
    """A warehouse built from the real results repository (once per session)."""
    existing = os.environ.get("MTEB_LB_REAL_WAREHOUSE")
    if existing and (Path(existing) / "current").exists():
        return Path(existing)
    results = os.environ.get("MTEB_LB_REAL_RESULTS")
    if not results:
        pytest.skip("MTEB_LB_REAL_RESULTS is not set: no real results to test against")
    from etl import build

    warehouse_dir = tmp_path_factory.mktemp("real-warehouse")
    report = build.run(Path(results), source=results, warehouse_dir=warehouse_dir)
    assert report.published, report.message
    return warehouse_dir


@pytest.fixture(scope="session")
def real_leaderboard(real_warehouse):
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    return Leaderboard(CurrentBuild(real_warehouse))
