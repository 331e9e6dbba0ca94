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

import json
import os
import posixpath
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import duckdb
import pyarrow as pa

from mteb_lb import db, output, settings, warehouse
from mteb_lb import schema as schema_registry
from queries import parse_header

KINDS = ("rejected", "syntax", "timeout", "permission", "runtime")
MAX_SQL_CHARS = 100_000
EXPORT_FORMATS = ("csv", "parquet", "json")

QUERIES_DIR = settings.PROJECT_ROOT / "queries"
EXAMPLES_DIR = QUERIES_DIR / "examples"

# --------------------------------------------------------------------------------------------
# Rules of layer 2. Names are lower case and compared without schema or catalog qualifiers.

#: Functions that reveal settings, the environment or the process, with the reason shown.
DENIED_FUNCTIONS: dict[str, str] = {
    "current_setting": "it reveals server settings",
    "getvariable": "it reads session variables",
    "getenv": "it reveals the server environment",
    "write_log": "it writes to the server log",
    "duckdb_settings": "it reveals server settings",
    "duckdb_profiling_settings": "it reveals server settings",
    "duckdb_extensions": "it reveals the server's extensions and their paths",
    "duckdb_extension_repositories": "it reveals the server's extension setup",
    "extension_versions": "it reveals the server's extensions",
    "duckdb_secrets": "it concerns secrets",
    "duckdb_secret_types": "it concerns secrets",
    "duckdb_secret_type_parameters": "it concerns secrets",
    "which_secret": "it concerns secrets",
    "duckdb_memory": "it reveals server memory use",
    "duckdb_temporary_files": "it reveals server files",
    "duckdb_external_file_cache": "it reveals server files",
    "duckdb_logs": "it reveals server logs",
    "duckdb_logs_parsed": "it reveals server logs",
    "duckdb_log_contexts": "it reveals server logs",
    "truncate_duckdb_logs": "it changes server logs",
    "duckdb_live_query_metrics": "it reveals other requests",
    "duckdb_prepared_statements": "it reveals other requests",
    "duckdb_connection_count": "it reveals other requests",
    "read_duckdb": "it opens database files",
}

#: Table functions that run SQL handed over as text, invisible to this checker.
DYNAMIC_SQL_FUNCTIONS = frozenset({"query", "query_table", "json_execute_serialized_sql"})

#: Table functions (and system views) that may be used; every other table function is refused.
SAFE_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "json_each", "json_tree", "repeat", "repeat_row",
    "duckdb_tables", "duckdb_views", "duckdb_columns", "duckdb_schemas", "duckdb_types",
    "duckdb_functions", "duckdb_keywords", "duckdb_constraints", "duckdb_indexes",
    "duckdb_dependencies", "duckdb_sequences", "duckdb_databases",
    "pragma_table_info", "table_info", "pg_timezone_names", "icu_calendar_names",
    "histogram", "histogram_values",
})

#: Allowed table functions and macros whose first argument is evaluated as the NAME of a table
#: or view (``histogram`` and ``histogram_values`` run ``query_table`` on it, which also scans a
#: path as a file): it must be a string literal that passes the same checks as a table name in
#: FROM. Every other allowed table function (and the project's macros in ``queries/``) takes
#: values, never a relation, a query or a path (``tests/test_safe_sql.py`` tries each one).
RELATION_ARGUMENT_FUNCTIONS = frozenset({"histogram", "histogram_values", "pragma_table_info"})

#: Table functions that read files: allowed only on literal paths inside the build.
FILE_FUNCTIONS = frozenset({
    "read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_json", "read_json_auto",
    "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto",
    "read_ndjson_objects", "read_ndjson_objects_auto", "read_text", "read_blob", "glob",
    "sniff_csv", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "parquet_full_metadata", "parquet_bloom_probe", "parquet_page_index",
})

#: Table and view names that may not be referenced, with the reason shown.
DENIED_RELATIONS: dict[str, str] = {
    "pg_settings": "it reveals server settings",
    "duckdb_logs": "it reveals server logs",
}

_PATH_CHARS = re.compile(r"[/\\:.*?~]")

# --------------------------------------------------------------------------------------------
# Errors and results


@dataclass(frozen=True)
class Position:
    """Where in the submitted SQL a problem is: 0-based character offset, 1-based line/column."""

    offset: int | None
    line: int | None
    column: int | None
    excerpt: str | None = None

    def to_dict(self) -> dict:
        return {"offset": self.offset, "line": self.line, "column": self.column,
                "excerpt": self.excerpt}


class SqlError(Exception):
    """A query that was refused or failed; ``kind`` is one of :data:`KINDS`."""

    def __init__(self, message: str, kind: str, position: Position | None = None):
        assert kind in KINDS, kind
        message = without_setting_advice(message)
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.position = position

    def to_dict(self) -> dict:
        return {"error": self.message, "kind": self.kind,
                "position": self.position.to_dict() if self.position else None}

    def describe(self) -> str:
        """The message plus, when known, where and the caret excerpt (for terminals)."""
        text = f"{self.kind} error: {self.message}"
        if self.position and self.position.line is not None:
            where = f"line {self.position.line}"
            if self.position.column is not None:
                where += f", column {self.position.column}"
            text += f" ({where})"
        if self.position and self.position.excerpt:
            text += "\n\n" + self.position.excerpt
        return text


_SETTING_ADVICE = re.compile(r"\b(SET|PRAGMA|RESET)\s+\w+\s*(=|\bTO\b)", re.I)
_ADVICE_IN_PARENS = re.compile(r"\s*\([^()]*\b(SET|PRAGMA|RESET)\s+\w+\s*(=|\bTO\b)[^()]*\)",
                               re.I)


def without_setting_advice(message: str) -> str:
    """A DuckDB message without its advice to change a setting ("SET memory_limit=…", "PRAGMA
    max_temp_directory_size=…", "Use SET max_expression_depth TO x"): users here cannot run SET.
    Out-of-memory messages keep their first line (what failed, and how much was in use)."""
    if not _SETTING_ADVICE.search(message):
        return message
    if message.startswith(("Out of Memory", "failed to allocate", "failed to offload")):
        message = message.split("\n", 1)[0].strip()
    message = _ADVICE_IN_PARENS.sub("", message)
    kept = []
    for line in message.split("\n"):
        if _SETTING_ADVICE.search(line):
            line = " ".join(x for x in re.split(r"(?<=[.!?])\s+", line)
                            if not _SETTING_ADVICE.search(x))
            if not line.strip():
                continue
        kept.append(line)
    text = "\n".join(kept).strip()
    text = re.sub(r"\n*Possible solutions:\s*$", "", text).strip()
    return text or "the query failed"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB's spelling, e.g. "VARCHAR[]", "DECIMAL(18,3)"


@dataclass
class Result:
    """A capped query result: DuckDB column types, rows, truncation and timing."""

    columns: list[Column]
    table: pa.Table
    truncated: bool
    elapsed_ms: float
    build: str | None = None  # id of the build the query ran on
    _rows: list[tuple] | None = field(default=None, repr=False)
    #: why the result is truncated: "rows" (the row cap) or "bytes" (the sql_max_bytes cap)
    truncated_by: str | None = None

    @property
    def rows(self) -> list[tuple]:
        if self._rows is None:
            self._rows = output.rows(self.table)
        return self._rows

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_dict(self) -> dict:
        """A JSON-safe dict: NaN/inf -> None, dates -> ISO strings, lists stay lists."""
        return {
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "rows": [[output.jsonable(v) for v in row] for row in self.rows],
            "truncated": self.truncated,
            **({"truncated_by": self.truncated_by} if self.truncated_by else {}),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

    def to_csv(self) -> str:
        return output.to_text(self.table, "csv")


# --------------------------------------------------------------------------------------------
# Layer 1-2: the gate

_parser_local = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """A per-thread in-memory connection used only to parse (user SQL is never executed on it)."""
    con = getattr(_parser_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:", config={
            "enable_external_access": False, "autoload_known_extensions": False,
            "autoinstall_known_extensions": False, "threads": 1, "lock_configuration": True,
        })
        _parser_local.con = con
    return con


def check(sql: str, *, build_dir: str | Path | None = None) -> str:
    """The single statement to run, or :class:`SqlError` saying why ``sql`` may not run.

    ``build_dir`` is the build folder files may be read from; without it no file may be read.
    """
    if not isinstance(sql, str):
        raise SqlError("the query must be a string of SQL", "rejected")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlError(f"the query is too long ({len(sql)} characters; the limit is "
                       f"{MAX_SQL_CHARS})", "rejected")
    if not sql.strip():
        raise SqlError("the query is empty", "rejected")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = sql[exc.start]
        raise SqlError(f"the query holds a character that is not valid text (U+{ord(bad):04X}, "
                       f"a lone surrogate) at character {exc.start + 1}; remove it",
                       "rejected") from None
    parser = _parser()
    try:
        statements = parser.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise SqlError(_strip_excerpt(_strip_prefix(str(exc))), "syntax",
                       _parse_error_position(sql, str(exc))) from None
    if not statements:
        raise SqlError("the query has no statement (only comments?)", "rejected")
    starts = _statement_starts(sql, statements)
    if len(statements) > 1:
        raise SqlError(f"only one SELECT statement per request; found {len(statements)} "
                       "statements", "rejected",
                       _position(sql, starts[1] + _first_token_offset(statements[1].query)))
    statement = statements[0]
    text = statement.query
    base = starts[0]  # where the statement starts in `sql`
    kind = _statement_kind(statement)
    inner_offset = 0
    if kind == "EXPLAIN":
        inner_offset = _explained_offset(text)
        inner = parser.extract_statements(text[inner_offset:])
        if len(inner) != 1 or _statement_kind(inner[0]) != "SELECT":
            word = _first_word(text[inner_offset:]) or "nothing"
            raise SqlError(f"EXPLAIN is only allowed for a SELECT; found EXPLAIN {word}",
                           "rejected", _position(sql, base + inner_offset + _first_token_offset(
                               text[inner_offset:])))
    elif kind == "MULTI":
        raise SqlError("this statement expands to several statements (a PIVOT without an IN "
                       "list?); list the pivot values: PIVOT t ON col IN ('a', 'b') USING …",
                       "rejected", _position(sql, base + _first_token_offset(text)))
    elif kind != "SELECT":
        word = _first_word(text)
        name = word if word and word not in ("WITH", "(") else kind
        raise SqlError(f"{name} statements are not allowed; only a single SELECT (or WITH … "
                       "SELECT, or EXPLAIN SELECT) can run here", "rejected",
                       _position(sql, base + _first_token_offset(text)))
    _check_tree(sql, text[inner_offset:], base + inner_offset, build_dir)
    return _without_terminator(text)


def _without_terminator(text: str) -> str:
    """The statement without a closing `;` and trailing comments: callers wrap it in LIMIT /
    OFFSET queries, where a terminator or a trailing line comment would break the wrapper."""
    try:
        tokens = [(_byte_to_char(text, offset), kind.name) for offset, kind in duckdb.tokenize(text)]
    except Exception:
        return text
    while tokens and tokens[-1][1] == "comment":
        text = text[:tokens.pop()[0]]
    if tokens and tokens[-1][1] == "operator" and text[tokens[-1][0]:].strip() == ";":
        text = text[:tokens[-1][0]]
    return text.rstrip()


def _statement_kind(statement) -> str:
    try:
        return statement.type.name
    except ValueError:  # a type the Python enum does not know (e.g. UPDATE EXTENSIONS -> 29)
        return "UNKNOWN"


def _check_tree(sql: str, select_text: str, char_offset: int, build_dir) -> None:
    raw = _parser().execute("SELECT json_serialize_sql(?)", [select_text]).fetchall()[0][0]
    try:
        tree = json.loads(raw)
    except RecursionError:
        raise SqlError(_TOO_DEEP, "rejected") from None
    if tree.get("error"):
        # Fail closed: a SELECT the serializer cannot express is not run.
        raise SqlError("this query uses syntax the safety check cannot analyse "
                       f"({without_setting_advice(str(tree.get('error_message')))}); rewrite it", "rejected")
    build = None
    if build_dir is not None:
        build = posixpath.normpath(str(build_dir))
    encoded = select_text.encode("utf-8")

    def fail(message: str, node: dict) -> None:
        loc = node.get("query_location")
        pos = None
        if isinstance(loc, int) and 0 <= loc <= len(encoded):
            pos = char_offset + len(encoded[:loc].decode("utf-8", errors="ignore"))
        raise SqlError(message, "rejected", _position(sql, pos) if pos is not None else None)

    def check_paths(name: str, node: dict, args: list) -> None:
        positional = [a.get("expression") for a in args if not _is_named_argument(a)]
        if not positional:
            fail(f"{name}() needs a file path", node)
        paths = _literal_strings(positional[0])
        if paths is None:
            fail(f"{name}() may only read files named by string literals (no computed paths)",
                 positional[0] if isinstance(positional[0], dict) else node)
        for path in paths:
            if not _inside(path, build):
                fail(f"{name}() may not read {path!r}: only the current build's Parquet "
                     "files can be read", positional[0])

    def check_function(fn: dict, as_table: bool, where: dict) -> None:
        name = str(fn.get("function_name", "")).lower()
        if name in DYNAMIC_SQL_FUNCTIONS:
            fail(f"{name}() is not allowed: it runs SQL given as text, which cannot be checked;"
                 " write that SQL directly", where)
        if name in DENIED_FUNCTIONS:
            fail(f"{name}() is not allowed: {DENIED_FUNCTIONS[name]}", where)
        is_file = name in FILE_FUNCTIONS or name.startswith(("read_", "parquet_"))
        if is_file:
            check_paths(name, where, fn.get("arguments") or [])
        elif name.startswith("pragma_") and name not in SAFE_TABLE_FUNCTIONS:
            fail(f"{name}() is not allowed: pragma functions are not available here", where)
        elif name.startswith("duckdb_") and name not in SAFE_TABLE_FUNCTIONS:
            fail(f"{name}() is not allowed here", where)
        elif as_table and name not in SAFE_TABLE_FUNCTIONS:
            fail(f"table function {name}() is not allowed here", where)

    def check_relation(node: dict) -> None:
        name = str(node.get("table_name") or "")
        if not name or name.startswith("__"):
            return
        if name.lower() in DENIED_RELATIONS:
            fail(f"{name} is not allowed: {DENIED_RELATIONS[name.lower()]}", node)
        if _PATH_CHARS.search(name):
            if not _inside(name, build):
                fail(f"reading {name!r} is not allowed: only the current build's Parquet "
                     "files can be read", node)

    def check_relation_argument(name: str, node: dict, args: list) -> None:
        positional = [a.get("expression") for a in args if not _is_named_argument(a)]
        names = _literal_strings(positional[0]) if positional else None
        if names is None:
            fail(f"{name}() takes the name of a table or view as a string literal (no computed "
                 "names)", positional[0] if positional and isinstance(positional[0], dict)
                 else node)
        for relation in names:
            check_relation({"table_name": relation,
                            "query_location": (positional[0] or {}).get("query_location")})

    # An explicit stack, not recursion: a query nested a few hundred levels deep must get an
    # answer, not a RecursionError. Children are pushed in reverse to visit nodes in the order
    # a recursive walk would (the first offending node is the one reported).
    stack: list[tuple[Any, bool]] = [(tree.get("statements"), False)]
    while stack:
        node, as_table = stack.pop()
        if isinstance(node, list):
            stack.extend((item, False) for item in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        node_type = node.get("type")
        if node_type == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
            fn = node["function"]
            check_function(fn, True, node)
            if str(fn.get("function_name", "")).lower() in RELATION_ARGUMENT_FUNCTIONS:
                check_relation_argument(str(fn.get("function_name")).lower(), node,
                                        fn.get("arguments") or [])
            stack.extend((value, key == "function")
                         for key, value in reversed(list(node.items())))
            continue
        if "function_name" in node and not as_table:
            check_function(node, False, node)
        if node_type in ("BASE_TABLE", "SHOW_REF"):
            check_relation(node)
        stack.extend((value, False) for value in reversed(list(node.values())))


_TOO_DEEP = ("the query is nested too deeply for the safety check to analyse; flatten it (fewer "
             "nested parentheses, functions or subqueries)")


def _is_named_argument(arg: dict) -> bool:
    """Named table-function arguments serialise as ``name = value`` comparisons."""
    if arg.get("name"):
        return True
    expr = arg.get("expression") or {}
    return (expr.get("type") == "COMPARE_EQUAL"
            and (expr.get("left") or {}).get("class") == "COLUMN_REF")


def _literal_strings(expr: Any) -> list[str] | None:
    """The strings of a string literal or a list of them, else None."""
    if not isinstance(expr, dict):
        return None
    if expr.get("class") == "CONSTANT":
        literal = expr.get("literal") or {}
        if literal.get("kind") in ("STRING", "VARCHAR") and isinstance(literal.get("text"), str):
            return [literal["text"]]
        return None
    if expr.get("class") == "FUNCTION" and expr.get("function_name") in ("list_value",
                                                                          "array_value"):
        out: list[str] = []
        for arg in expr.get("arguments") or []:
            got = _literal_strings(arg.get("expression"))
            if got is None:
                return None
            out.extend(got)
        return out
    return None


def _inside(path: str, build: str | None) -> bool:
    """Whether ``path`` (a file or glob) lies under ``<build>/parquet/``."""
    if build is None or not path.startswith("/"):
        return False
    root = posixpath.join(build, "parquet")
    norm = posixpath.normpath(path)
    return norm == root or norm.startswith(root + "/")


# --------------------------------------------------------------------------------------------
# Positions


def _position(sql: str, offset: int | None) -> Position | None:
    if offset is None:
        return None
    offset = max(0, min(offset, len(sql)))
    line = sql.count("\n", 0, offset) + 1
    line_start = sql.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    line_end = sql.find("\n", offset)
    line_text = sql[line_start: line_end if line_end != -1 else len(sql)]
    prefix = f"LINE {line}: "
    excerpt = f"{prefix}{line_text}\n{' ' * (len(prefix) + column - 1)}^"
    return Position(offset, line, column, excerpt)


def _byte_to_char(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _parse_error_position(sql: str, message: str) -> Position | None:
    """Position of a parser error: DuckDB's byte offset (via json_serialize_sql) + its excerpt."""
    excerpt = _excerpt(message)
    offset = None
    try:
        raw = _parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
        info = json.loads(raw)
        if info.get("error") and info.get("position") not in (None, ""):
            offset = _byte_to_char(sql, int(info["position"]))
    except (duckdb.Error, ValueError):
        offset = None
    if offset is None:
        return _excerpt_position(sql, message)
    pos = _position(sql, offset)
    return Position(pos.offset, pos.line, pos.column, excerpt or pos.excerpt)


_LINE_RE = re.compile(r"^LINE (\d+): ", re.M)


def _excerpt(message: str) -> str | None:
    match = _LINE_RE.search(message)
    return message[match.start():].rstrip() if match else None


def _excerpt_position(sql: str, message: str) -> Position | None:
    """Line and column from DuckDB's ``LINE n: …`` caret excerpt (binder and catalog errors)."""
    excerpt = _excerpt(message)
    if excerpt is None:
        return None
    lines = excerpt.split("\n")
    match = _LINE_RE.match(lines[0])
    line_no = int(match.group(1))
    prefix_len = match.end()
    column = None
    if len(lines) > 1 and "^" in lines[1]:
        caret = lines[1].index("^") - prefix_len
        shown = lines[0][prefix_len:]
        sql_lines = sql.split("\n")
        if 1 <= line_no <= len(sql_lines):
            src = sql_lines[line_no - 1]
            if shown.startswith("..."):
                window = shown[3:].removesuffix("...")
                start = src.find(window)
                if start != -1:
                    column = start + caret - 3 + 1
            else:
                column = caret + 1
    offset = None
    if column is not None:
        sql_lines = sql.split("\n")
        offset = sum(len(s) + 1 for s in sql_lines[: line_no - 1]) + column - 1
    return Position(offset, line_no, column, excerpt)


def _statement_starts(sql: str, statements) -> list[int]:
    starts, pos = [], 0
    for st in statements:
        found = sql.find(st.query, pos)
        start = found if found != -1 else pos
        starts.append(start)
        pos = start + len(st.query)
    return starts


def _tokens(text: str) -> list[tuple[int, str]]:
    """(character offset, token type) of DuckDB's tokenizer, comments left out."""
    out = []
    for byte_offset, kind in duckdb.tokenize(text):
        if kind.name == "comment":
            continue
        out.append((_byte_to_char(text, byte_offset), kind.name))
    return out


def _first_token_offset(text: str) -> int:
    try:
        tokens = _tokens(text)
    except Exception:
        return 0
    return tokens[0][0] if tokens else 0


def _first_word(text: str) -> str | None:
    try:
        tokens = _tokens(text)
    except Exception:
        return None
    if not tokens:
        return None
    start = tokens[0][0]
    end = tokens[1][0] if len(tokens) > 1 else len(text)
    word = text[start:end].strip().split()[0] if text[start:end].strip() else ""
    if word.upper() == "FORCE" and len(tokens) > 1:  # FORCE INSTALL, FORCE CHECKPOINT
        return f"FORCE {_first_word(text[tokens[1][0]:])}"
    return word.upper() or None


def _explained_offset(text: str) -> int:
    """Character offset of the statement an ``EXPLAIN [ANALYZE] [(options)]`` wraps."""
    tokens = _tokens(text)
    i = 1  # tokens[0] is EXPLAIN
    words = lambda j: text[tokens[j][0]:].split(None, 1)[0].lower().rstrip("(")  # noqa: E731
    if i < len(tokens) and words(i) in ("analyze", "analyse"):
        i += 1
    if i < len(tokens) and text[tokens[i][0]] == "(":
        depth = 0
        while i < len(tokens):
            ch = text[tokens[i][0]]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            i += 1
    return tokens[i][0] if i < len(tokens) else len(text)


def _strip_prefix(message: str) -> str:
    return message.split(": ", 1)[1] if re.match(r"^[A-Za-z ]+ Error: ", message) else message


def _strip_excerpt(message: str) -> str:
    match = _LINE_RE.search(message)
    return (message[: match.start()] if match else message).strip()


# --------------------------------------------------------------------------------------------
# Layer 4: running


class _Deadline:
    """Interrupt ``cursor`` after ``limit_ms``; ``fired`` tells a timeout from other interrupts."""

    def __init__(self, cursor, limit_ms: int):
        self.cursor = cursor
        self.limit_ms = limit_ms
        self.fired = False
        self.ends_at = time.monotonic() + limit_ms / 1000.0
        self._timer = threading.Timer(limit_ms / 1000.0, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        try:
            self.cursor.interrupt()
        except Exception:  # the cursor may be closed already
            pass

    def check(self) -> None:
        """Raise the timeout error once the limit has passed (work done in Python between two
        DuckDB calls cannot be interrupted by the timer)."""
        if self.fired or time.monotonic() >= self.ends_at:
            self.fired = True
            raise SqlError(f"query exceeded the {_seconds(self.limit_ms)} limit", "timeout")

    def __enter__(self):
        self.ends_at = time.monotonic() + self.limit_ms / 1000.0
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _plan_error_position(cursor, sql: str) -> Position | None:
    """Where a binder or catalog error is. The relation API (``cursor.sql``) drops DuckDB's
    ``LINE n:`` excerpt for these, but ``json_serialize_plan`` binds without executing and
    reports the byte offset."""
    try:
        raw = cursor.execute("SELECT json_serialize_plan(?)", [sql]).fetchall()[0][0]
        info = json.loads(raw)
    except Exception:  # noqa: BLE001 - a position is a nicety
        return None
    if not info.get("error") or info.get("position") in (None, ""):
        return None
    return _position(sql, _byte_to_char(sql, int(info["position"])))


_IO_ERRORS = ("IO Error", "Invalid Input Error", "Serialization Error", "INTERNAL Error",
              "Invalid Error", "FATAL Error")


def _classify(exc: BaseException, sql: str, deadline: _Deadline | None,
              cursor=None, build_dir: str | None = None) -> Exception:
    """The SqlError a failure means for the user, or a DamagedBuildError when reading the
    build failed because the build itself is damaged (not the query's fault)."""
    text = str(exc)
    if isinstance(exc, (SqlError, warehouse.WarehouseError)):
        return exc
    if build_dir is not None and text.startswith(_IO_ERRORS):
        reason = warehouse.check_build(Path(build_dir))
        if reason is not None:
            return warehouse.DamagedBuildError(Path(build_dir), reason)
    if isinstance(exc, duckdb.InterruptException) or text.startswith("INTERRUPT Error"):
        if deadline is not None and deadline.fired:
            return SqlError(f"query exceeded the {_seconds(deadline.limit_ms)} limit", "timeout")
        return SqlError("query was interrupted", "timeout")
    message = without_setting_advice(_strip_excerpt(_strip_prefix(text)))
    if isinstance(exc, duckdb.ParserException) or text.startswith("Parser Error"):
        return SqlError(message, "syntax", _parse_error_position(sql, text))
    position = _excerpt_position(sql, text)
    if position is None and cursor is not None and re.match(r"^(Binder|Catalog) Error", text):
        position = _plan_error_position(cursor, sql)
    if (isinstance(exc, duckdb.PermissionException) or text.startswith("Permission Error")
            or "read-only mode" in text or "configuration has been locked" in text):
        return SqlError(message, "permission", position)
    if isinstance(exc, duckdb.OutOfMemoryException) or text.startswith("Out of Memory"):
        return SqlError(f"{message} (the query needs more memory than this server allows; "
                        "aggregate or filter earlier)", "runtime", position)
    return SqlError(message, "runtime", position)


def _limits(max_rows, time_limit_ms) -> tuple[int | None, int]:
    limit = settings.get("sql_time_limit_ms") if time_limit_ms is None else int(time_limit_ms)
    if limit <= 0:
        raise ValueError("time_limit_ms must be positive")
    if max_rows is not None and int(max_rows) < 0:
        raise ValueError("max_rows must be >= 0")
    return (None if max_rows is None else int(max_rows)), limit


def _build_dir(cursor) -> str | None:
    rows = cursor.sql("SELECT path FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchall()
    if not rows or not rows[0][0]:
        return None
    return str(Path(rows[0][0]).resolve().parent)


class _Cursor:
    """A cursor for one request: the caller's, or a fresh one on the current build (closed
    after)."""

    def __init__(self, cursor):
        self.own = cursor is None
        self.cursor = cursor

    def __enter__(self):
        if self.own:
            self.cursor = db.current().cursor()
        return self.cursor

    def __exit__(self, *exc) -> None:
        if self.own and self.cursor is not None:
            try:
                self.cursor.close()
            except Exception:
                pass


def run(sql: str, *, max_rows: int | None = None, time_limit_ms: int | None = None,
        cursor=None, max_bytes: int | None = None) -> Result:
    """Check and run ``sql``: at most ``max_rows`` rows and ``max_bytes`` bytes of result data
    (``truncated`` says if there were more, ``truncated_by`` which cap), interrupted after
    ``time_limit_ms`` (fetching and converting the rows included). Defaults come from settings."""
    max_rows, limit_ms = _limits(max_rows, time_limit_ms)
    if max_rows is None:
        max_rows = settings.get("sql_max_rows")
    if max_bytes is None:
        max_bytes = int(settings.get("sql_max_bytes"))
    started = time.perf_counter()
    with _Cursor(cursor) as cur:
        build_dir = _build_dir(cur)
        statement = check(sql, build_dir=build_dir)
        deadline = _Deadline(cur, limit_ms)
        try:
            with deadline:
                rel = cur.sql(statement)
                if rel is None:
                    raise SqlError("the statement returned no result", "rejected")
                columns = [Column(n, str(t)) for n, t in zip(rel.columns, rel.types)]
                table, rows, truncated_by = _fetch(rel.limit(max_rows + 1), max_rows, max_bytes,
                                                   deadline)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a SqlError
            raise _classify(exc, sql, deadline, cur, build_dir) from None
    return Result(columns, table, truncated_by is not None,
                  (time.perf_counter() - started) * 1000,
                  Path(build_dir).name if build_dir else None, rows, truncated_by)


#: Rows per Arrow record batch fetched from DuckDB; the caps and the deadline are checked
#: between two batches.
FETCH_BATCH_ROWS = 1024


def _fetch(rel, max_rows: int, max_bytes: int, deadline: _Deadline
           ) -> tuple[pa.Table, list[tuple], str | None]:
    """Up to ``max_rows`` rows of ``rel`` (which may hold one more, to detect truncation) and
    at most ``max_bytes`` of Arrow data, converted to Python batch by batch under ``deadline``.
    Never materialises more than one batch beyond the caps."""
    reader = rel.to_arrow_reader(FETCH_BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    rows: list[tuple] = []
    n_bytes, truncated_by = 0, None
    try:
        while True:
            deadline.check()
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            deadline.check()
            if len(rows) + batch.num_rows > max_rows:
                batch = batch.slice(0, max_rows - len(rows))
                truncated_by = "rows"
            size = result_bytes(batch)
            if n_bytes + size > max_bytes:
                batch = batch.slice(0, _rows_within(batch, max_bytes - n_bytes))
                size, truncated_by = result_bytes(batch), "bytes"
            n_bytes += size
            batches.append(batch)
            rows.extend(output.rows(batch))
            if truncated_by is not None:
                break
    finally:
        reader.close()
    deadline.check()
    return pa.Table.from_batches(batches, schema=reader.schema), rows, truncated_by


#: What one value inside a list, struct or map adds to a result's size beyond its Arrow bytes:
#: converted to Python it becomes an object of its own (a dict per struct), ~10x its Arrow size.
NESTED_VALUE_BYTES = 64


def result_bytes(batch: pa.RecordBatch) -> int:
    """The size a batch counts against ``sql_max_bytes``: its Arrow bytes (``nbytes`` of a
    slice counts only the buffer ranges it references) plus NESTED_VALUE_BYTES per value
    nested inside a list, struct or map."""
    return batch.nbytes + NESTED_VALUE_BYTES * sum(_nested_values(c) for c in batch.columns)


def _nested_values(arr) -> int:
    t = arr.type
    if pa.types.is_map(t):  # no flatten() for maps: the entries between the slice's offsets
        if len(arr) == 0:
            return 0
        start, end = arr.offsets[0].as_py(), arr.offsets[-1].as_py()
        child = arr.values.slice(start, end - start)
        return len(child) + _nested_values(child)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) \
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        child = arr.flatten()
        return len(child) + _nested_values(child)
    if pa.types.is_struct(t):
        return sum(len(c) + _nested_values(c) for c in arr.flatten())
    return 0


def _rows_within(batch: pa.RecordBatch, budget: int) -> int:
    """The most leading rows of ``batch`` whose :func:`result_bytes` fit in ``budget``."""
    lo, hi = 0, batch.num_rows  # invariant: lo rows fit; hi + 1 rows do not (or hi = all)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if result_bytes(batch.slice(0, mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def export(sql: str, fmt: str, out: str | Path | BinaryIO, *, max_rows: int | None = None,
           time_limit_ms: int | None = None, cursor=None, batch_size: int = 65536) -> int:
    """Stream the whole result of ``sql`` (no row cap unless ``max_rows``) to ``out`` as
    csv, parquet or json (an array of objects). Still gated and time-limited. Returns rows written.

    ``out`` is a path or a binary file object; nothing is written to a path when the query fails.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    max_rows, limit_ms = _limits(max_rows, time_limit_ms)
    with _Cursor(cursor) as cur:
        build_dir = _build_dir(cur)
        statement = check(sql, build_dir=build_dir)
        deadline = _Deadline(cur, limit_ms)
        try:
            with deadline:
                rel = cur.sql(statement)
                if rel is None:
                    raise SqlError("the statement returned no result", "rejected")
                if max_rows is not None:
                    rel = rel.limit(max_rows)
                if fmt == "csv":
                    rel = _csv_friendly(rel)
                names = _unique_names(rel.columns)
                reader = _Bounded(rel.to_arrow_reader(batch_size), deadline,
                                  int(settings.get("sql_max_bytes")))
                if isinstance(out, (str, Path)):
                    return _export_to_path(reader, names, fmt, Path(out))
                return output.write(reader, fmt, out, names=names)
        except BrokenPipeError:  # the reader went away (`mteb-lb sql ... | head`)
            raise
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc, sql, deadline, cur, build_dir) from None


_JSON_TEXT_TYPES = frozenset({"list", "struct", "map", "array", "union"})
_PLAIN_TEXT_TYPES = frozenset({"interval", "blob", "bit", "bignum"})


def _csv_friendly(rel):
    """Columns CSV cannot hold turned into text by DuckDB (lists and structs as JSON): ~4x faster
    than converting them in Python. Duplicate column names keep the Python fallback."""
    names = rel.columns
    ids = [t.id for t in rel.types]
    if len(set(names)) != len(names) or not any(
            i in _JSON_TEXT_TYPES or i in _PLAIN_TEXT_TYPES for i in ids):
        return rel
    exprs = []
    for name, type_id in zip(names, ids):
        quoted = '"' + name.replace('"', '""') + '"'
        if type_id in _JSON_TEXT_TYPES:
            exprs.append(f"to_json({quoted}) AS {quoted}")
        elif type_id in _PLAIN_TEXT_TYPES:
            exprs.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
        else:
            exprs.append(quoted)
    return rel.project(", ".join(exprs))


class _Bounded:
    """An export's record batches under the request's limits: the deadline is checked between
    batches (converting to text or JSON is Python work the timer cannot interrupt), and each
    batch is cut into slices of at most ``max_bytes`` of Arrow data before it is converted, so
    memory stays bounded however wide the rows are; a single row larger than that is refused."""

    def __init__(self, reader: pa.RecordBatchReader, deadline: _Deadline, max_bytes: int):
        self.reader, self.deadline, self.max_bytes = reader, deadline, max_bytes
        self.schema = reader.schema

    def __iter__(self):
        for batch in self.reader:
            self.deadline.check()
            while batch.num_rows:
                n = batch.num_rows if result_bytes(batch) <= self.max_bytes else _rows_within(
                    batch, self.max_bytes)
                if n == 0:
                    raise SqlError(f"a row of the result holds more than "
                                   f"{_megabytes(self.max_bytes)} of data (the sql_max_bytes "
                                   "limit); select smaller values", "runtime")
                yield batch.slice(0, n)
                batch = batch.slice(n)
                self.deadline.check()


def _megabytes(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _export_to_path(reader, names, fmt: str, path: Path) -> int:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            n = output.write(reader, fmt, fh, names=names)
        os.replace(tmp, path)
        return n
    finally:
        if tmp.exists():
            tmp.unlink()


def _unique_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out


# --------------------------------------------------------------------------------------------
# Schema browser


def schema(cursor=None, *, queries_dir: str | Path | None = None) -> list[dict]:
    """Every table and view of the build: ``{"name", "kind", "description", "columns": [{"name",
    "type", "description"}]}``. Descriptions come from DuckDB's comments (written by the ETL from
    ``mteb_lb/schema.py``), falling back to ``mteb_lb/schema.py`` itself and, for views, to the header of
    ``queries/**/<view>.sql``."""
    with _Cursor(cursor) as cur:
        objects = cur.sql("""
            SELECT table_name, 'table' AS kind, comment FROM duckdb_tables()
            WHERE database_name = current_database() AND NOT internal AND NOT temporary
            UNION ALL
            SELECT view_name, 'view', comment FROM duckdb_views()
            WHERE database_name = current_database() AND NOT internal AND NOT temporary
            ORDER BY 1""").fetchall()
        cols = cur.sql("""
            SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
            WHERE database_name = current_database() AND NOT internal
            ORDER BY table_name, column_index""").fetchall()
    by_table: dict[str, list] = {}
    for table, name, type_, comment in cols:
        by_table.setdefault(table, []).append((name, type_, comment))
    table_docs = _etl_docs()
    view_docs = _view_docs(Path(queries_dir) if queries_dir else QUERIES_DIR)
    out = []
    for name, kind, comment in objects:
        fallback_desc, fallback_cols = table_docs.get(name) or view_docs.get(name) or ("", {})
        columns = [{"name": c, "type": t, "description": (cc or fallback_cols.get(c) or "")}
                   for c, t, cc in by_table.get(name, [])]
        out.append({"name": name, "kind": kind, "description": comment or fallback_desc or "",
                    "columns": columns})
    return out


_etl_docs_cache: dict | None = None


def _etl_docs() -> dict[str, tuple[str, dict[str, str]]]:
    global _etl_docs_cache
    if _etl_docs_cache is None:
        def doc(meta) -> str:
            return (meta or {}).get(b"doc", b"").decode("utf-8")

        _etl_docs_cache = {
            name: (doc(s.metadata), {f.name: doc(f.metadata) for f in s})
            for name, s in schema_registry.TABLES.items()
        }
    return _etl_docs_cache


_view_doc_cache: dict[Path, tuple[float, tuple[str, dict[str, str]]]] = {}


def _view_docs(folder: Path) -> dict[str, tuple[str, dict[str, str]]]:
    docs = {}
    if not folder.is_dir():
        return docs
    for path in folder.rglob("*.sql"):
        if EXAMPLES_DIR.name in path.relative_to(folder).parts[:-1]:
            continue
        mtime = path.stat().st_mtime
        cached = _view_doc_cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, parse_header(path.read_text(encoding="utf-8")))
            _view_doc_cache[path] = cached
        docs.setdefault(path.stem, cached[1])
    return docs


# --------------------------------------------------------------------------------------------
# Example queries


def examples(folder: str | Path | None = None) -> list[tuple[str, str]]:
    """(title, sql) of every ``queries/examples/*.sql``, in file-name order."""
    folder = Path(folder) if folder else EXAMPLES_DIR
    out = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"^--\s*title:\s*(.+)$", text, re.M)
        title = match.group(1).strip() if match else path.stem.replace("_", " ")
        out.append((title, text.strip() + "\n"))
    return out


def __getattr__(name: str):
    # EXAMPLES is read lazily: nothing here does I/O at import time.
    if name == "EXAMPLES":
        return examples()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
