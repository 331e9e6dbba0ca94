"""Incremental maintenance of the materialized views (queries/, `-- @materialize`).

An incremental build starts from a copy of the previous build's database. Its `scores` table is
brought up to date first; `affected_pairs` then holds the (model_name, task_name) pairs whose
results changed (rows added or removed). For each view materialized `per (model_name, task_name)`
the rows of those pairs are deleted and computed again, by running the queries/ views in a
scratch in-memory database whose `scores` holds only the affected pairs' rows (the other inputs
are the build's own tables). The other materialized views are small aggregates, recomputed in
full. The result equals a full build's tables (tests/test_etl_build.py and test_refresh.py).
"""

from __future__ import annotations

import dataclasses

import queries

SCRATCH = "maintain_scratch"


def refresh(con) -> dict[str, int]:
    """Bring the materialized views of `con` (the build's database) up to date with its tables;
    `affected_pairs` (a temp table of model_name, task_name) says which pairs changed.
    Returns the number of pair rows recomputed per view."""
    views = [v for v in queries.all_views() if not v.is_macro]
    by_pair = [v for v in views if v.materialize and v.grain == ("model_name", "task_name")]
    in_full = [v for v in views if v.materialize and v not in by_pair]
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
        con.execute(f"USE {SCRATCH}")
        try:  # the views, unmaterialized, over the affected pairs' rows only
            queries.create_views(con, [dataclasses.replace(v, materialize=False) for v in views])
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
    queries.create_views(con, in_full)  # CREATE OR REPLACE TABLE: recomputed in full
    return counts
