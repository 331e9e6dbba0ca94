"""Timings of the SQL console's typical requests against the current build.

    .venv/bin/python bench/bench_sql.py [--repeat 7] [--time-limit-ms 60000] [--json]

Each case goes through the same path a request takes (``mteb_lb.safe_sql``: gate, fresh cursor,
time limit, row cap) and is run ``--repeat`` times after one warm-up run; the median, min and max
wall times are printed with the rows returned. The cases cover the gate alone, a point lookup,
the schema browser, aggregates over ``scores``, a GROUP BY over the whole ``metrics`` table (read
from Parquet), a join of ``metrics`` with ``scores``, the example queries, and a full CSV export.

Prints a message and exits 0 when there is no published build (run ``mteb-lb etl`` first).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mteb_lb import db, safe_sql, warehouse  # noqa: E402

CASES: list[tuple[str, str]] = [
    ("point lookup in scores",
     "select * from scores where model_name = (select min(model_name) from scores) limit 50"),
    ("count scores by task type",
     "select t.type, count(*) as n from scores s join tasks t on t.name = s.task_name "
     "group by t.type order by n desc"),
    ("mean main score per model (scores)",
     "select model_name, avg(main_score) as mean, count(*) as n from scores "
     "where not isnan(main_score) group by model_name order by mean desc"),
    ("GROUP BY over all of metrics",
     "select metric, count(*) as n, avg(value) as mean from metrics group by metric "
     "order by n desc"),
    ("count(*) of metrics", "select count(*) from metrics"),
    ("metrics joined to scores (one metric)",
     "select s.task_name, avg(m.value) from metrics m join scores s using (entry_id) "
     "where m.metric = 'ndcg_at_10' group by s.task_name"),
    ("10k rows returned (row cap)", "select * from scores"),
]


def _time(fn, repeat: int) -> tuple[list[float], object]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--time-limit-ms", type=int, default=60000,
                        help="per query (the console default is the sql_time_limit_ms setting)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    try:
        build = warehouse.current_build()
    except warehouse.WarehouseError as exc:
        print(f"bench_sql: skipped: {exc}")
        return 0
    counts = warehouse.read_manifest(build).get("row_counts", {})

    cases: list[tuple[str, object]] = [
        ("gate only: check() of an example", lambda: safe_sql.check(safe_sql.examples()[0][1])),
        ("fresh cursor + close", lambda: db.current().cursor().close()),
        ("schema browser: schema()", safe_sql.schema),
    ]
    for title, sql in CASES:
        cases.append((title, lambda sql=sql: safe_sql.run(sql, time_limit_ms=args.time_limit_ms)))
    for title, sql in safe_sql.examples():
        cases.append((f"example: {title}",
                      lambda sql=sql: safe_sql.run(sql, time_limit_ms=args.time_limit_ms)))
    cases.append(("export scores as CSV (full)",
                  lambda: safe_sql.export("select * from scores", "csv", io.BytesIO(),
                                          time_limit_ms=args.time_limit_ms)))

    figures = []
    if not args.json:
        print(f"build {build.name}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        print(f"{'case':<72} {'median ms':>10} {'min':>9} {'max':>9} {'rows':>8}")
    for title, fn in cases:
        try:
            times, out = _time(fn, args.repeat)
        except safe_sql.SqlError as exc:
            figures.append({"case": title, "error": f"{exc.kind}: {exc.message}"})
            if not args.json:
                print(f"{title[:72]:<72} failed: {exc.kind}: {exc.message[:60]}")
            continue
        rows = (len(out.rows) if isinstance(out, safe_sql.Result)
                else len(out) if isinstance(out, list) else out if isinstance(out, int) else None)
        fig = {"case": title, "median_ms": round(statistics.median(times), 2),
               "min_ms": round(min(times), 2), "max_ms": round(max(times), 2), "rows": rows}
        figures.append(fig)
        if not args.json:
            print(f"{title[:72]:<72} {fig['median_ms']:>10.2f} {fig['min_ms']:>9.2f} "
                  f"{fig['max_ms']:>9.2f} {'' if rows is None else rows:>8}")
    if args.json:
        print(json.dumps({"build": build.name, "row_counts": counts, "repeat": args.repeat,
                          "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
