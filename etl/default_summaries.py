"""The warehouse table `default_summaries`: lb_summary's rows for every benchmark of the menu in
its default state (no filter: every task, no model filter, registered models), computed when a
build is published, so that the first request for a default leaderboard reads rows instead of
planning and running the ranking SQL (issue #16: per-request speed). Leaderboard._summary_frame
reads it whenever a request's bound parameters are the default ones; any other state runs
lb_summary as before. The rows are lb_summary's own (the same macro, the same database), so the
tables served from them are the ones the SQL gives (tests/test_default_summaries.py compares).

Like the `rank_intervals` table, a full build computes every benchmark and an incremental build
recomputes only the benchmarks whose inputs changed (the history's per-benchmark fingerprints,
etl.history.input_hashes, with VERSION, stored in the manifest).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from etl.history import _quote, default_frames, stale_benchmarks
from mteb_lb import warehouse

TABLE = "default_summaries"
VERSION = "2"   # bump when lb_summary's output changes shape: every benchmark is computed again
DOC = ("lb_summary's rows of every menu benchmark's default leaderboard (no filter, registered "
       "models), computed per build: what Leaderboard serves for that state without running the "
       "ranking SQL. Columns: benchmark, then lb_summary's (queries/leaderboard/lb_summary.macro"
       ".sql).")


def record(final: Path, input_hashes: dict[str, str] | None = None,
           warehouse_dir: Path | None = None) -> dict:
    """Compute and store the table in the build's database; returns manifest fields.
    `input_hashes`: the history's fingerprints of the menu benchmarks (None: compute all)."""
    started = time.monotonic()
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        todo, keys, prev_keys = stale_benchmarks(con, final, warehouse_dir, TABLE,
                                                 input_hashes, VERSION)
        names = list(keys)
        default_frames(con, todo, "new_default_summaries")
        if not prev_keys:    # nothing to carry over: the table afresh
            con.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
        con.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" AS '
                    "SELECT * FROM new_default_summaries LIMIT 0")
        con.execute(f'DELETE FROM "{TABLE}" WHERE list_contains($todo::VARCHAR[], benchmark) '
                    "OR NOT list_contains($names::VARCHAR[], benchmark)",
                    {"todo": todo, "names": names})
        # in the order a request reads them (one benchmark's rows together, by position)
        con.execute(f'INSERT INTO "{TABLE}" SELECT * FROM new_default_summaries '
                    "ORDER BY benchmark, position")
        con.execute("DROP TABLE new_default_summaries")
        con.execute(f'COMMENT ON TABLE "{TABLE}" IS {_quote(DOC)}')
        rows = con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()[0][0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {TABLE: {"rows": rows, "benchmarks_computed": len(todo),
                    "seconds": round(time.monotonic() - started, 3), "keys": keys}}
