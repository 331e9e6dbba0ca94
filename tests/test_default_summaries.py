"""The `default_summaries` table (etl/default_summaries.py): a default leaderboard served from the
rows the build stored is the one the ranking SQL computes for that state, and any other state
still runs the SQL."""

from __future__ import annotations

import json

import pytest

from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard

# by task (MTEB), public tasks only (RTEB), by subset (HUME), own sort columns (MIEB, ViDoRe)
BENCHMARKS = ["MTEB(eng, v2)", "MTEB(Multilingual, v2)", "RTEB(beta)", "HUME(v1)",
              "MIEB(Multilingual)", "ViDoRe(v3)"]


def _sql_only(warehouse_dir) -> Leaderboard:
    lb = Leaderboard(CurrentBuild(warehouse_dir))
    lb._no_default_table = lb.build_id()  # as on a build without the table: lb_summary runs
    return lb


@pytest.mark.realdata
def test_table_holds_every_menu_benchmark(real_warehouse):
    # through the app's own connection (another test of the session may hold the file open
    # with its configuration, which a second plain connect() refuses)
    con = CurrentBuild(real_warehouse).cursor()
    try:
        menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
        stored = {r[0] for r in con.execute(
            "SELECT DISTINCT benchmark FROM default_summaries").fetchall()}
    finally:
        con.close()
    from etl.history import menu_benchmarks
    menu_names = set(menu_benchmarks(menu))
    assert stored <= menu_names and {"MTEB(eng, v2)", "MTEB(Multilingual, v2)"} <= stored
    sql = _sql_only(real_warehouse)
    for name in menu_names - stored:  # no rows to store: the SQL's table is empty too
        assert sql.summary(name).num_rows == 0, name


@pytest.mark.realdata
@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_default_tables_equal_the_sql(real_warehouse, benchmark):
    stored, sql = Leaderboard(CurrentBuild(real_warehouse)), _sql_only(real_warehouse)
    frame = stored._default_frame(benchmark, {**stored._params(benchmark, Filters()),
                                              "public_only": stored.benchmark(benchmark)
                                              .public_only,
                                              "by_subset": "mean_subset" in stored.benchmark(
                                                  benchmark).aggregations})
    assert frame is not None and frame.num_rows > 10  # served from the table
    # the general macro's rows (the stored ones of a benchmark ranked by task come from the
    # per-model task lists, as a task filter's do)
    bench = stored.benchmark(benchmark)
    general = stored._query("SELECT * FROM lb_summary($b, NULL, NULL, NULL, $po, true, $bs) "
                            "ORDER BY position", {"b": benchmark, "po": bench.public_only,
                                                  "bs": "mean_subset" in bench.aggregations})
    assert frame.equals(general), benchmark
    for table in ("summary", "per_task"):
        ours, theirs = getattr(stored, table)(benchmark), getattr(sql, table)(benchmark)
        assert ours.equals(theirs, check_metadata=True), (benchmark, table)


@pytest.mark.realdata
def test_a_filtered_state_runs_the_sql(real_warehouse):
    lb = Leaderboard(CurrentBuild(real_warehouse))
    # (a language filter that drops no row, as eng on MTEB(eng, v2), is the default state:
    # lb_language_cuts, tests/test_language_cuts.py; a task-type filter is not)
    params = {**lb._params("MTEB(eng, v2)", Filters(task_types=("Retrieval",))),
              "public_only": False, "by_subset": False}
    assert lb._default_frame("MTEB(eng, v2)", params) is None
    models = lb.summary("MTEB(eng, v2)").column("Model").to_pylist()[:5]
    narrowed = lb.summary("MTEB(eng, v2)", Filters(models=tuple(models)))
    assert sorted(narrowed.column("Model").to_pylist()) == sorted(models)
    assert narrowed.equals(_sql_only(real_warehouse).summary(
        "MTEB(eng, v2)", Filters(models=tuple(models))))
