"""The warehouse table `rank_intervals`: the rank intervals of every benchmark of the menu in
its default state (no filter: Filters()), B = the rank_resamples setting, the default seed.

Computed when a build is published (etl/build.py, after the views), in full on every build,
full or incremental (it is small: one row per model and benchmark), by the very code that
serves a request (mteb_lb.rankings.Leaderboard.rank_intervals on the new build's database), so
its numbers are those the dashboard, the API and the CLI give for the default state.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa

from mteb_lb import warehouse

TABLE = "rank_intervals"
DOCS = {
    "": "Rank intervals of every menu benchmark's default leaderboard (no filter): percentile "
        "bootstrap over tasks (README, 'Rank intervals and robustness'); equal to what "
        "Leaderboard.rank_intervals / the dashboard give for that state.",
    "benchmark": "Benchmark name (a benchmark of the leaderboard menu).",
    "model_name": "Model name (a row of the benchmark's summary).",
    "borda_rank": "Rank (Borda) of the summary.",
    "rank_low": "Lower bound: the lower order statistic at the 2.5th percentile of the model's "
                "resampled ranks (0-based index floor(0.025 (B - 1)) of the sorted ranks).",
    "rank_high": "Upper bound: the higher order statistic at the 97.5th percentile (0-based "
                 "index ceil(0.975 (B - 1))).",
    "rank_median": "Median of the resampled ranks.",
    "p_rank1": "Share of the resamples in which the model ranks 1 (ties included).",
    "tied_with_leader": "True when the interval includes rank 1 (rank_low = 1).",
    "resamples": "Bootstrap resamples B.",
    "seed": "Seed of numpy.random.default_rng drawing the resamples.",
}


class _BuildHandle:
    """What Leaderboard needs from db.CurrentBuild, over one (writable) build connection."""

    def __init__(self, build_id: str, con):
        self._id, self._con = build_id, con

    def build_id(self) -> str:
        return self._id

    def cursor(self):
        return self._con.cursor()


def compute(con, build_id: str) -> pa.Table:
    """Every menu benchmark's default rank intervals, as one long table."""
    import json

    from etl.history import menu_benchmarks
    from mteb_lb import settings, stats
    from mteb_lb.rankings import Filters, Leaderboard

    lb = Leaderboard(_BuildHandle(build_id, con))
    resamples, seed = settings.get("rank_resamples"), stats.DEFAULT_SEED
    menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
    parts = []
    for name in menu_benchmarks(menu):
        if name not in lb.benchmarks():  # a menu entry may lack a definition
            continue
        t = lb.rank_intervals(name, Filters(), resamples, seed)
        n = t.num_rows
        parts.append(pa.table({
            "benchmark": pa.array([name] * n, pa.string()),
            "model_name": t.column("Model"), "borda_rank": t.column("Rank (Borda)"),
            "rank_low": t.column("rank_low"), "rank_high": t.column("rank_high"),
            "rank_median": t.column("rank_median"), "p_rank1": t.column("p_rank1"),
            "tied_with_leader": t.column("tied_with_leader"),
            "resamples": pa.array([resamples] * n, pa.int32()),
            "seed": pa.array([seed] * n, pa.int64())}))
    return pa.concat_tables(parts) if parts else None


def record(final: Path) -> dict:
    """Compute and store the table in the build's database; returns manifest fields."""
    from etl.history import _quote

    started = time.monotonic()
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        table = compute(con, final.name)
        if table is None:
            con.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
            return {}
        con.register("rank_intervals_new", table)
        con.execute(f'CREATE OR REPLACE TABLE "{TABLE}" AS SELECT * FROM rank_intervals_new')
        con.unregister("rank_intervals_new")
        con.execute(f'COMMENT ON TABLE "{TABLE}" IS {_quote(DOCS[""])}')
        for column in table.column_names:
            con.execute(f'COMMENT ON COLUMN "{TABLE}"."{column}" IS {_quote(DOCS[column])}')
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"rank_intervals": {"rows": table.num_rows,
                               "seconds": round(time.monotonic() - started, 3)}}
