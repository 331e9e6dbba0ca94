"""`mteb-lb sql`: run one read-only SELECT against the current build, from a terminal or a script.

The query goes through :mod:`mteb_lb.safe_sql` exactly like the HTTP API and the dashboard do.
``--format table`` prints an aligned table capped at ``--max-rows`` (default: the
``sql_max_rows`` setting); csv, json and parquet stream the whole result unless ``--max-rows`` is
given. Exit status: 0 on success, 1 when the query is rejected or fails (message on stderr),
2 on a usage error or when there is no published build, 5 when the current build is damaged.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mteb_lb import output, safe_sql, warehouse

FORMATS = ("table", "csv", "json", "parquet")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sql", help="run one read-only SELECT against the current build",
        description="Run one read-only SELECT (or WITH … SELECT, or EXPLAIN) against the current "
                    "build. Writes, settings, file access outside the build and several "
                    "statements at once are refused.",
        epilog="SQL comes from the argument, from --file, or from stdin (SQL is '-', or absent "
               "with stdin not a terminal). Exit status: 0 ok, 1 query rejected or failed, "
               "2 usage error or no published build (run `mteb-lb etl`), 5 the current build is "
               "damaged.")
    p.add_argument("sql", nargs="?", help="the query; '-' reads it from stdin")
    p.add_argument("--file", "-f", type=Path, help="read the query from this file")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default, capped), or csv/json/parquet (the whole result)")
    p.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    p.add_argument("--max-rows", type=int, metavar="N",
                   help="rows at most (table default: the sql_max_rows setting; "
                        "csv/json/parquet default: all)")
    p.add_argument("--time-limit-ms", type=int, metavar="N",
                   help="interrupt the query after N ms (default: the sql_time_limit_ms setting)")
    p.add_argument("--schema", action="store_true",
                   help="list the build's tables and views with their columns, then exit")
    p.add_argument("--examples", action="store_true",
                   help="print the example queries, then exit")
    p.set_defaults(func=main)


def main(args) -> int:
    if args.examples:
        for i, (title, sql) in enumerate(safe_sql.examples()):
            heading = "" if re.search(r"^--\s*title:", sql, re.M) else f"-- title: {title}\n"
            print(("\n" if i else "") + heading + sql, end="")
        return 0
    if args.max_rows is not None and args.max_rows < 0:
        return _usage("--max-rows must be >= 0")
    if args.time_limit_ms is not None and args.time_limit_ms <= 0:
        return _usage("--time-limit-ms must be positive")
    try:
        if args.schema:
            _print_schema(safe_sql.schema())
            return 0
        sql = _read_sql(args)
        if sql is None:
            return 2
        if args.format == "table":
            result = safe_sql.run(sql, max_rows=args.max_rows, time_limit_ms=args.time_limit_ms)
            text = format_table(result)
            if args.output:
                args.output.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
            return 0
        if args.output is None and args.format == "parquet" and sys.stdout.isatty():
            return _usage("Parquet is binary: use --output FILE or a pipe")
        if args.output is not None:
            safe_sql.export(sql, args.format, args.output, max_rows=args.max_rows,
                            time_limit_ms=args.time_limit_ms)
        else:
            sys.stdout.flush()
            out = sys.stdout.buffer
            safe_sql.export(sql, args.format, out, max_rows=args.max_rows,
                            time_limit_ms=args.time_limit_ms)
            out.flush()
        return 0
    except safe_sql.SqlError as exc:
        print(exc.describe(), file=sys.stderr)
        return 1
    except warehouse.DamagedBuildError as exc:
        print(f"mteb-lb sql: {exc}", file=sys.stderr)
        return warehouse.EXIT_DAMAGED
    except warehouse.WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `mteb-lb sql ... | head`
        return 0


def _usage(message: str) -> int:
    print(f"mteb-lb sql: {message}", file=sys.stderr)
    return 2


def _read_sql(args) -> str | None:
    if args.file is not None and args.sql is not None:
        _usage("give the query as an argument or with --file, not both")
        return None
    if args.file is not None:
        try:
            return args.file.read_text(encoding="utf-8")
        except OSError as exc:
            _usage(f"cannot read {args.file}: {exc.strerror}")
            return None
    if args.sql == "-" or (args.sql is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if args.sql is None:
        _usage("no query given: pass SQL as an argument, with --file, or on stdin")
        return None
    return args.sql


def format_table(result: safe_sql.Result) -> str:
    """An aligned text table with a "(N rows[, truncated])" footer."""
    n = result.table.num_rows
    footer = f"({n} row{'' if n == 1 else 's'}{', truncated' if result.truncated else ''})\n"
    if [c.name for c in result.columns] == ["explain_key", "explain_value"]:
        # EXPLAIN: print the plan as DuckDB draws it
        return "".join(f"{value}\n" for _key, value in result.rows) + footer
    return output.text_table(result.table) + footer


def _print_schema(objects: list[dict]) -> None:
    for obj in objects:
        print(f"{obj['name']} ({obj['kind']})")
        if obj["description"]:
            print(f"  {obj['description']}")
        width = max((len(c["name"]) for c in obj["columns"]), default=0)
        type_width = max((len(c["type"]) for c in obj["columns"]), default=0)
        for col in obj["columns"]:
            print(f"    {col['name']:<{width}}  {col['type']:<{type_width}}  "
                  f"{col['description']}".rstrip())
        print()


if __name__ == "__main__":  # pragma: no cover - `python -m mteb_lb.sql_cli ...`
    parser = argparse.ArgumentParser(prog="mteb-lb")
    register(parser.add_subparsers())
    sys.exit(main(parser.parse_args(["sql", *sys.argv[1:]])))
