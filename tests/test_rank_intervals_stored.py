"""The stored `rank_intervals` table (etl/rank_intervals.py) after a rerun: its points come from
the build's default boards (not lb_borda_points) and its bootstrap runs in a thread while
DuckDB records the flag changes, on one BLAS thread; the table must still be what the SQL
definition gives, and a failure in the thread must stop the publish."""

from __future__ import annotations

import json

import fixtures as fx
import pytest
import warehouses
from threadpoolctl import threadpool_info

from etl import build, rank_intervals
from etl.history import menu_benchmarks
from mteb_lb import stats, warehouse
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard

E = "eng-Latn"


def _stored(wh) -> dict[str, list[tuple]]:
    con = CurrentBuild(wh).cursor()
    try:
        rows = con.execute("SELECT benchmark, model_name, borda_rank, rank_low, rank_high, "
                           "rank_median, p_rank1, tied_with_leader FROM rank_intervals "
                           "ORDER BY benchmark, borda_rank, model_name").fetchall()
        menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
    finally:
        con.close()
    out: dict[str, list[tuple]] = {b: [] for b in menu_benchmarks(menu)}
    for r in rows:
        out[r[0]].append(tuple(r[1:]))
    return out


def _from_sql(lb: Leaderboard, benchmark: str) -> list[tuple]:
    """The default state's intervals from lb_borda_points (the SQL definition of the points)."""
    params = lb._params(benchmark, Filters())
    inputs = stats.BordaInputs.empty() if params is None else \
        stats.BordaInputs.from_arrow(lb._borda_points(benchmark, params))
    table = stats.intervals_table(inputs, 1000, stats.DEFAULT_SEED)
    return [tuple(d.values()) for d in table.to_pylist()]


def _rerun(base, score: float):
    """ex/C's BRet1 score changed to `score` (Borda(v1)), then an incremental rerun."""
    repo = base / "repo"
    fx.write_result(repo, "ex/C", fx.SHA_A, "BRet1", fx.current(
        "BRet1", {"test": [fx.entry("default", [E], score)]}, mteb_version="1.14.0"))
    return build.run(repo, source=str(repo), catalog_dir=base / "catalog",
                     warehouse_dir=base / "wh", workers=1)


def test_rerun_intervals_equal_the_sql_definition(tmp_path):
    wh = warehouses.build_ranking_warehouse(tmp_path)
    report = _rerun(tmp_path, 0.95)
    assert report.published
    manifest = warehouse.read_manifest(warehouse.current_build(wh))
    assert manifest["incremental"] is True
    stored = _stored(wh)
    lb = Leaderboard(CurrentBuild(wh))
    for benchmark, rows in stored.items():
        assert rows == _from_sql(lb, benchmark), benchmark   # floats with ==: the same bits
    # by hand (docs/SEMANTICS.md §Borda, 3 models): BRet1 C .95 > A .9 = B .9 gives C 2,
    # A and B 0.5 each; BRet2 C .8 > A .7 > B .6: 2, 1, 0; BSts A .4 > B .3 (C none): 2, 1
    # -> A 3.5, B 1.5, C 4
    assert [(r[0], r[1]) for r in stored["Borda(v1)"]] == [("ex/C", 1), ("ex/A", 2),
                                                           ("ex/B", 3)]


def test_a_failure_in_the_thread_publishes_nothing(tmp_path, monkeypatch):
    wh = warehouses.build_ranking_warehouse(tmp_path)
    before = warehouse.current_build(wh)

    def boom(inputs):
        raise RuntimeError("bootstrap failed")

    monkeypatch.setattr(rank_intervals, "_intervals", boom)
    with pytest.raises(RuntimeError, match="bootstrap failed"):
        _rerun(tmp_path, 0.95)
    assert warehouse.current_build(wh) == before
    monkeypatch.undo()
    assert _rerun(tmp_path, 0.95).published   # the next run publishes the change
    assert [r[0] for r in _stored(wh)["Borda(v1)"]] == ["ex/C", "ex/A", "ex/B"]


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_the_bootstrap_runs_on_one_blas_thread(tmp_path, monkeypatch):
    """OpenBLAS's threads spin between the bootstrap's matrix products, doubling the step's CPU
    in a build (docs/PERFORMANCE.md §Session 16: the 1 % rerun (rerun8)): the build's bootstrap
    runs on one BLAS thread, and the process gets its threads back afterwards."""
    before = _blas_threads()
    if not before or max(before) == 1:
        pytest.skip("no BLAS thread pool of more than one thread here")
    seen = []

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return intervals_table(*args, **kwargs)

    intervals_table = stats.intervals_table
    monkeypatch.setattr(stats, "intervals_table", spy)
    warehouses.build_ranking_warehouse(tmp_path)
    assert _rerun(tmp_path, 0.95).published
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert _blas_threads() == before


@pytest.mark.realdata
def test_real_intervals_equal_the_sql_definition(real_warehouse):
    lb = Leaderboard(CurrentBuild(real_warehouse))
    stored = _stored(real_warehouse)
    assert len(stored) >= 50
    for benchmark, rows in stored.items():
        assert rows == _from_sql(lb, benchmark), benchmark
