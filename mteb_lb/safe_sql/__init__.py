"""The one safe path for user SQL: gate, run, export, schema, examples.

The CLI (`mteb-lb sql`), the HTTP API (`POST /api/sql`) and the dashboard's SQL page all come
through here. A user query passes four layers; each one alone would stop most abuse, together
they are defence in depth (DuckDB's own advice: "treat SQL in DuckDB like code in Bash or Python"):

1. **Statement gate** (:func:`check`). DuckDB's own parser (``extract_statements``) splits the
   text. Exactly one statement is allowed, of type SELECT (which includes ``WITH … SELECT``,
   ``FROM x``, ``VALUES``, ``DESCRIBE``, ``SHOW`` and ``SUMMARIZE``) or EXPLAIN of such a SELECT.
   Anything else (INSERT, CREATE, COPY, ATTACH, SET, PRAGMA, CALL, INSTALL, …) is refused and the
   message names what was found. Parse errors come back with their line, column and DuckDB's caret
   excerpt.
2. **Function and table rules** (also :func:`check`). The statement is serialised to DuckDB's JSON
   AST (``json_serialize_sql``) and every node is walked; no regexes. In it:

   * *Settings and environment* may not be read: ``current_setting``, ``getvariable``, ``getenv``,
     ``duckdb_settings()``, the ``pg_catalog.pg_settings`` view (it exposes every setting without
     calling any function), ``duckdb_extensions()``, ``duckdb_secrets()``, ``duckdb_memory()``,
     ``duckdb_temporary_files()``, logs, profiling and optimizer listings, and every ``pragma_*``
     function.
   * *Dynamic SQL* is refused: ``query()``, ``query_table()`` and ``json_execute_serialized_sql()``
     run SQL handed over as a string, which this walk cannot see into.
   * *Table functions* are allow-listed (:data:`SAFE_TABLE_FUNCTIONS`: ``range``, ``unnest``,
     ``json_each``, the catalog listings ``duckdb_tables()``/``duckdb_columns()``/…). A table
     function DuckDB adds in a later release is therefore refused until someone reviews it.
     The allowed ones that take a table *name* as a string (``histogram``,
     ``histogram_values``: they run ``query_table`` on it, which also scans a path as a file;
     ``pragma_table_info``) must get a string literal that passes the checks of a table name
     in FROM (:data:`RELATION_ARGUMENT_FUNCTIONS`).
   * *Files* may only be read from the Parquet of the build being queried: the file readers
     (``read_*``, ``parquet_*``, ``glob``, ``sniff_csv``) and replacement scans
     (``FROM 'x.parquet'``) must name their paths as string literals that resolve, after ``..``
     is collapsed, under ``<build>/parquet/``. Anything computed, relative, or elsewhere is
     refused, including the rest of the build folder (DuckDB also allows ``<build>/lb.duckdb.tmp/``,
     where it spills other requests' intermediate data). ``read_duckdb`` is refused outright.
     The build's own path is *not* treated as a secret: views over Parquet carry it.
   * ``sleep_ms``/``pg_sleep`` and heavy queries are allowed: layer 4 bounds them.
   * A SELECT the serializer cannot express is refused (fail closed), and so is a statement that
     expands to several (a PIVOT without an ``IN`` list), one nested too deeply to analyse (the
     walk is iterative; Python's JSON parser still has a depth limit) and one holding a lone
     surrogate. DuckDB's messages are shown without their advice to ``SET`` a setting.
3. **Hardened connection** (:mod:`mteb_lb.db`): read-only, file access limited to the build folder,
   external access and extension loading off, memory and threads capped, configuration locked. It
   stops what layers 1-2 might miss (a ``COPY`` or ``read_csv('/etc/passwd')`` that slipped
   through fails with a permission error).
4. **Per-request limits** (:func:`run`, :func:`export`): a fresh cursor per request, so temporary
   tables, macros and variables die with the request; a ``threading.Timer`` calls
   ``cursor.interrupt()`` at the time limit; ``.limit(max_rows + 1)`` caps the rows and detects
   truncation. The limits cover the whole request, not only DuckDB's execution: results are
   fetched as Arrow record batches, each batch's size is measured *before* it is converted to
   Python, and fetching stops at the byte cap (``sql_max_bytes``, a single huge cell counts) with
   the ``truncated`` flag; the conversion to Python values happens batch by batch under the same
   deadline. (DuckDB's Python client also resolves unknown table names to DataFrames or Arrow
   tables found in the *calling frame*; :func:`run` and :func:`export` call ``cursor.sql`` from
   frames holding no such objects, and a test keeps it that way.)

Every failure is a :class:`SqlError` with ``kind`` in :data:`KINDS`. A missing build is not a
query error: :class:`mteb_lb.warehouse.WarehouseError` propagates (the CLI exits 2 on it), and
so does :class:`~mteb_lb.warehouse.DamagedBuildError` when reading the build fails because it is
damaged (the CLI exits 5, the API answers 503).
"""

from __future__ import annotations

from mteb_lb.safe_sql import browser, gate, runner, tokens
from mteb_lb.safe_sql.browser import examples, schema
from mteb_lb.safe_sql.errors import KINDS, Position, SqlError, without_setting_advice
from mteb_lb.safe_sql.gate import (
    DENIED_FUNCTIONS,
    DENIED_RELATIONS,
    DYNAMIC_SQL_FUNCTIONS,
    FILE_FUNCTIONS,
    MAX_SQL_CHARS,
    RELATION_ARGUMENT_FUNCTIONS,
    SAFE_TABLE_FUNCTIONS,
    check,
)
from mteb_lb.safe_sql.runner import EXPORT_FORMATS, Column, Result, export, result_bytes, run

__all__ = [
    "browser", "gate", "runner", "tokens", "examples", "schema", "KINDS", "Position", "SqlError",
    "without_setting_advice", "DENIED_FUNCTIONS", "DENIED_RELATIONS", "DYNAMIC_SQL_FUNCTIONS",
    "FILE_FUNCTIONS", "MAX_SQL_CHARS", "RELATION_ARGUMENT_FUNCTIONS", "SAFE_TABLE_FUNCTIONS",
    "check", "EXPORT_FORMATS", "Column", "Result", "export", "result_bytes", "run",
]


def __getattr__(name: str):
    # EXAMPLES is read lazily: nothing here does I/O at import time.
    if name == "EXAMPLES":
        return examples()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
