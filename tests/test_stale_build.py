"""A build made by another version of mteb-lb (an upgrade deployed before `mteb-lb etl` ran
again) lacks a macro this code calls. The request that needs it fails with a clear error naming
the macro and the remedy, on every surface; the rest of the board is still served; /api/health and
/status say that a rebuild is needed. Session 8 found the case: `languages=eng` on a session-7
build failed with DuckDB's bare `Table Function with name lb_language_cuts does not exist`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import fixtures as fx
import flask
import pytest

import queries
from app import api
from mteb_lb import db, rankings, warehouse

BENCH, TASK = "Old(v1)", "TaskOne"
MISSING = "lb_selected_tasks"  # the macro a filtered state asks for its tasks


def _build(base):
    from etl import build

    repo = base / "repo"
    fx.write_result(repo, "a/model", fx.SHA_A, TASK, fx.simple_result(TASK, 0.25))
    catalog = fx.write_catalog(
        base / "catalog", tasks=[fx.make_task(TASK, "Classification", "accuracy")],
        benchmarks=[fx.make_benchmark(BENCH, [TASK])],
        models=[fx.make_model("a/model", fx.SHA_A, training_datasets=[])])
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=base / "wh",
                       workers=1)
    assert report.published
    return base / "wh"


def _age(wh, *, sql_digest, drop=f"MACRO TABLE {MISSING}"):
    """Make the published build look like one an older version made: `drop` (`MISSING`)
    dropped from its database and its manifest's SQL digest replaced (sizes re-recorded, so
    the build is whole)."""
    build = warehouse.current_build(wh)
    con = duckdb.connect(str(build / warehouse.DB_FILE))
    con.execute(f"DROP {drop}")
    con.execute("CHECKPOINT")
    con.close()
    path = build / warehouse.MANIFEST
    manifest = json.loads(path.read_text())
    manifest["contents"]["database_bytes"] = (build / warehouse.DB_FILE).stat().st_size
    if sql_digest is None:
        manifest.pop("sql_digest")
    else:
        manifest["sql_digest"] = sql_digest
    path.write_text(json.dumps(manifest))
    assert warehouse.check_build(build) is None
    return build


@pytest.fixture(scope="module")
def old_build(tmp_path_factory):
    wh = _build(tmp_path_factory.mktemp("old"))
    assert warehouse.read_manifest(warehouse.current_build(wh))["sql_digest"] == \
        queries.sql_digest()
    return wh, _age(wh, sql_digest=None)      # made before builds recorded their SQL digest


def _board(wh):
    return rankings.Leaderboard(db.CurrentBuild(wh))


def test_the_request_that_needs_the_missing_macro_says_rebuild(old_build):
    wh, build = old_build
    board = _board(wh)
    with pytest.raises(warehouse.StaleBuildError) as caught:
        board.view(rankings.LeaderboardState(benchmark=BENCH, languages=("eng",)))
    message = str(caught.value)
    assert f"`{MISSING}`" in message and "`mteb-lb etl`" in message
    assert build.name in message
    # the default summary does not need that macro: still served, with its one row
    assert board.summary(BENCH).column("Model").to_pylist() == ["a/model"]


def test_a_build_with_this_codes_sql_keeps_duckdbs_error(tmp_path):
    """Same damage, but the manifest says the build has this code's SQL: a real bug, so the
    original DuckDB error propagates (not a rebuild hint that would not fix it)."""
    wh = _build(tmp_path)
    _age(wh, sql_digest=queries.sql_digest())
    with pytest.raises(duckdb.CatalogException, match=MISSING):
        _board(wh).view(rankings.LeaderboardState(benchmark=BENCH, languages=("eng",)))


def test_an_optional_stored_table_an_older_build_lacks_is_computed_instead(tmp_path):
    """The per-task cells' stored spread (`benchmark_task_spread`, new in session 9) is read
    when the build has it; an older build without it gets the same cells from the macro, not
    a rebuild error."""
    fresh = _build(tmp_path / "fresh")
    older = _build(tmp_path / "older")
    _age(older, sql_digest=None, drop="TABLE benchmark_task_spread")
    expected = _board(fresh).task_spread(BENCH)
    assert _board(older).task_spread(BENCH).equals(expected)


def test_api_answers_503_with_the_hint_and_health_warns(old_build, monkeypatch):
    wh, _build_dir = old_build
    board = _board(wh)
    monkeypatch.setattr(rankings, "_default", board)
    monkeypatch.setattr(db, "_current", board.handle)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    server = flask.Flask(__name__)
    api.register(server)
    client = server.test_client()
    response = client.get("/api/table", query_string={"benchmark": BENCH, "languages": "eng"})
    assert response.status_code == 503
    assert f"`{MISSING}`" in response.get_json()["error"]
    assert client.get("/api/table", query_string={"benchmark": BENCH}).status_code == 200
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.get_json()["warning"] == rankings.OTHER_SQL_WARNING


def test_health_has_no_warning_for_a_build_of_this_code(tmp_path, monkeypatch):
    wh = _build(tmp_path)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    server = flask.Flask(__name__)
    api.register(server)
    body = server.test_client().get("/api/health").get_json()
    assert body["status"] == "ok" and "warning" not in body


def test_cli_prints_one_error_line_with_the_hint(old_build):
    wh, _build_dir = old_build
    run = subprocess.run([sys.executable, "-m", "mteb_lb.cli", "table", "--benchmark", BENCH,
                          "--languages", "eng"], capture_output=True, text=True,
                         env={**os.environ, "MTEB_LB_WAREHOUSE": str(wh)})
    assert run.returncode == 2
    assert run.stderr.startswith("error: The current build ")
    assert f"`{MISSING}`" in run.stderr and "`mteb-lb etl`" in run.stderr


def test_status_page_says_rebuild_needed(old_build, tmp_path, monkeypatch, dash_app):
    from app.pages import status

    wh, _build_dir = old_build
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    assert "Rebuild needed" in str(status.layout())
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(_build(tmp_path)))
    assert "Rebuild needed" not in str(status.layout())
