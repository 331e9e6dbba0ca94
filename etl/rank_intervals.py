"""The warehouse table `rank_intervals`: the rank intervals of every benchmark of the menu in
its default state (no filter: Filters()), B = the rank_resamples setting, the default seed.

Computed when a build is published (etl/build.py, after the views and the history) from the
Borda points of the default state (read from the build's default boards, `default_summaries`,
as a request reads them; lb_borda_points for a benchmark ranked by subset), by the same numpy
code as a request
(mteb_lb.stats.intervals_table), so its numbers are those the dashboard, the API and the CLI
give for that state (tests/test_stats.py compares them). A full build computes every benchmark.
An incremental build starts from a copy of the
previous database, table included, and recomputes only the benchmarks whose inputs changed: the
history's per-benchmark fingerprint of everything a leaderboard is computed from
(etl.history.input_hashes), with B, the seed and VERSION, stored in the manifest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl import default_summaries
from etl.history import _quote, stale_benchmarks
from mteb_lb import db, warehouse

TABLE = "rank_intervals"
VERSION = "1"   # bump when the statistics change: every benchmark is computed again
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

    def cache_key(self) -> str:
        return self._id

    def cursor(self):
        return self._con.cursor()


def _settings() -> tuple[int, int]:
    # deferred: the one import against the flow (tests/test_imports.py EXCEPTIONS)
    from mteb_lb import settings, stats

    return settings.get("rank_resamples"), stats.DEFAULT_SEED


POINTS_SQL = ("SELECT model_name, partition_key, task_name, points, in_table "
              "FROM lb_borda_points($b, NULL, NULL, NULL, $po, true, $bs)")


def _default_inputs(con, benches: list) -> dict[str, tuple[str, pa.Table]]:
    """What each benchmark's BordaInputs of its default state (what Leaderboard.borda_inputs
    gives for Filters()) are made from, read from the database: ("board", its rows of
    `default_summaries`) for a benchmark ranked by task, the default board this build computed
    just before (etl/history.py record), read as a request for that state reads it (no ranking
    SQL; tests/test_stats.py checks these points equal lb_borda_points'); ("points", its rows
    of lb_borda_points) for those ranked by subset, or when the boards lack the columns."""
    out = {}
    plain = [b for b in benches if "mean_subset" not in b.aggregations]
    has_boards = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                             [default_summaries.TABLE]).fetchall()[0][0]
    if plain and has_boards:
        frames = db.query_arrow(
            con, f'SELECT * FROM "{default_summaries.TABLE}" '
            "WHERE list_contains($names::VARCHAR[], benchmark)", {"names": [b.name for b in plain]})
        if {"raw_mean_map", "outside_raw_means"} <= set(frames.column_names):
            for b in plain:
                out[b.name] = ("board", frames.filter(
                    pc.equal(frames.column("benchmark"), b.name)))
    for b in benches:
        if b.name not in out:
            out[b.name] = ("points", db.query_arrow(
                con, POINTS_SQL, {"b": b.name, "po": b.public_only,
                                  "bs": "mean_subset" in b.aggregations}))
    return out


def _borda(source: tuple[str, pa.Table], stats):
    """The BordaInputs of one of _default_inputs' values."""
    kind, rows = source
    if kind == "points":
        return stats.BordaInputs.from_arrow(rows)
    # a board without rows: no model in the table, no interval
    return stats.BordaInputs.from_summary_frame(rows) or stats.BordaInputs.empty()


def _inputs(con, build_id: str, benchmarks: list[str]) -> dict[str, tuple[str, pa.Table]]:
    """_default_inputs of `benchmarks` (those with a definition and tasks)."""
    # deferred: the one import against the flow (tests/test_imports.py EXCEPTIONS)
    from mteb_lb.rankings import Leaderboard

    defined = Leaderboard(_BuildHandle(build_id, con)).benchmarks()
    return _default_inputs(con, [defined[n] for n in benchmarks
                                 if n in defined and defined[n].task_names])


def _intervals(inputs: dict) -> pa.Table | None:
    """The rank intervals of each benchmark of `inputs` (_inputs) as one long table (None: no
    rows): numpy only, no database (etl/build.py runs it in a thread while DuckDB works)."""
    # deferred: the one import against the flow (tests/test_imports.py EXCEPTIONS)
    from mteb_lb import stats

    resamples, seed = _settings()
    parts = []
    with _one_blas_thread():
        for name, source in inputs.items():
            t = stats.intervals_table(_borda(source, stats), resamples, seed)
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


def _one_blas_thread():
    """The bootstrap's matrix products on one BLAS thread, for the process while it runs (the
    limit is the process's, given back after). OpenBLAS's own threads (one per core) spin
    between the products: they doubled the step's CPU while DuckDB works on both cores
    (docs/PERFORMANCE.md §Session 16: the 1 % rerun (rerun8)). The same numbers to the bit
    (compared on the real data)."""
    # deferred: only the thread needs it
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def compute(con, build_id: str, benchmarks: list[str]) -> pa.Table | None:
    """The default rank intervals of `benchmarks`, as one long table (None: no rows): the
    default state's Borda points through mteb_lb.stats, as Leaderboard.rank_intervals computes
    them for Filters() (tests/test_stats.py checks the values are the same)."""
    return _intervals(_inputs(con, build_id, benchmarks))


def record(final: Path, input_hashes: dict[str, str] | None = None,
           warehouse_dir: Path | None = None) -> dict:
    """Compute and store the table in the build's database; returns manifest fields.
    `input_hashes`: the history's fingerprints of the menu benchmarks (None: compute all)."""
    return start(final, input_hashes, warehouse_dir)()


def start(final: Path, input_hashes: dict[str, str] | None = None,
          warehouse_dir: Path | None = None, con=None) -> Callable[[], dict]:
    """record in two halves: reads what to compute and its inputs now (through `con`, an open
    connection to the build's database, else a connection of its own, closed before it
    returns), computes the intervals in a thread (numpy: it overlaps the caller's DuckDB work
    on the other core), and returns `finish`, which waits for them, stores the table (a
    connection of its own) and returns record's manifest fields. Call finish from the thread
    that called start, once `con` is closed."""
    started = time.monotonic()
    resamples, seed = _settings()
    db_path = str(final / warehouse.DB_FILE)
    if resamples == 0:   # B = 0: no intervals (the backfill's scratch builds), none stored
        def drop() -> dict:
            con = duckdb.connect(db_path)
            try:
                con.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
                con.execute("CHECKPOINT")
            finally:
                con.close()
            return {TABLE: {"rows": 0, "benchmarks_computed": 0,
                            "seconds": round(time.monotonic() - started, 3), "keys": {}}}
        return drop
    own = con is None
    con = duckdb.connect(db_path) if own else con
    try:
        todo, keys, prev_keys = stale_benchmarks(con, final, warehouse_dir, TABLE,
                                                 input_hashes, f"{resamples}|{seed}|{VERSION}")
        inputs = _inputs(con, final.name, todo)
    finally:
        if own:
            con.close()
    result: dict = {}

    def work() -> None:
        try:
            result["table"] = _intervals(inputs)
        except BaseException as exc:   # raised again by finish, in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="rank-intervals", daemon=True)
    thread.start()

    def finish() -> dict:
        thread.join()
        if "error" in result:
            raise result["error"]
        rows = _store(db_path, result["table"], todo, list(keys), bool(prev_keys))
        return {TABLE: {"rows": rows, "benchmarks_computed": len(todo),
                        "seconds": round(time.monotonic() - started, 3), "keys": keys}}
    return finish


def _store(db_path: str, table: pa.Table | None, todo: list[str], names: list[str],
           carry: bool) -> int:
    """The table brought up to date: the rows of `todo` replaced by `table`'s, those of
    benchmarks no longer in the menu (`names`) dropped, the others carried when `carry`.
    Returns its row count."""
    con = duckdb.connect(db_path)
    try:
        if not carry:    # nothing to carry over: the table afresh
            con.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
        if table is not None:
            con.register("rank_intervals_new", table)
            con.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" AS '
                        "SELECT * FROM rank_intervals_new LIMIT 0")
            con.execute(f'DELETE FROM "{TABLE}" WHERE list_contains($keep::VARCHAR[], benchmark) '
                        "OR NOT list_contains($names::VARCHAR[], benchmark)",
                        {"keep": todo, "names": names})
            con.execute(f'INSERT INTO "{TABLE}" SELECT * FROM rank_intervals_new')
            con.unregister("rank_intervals_new")
            con.execute(f'COMMENT ON TABLE "{TABLE}" IS {_quote(DOCS[""])}')
            for column in table.column_names:
                con.execute(f'COMMENT ON COLUMN "{TABLE}"."{column}" IS {_quote(DOCS[column])}')
        elif carry:
            con.execute(f'DELETE FROM "{TABLE}" WHERE list_contains($keep::VARCHAR[], benchmark) '
                        "OR NOT list_contains($names::VARCHAR[], benchmark)",
                        {"keep": todo, "names": names})
        rows = con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()[0][0] \
            if table is not None or carry else 0
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return rows
