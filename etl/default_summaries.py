"""The warehouse table `default_summaries`: lb_summary's rows for every benchmark of the menu in
its default state (no filter: every task, no model filter, registered models), computed when a
build is published, so that the first request for a default leaderboard reads rows instead of
planning and running the ranking SQL (issue #16: per-request speed). Leaderboard._summary_frame
reads it whenever a request's bound parameters are the default ones; any other state runs its
ranking SQL as before. The rows are what a request's SQL gives for that state: for a benchmark
ranked by task, lb_summary_of over lb_model_scores_lists with no task selected (the per-model
task lists of benchmark_model_tasks, the path of a task filter), for one ranked by subset
lb_summary; both equal lb_summary's rows (tests/test_default_summaries.py and
tests/test_ranking_sources.py compare).

The default boards are computed once per build, here (`default_frames`, `store`): the
leaderboard history's snapshot (etl/history.py, which calls `store` from its record step) reads
its rank and means from this table rather than computing the same frames a second time.

Like the `rank_intervals` table, a full build computes every benchmark and an incremental build
recomputes only the benchmarks whose inputs changed (the history's per-benchmark fingerprints,
etl.history.input_hashes, with VERSION, stored in the manifest under TABLE); the others' rows
are carried over from the previous build's database.

`write_file` copies the table into the build folder as an Arrow IPC file
(warehouse.DEFAULT_SUMMARIES_FILE), every build, after `store`: Leaderboard serves a default
summary from it without importing or opening DuckDB (a fresh process's first table, issue #16).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa

from mteb_lb import db, warehouse

TABLE = "default_summaries"
VERSION = "2"   # bump when lb_summary's output changes shape: every benchmark is computed again
DOC = ("lb_summary's rows of every menu benchmark's default leaderboard (no filter, registered "
       "models), computed per build: what Leaderboard serves for that state without running the "
       "ranking SQL. Columns: benchmark, then lb_summary's (queries/leaderboard/lb_summary.macro"
       ".sql).")


def default_flags(con, benchmarks: list[str]) -> dict[str, tuple[bool, bool]]:
    """Per benchmark of `benchmarks` with a definition (a menu entry may lack one), its default
    state's (public_only, by_subset)."""
    rows = {r["name"]: r for r in con.sql(
        "SELECT name, summary_public_only, aggregations FROM benchmarks"
    ).to_arrow_table().to_pylist()}
    return {n: (bool(rows[n].get("summary_public_only")),
                "mean_subset" in (rows[n].get("aggregations") or []))
            for n in benchmarks if n in rows}


def default_frames(con, benchmarks: list[str], table: str) -> dict[str, tuple[bool, bool]]:
    """The temp table `table` (always created): benchmark, then lb_summary's rows of each of
    `benchmarks` in its default state (no filter, registered models, its own public_only and
    by_subset). The benchmarks ranked by task from one query over the build's per-model task
    lists (lb_model_scores_lists, no task selected, under lb_summary_of), joined LATERAL to
    their names (DuckDB plans it once: 3-5x faster than a query each; the lists: 0.34-0.41 s
    against lb_summary's 0.46-0.58 s for 59 benchmarks, docs/PERFORMANCE.md
    §Session 31: where a filtered request's time goes (planning, maps, first calls)); those
    ranked by subset from lb_summary, a query each (LATERAL plans these badly). Returns
    default_flags."""
    flags = default_flags(con, benchmarks)
    plain = [n for n, (_po, by_subset) in flags.items() if not by_subset]
    parts = [("SELECT b.benchmark, m.* FROM (SELECT unnest($names::VARCHAR[]) AS benchmark, "
              "unnest($po::BOOLEAN[]) AS public_only) AS b, LATERAL (WITH q AS (FROM "
              "lb_model_scores_lists('benchmark_model_tasks', 'benchmark_task_scored', "
              "b.benchmark, NULL, b.public_only)) FROM lb_summary_of('q', b.benchmark)) AS m",
              {"names": plain, "po": [flags[n][0] for n in plain]})]
    for name in (n for n, (_po, by_subset) in flags.items() if by_subset):
        parts.append(("SELECT $b AS benchmark, m.* "
                      "FROM lb_summary($b, NULL, NULL, NULL, $po, true, true) AS m",
                      {"b": name, "po": flags[name][0]}))
    for i, (sql, params) in enumerate(parts):
        con.execute((f"CREATE OR REPLACE TEMP TABLE {table} AS " if i == 0
                     else f"INSERT INTO {table} ") + sql, params)
    return flags


def store(con, todo: list[str], keys: dict[str, str], carry: bool) -> dict:
    """Bring the table up to date in the build's database (`con`): the benchmarks of `todo`
    computed, the other menu benchmarks (`keys`: every menu benchmark's input key) carried over
    from the rows the database holds when `carry` (the previous build's keys matched), the
    benchmarks no longer in the menu dropped. Returns the manifest fields (TABLE: rows, keys)."""
    started = time.monotonic()
    names = list(keys)
    default_frames(con, todo, "new_default_summaries")
    if not carry:    # nothing to carry over: the table afresh
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
    con.execute(f"COMMENT ON TABLE \"{TABLE}\" IS '{DOC.replace(chr(39), chr(39) * 2)}'")
    rows = con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()[0][0]
    return {TABLE: {"rows": rows, "benchmarks_computed": len(todo),
                    "seconds": round(time.monotonic() - started, 3), "keys": keys}}


def write_file(con, build: Path) -> dict:
    """Write the table's rows to `build`'s warehouse.DEFAULT_SUMMARIES_FILE (the publish fsyncs
    it): per benchmark with rows, one record batch of the frame Leaderboard reads for its default
    state (the table's rows by position, without `benchmark`: the bytes a query of the table
    gives), its `benchmarks` catalog row as JSON in the batch's metadata (``catalog``); the
    schema's metadata lists the benchmarks in batch order (``benchmarks``). Returns the manifest
    fields: the file's size and the seconds taken."""
    started = time.monotonic()
    # sorted here: the build's connection (preserve_insertion_order off) may hand the rows of
    # an ORDER BY over in parallel pieces
    rows = db.query_arrow(con, f'SELECT * FROM "{TABLE}"').sort_by(
        [("benchmark", "ascending"), ("position", "ascending")])
    catalog = {r["name"]: r for r in con.sql("SELECT * FROM benchmarks").to_arrow_table()
               .to_pylist()}
    names = rows.column("benchmark").to_pylist()
    frames = rows.drop_columns(["benchmark"]).combine_chunks()
    spans: list[tuple[str, int, int]] = []   # (benchmark, first row, rows)
    for i, name in enumerate(names):
        if spans and spans[-1][0] == name:
            spans[-1] = (name, spans[-1][1], spans[-1][2] + 1)
        else:
            spans.append((name, i, 1))
    spans = [s for s in spans if s[0] in catalog]
    schema = frames.schema.with_metadata(
        {"benchmarks": json.dumps([name for name, _first, _n in spans])})
    path = build / warehouse.DEFAULT_SUMMARIES_FILE
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for name, first, n in spans:
            writer.write_batch(frames.slice(first, n).to_batches()[0],
                               custom_metadata={"catalog": json.dumps(catalog[name])})
    return {"file_bytes": path.stat().st_size,
            "file_seconds": round(time.monotonic() - started, 3)}
