"""The rules of tests/conftest.py and tests/realdata.py: a reused real-data warehouse is rebuilt
when its build's fingerprints are not the code's, and with MTEB_LB_REQUIRE_REAL=1 (CI) a test
missing the real data or the browser fails instead of skipping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import realdata
import refresh_fixtures as rf

from etl import build
from etl import catalog as catalog_mod
from mteb_lb import warehouse

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def built(tmp_path, max_file_bytes):
    """A published fixture build: (repo, warehouse, catalog)."""
    repo, wh, cat, report = rf.variant_build(tmp_path)
    assert report.published
    return repo, wh, cat


def _never() -> Path:
    raise AssertionError("no new warehouse folder expected")


def _set_manifest(build_dir: Path, **fields) -> None:
    path = build_dir / warehouse.MANIFEST
    manifest = json.loads(path.read_text())
    manifest.update(fields)
    path.write_text(json.dumps(manifest))


def _code_fingerprints(cat: Path) -> dict:
    snapshot = catalog_mod.load_snapshot(cat)
    return {"parse_fingerprint": build.parse_fingerprint(snapshot),
            "database_fingerprint": build.database_fingerprint(snapshot)}


def test_a_warehouse_built_by_this_code_is_reused(built):
    repo, wh, cat = built
    before = warehouse.current_build(wh)
    assert realdata.stale_fingerprints(before, cat) == []
    assert realdata.real_warehouse(wh, repo, _never, catalog_dir=cat) == wh
    assert warehouse.list_builds(wh) == [before]           # nothing rebuilt


@pytest.mark.parametrize("stale,incremental", [
    ("database_fingerprint", True),    # other SQL or catalog: same parse, database recreated
    ("parse_fingerprint", False),      # other parser: everything reparsed
])
def test_a_warehouse_with_other_fingerprints_is_rebuilt(built, stale, incremental):
    repo, wh, cat = built
    before = warehouse.current_build(wh)
    _set_manifest(before, **{stale: "built-by-older-code"})
    assert realdata.stale_fingerprints(before, cat) == [stale]
    assert realdata.real_warehouse(wh, repo, _never, catalog_dir=cat) == wh
    after = warehouse.current_build(wh)
    assert after != before
    manifest = warehouse.read_manifest(after)
    assert {k: manifest[k] for k in _code_fingerprints(cat)} == _code_fingerprints(cat)
    assert manifest["incremental"] is incremental
    assert manifest["database"] == "created"               # never the old SQL's tables
    assert realdata.stale_fingerprints(after, cat) == []


def test_a_stale_warehouse_without_results_is_missing_data(built):
    _repo, wh, cat = built
    _set_manifest(warehouse.current_build(wh), database_fingerprint="old")
    with pytest.raises(realdata.Missing, match=r"was built by other code \(database_fingerprint "
                                               r"differ\) and MTEB_LB_REAL_RESULTS is not set"):
        realdata.real_warehouse(wh, None, _never, catalog_dir=cat)


def test_without_a_warehouse_the_results_are_built_into_a_new_folder(built, tmp_path):
    repo, _wh, cat = built
    target = tmp_path / "fresh"
    assert realdata.real_warehouse(None, repo, lambda: target, catalog_dir=cat) == target
    assert realdata.stale_fingerprints(warehouse.current_build(target), cat) == []


def test_nothing_to_build_from(tmp_path):
    with pytest.raises(realdata.Missing, match="^MTEB_LB_REAL_RESULTS is not set"):
        realdata.real_warehouse(None, None, _never)
    with pytest.raises(realdata.Missing, match="holds no results/ folder"):
        realdata.real_warehouse(None, tmp_path, lambda: tmp_path / "wh")


# --------------------------------------------------------------------------------------------
# MTEB_LB_REQUIRE_REAL: skip locally, fail in CI
# --------------------------------------------------------------------------------------------

def _pytest(test_id: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("MTEB_LB_REAL_RESULTS", "MTEB_LB_REAL_WAREHOUSE", "MTEB_LB_REQUIRE_REAL",
                          "DASH_TEST_CHROMEPATH")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", test_id],
                          cwd=PROJECT, env={**clean, "HOME": str(tmp_path), **env},
                          capture_output=True, text=True, timeout=300)


REAL_TEST = "tests/test_real_etl.py::test_every_file_is_accounted_for"
BROWSER_TEST = "tests/test_sql_page.py::test_browser_ctrl_enter_runs_the_query"


def test_realdata_tests_skip_locally_and_fail_in_ci(tmp_path):
    local = _pytest(REAL_TEST, tmp_path)
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout
    assert "realdata: 0 passed, 1 skipped; golden: 0 passed, 0 skipped" in local.stdout
    ci = _pytest(REAL_TEST, tmp_path, MTEB_LB_REQUIRE_REAL="1")
    assert ci.returncode == 1, ci.stdout
    assert "MTEB_LB_REAL_RESULTS is not set: no real results to test against " \
           "(MTEB_LB_REQUIRE_REAL=1: every test must run)" in ci.stdout
    assert "realdata: 0 passed, 0 skipped, 1 failed" in ci.stdout


def test_browser_tests_skip_locally_and_fail_in_ci(tmp_path):
    missing = str(tmp_path / "no-chromium")
    local = _pytest(BROWSER_TEST, tmp_path, DASH_TEST_CHROMEPATH=missing)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    ci = _pytest(BROWSER_TEST, tmp_path, DASH_TEST_CHROMEPATH=missing, MTEB_LB_REQUIRE_REAL="1")
    assert ci.returncode == 1, ci.stdout
    assert f"needs {missing} and chromedriver" in ci.stdout
    assert "browser: 0 passed, 0 skipped, 1 failed" in ci.stdout
