"""A flag view's definition before and after a change, on a copy of a real build's database:
each created as a table (`CREATE TABLE ... AS`) alternately, the CPU time of this process (DuckDB's
threads included) and the wall time per run, their medians, and the rows compared with
`EXCEPT ALL` both ways (docs/QUALITY.md §Rules, "Cost, fourth pass").

    .venv/bin/python bench/flag_views_compare.py --build WAREHOUSE/current \\
        --before REV [--repeat 5] [flag_missing_splits flag_conflicting_duplicates ...]

REV is a git revision whose queries/quality/<view>.sql is the "before" definition; "after" is the
work tree's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.build import _parquet_views  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="a build folder (holds lb.duckdb)")
    parser.add_argument("--before", required=True, help="git revision of the old definitions")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("views", nargs="*",
                        default=["flag_missing_splits", "flag_conflicting_duplicates"])
    args = parser.parse_args()
    build = Path(args.build).resolve()
    with tempfile.TemporaryDirectory(prefix="flag-views-") as tmp:
        db = Path(tmp) / "lb.duckdb"
        shutil.copyfile(build / "lb.duckdb", db)
        con = duckdb.connect(str(db))
        _parquet_views(con, build)   # the copy's Parquet views point at the build's segments
        con.execute(f"SET threads = {int(args.threads)}")
        for view in args.views:
            rel = f"queries/quality/{view}.sql"
            sql = {"before": subprocess.run(["git", "show", f"{args.before}:{rel}"], cwd=ROOT,
                                            check=True, capture_output=True, text=True).stdout,
                   "after": (ROOT / rel).read_text()}
            runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
            for i in range(args.repeat):
                for which in ("before", "after") if i % 2 == 0 else ("after", "before"):
                    cpu, wall = time.process_time(), time.perf_counter()
                    con.execute(f"CREATE OR REPLACE TEMP TABLE t_{which} AS {sql[which]}")
                    runs[which].append((time.process_time() - cpu, time.perf_counter() - wall))
            for which, values in runs.items():
                print(f"{view} {which}: CPU {statistics.median(c for c, _ in values):.3f} s, "
                      f"wall {statistics.median(w for _, w in values):.3f} s (medians of "
                      f"{len(values)})")
            counts = [con.execute(f"SELECT count(*) FROM t_{w}").fetchall()[0][0]
                      for w in ("before", "after")]
            diff = [con.execute(f"SELECT count(*) FROM (SELECT * FROM t_{a} EXCEPT ALL "
                                f"SELECT * FROM t_{b})").fetchall()[0][0]
                    for a, b in (("before", "after"), ("after", "before"))]
            print(f"{view}: rows {counts[0]} / {counts[1]}, EXCEPT ALL {diff[0]} / {diff[1]}")
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
