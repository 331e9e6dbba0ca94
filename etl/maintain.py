"""Incremental maintenance of the materialized views (queries/, `-- @materialize`).

An incremental build starts from a copy of the previous build's database. Its `scores` table is
brought up to date first; `affected_pairs` then holds the (model_name, task_name) pairs whose
results changed (rows added or removed). For each view materialized `per (model_name, task_name)`
the rows of those pairs are deleted and computed again, by running the queries/ views in a
scratch in-memory database whose `scores` holds only the affected pairs' rows (the other inputs
are the build's own tables; `metrics` and `metric_arrays`, views over the build's Parquet
segments, are read from the segments that hold those pairs' files only, found in the build's
segment map, and restricted to their rows: the validity flags' quality_entry_metrics then reads
a few segments of `entry_checks`). Views materialized `per (model_name)` are then
recomputed for the models of those pairs, and the other materialized views (small aggregates) in
full. The result equals a full build's tables (tests/test_etl_build.py and test_refresh.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import queries
from etl.segments import SEGMENT_MAP

SCRATCH = "maintain_scratch"


def refresh(con) -> dict[str, int]:
    """Bring the materialized views of `con` (the build's database) up to date with its tables;
    `affected_pairs` (a temp table of model_name, task_name) says which pairs changed.
    Returns the number of pair rows recomputed per view."""
    views = [v for v in queries.all_views() if not v.is_macro]
    by_pair = [v for v in views if v.materialize and v.grain == ("model_name", "task_name")]
    by_model = [v for v in views if v.materialize and v.grain == ("model_name",)]
    in_full = [v for v in views if v.materialize and v not in by_pair + by_model]
    main = con.execute("SELECT current_database()").fetchall()[0][0]
    view_names = {v.name for v in views}
    inputs = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = ? "
        "AND schema_name = 'main' AND NOT internal", [main, main]).fetchall()
        if r[0] not in view_names and r[0] != "scores"]
    counts = {}
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    try:
        con.execute(f"CREATE TABLE {SCRATCH}.scores AS SELECT s.* FROM scores AS s "
                    "SEMI JOIN affected_pairs AS a USING (model_name, task_name)")
        for name in inputs:
            con.execute(f'CREATE VIEW {SCRATCH}."{name}" AS SELECT * FROM "{main}"."{name}"')
        _segment_views(con, main, inputs)
        con.execute(f"USE {SCRATCH}")
        try:  # the views, unmaterialized, over the affected pairs' rows only (with the
            # scalar macros views may call: the main catalog's are not on this search path)
            queries.create_views(con, [dataclasses.replace(v, materialize=False) for v in views]
                                 + queries.macros_called_by(views))
        finally:
            con.execute(f'USE "{main}"')
        for view in by_pair:
            con.execute(f'DELETE FROM "{view.name}" WHERE (model_name, task_name) IN '
                        "(SELECT model_name, task_name FROM affected_pairs)")
            con.execute(f'CREATE TEMP TABLE pair_rows AS SELECT * FROM {SCRATCH}."{view.name}"')
            counts[view.name] = con.execute("SELECT count(*) FROM pair_rows").fetchall()[0][0]
            con.execute(f'INSERT INTO "{view.name}" BY NAME SELECT * FROM pair_rows')
            con.execute("DROP TABLE pair_rows")
    finally:
        con.execute(f"DETACH {SCRATCH}")
    # per model: computed from the (updated) tables for the models of the changed pairs; the
    # filter on a grouping column reaches the scans, so only their rows are read
    models = {"m": [r[0] for r in con.execute(
        "SELECT DISTINCT model_name FROM affected_pairs").fetchall()]}
    for view in by_model:
        con.execute(f'DELETE FROM "{view.name}" WHERE list_contains($m, model_name)', models)
        counts[view.name] = con.execute(
            f'INSERT INTO "{view.name}" BY NAME SELECT * FROM (\n{view.sql}\n) '
            "WHERE list_contains($m, model_name)", models).fetchall()[0][0]
    queries.create_views(con, in_full)  # CREATE OR REPLACE TABLE: recomputed in full
    return counts


SEGMENTED_VIEWS = ("metrics", "metric_arrays", "entry_checks")


def _segment_views(con, main: str, inputs: list[str]) -> None:
    """Point the scratch database's `metrics` and `metric_arrays` at the segments holding the
    rows of its `scores` (the affected pairs' current file versions), and at those rows only.
    Without a segment map beside the database the views stay as they are (the whole Parquet)."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?",
                       [main]).fetchall()
    if not path or not path[0][0]:
        return
    build = Path(path[0][0]).parent
    if not (build / SEGMENT_MAP).is_file():
        return
    segments = [r[0] for r in con.execute(
        "SELECT DISTINCT segment FROM read_parquet(?) WHERE file_id IN "
        f"(SELECT DISTINCT file_id FROM {SCRATCH}.scores) ORDER BY segment",
        [str(build / SEGMENT_MAP)]).fetchall()]
    for name in SEGMENTED_VIEWS:
        if name not in inputs:
            continue
        files = [str(build / "parquet" / name / s) for s in segments
                 if (build / "parquet" / name / s).is_file()]
        if files:
            con.execute(f'CREATE OR REPLACE VIEW {SCRATCH}."{name}" AS SELECT * FROM '
                        f'read_parquet({_sql_list(files)}) WHERE entry_id >> 20 IN '
                        f"(SELECT file_id FROM {SCRATCH}.scores)")
        else:  # the pairs' files have no rows in this table
            con.execute(f'CREATE OR REPLACE VIEW {SCRATCH}."{name}" AS SELECT * FROM '
                        f'"{main}"."{name}" LIMIT 0')


def _sql_list(paths: list[str]) -> str:
    """A SQL list literal of file paths (paths the build wrote: quotes doubled all the same)."""
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
