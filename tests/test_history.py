"""Leaderboard history: delta-encoded across builds, the state as of a time, the changes since
the previous build, and the rank change per model.

Scores in the history are on the 0-100 scale; the base repository (refresh_fixtures.base_repo)
gives h/A 0.50, 0.49, 0.48, 0.47 on HRet1..HRet4, h/B 0.05 more, h/C 0.10 more. Hist(v1) ranks
HRet1 and HRet2; HistAll(v1) all four. Borda: each task gives n_models - rank.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import fixtures as fx
import pytest
import refresh_fixtures as rf

from etl import build, history
from mteb_lb import warehouse

approx = pytest.approx


@pytest.fixture
def setup(tmp_path):
    repo = tmp_path / "repo"
    rf.base_repo(repo)
    cat = rf.catalog(tmp_path / "cat")
    wh = tmp_path / "wh"
    return repo, cat, wh


def run(repo: Path, cat: Path, wh: Path) -> Path:
    report = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    assert report.published, report.message
    return report.build


def q(build_dir: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def next_second() -> None:
    """Builds are stamped to the second: make the next one land in a later second."""
    time.sleep(1.02 - (time.time() % 1))


def test_first_build_stores_the_whole_snapshot(setup):
    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    # Hist(v1): 3 models x (summary + 2 tasks); HistAll(v1): 3 x (summary + 4 tasks)
    assert q(b1, "SELECT benchmark, count(*) FROM leaderboard_history GROUP BY 1 ORDER BY 1") == [
        ("Hist(v1)", 9), ("HistAll(v1)", 15)]
    rows = q(b1, "SELECT model_name, rank, score FROM leaderboard_history "
                 "WHERE benchmark = 'Hist(v1)' AND key = '' ORDER BY rank")
    assert rows == [("h/C", 1, approx(59.5)), ("h/B", 2, approx(54.5)), ("h/A", 3, approx(49.5))]
    assert q(b1, "SELECT score FROM leaderboard_history WHERE benchmark = 'Hist(v1)' "
                 "AND model_name = 'h/B' AND key = 'HRet2'") == [(approx(54.0),)]
    assert q(b1, "SELECT build_seq, build_id, previous_build_id, rows_added "
                 "FROM leaderboard_history_builds") == [(1, b1.name, None, 24)]
    m = warehouse.read_manifest(b1)
    assert m["history"]["rows_added"] == 24 and m["history"]["build_seq"] == 1
    assert q(b1, "SELECT count(*) FROM changes_since_previous") == [(0,)]  # nothing before


def test_unchanged_results_add_no_rows(setup):
    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    # a new file that no leaderboard shows (a model outside the registry): a new build,
    # the same leaderboards
    fx.write_result(repo, "other/Z", rf.REV, "HRet1", fx.simple_result("HRet1", 0.99))
    b2 = run(repo, cat, wh)
    assert q(b2, "SELECT count(*) FROM leaderboard_history") == [(24,)]
    assert q(b2, "SELECT build_seq, rows_added FROM leaderboard_history_builds ORDER BY 1") == [
        (1, 24), (2, 0)]
    files2 = sorted((b2 / "parquet" / history.TABLE).glob("*.parquet"))
    assert [f.name for f in files2] == [f"000001-{b1.name}.parquet"]
    # carried forward without a copy: the previous build's file, hard-linked
    assert os.stat(files2[0]).st_ino == \
        os.stat(b1 / "parquet" / history.TABLE / files2[0].name).st_ino
    assert q(b2, "SELECT count(*) FROM changes_since_previous") == [(0,)]

    # one score changes: only the rows whose values moved are added
    rf.write_score(repo, "h/A", "HRet1", 0.70)
    b3 = run(repo, cat, wh)
    added = q(b3, "SELECT benchmark, model_name, key, rank, score FROM leaderboard_history "
                  "WHERE build_seq = 3 ORDER BY 1, 2, 3")
    assert added == [
        # Hist(v1): HRet1 A 2, C 1, B 0 + HRet2 C 2, B 1, A 0 -> C 3, A 2, B 1
        ("Hist(v1)", "h/A", "", 2, approx(59.5)),
        ("Hist(v1)", "h/A", "HRet1", None, approx(70.0)),
        ("Hist(v1)", "h/B", "", 3, approx(54.5)),
        # HistAll(v1): the ranks stay (C 7, B 3, A 2); only A's mean and its HRet1 move
        ("HistAll(v1)", "h/A", "", 3, approx((70 + 49 + 48 + 47) / 4)),
        ("HistAll(v1)", "h/A", "HRet1", None, approx(70.0)),
    ]
    assert q(b3, "SELECT count(*) FROM leaderboard_history") == [(29,)]
    assert len(list((b3 / "parquet" / history.TABLE).glob("*.parquet"))) == 2


def test_as_of_returns_the_older_state(setup):
    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    t1 = dt.datetime.strptime(warehouse.read_manifest(b1)["built_at"], "%Y-%m-%dT%H:%M:%SZ")
    next_second()
    rf.write_score(repo, "h/A", "HRet1", 0.70)
    shutil.rmtree(repo / "results" / "h__B")
    b2 = run(repo, cat, wh)
    sql = ("SELECT model_name, key, rank, score, as_of_build_id FROM leaderboard_as_of(?) "
           "WHERE benchmark = 'Hist(v1)' AND model_name IN ('h/A', 'h/B') "
           "AND key IN ('', 'HRet1') ORDER BY 1, 2")
    assert q(b2, sql, [t1]) == [
        ("h/A", "", 3, approx(49.5), b1.name), ("h/A", "HRet1", None, approx(50.0), b1.name),
        ("h/B", "", 2, approx(54.5), b1.name), ("h/B", "HRet1", None, approx(55.0), b1.name)]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=5)
    # h/B is gone; A: HRet1 A 2 C 1, HRet2 C 1 A 0 (two models) -> A 2, C 2: tied first
    assert q(b2, sql, [now]) == [
        ("h/A", "", 1, approx(59.5), b2.name), ("h/A", "HRet1", None, approx(70.0), b2.name)]
    assert q(b2, "SELECT count(*) FROM leaderboard_as_of(?)",
             [t1 - dt.timedelta(seconds=1)]) == [(0,)]
    # the whole state as of the first build equals the first build's own snapshot
    state = ("SELECT benchmark, model_name, key, rank, score FROM leaderboard_as_of(?) "
             "ORDER BY 1, 2, 3")
    assert q(b2, state, [t1]) == q(b1, state, [t1])


def test_changes_since_previous_lists_every_kind_with_exact_values(setup):
    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    rf.write_score(repo, "h/A", "HRet1", 0.90)                      # changed result
    shutil.rmtree(repo / "results" / "h__B")                        # removed model
    rf.result_path(repo, "h/C", "HRet2").unlink()                   # removed result
    rf.write_model(repo, "h/D", {"HRet1": 0.80, "HRet2": 0.80})     # new model
    rf.write_score(repo, "h/A", "HRet3", 0.10)                      # HistAll: changed result
    b2 = run(repo, cat, wh)
    rows = q(b2, "SELECT model_name, task_name, change, old_score, new_score, old_rank, "
                 "new_rank, rank_delta, build_id, previous_build_id FROM changes_since_previous "
                 "WHERE benchmark = 'Hist(v1)'")
    ids = (b2.name, b1.name)
    # Hist(v1) after: HRet1 A .9 D .8 C .6 -> A 2 D 1 C 0; HRet2 D .8 A .49 (C none) -> D 2
    # A 1 -> A 3, D 3, C 0: A and D tied first, C third; C's Mean (Task) is incomplete (NULL)
    assert rows == [
        ("h/A", "HRet1", "changed_result", approx(50.0), approx(90.0), None, None, None, *ids),
        ("h/D", None, "new_model", None, approx(80.0), None, 1, None, *ids),
        ("h/C", None, "rank_down", approx(59.5), None, 1, 3, -2, *ids),
        ("h/A", None, "rank_up", approx(49.5), approx(69.5), 3, 1, 2, *ids),
        ("h/B", None, "removed_model", approx(54.5), None, 2, None, None, *ids),
        ("h/C", "HRet2", "removed_result", approx(59.0), None, None, None, None, *ids),
    ]
    assert q(b2, "SELECT model_name, task_name, change, old_score, new_score "
                 "FROM changes_since_previous WHERE benchmark = 'HistAll(v1)' "
                 "AND change LIKE '%result' ORDER BY 1, 2") == [
        ("h/A", "HRet1", "changed_result", approx(50.0), approx(90.0)),
        ("h/A", "HRet3", "changed_result", approx(48.0), approx(10.0)),
        ("h/C", "HRet2", "removed_result", approx(59.0), None)]
    # the rank change per model, for the dashboard
    assert q(b2, "SELECT model_name, rank, previous_rank, rank_delta, is_new "
                 "FROM lb_rank_change('Hist(v1)') ORDER BY model_name") == [
        ("h/A", 1, 3, 2, False), ("h/C", 3, 1, -2, False), ("h/D", 1, None, None, True)]

    # a new result for a model already there, and a removed model coming back
    rf.write_model(repo, "h/B", {"HRet1": 0.55, "HRet2": 0.54})
    rf.write_score(repo, "h/C", "HRet2", 0.59)
    b3 = run(repo, cat, wh)
    changes = q(b3, "SELECT model_name, task_name, change, old_score, new_score "
                    "FROM changes_since_previous WHERE benchmark = 'Hist(v1)' "
                    "AND change IN ('new_model', 'new_result') ORDER BY 1")
    assert changes == [("h/B", None, "new_model", None, approx(54.5)),
                       ("h/C", "HRet2", "new_result", None, approx(59.0))]


def test_history_survives_a_full_rebuild_and_pruning(setup, monkeypatch):
    repo, cat, wh = setup
    monkeypatch.setenv("MTEB_LB_KEEP_BUILDS", "1")
    run(repo, cat, wh)
    rf.write_score(repo, "h/A", "HRet1", 0.70)
    run(repo, cat, wh)
    # (a later second: warehouse.new_build_id numbers same-second builds by counting the ones
    # left, which pruning lowers, so the third id would repeat the second's)
    next_second()
    report = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1,
                       full=True)
    b3 = report.build
    assert [b.name for b in warehouse.list_builds(wh)] == [b3.name]  # the others are pruned
    assert q(b3, "SELECT build_seq, rows_added FROM leaderboard_history_builds ORDER BY 1") == [
        (1, 24), (2, 5), (3, 0)]
    assert q(b3, "SELECT count(*) FROM leaderboard_history") == [(29,)]


def test_menu_benchmarks_walks_nested_menus():
    menu = {"default_benchmark": "A", "sidebar": [
        {"type": "menu", "items": [
            {"type": "benchmark", "name": "A"},
            {"type": "menu", "items": [{"type": "benchmark", "name": "B"}]}]},
        {"type": "benchmark", "name": "A"}]}
    assert history.menu_benchmarks(menu) == ["A", "B"]


def test_changes_page_lists_the_changes(setup, monkeypatch):
    import sys

    import dash

    repo, cat, wh = setup
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    run(repo, cat, wh)
    rf.write_score(repo, "h/A", "HRet1", 0.90)
    rf.write_model(repo, "h/D", {"HRet1": 0.80, "HRet2": 0.80})
    b2 = run(repo, cat, wh)
    from app.main import create_app

    create_app(prewarm=False)
    assert "/changes" in {p["path"] for p in dash.page_registry.values()}
    page = sys.modules["app.pages.changes"]
    text = str(page.layout())
    for needle in (b2.name, "New models", "Changed results", "Moved up", "h/D", "HRet1",
                   "Hist(v1)", "HistAll(v1)", "/changes?benchmark=Hist%28v1%29"):
        assert needle in text, needle
    one = str(page.layout(benchmark="HistAll(v1)"))
    assert "'c0': 'HistAll(v1)'" in one and "'c0': 'Hist(v1)'" not in one  # grid rows
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh.parent / "empty"))
    assert "No history to compare" in str(page.layout())


def test_only_benchmarks_whose_inputs_changed_are_computed(setup):
    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    assert warehouse.read_manifest(b1)["history"]["benchmarks_computed"] == 2
    rf.write_score(repo, "h/A", "HRet4", 0.99)       # in HistAll(v1) only
    b2 = run(repo, cat, wh)
    h = warehouse.read_manifest(b2)["history"]
    assert h["benchmarks_computed"] == 1 and h["snapshot_rows"] == 15
    assert q(b2, "SELECT DISTINCT benchmark FROM leaderboard_history WHERE build_seq = 2") == [
        ("HistAll(v1)",)]
    # the state rebuilt from the deltas equals a fresh build's own snapshot
    twin = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh.parent / "twin",
                     workers=1).build
    assert rf.leaderboard_state(b2) == rf.leaderboard_state(twin)


def kinds_catalog(tmp_path: Path) -> tuple[list[dict], Path]:
    """A catalog with one benchmark of each kind of summary: Borda rank, public tasks only,
    ranked by subset, ranked by a sort column."""
    # HRet4 private: the public-only summary leaves it out, its per-task table does not
    tasks = [fx.make_task(t, "Retrieval", "ndcg_at_10", is_public=t != "HRet4") for t in rf.TASKS]
    sorted_by_type = fx.make_benchmark("SortType(v1)", ["HRet1", "HRet3"])
    sorted_by_type["summary_sort_column"] = "Mean (TaskType)"
    benches = [fx.make_benchmark("Plain(v1)", list(rf.TASKS)),
               fx.make_benchmark("Public(v1)", ["HRet2", "HRet4"], public_only=True),
               fx.make_benchmark("Subsets(v1)", ["HRet1", "HRet2"],
                                 aggregations=("mean_task", "mean_subset")),
               sorted_by_type]
    models = [fx.make_model(m, rf.REV, training_datasets=[]) for m in rf.MODELS]
    return benches, fx.write_catalog(tmp_path / "cat-kinds", tasks=tasks, benchmarks=benches,
                                     models=models)


def scanned_tables(con, sql: str, params: dict, profile: Path) -> set[str]:
    """The tables DuckDB's plan of `sql` reads (views and macros resolved to their tables)."""
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{profile}'")
    try:
        con.execute(sql, params).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    found: set[str] = set()

    def walk(node):
        table = (node.get("extra_info") or {}).get("Table")
        if table:
            found.add(table.rsplit(".", 1)[-1].strip('"'))
        for child in node.get("children", []):
            walk(child)

    for node in json.loads(profile.read_text())["operator"]:
        walk(node)
    return found


def test_fingerprint_covers_every_table_the_boards_read(setup, tmp_path):
    """history.input_hashes fingerprints a benchmark by the tables its default board, its
    snapshot's per-task rows and its rank intervals read (not the whole benchmark_results): a
    ranking macro that starts to read another table must fail here, or a board would be carried
    over when that table changes. Each kind of summary is planned and its scans listed."""
    from etl import default_summaries

    repo, _cat, wh = setup
    benches, cat = kinds_catalog(tmp_path)
    con = duckdb.connect(str(run(repo, cat, wh) / warehouse.DB_FILE))
    try:
        for b in benches:
            subset = "mean_subset" in b["aggregations"]
            params = {"b": b["name"], "po": b["summary_public_only"], "bs": subset}
            read = scanned_tables(con, "SELECT * FROM lb_task_scores($b, NULL, NULL, NULL, "
                                  "false, true)", {"b": b["name"]}, tmp_path / "profile.json")
            for macro in ("lb_summary", "lb_borda_points"):
                read |= scanned_tables(con, f"SELECT * FROM {macro}($b, NULL, NULL, NULL, $po, "
                                       "true, $bs)", params, tmp_path / "profile.json")
            allowed = set(history.CATALOG_INPUTS + history.BOARD_INPUTS
                          + (history.SUBSET_INPUTS if subset else ()))
            assert read - allowed == set(), b["name"]
            assert "benchmark_task_means" in read
            assert ("benchmark_results" in read) == subset   # 5 M rows: only where needed
        assert default_summaries.default_flags(con, [b["name"] for b in benches])[
            "Subsets(v1)"] == (False, True)
    finally:
        con.close()


@pytest.mark.parametrize("frames", [None, "default_summaries"])
def test_snapshot_in_one_pass_equals_a_query_per_benchmark(setup, tmp_path, frames):
    """history.snapshot computes every benchmark in one LATERAL query (and by-subset ones on
    their own), or reads these rows from the build's stored default boards (`frames`: a build
    computes them once, for both); the rows equal calling the ranking macros benchmark by
    benchmark, for each kind of summary: Borda rank, public tasks only, ranked by subset, ranked
    by a sort column."""
    repo, _cat, wh = setup
    benches, cat = kinds_catalog(tmp_path)
    con = duckdb.connect(str(run(repo, cat, wh) / warehouse.DB_FILE))
    try:
        names = [b["name"] for b in benches]
        history.snapshot(con, names, frames=frames)
        got = sorted(map(repr, con.execute("SELECT * FROM lb_snapshot").fetchall()))
        expected = []
        for b in benches:
            params = {"b": b["name"], "po": b["summary_public_only"],
                      "bs": "mean_subset" in b["aggregations"]}
            rank = "borda_rank" if b["summary_sort_column"] is None else \
                "row_number() OVER (ORDER BY mean_task_type DESC NULLS LAST, model_name)"
            expected += con.execute(f"""
                SELECT $b, model_name, '', {rank}, mean_task * 100, mean_task_type * 100,
                       mean_public * 100, mean_private * 100, mean_subset * 100
                FROM lb_model_scores($b, NULL, NULL, NULL, $po, true, $bs)""", params).fetchall()
            expected += con.execute("""
                SELECT $b, model_name, task_name, NULL, score * 100, NULL, NULL, NULL, NULL
                FROM lb_task_scores($b, NULL, NULL, NULL, false, true) WHERE in_pivot""",
                                    {"b": b["name"]}).fetchall()
        assert got == sorted(map(repr, expected))
        kinds = {r[0] for r in con.execute("SELECT DISTINCT benchmark FROM lb_snapshot").fetchall()}
        assert kinds == set(names)
        assert con.execute("SELECT count(*) FROM lb_snapshot WHERE benchmark = 'Public(v1)' "
                           "AND key = 'HRet4'").fetchall()[0][0] > 0
    finally:
        con.close()


def test_change_kinds_are_defined_once():
    """The classification of changes (new/removed model, rank up/down, new/changed/removed
    result) is one scalar macro that both changes_since_previous and lb_changes_between call."""
    import queries

    spelled = sorted(name for name, path in queries.files().items()
                     if "'changed_result'" in path.read_text())
    assert spelled == ["lb_change_kind"]
    callers = sorted(name for name, path in queries.files().items()
                     if "lb_change_kind(" in path.read_text() and name != "lb_change_kind")
    assert callers == ["changes_since_previous", "lb_changes_between"]


def test_every_build_records_why_a_model_left(setup):
    """Between two builds (no backfill), a model that disappeared is listed with its cause: the
    changed paths each build records (its files against the previous build's)."""
    from mteb_lb import asof

    repo, cat, wh = setup
    b1 = run(repo, cat, wh)
    next_second()
    shutil.rmtree(repo / "results" / "h__B")                        # removed model
    rf.write_score(repo, "h/A", "HRet1", 0.90)                      # changed result
    b2 = run(repo, cat, wh)
    t1 = warehouse.read_manifest(b1)["built_at"]
    t2 = warehouse.read_manifest(b2)["built_at"]
    _f, _t, rows = asof.changes_between(b2, history._parse_time(t1), history._parse_time(t2),
                                        "Hist(v1)")
    gone = [(r["model_name"], r["change"], r["cause"]) for r in rows
            if r["change"] == "removed_model"]
    folder = f"results/h__B/{rf.REV}"
    assert gone == [("h/B", "removed_model",
                     f"files removed: {folder}/HRet1.json and 4 more")]
    paths = sorted((r["status"], r["path"]) for r in duckdb.sql(
        "SELECT * FROM read_parquet(?) WHERE seq = 2",
        params=[str(b2 / "parquet" / history.PATHS / "*.parquet")]).to_arrow_table().to_pylist())
    assert paths[0] == ("D", f"{folder}/HRet1.json")
    assert ("M", rf.result_path(repo, "h/A", "HRet1").relative_to(repo).as_posix()) in paths
