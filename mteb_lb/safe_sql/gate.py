"""Layers 1 and 2 of the safe path (see the package's docstring): one statement, of the kinds
allowed, whose syntax tree (DuckDB's own, serialised to JSON) holds only allowed functions,
tables and files; and the positions that errors point at."""

from __future__ import annotations

import json
import posixpath
import re
import threading
from pathlib import Path
from typing import Any

import duckdb

from mteb_lb.safe_sql.errors import Position, SqlError, without_setting_advice
from mteb_lb.safe_sql.tokens import (
    byte_to_char,
    explained_offset,
    first_token_offset,
    first_word,
    strip_terminator,
)

MAX_SQL_CHARS = 100_000


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
                       _position(sql, starts[1] + first_token_offset(statements[1].query)))
    statement = statements[0]
    text = statement.query
    base = starts[0]  # where the statement starts in `sql`
    kind = _statement_kind(statement)
    inner_offset = 0
    if kind == "EXPLAIN":
        inner_offset = explained_offset(text)
        inner = parser.extract_statements(text[inner_offset:])
        if len(inner) != 1 or _statement_kind(inner[0]) != "SELECT":
            word = first_word(text[inner_offset:]) or "nothing"
            raise SqlError(f"EXPLAIN is only allowed for a SELECT; found EXPLAIN {word}",
                           "rejected", _position(sql, base + inner_offset + first_token_offset(
                               text[inner_offset:])))
    elif kind == "MULTI":
        raise SqlError("this statement expands to several statements (a PIVOT without an IN "
                       "list?); list the pivot values: PIVOT t ON col IN ('a', 'b') USING …",
                       "rejected", _position(sql, base + first_token_offset(text)))
    elif kind != "SELECT":
        word = first_word(text)
        name = word if word and word not in ("WITH", "(") else kind
        raise SqlError(f"{name} statements are not allowed; only a single SELECT (or WITH … "
                       "SELECT, or EXPLAIN SELECT) can run here", "rejected",
                       _position(sql, base + first_token_offset(text)))
    _check_tree(sql, text[inner_offset:], base + inner_offset, build_dir)
    return strip_terminator(text)


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
                       f"({without_setting_advice(str(tree.get('error_message')))}); rewrite it",
                       "rejected")
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


def _parse_error_position(sql: str, message: str) -> Position | None:
    """Position of a parser error: DuckDB's byte offset (via json_serialize_sql) + its excerpt."""
    excerpt = _excerpt(message)
    offset = None
    try:
        raw = _parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
        info = json.loads(raw)
        if info.get("error") and info.get("position") not in (None, ""):
            offset = byte_to_char(sql, int(info["position"]))
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


def _strip_prefix(message: str) -> str:
    return message.split(": ", 1)[1] if re.match(r"^[A-Za-z ]+ Error: ", message) else message


def _strip_excerpt(message: str) -> str:
    match = _LINE_RE.search(message)
    return (message[: match.start()] if match else message).strip()
