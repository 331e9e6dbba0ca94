"""Incremental maintenance of the materialized views (queries/, `-- @materialize`).

An incremental build starts from a copy of the previous build's database. Its `scores` table is
brought up to date first; `affected_pairs` then holds the (model_name, task_name) pairs whose
results changed (rows added or removed). For each view materialized `per (model_name, task_name)`
the rows of those pairs are deleted and computed again, by running the queries/ views in a
scratch in-memory database whose `scores` holds only the affected pairs' rows (the other inputs
are the build's own tables; `metrics` and `metric_arrays`, views over the build's Parquet
segments, are read from the segments that hold those pairs' files only, found in the build's
segment map, and restricted to their rows: the validity flags' quality_entry_metrics then reads
a few segments of `entry_checks`). The per-pair tables are computed in dependency order, and
the scratch database keeps each one's new rows as a table: a table computed later reads them
instead of computing that view again. Only the views those tables need are created there (their
dependency closure, queries.closure), with views of the build tables they name
(queries.named_by): creating every view of queries/ cost ~0.7 s of CPU per rerun. Views
materialized per another grain are then recomputed for the keys that changed:
`per (model_name)` for the models of the affected pairs; a grain such as
`(benchmark, model_name)` for the distinct keys of the rows deleted from and inserted into the
per-pair tables that hold those columns, read directly or through views (its rows for a key may
depend only on those tables' rows of that key and on inputs without the grain's columns, e.g.
the catalog). Such a view runs in a second scratch database where every input holding the
grain's columns is restricted to the changed keys before the view reads it (a filter applied
after the view's aggregation would not reach its scans). A `@stable set` keyed view recomputes,
for a key whose set of declared values is the same after the update, only its affected pairs'
rows (benchmark_language_keyed: a changed score recomputes that pair's rows, not the model's
~2,000 rows of the benchmark, and sorts those); a `@same set` keyed view keeps the rows of such
a key as they are (benchmark_task_required; quality_revision_flags: a changed score moves no
revision). The other materialized views (small aggregates) are recomputed in full. The result
equals a full build's tables (tests/test_etl_build.py, test_refresh.py,
test_incremental_maintain.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import queries
from etl.segments import SEGMENT_MAP

SCRATCH = "maintain_scratch"
KEYED = "maintain_keyed"
PAIR = ("model_name", "task_name")


def refresh(con) -> dict[str, int]:
    """Bring the materialized views of `con` (the build's database) up to date with its tables;
    `affected_pairs` (a temp table of model_name, task_name) says which pairs changed.
    Returns the number of rows recomputed per view."""
    all_views = queries.all_views()
    views = [v for v in all_views if not v.is_macro]
    by_pair = [v for v in views if v.materialize and v.grain == PAIR]
    by_key = [v for v in views if v.materialize and v.grain and v.grain != PAIR]
    in_full = [v for v in views if v.materialize and not v.grain]
    main = con.execute("SELECT current_database()").fetchall()[0][0]
    view_names = {v.name for v in views}
    inputs = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = ? "
        "AND schema_name = 'main' AND NOT internal", [main, main]).fetchall()
        if r[0] not in view_names and r[0] != "scores"]
    columns = _columns(con, main)
    # per keyed view: the per-pair tables whose changed rows name its changed keys
    plain = [v for v in views if not v.materialize]
    key_sources = {v.name: _key_sources(v, by_pair, columns, by_key, plain) for v in by_key
                   if v.grain != ("model_name",)}
    for view in by_key:
        if view.name in key_sources:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_keys(view)} AS SELECT "
                        f"{_cols(view.grain)} FROM \"{view.name}\" LIMIT 0")
    stable = _stable_sets(by_key, key_sources, columns)
    same = {v.name: v.same_set for v in by_key
            if v.same_set and key_sources.get(v.name) == [v.same_set[0]]}
    set_of = {**stable, **same}   # the keyed views whose sets are kept before and after
    counts = {}
    # the views the per-pair tables need, unmaterialized, over the affected pairs' rows only
    # (with the macros they call: the main catalog's are not on this path), and the inputs
    # those name, not every table of the build (each view bound costs CPU: with the keyed
    # catalogs', 168 views -> 18 at 1 %; docs/PERFORMANCE.md
    # §Session 15: the 1 % rerun (rerun7))
    scratch_views = queries.closure(all_views, by_pair)
    named = queries.named_by(scratch_views, inputs)
    read = [n for n in inputs if n in named]
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    try:
        con.execute(f"CREATE TABLE {SCRATCH}.scores AS SELECT s.* FROM scores AS s "
                    "SEMI JOIN affected_pairs AS a USING (model_name, task_name)")
        for name in read:
            con.execute(f'CREATE VIEW {SCRATCH}."{name}" AS SELECT * FROM "{main}"."{name}"')
        _segment_views(con, main, read)
        made: set[str] = set()   # the scratch views created so far (or computed as tables)
        for view in queries.dependency_order(by_pair):
            # the views it needs, created now: the per-pair tables computed before it are
            # tables by then, so a view binds against them rather than expanding their views
            # (each CREATE VIEW binds its query, the views it reads included)
            _create_scratch(con, main, scratch_views, view, made)
            changed_keys = [v for v in by_key if view.name in key_sources.get(v.name, ())]
            sets = [v for v in by_key if set_of.get(v.name, (None,))[0] == view.name]
            if changed_keys or sets:   # what the rows about to be deleted name (one scan)
                grains = dict.fromkeys(c for v in changed_keys + sets for c in v.grain)
                named = [f"{expr} AS {name}" for v in sets
                         for expr, name in zip(set_of[v.name][1], _set_names(v, set_of))]
                con.execute("CREATE TEMP TABLE old_pair_rows AS SELECT DISTINCT "
                            f'{", ".join([_cols(grains), *named])} FROM "{view.name}" '
                            "WHERE (model_name, task_name) IN "
                            "(SELECT model_name, task_name FROM affected_pairs)")
            for keyed in changed_keys:   # their keys
                con.execute(f"INSERT INTO {_keys(keyed)} SELECT DISTINCT {_cols(keyed.grain)} "
                            "FROM old_pair_rows")
            for keyed in sets:   # the values the key's rows of the affected pairs named
                con.execute(f"CREATE TEMP TABLE {_sets(keyed, 'before')} AS SELECT DISTINCT "
                            f"{', '.join([_cols(keyed.grain), *_set_names(keyed, set_of)])} "
                            "FROM old_pair_rows")
            if changed_keys or sets:
                con.execute("DROP TABLE old_pair_rows")
            con.execute(f'DELETE FROM "{view.name}" WHERE (model_name, task_name) IN '
                        "(SELECT model_name, task_name FROM affected_pairs)")
            con.execute(f'CREATE TEMP TABLE pair_rows AS SELECT * FROM {SCRATCH}."{view.name}"')
            counts[view.name] = con.execute("SELECT count(*) FROM pair_rows").fetchall()[0][0]
            for keyed in changed_keys:   # and of those that replace them
                con.execute(f"INSERT INTO {_keys(keyed)} SELECT DISTINCT {_cols(keyed.grain)} "
                            "FROM pair_rows")
            for keyed in sets:   # and name now
                con.execute(f"CREATE TEMP TABLE {_sets(keyed, 'after')} AS SELECT DISTINCT "
                            f"{_set_cols(keyed, set_of)} FROM pair_rows")
            con.execute(f'INSERT INTO "{view.name}" BY NAME SELECT * FROM pair_rows')
            # the per-pair tables read after it read these rows, not the view computed again
            # (benchmark_task_flags read quality_entry_flags, benchmark_results, and their
            # inputs, each computed once more)
            con.execute(f'DROP VIEW {SCRATCH}."{view.name}"')
            con.execute(f'CREATE TABLE {SCRATCH}."{view.name}" AS SELECT * FROM pair_rows')
            made.add(view.name)
            con.execute("DROP TABLE pair_rows")
    finally:
        con.execute(f"DETACH {SCRATCH}")
    # per model: computed from the (updated) tables for the models of the changed pairs; the
    # filter on a grouping column reaches the scans, so only their rows are read
    models = {"m": [r[0] for r in con.execute(
        "SELECT DISTINCT model_name FROM affected_pairs").fetchall()]}
    for view in queries.dependency_order(by_key):   # a keyed view after the keyed ones it reads
        if view.name in key_sources:
            counts[view.name] = _refresh_keyed(con, main, view, all_views, inputs + ["scores"] + [
                v.name for v in views if v.materialize], columns, stable.get(view.name),
                view.name in same)
            continue
        con.execute(f'DELETE FROM "{view.name}" WHERE list_contains($m, model_name)', models)
        counts[view.name] = con.execute(
            f'INSERT INTO "{view.name}" BY NAME SELECT * FROM (\n{view.sql}\n) '
            "WHERE list_contains($m, model_name)", models).fetchall()[0][0]
    queries.create_views(con, in_full)  # CREATE OR REPLACE TABLE: recomputed in full
    return counts


def _create_scratch(con, main: str, scratch_views, view, made: set[str]) -> None:
    """Create in the scratch catalog, unmaterialized, `view` and the views of `scratch_views`
    it reads that are not there yet (`made`: those created, and the per-pair tables computed),
    in dependency order: create_views tries a view again after the views it reads when it
    fails, and each failed CREATE binds."""
    need = [dataclasses.replace(v, materialize=False)
            for v in queries.closure(scratch_views, [view], frozenset(made))
            if v.name not in made]
    if not need:
        return
    con.execute(f"USE {SCRATCH}")
    try:   # (without the ~400 COMMENT statements nobody reads)
        queries.create_views(con, queries.dependency_order(need), comments=False)
    finally:
        con.execute(f'USE "{main}"')
    made.update(v.name for v in need)


def no_vacuum(con) -> None:
    """Turn DuckDB's vacuum off in `con`'s database instance (shared by every connection to the
    same file while one is open) for an updated copy of the previous database. Its checkpoints
    then write the rows that changed, not the row groups around them: with vacuum, DuckDB merged
    the row groups whose live rows fit in fewer at each rerun's checkpoint, and in a 1 % rerun
    merged 4 of the 12 row groups of `scores` into 3 (365 k rows, 10.9 M values with the lists) for
    13 k changed rows (docs/PERFORMANCE.md §Session 17: the 1 % rerun (rerun10)). The deleted
    rows stay in their row groups, marked deleted, until the database is created afresh, which
    etl/build.py does after MAX_DATABASE_UPDATES updates in a row."""
    con.execute("SET max_vacuum_tasks = 0")


def _cols(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _keys(view) -> str:
    return f'"changed_keys_{view.name}"'


def _sets(view, when: str) -> str:
    return f'"{when}_sets_{view.name}"'


def _set_cols(view, set_of) -> str:
    """The grain's columns and the declared expressions of a keyed view's set."""
    return ", ".join([_cols(view.grain), *set_of[view.name][1]])


def _set_names(view, set_of) -> list[str]:
    """Column names for the declared expressions of a keyed view's set."""
    return [f'"{view.name}:{i}"' for i in range(len(set_of[view.name][1]))]


def _same_keys(view) -> str:
    """The grain of the keys whose set is the same before and after (its before and after
    tables name the same values)."""
    grain, before, after = _cols(view.grain), _sets(view, "before"), _sets(view, "after")
    return (f"SELECT {grain} FROM {_keys(view)} EXCEPT SELECT {grain} FROM "
            f"((FROM {before} EXCEPT FROM {after}) UNION ALL (FROM {after} EXCEPT FROM {before}))")


def _stable_sets(by_key, key_sources, columns) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The keyed views with a `@stable set` whose declared table is one of their per-pair
    sources, holds the grain's columns, and whose own rows name their pair."""
    out = {}
    for view in by_key:
        table, cols = view.stable_set or (None, ())
        if table in key_sources.get(view.name, ()) \
                and set(view.grain) | set(PAIR) <= columns.get(table, set()) \
                and set(PAIR) <= columns.get(view.name, set()):
            out[view.name] = (table, cols)
    return out


def _columns(con, database: str) -> dict[str, set[str]]:
    """table or view name -> its column names, in `database`'s main schema."""
    out: dict[str, set[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = 'main'", [database]).fetchall():
        out.setdefault(table, set()).add(column)
    return out


def _key_sources(view, by_pair, columns, by_key=(), plain=()) -> list[str]:
    """The per-pair tables `view` reads that hold all the columns of its grain, directly or
    through views of `by_key` materialized per the same grain (their changed keys are its) or
    views of `plain` (not materialized: quality_revision_flags reads flag_mixed_revisions)."""
    same = [v for v in by_key if v.grain == view.grain and v.name != view.name]
    read = {v.name for v in queries.closure([view, *same, *plain, *by_pair], [view],
                                            frozenset(v.name for v in by_pair))}
    found = [v.name for v in by_pair if v.name in read
             and set(view.grain) <= columns.get(v.name, set())]
    if not found:
        raise RuntimeError(f"{view.name} is materialized per ({', '.join(view.grain)}) but "
                           "reads no table materialized per (model_name, task_name) with "
                           "those columns: its changed keys cannot be known")
    return found


def _refresh_keyed(con, main: str, view, all_views, inputs: list[str], columns,
                   stable_set: tuple[str, tuple[str, ...]] | None = None,
                   same_set: bool = False) -> int:
    """Delete and recompute the rows of `view` for its changed keys, the view run in a scratch
    database whose inputs holding the grain's columns are restricted to those keys. With
    `stable_set` (`@stable set`), a key whose set is the same recomputes its affected pairs'
    rows only: its table there holds those rows and one row per value of the set of the others.
    With `same_set` (`@same set`), a key whose set is the same is not recomputed at all."""
    keys, grain = _keys(view), _cols(view.grain)
    if same_set:   # `@same set`: a key whose set is the same keeps its rows
        con.execute(f"DELETE FROM {keys} WHERE ({grain}) IN ({_same_keys(view)})")
    # the rows to recompute: every row of a changed key, or of a stable one its affected pairs'
    redo = "TRUE"
    if stable_set is not None:
        con.execute(f'CREATE TEMP TABLE "stable_{view.name}" AS {_same_keys(view)}')
        redo = (f'(({grain}) NOT IN (SELECT {grain} FROM temp."stable_{view.name}") OR '
                "(model_name, task_name) IN "
                "(SELECT model_name, task_name FROM temp.affected_pairs))")
    con.execute(f'DELETE FROM "{view.name}" WHERE ({grain}) IN '
                f"(SELECT {grain} FROM {keys}) AND {redo}")
    tables = frozenset(v.name for v in all_views if v.materialize and v is not view)
    created = [v for v in queries.closure(all_views, [view], tables) if v.name not in tables]
    read = queries.named_by(created, inputs)   # the inputs those views name, no others
    con.execute(f"ATTACH ':memory:' AS {KEYED}")
    try:
        for name in inputs:
            if name == view.name or name not in read:
                continue
            if stable_set is not None and name == stable_set[0]:
                # a stable key's rows: its affected pairs', and one per value of the set
                con.execute(
                    f'CREATE VIEW {KEYED}."{name}" AS '
                    f'SELECT t.* FROM "{main}"."{name}" AS t SEMI JOIN temp.{keys} AS k '
                    f"USING ({grain}) WHERE {redo} UNION ALL "
                    f"SELECT DISTINCT ON ({_cols(view.grain)}, {', '.join(stable_set[1])}) t.* "
                    f'FROM "{main}"."{name}" AS t SEMI JOIN temp."stable_{view.name}" '
                    f"USING ({grain}) ANTI JOIN temp.affected_pairs USING (model_name, task_name)")
            elif set(view.grain) <= columns.get(name, set()):
                con.execute(f'CREATE VIEW {KEYED}."{name}" AS SELECT t.* FROM "{main}"."{name}" '
                            f"AS t SEMI JOIN temp.{keys} AS k USING ({_cols(view.grain)})")
            else:
                con.execute(f'CREATE VIEW {KEYED}."{name}" AS SELECT * FROM "{main}"."{name}"')
        con.execute(f"USE {KEYED}")
        try:
            queries.create_views(con, [dataclasses.replace(v, materialize=False)
                                       for v in queries.dependency_order(created)],
                                 comments=False)
        finally:
            con.execute(f'USE "{main}"')
        count = con.execute(f'INSERT INTO "{view.name}" BY NAME SELECT * FROM '
                            f'{KEYED}."{view.name}" WHERE {redo}').fetchall()[0][0]
    finally:
        con.execute(f"DETACH {KEYED}")
    con.execute(f"DROP TABLE {keys}")
    if stable_set is not None:
        con.execute(f'DROP TABLE "stable_{view.name}"')
    if stable_set is not None or same_set:
        for table in (_sets(view, "before"), _sets(view, "after")):
            con.execute(f"DROP TABLE {table}")
    return count


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
