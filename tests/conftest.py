"""Shared fixtures, and the rules for what may skip.

Real data: `MTEB_LB_REAL_RESULTS` names a folder holding the real `results/` (`.ci/run` unpacks
the pinned tarball and sets it); `MTEB_LB_REAL_WAREHOUSE` may name an already built warehouse to
reuse (rebuilt first when the code's parse or database fingerprints differ from its build's).
Tests marked `realdata` (and the golden tests) skip without them, and browser tests skip without
chromium and chromedriver, except when `MTEB_LB_REQUIRE_REAL=1` (`.ci/run` sets it): then a
missing requirement fails the test. The summary at the end counts the realdata, golden and
browser tests that ran.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import fixtures as fx
import pyarrow
import pytest
import realdata
import sqlfixture
import warehouses

CHROMIUM = "/usr/bin/chromium"
COUNTED = ("realdata", "golden", "browser")
_outcomes: dict[str, Counter] = {marker: Counter() for marker in COUNTED}
_notes: list[str] = []   # lines tests add to the summary (the SIGKILL seed)


def require(reason: str) -> None:
    """Skip the test for a missing requirement, or fail it when MTEB_LB_REQUIRE_REAL=1 (CI)."""
    if os.environ.get("MTEB_LB_REQUIRE_REAL") == "1":
        pytest.fail(f"{reason} (MTEB_LB_REQUIRE_REAL=1: every test must run)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------
# hooks: the golden marker, the header, the realdata/golden/browser counts
# --------------------------------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line("markers", "golden: compares a table with mteb's own (tests/golden/)")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name.startswith("test_golden"):
            item.add_marker(pytest.mark.golden)
            item.add_marker(pytest.mark.realdata)


def pytest_report_header(config):
    return (f"duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}; real results: "
            f"{os.environ.get('MTEB_LB_REAL_RESULTS') or 'not set (realdata tests skip)'}; "
            f"MTEB_LB_REQUIRE_REAL={os.environ.get('MTEB_LB_REQUIRE_REAL', '')}")


def pytest_runtest_logreport(report):
    # one outcome per test: its call, or the setup that skipped or failed it
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for marker in COUNTED:
            if marker in report.keywords:
                _outcomes[marker][report.outcome] += 1


def pytest_terminal_summary(terminalreporter):
    parts = []
    for marker in COUNTED:
        counts = _outcomes[marker]
        parts.append(f"{marker}: {counts['passed']} passed, {counts['skipped']} skipped"
                     + (f", {counts['failed']} failed" if counts["failed"] else ""))
    terminalreporter.write_line("; ".join(parts))
    for note in _notes:
        terminalreporter.write_line(note)


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """No test writes into the project's warehouse or the user's cache."""
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("MTEB_LB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def summary_note():
    """``summary_note(text)`` prints ``text`` in the summary at the end of the run."""
    return _notes.append


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory) -> Path:
    """A warehouse built from the real results repository (once per session), or the reused
    `MTEB_LB_REAL_WAREHOUSE`, rebuilt first if its fingerprints are not the code's."""
    existing = os.environ.get("MTEB_LB_REAL_WAREHOUSE")
    results = os.environ.get("MTEB_LB_REAL_RESULTS")
    try:
        return realdata.real_warehouse(
            Path(existing) if existing else None, Path(results) if results else None,
            lambda: tmp_path_factory.mktemp("real-warehouse"))
    except realdata.Missing as missing:
        require(str(missing))


@pytest.fixture(scope="session")
def real_leaderboard(real_warehouse):
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    return Leaderboard(CurrentBuild(real_warehouse))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary the browser tests drive (with chromedriver on the PATH)."""
    path = os.environ.get("DASH_TEST_CHROMEPATH") or CHROMIUM
    if not (os.path.exists(path) and shutil.which("chromedriver")):
        require(f"needs {path} and chromedriver (apt-get install chromium chromium-driver)")
    os.environ["DASH_TEST_CHROMEPATH"] = path
    return path


@pytest.fixture(scope="session")
def lb(tmp_path_factory):
    """The hand-built ranking warehouse (`warehouses.RANKING_RESULTS`) as a Leaderboard."""
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    wh = warehouses.build_ranking_warehouse(tmp_path_factory.mktemp("rankings"))
    return Leaderboard(CurrentBuild(wh))


@pytest.fixture(scope="session")
def app_warehouse(tmp_path_factory) -> Path:
    """The dashboard fixture warehouse (`warehouses.build_app_warehouse`)."""
    return warehouses.build_app_warehouse(tmp_path_factory.mktemp("app-wh"))


@pytest.fixture
def env(app_warehouse, monkeypatch):
    """MTEB_LB_WAREHOUSE points at the app warehouse."""
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(app_warehouse))
    return app_warehouse


@pytest.fixture(scope="session")
def dash_app():
    """The Dash app (pages registered), without prewarming."""
    from app.main import create_app

    return create_app(prewarm=False)


@pytest.fixture(scope="session")
def sql_warehouse(tmp_path_factory) -> Path:
    """A warehouse holding the published SQL fixture build (tests/sqlfixture.py)."""
    root = tmp_path_factory.mktemp("sql_warehouse")
    queries_dir = sqlfixture.write_queries(root / "queries")
    sqlfixture.make_build(root / "warehouse", queries_dir)
    return root


@pytest.fixture
def sql_env(sql_warehouse, monkeypatch) -> Path:
    """MTEB_LB_WAREHOUSE points at the SQL fixture; returns the build directory."""
    from mteb_lb import safe_sql, warehouse

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(sql_warehouse / "warehouse"))
    monkeypatch.setattr(safe_sql.browser, "QUERIES_DIR", sql_warehouse / "queries")
    return warehouse.current_build(sql_warehouse / "warehouse")


@pytest.fixture
def no_build(tmp_path, monkeypatch) -> Path:
    """MTEB_LB_WAREHOUSE points at an empty warehouse."""
    empty = tmp_path / "empty-warehouse"
    empty.mkdir()
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(empty))
    return empty


@pytest.fixture
def max_file_bytes(monkeypatch) -> int:
    """The fixture repository's file-size limit (`fixtures.MAX_FILE_BYTES`) is the setting's."""
    monkeypatch.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
    return fx.MAX_FILE_BYTES
