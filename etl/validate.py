"""Validation of a finished build before it is published (used by `mteb-lb refresh`).

Runs on the build's database through the same hardened read-only connection the app uses
(mteb_lb.db.open_build), so what passes here is what readers will see:

* row counts: the tables the leaderboard needs are not empty (`row_counts`: those stored in
  the database, counted from their metadata; a view over the Parquet segments, `metrics`, is
  checked for one row instead: counting its 35 M rows through the superseded files' filter
  cost ~0.25 s of CPU per refresh, and the manifest's own `row_counts` hold its count);
* schemas: each table of mteb_lb/schema.py has exactly its columns, in order, with its types;
* every view of queries/ returns a row (or none) without error, and every table macro runs with
  sample arguments (a benchmark and a model that have results, NULL for optional lists).

`check(build)` raises `ValidationError` listing every problem found.

`check(build, bind_only=True)` (what `mteb-lb refresh` asks when the previous build was
validated with the same queries/ SQL and catalog, etl/refresh.py): the views and macros are
bound and planned against this build's tables (`LIMIT 0`: a missing or retyped column, a missing
table or macro fails as before) but not run, since the same SQL already ran in full on an
earlier build; the row counts and schemas are checked as always. ~0.2 s instead of ~3 s of CPU
on the real data (docs/PERFORMANCE.md §Incremental reruns).

`check(build, bind_only=True, bound_catalog=digest)`: `digest` is the `catalog` the previous
build's validation recorded (`catalog_digest`: every table's and view's columns and types, every
macro's definition). When this build's is the same, binding would see exactly what the earlier
validation saw and passed, so the views and macros are not bound again (mode `unchanged`); the
row counts, schemas and the macros' presence are checked as always. Any difference (a column
type of a table made again, a macro changed) binds everything as above (docs/PERFORMANCE.md
§Session 21: the 1 % rerun (rerun14)).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from pathlib import Path

import pyarrow as pa

import queries
from mteb_lb import db, schema

NON_EMPTY = ("scores", "metrics", "files", "tasks", "benchmarks", "benchmark_tasks",
             "model_registry", "benchmark_results")

# Sample arguments of table macros, by parameter name; any other parameter gets NULL.
_SAMPLE_FLAGS = {"public_only": False, "registry_only": True, "keep_unknown_size": False,
                 "by_subset": False, "st_only": False, "part": "subset", "zero_shot": "allow_all",
                 "keyed": "benchmark_language_keyed",   # lb_language_scores_keyed's table
                 "uncovered_table": "benchmark_task_uncovered",   # ..._recount_stored's table
                 "lists": "language_score_lists",   # lb_language_scores_lists' table
                 # lb_language_scores_task_lists' table
                 "task_lists": "language_task_lists",
                 # lb_language_scores_of's (model, language, task) combinations
                 "pairs": "language_score_lists",
                 # lb_task_scores_language's and lb_language_task_means' tables (the second
                 # also lb_language_cuts')
                 "null_languages": "benchmark_null_languages",
                 "task_sets": "benchmark_task_language_sets",
                 "score_lists": "benchmark_task_score_lists",
                 "default_table": "default_summaries",   # lb_model_scores_default's table
                 # lb_model_scores_lists' tables
                 "model_tasks": "benchmark_model_tasks", "task_table": "benchmark_task_scored"}


# The relation a `frame` parameter names (query_table), per macro: its caller's relation, built
# from the sample benchmark by the macro that feeds it in the app (mteb_lb/rankings.py). A new
# query_table macro that is not listed gets lb_borda's sample and fails here until it is.
_FRAME_SOURCES = {
    "lb_task_scores_of": "FROM lb_task_means_stored($bench, NULL, NULL, false, true)",
    "lb_row_task_means_of": "FROM lb_long($bench, NULL, NULL, NULL, false, true)",
    "lb_model_scores_of": "FROM lb_task_scores($bench, NULL, NULL, NULL, false, true)",
    "lb_per_task_of": "FROM lb_task_scores($bench, NULL, NULL, NULL, false, true)",
    "lb_summary_of": "FROM lb_model_scores($bench, NULL, NULL, NULL, false, true, false)",
    "lb_per_language_of": "FROM lb_language_scores($bench, NULL, NULL, NULL, NULL, true)",
    "task_spread_of": "SELECT l.*, c.file_id FROM lb_long($bench, NULL, NULL, NULL, false, true) "
                      "AS l JOIN chosen_results AS c USING (model_name, task_name)",
    "task_flags_of": "FROM lb_long($bench, NULL, NULL, NULL, false, true)",
    "lb_language_scores_of": "FROM benchmark_language_keyed WHERE benchmark = $bench",
    "lb_task_uncovered_of": "FROM lb_task_means_stored($bench, NULL, NULL, false, true)",
    "lb_task_scores_recounted_of": "SELECT *, false AS uncovered, NULL AS recounted_pairs "
                                   "FROM lb_task_means_stored($bench, NULL, NULL, false, true)",
    "lb_language_sums_of": "SELECT model_name, language, sort_key, score "
                           "FROM benchmark_language_keyed WHERE benchmark = $bench",
    "lb_language_table_of": "FROM lb_language_means_stored($bench, NULL, true)",
    "lb_repeated_tasks_of": "FROM benchmark_pair_repeats WHERE benchmark = $bench",
    "lb_task_recount_stored": "SELECT DISTINCT task_name FROM benchmark_task_uncovered "
                              "WHERE benchmark = $bench",
}


# Table macros over tables that are not in a build: they run where those tables are loaded.
# the backfill's past results: their events, their ranges (etl/past_rows.py, mteb_lb/asof.py)
_OUTSIDE_BUILDS = {"lb_past_rows", "lb_past_ranges", "lb_past_at"}


class ValidationError(RuntimeError):
    """The build is not fit to publish; the message lists why."""


def duckdb_type(t: pa.DataType) -> str:
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    if pa.types.is_struct(t):  # DuckDB quotes field names that are keywords ("value")
        return "STRUCT(" + ", ".join(
            f'{_quoted(f.name)} {duckdb_type(f.type)}' for f in t) + ")"
    return {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.int32(): "INTEGER",
            pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}[t]


@functools.lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    # deferred: heavy, and only a schema with a struct column needs it
    import duckdb

    con = duckdb.connect()
    try:
        return frozenset(r[0] for r in con.execute(
            "SELECT keyword_name FROM duckdb_keywords()").fetchall())
    finally:
        con.close()


def _quoted(name: str) -> str:
    """A struct field name as DuckDB's DESCRIBE writes it."""
    plain = name.isidentifier() and name == name.lower() and name not in _keywords()
    return name if plain else '"' + name.replace('"', '""') + '"'


def check(build: Path, bind_only: bool = False, bound_catalog: str | None = None) -> dict:
    """Validate a build; returns {"row_counts": ..., "views": n, "macros": n, "catalog": digest,
    ...} or raises. ``bind_only``: views and macros are bound and planned, not run (module
    docstring). ``bound_catalog`` (with ``bind_only``): the `catalog` digest of the build whose
    validation passed before (a build with the same queries/ SQL and catalog snapshot): when
    this build's is the same, its views and macros are not bound again (mode ``unchanged``)."""
    limit = 0 if bind_only else 1

    started = time.monotonic()
    con = db.open_build(build)
    problems: list[str] = []
    counts: dict[str, int] = {}
    try:
        cur = con.cursor()
        relations = {r[0] for r in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        stored = {r[0] for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        for name in NON_EMPTY:
            if name not in relations:
                problems.append(f"table {name} is missing")
                continue
            if name in stored:   # counted from the table's metadata
                counts[name] = cur.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
                empty = counts[name] == 0
            else:   # a view over the Parquet segments (metrics): one row is enough (module doc)
                empty = not cur.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchall()
            if empty:
                problems.append(f"table {name} has no rows")
        for name, table_schema in schema.TABLES.items():
            if name not in relations:
                problems.append(f"table {name} is missing")
                continue
            have = [(r[0], r[1]) for r in cur.execute(f'DESCRIBE "{name}"').fetchall()]
            want = [(f.name, duckdb_type(f.type)) for f in table_schema]
            if have != want:
                problems.append(f"table {name} has columns {have}, mteb_lb/schema.py says {want}")
        n_views, n_macros = 0, 0
        all_views = queries.all_views()
        macros = cur.execute(
            "SELECT function_name, parameters, function_type FROM duckdb_functions() "
            "WHERE function_type IN ('table_macro', 'macro') AND NOT internal "
            "ORDER BY 1").fetchall()
        wanted = {v.name for v in all_views if v.is_macro}
        for name in sorted(wanted - {m[0] for m in macros}):
            problems.append(f"macro {name} is missing")
        digest = catalog_digest(cur)
        if bind_only and bound_catalog == digest and not problems:
            # what binding checks is what the earlier validation bound: nothing to do
            cur.close()
            return _result(counts, sum(not v.is_macro for v in all_views),
                           len(wanted & {m[0] for m in macros if m[2] == "table_macro"}
                               - _OUTSIDE_BUILDS), "unchanged", digest, started)
        for view in all_views:
            if view.is_macro:
                continue
            try:
                cur.execute(f'SELECT * FROM "{view.name}" LIMIT {limit}').fetchall()
                n_views += 1
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                problems.append(f"view {view.name} fails: {exc}")
        samples = _samples(cur)
        for name, params, kind in macros:
            if name not in wanted or kind != "table_macro" or name in _OUTSIDE_BUILDS:
                continue   # scalar macros run inside the table macros called here
            args = [samples.get(p, _SAMPLE_FLAGS.get(p)) for p in params]
            placeholders = ", ".join("?" for _ in args)
            try:   # (a frame whose source fails is this macro's finding too)
                if name in _FRAME_SOURCES:
                    args[params.index("frame")] = _frame_sample(cur, name, samples["bench"],
                                                                limit)
                cur.execute(f'SELECT * FROM "{name}"({placeholders}) LIMIT {limit}',
                            args).fetchall()
                n_macros += 1
            except Exception as exc:  # noqa: BLE001
                problems.append(f"macro {name} fails: {exc}")
        cur.close()
    finally:
        db.release(build, con)
    if problems:
        raise ValidationError("validation failed: " + "; ".join(problems))
    return _result(counts, n_views, n_macros, "bound" if bind_only else "run", digest, started)


def _result(counts: dict, views: int, macros: int, mode: str, digest: str,
            started: float) -> dict:
    return {"row_counts": counts, "views": views, "macros": macros, "mode": mode,
            "catalog": digest, "seconds": round(time.monotonic() - started, 3)}


def catalog_digest(cur) -> str:
    """What binding a view or macro of this database depends on: the columns (name, position,
    type) of every table and view of the main schema, and every macro's parameters and
    definition. The Parquet views' text names the build's own folder and is left out; their
    columns, read from the segments when the build created them, are in."""
    digest = hashlib.blake2b(digest_size=16)
    for query in ("SELECT table_name, column_index, column_name, data_type FROM duckdb_columns() "
                  "WHERE database_name = current_database() AND schema_name = 'main' "
                  "ORDER BY ALL",
                  "SELECT function_name, function_type, parameters, macro_definition "
                  "FROM duckdb_functions() WHERE database_name = current_database() "
                  "AND schema_name = 'main' AND function_type IN ('table_macro', 'macro') "
                  "AND NOT internal ORDER BY ALL"):
        for row in cur.execute(query).fetchall():
            digest.update(repr(row).encode() + b"\0")
    return digest.hexdigest()


def _frame_sample(cur, macro: str, bench, limit: int) -> str:
    """A temp table with the rows `macro`'s frame gets in the app (_FRAME_SOURCES); its name.
    `limit` 0 (bound only): no row, the columns and types only, which is all binding `macro`
    needs (the source macros are checked themselves; running them cost ~0.15 s of CPU)."""
    table = f"{macro}_sample"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {_FRAME_SOURCES[macro]}"
                + (" LIMIT 0" if limit == 0 else ""), {"bench": bench})
    return table


def _samples(cur) -> dict:
    rows = cur.execute("SELECT benchmark, model_name FROM benchmark_results "
                       "ORDER BY benchmark, model_name LIMIT 1").fetchall()
    bench, model = rows[0] if rows else (None, None)
    # lb_borda reads the long frame its caller names (query_table): a one-row sample relation
    cur.execute("CREATE OR REPLACE TEMP VIEW lb_borda_sample AS SELECT 'm' AS model_name, "
                "'t' AS partition_key, 0.5::DOUBLE AS score, true AS in_table")
    return {"bench": bench, "model": model, "frame": "lb_borda_sample",
            "ts": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
