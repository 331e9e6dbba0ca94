"""Compare two builds table by table: every table and materialized view of lb.duckdb and every
Parquet-backed view, `EXCEPT ALL` both ways (row multisets, NaN equal to NaN as DuckDB compares
it), without the columns naming the build that wrote a row (build ids, build times). Used to
check that a change to the ETL keeps every table identical (docs/PERFORMANCE.md §Build time).

    .venv/bin/python bench/compare_builds.py BUILD_A BUILD_B [--skip TABLE ...]

A build is a folder holding lb.duckdb (e.g. <warehouse>/current). Prints one line per table and
exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# tables whose rows carry the build's own identity or time (build ids, paths of the build)
VOLATILE = {"build_info"}
# columns naming the build that wrote a row (compared without them)
BUILD_COLUMNS = ("build_id", "built_at", "previous_build_id")
# views over the build's Parquet segments (etl/build.py PARQUET_VIEWS): compared like tables
PARQUET_VIEWS = ("metrics", "metric_arrays", "entry_checks")
BIG = 5_000_000


def relations(con, db: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT table_name, 'table' FROM duckdb_tables() WHERE database_name = ? "
        "AND schema_name = 'main' UNION ALL SELECT view_name, 'view' FROM duckdb_views() "
        "WHERE database_name = ? AND schema_name = 'main' AND NOT internal", [db, db]).fetchall()
    return dict(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--views", action="store_true",
                        help="also compare the (unmaterialized) views, not only tables")
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"ATTACH '{Path(args.a) / 'lb.duckdb'}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{Path(args.b) / 'lb.duckdb'}' AS b (READ_ONLY)")
    ra, rb = relations(con, "a"), relations(con, "b")
    bad = 0
    for name in sorted(set(ra) | set(rb)):
        if name in args.skip or name in VOLATILE:
            continue
        if name not in ra or name not in rb:
            print(f"{name}: only in {'a' if name in ra else 'b'}")
            continue
        if ra[name] == "view" and not args.views and name not in PARQUET_VIEWS:
            continue
        try:
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' "
                "AND schema_name = 'main' AND table_name = ?", [name]).fetchall()]
            dropped = [c for c in columns if c in BUILD_COLUMNS]
            rel = {db: f'(SELECT * EXCLUDE ({", ".join(dropped)}) FROM {db}."{name}")'
                   if dropped else f'{db}."{name}"' for db in "ab"}
            n = con.execute(f'SELECT count(*) FROM a."{name}"').fetchall()[0][0]
            if n > BIG:  # EXCEPT ALL of 35 M rows needs GBs: a count and an order-free digest
                digest = [con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))::HUGEINT) '
                                      f'FROM {rel[db]}').fetchall()[0] for db in "ab"]
                same = digest[0] == digest[1]
                bad += not same
                print(f"{name}: {n} rows, {'same' if same else 'different'} count and sum of "
                      "row hashes", flush=True)
                continue
            only_a = con.execute(f'SELECT count(*) FROM (FROM {rel["a"]} EXCEPT ALL '
                                 f'FROM {rel["b"]})').fetchall()[0][0]
            only_b = con.execute(f'SELECT count(*) FROM (FROM {rel["b"]} EXCEPT ALL '
                                 f'FROM {rel["a"]})').fetchall()[0][0]
        except duckdb.Error as exc:
            print(f"{name}: cannot compare ({str(exc).splitlines()[0][:120]})")
            bad += 1
            continue
        same = only_a == 0 and only_b == 0
        bad += not same
        verdict = "identical" if same else f"{only_a} only in a, {only_b} only in b"
        if dropped:
            verdict += f" (without {', '.join(dropped)})"
        print(f"{name}: {n} rows, {verdict}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
