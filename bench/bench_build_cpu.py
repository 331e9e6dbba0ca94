"""CPU time of each step of a full build (issue 16), for a machine shared with other work: the
build runs in this process with its step clock (`time.monotonic` in etl/build.py) replaced by
the CPU time of the process and its reaped children (the parser processes), so the manifest's
`timings` hold CPU seconds per step. Prints them with the wall time and peak RSS of the build.

    .venv/bin/python bench/bench_build_cpu.py --results DIR [--code /work/main] [--keep WH]
                                              [--views]

`--views` then recomputes each materialized view of queries/ once more on a copy of the built
database (DuckDB on the build's threads and memory limit) and prints its CPU and wall time: the
split of the views step (`views_s`).

`fast_parse` in the output: whether the compiled parser read the common files (null: a checkout
without it; MTEB_LB_FAST_PARSE=0 turns it off for an A/B run of the same code).

`--code` runs another checkout's build code (e.g. main's, for a before/after pair): its folder
goes first on sys.path. On 2 idle cores the wall time of the parse step is about half its CPU
time (2 parser processes); the other steps run DuckDB on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuClock:
    """`time` for etl/build.py with `monotonic` reading CPU time (everything else passed on)."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def monotonic() -> float:
        return cpu_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"),
                        help="folder holding results/ (default: $MTEB_LB_REAL_RESULTS)")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose build runs")
    parser.add_argument("--keep", type=Path, help="warehouse folder to build into and keep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--views", action="store_true",
                        help="also time each materialized view of the built database")
    args = parser.parse_args()
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("no real results: pass --results DIR (a folder holding results/)")
        return 2
    sys.path.insert(0, str(args.code.resolve()))
    from etl import build  # noqa: PLC0415 - from the checkout chosen above

    build.time = CpuClock()
    try:  # whether the compiled parser reads the common files (etl/parse_fast.py)
        from etl.parse_fast import available  # noqa: PLC0415
        fast_parse = available()
    except ImportError:  # a checkout without it
        fast_parse = None
    wh = args.keep or Path(tempfile.mkdtemp(prefix="mteb-lb-cpu-"))
    wall, cpu = time.perf_counter(), cpu_seconds()
    try:
        report = build.run(Path(args.results), source=str(args.results), full=True,
                           warehouse_dir=wh, workers=args.workers)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        manifest = json.loads((report.build / "manifest.json").read_text())
        views = view_costs(build, report.build) if args.views else None
    finally:
        if args.keep is None:
            shutil.rmtree(wh, ignore_errors=True)
    usage = [resource.getrusage(who).ru_maxrss / 1024
             for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    timings = {k: round(v, 2) for k, v in manifest["timings"].items()}
    print(json.dumps({"code": str(args.code), "fast_parse": fast_parse,
                      "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                      "cpu_by_step_s": timings, "peak_rss_mb": {"build": round(usage[0]),
                                                                "parsers": round(usage[1])},
                      "load": os.getloadavg(),
                      **({"views_cpu_wall_s": views} if views is not None else {})}, indent=1))
    return 0


def view_costs(build, build_dir: Path) -> dict[str, list[float]]:
    """[CPU s, wall s] of recomputing each materialized view on a copy of the build's database,
    in creation order (the views it reads exist already), largest CPU first."""
    import duckdb  # noqa: PLC0415 - after the checkout's path is set

    import queries  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="mteb-lb-views-") as tmp:
        db = Path(tmp) / "lb.duckdb"
        shutil.copyfile(build_dir / "lb.duckdb", db)
        con = duckdb.connect(str(db))
        try:
            build._limit_resources(con)
            costs = {}
            for view in queries.all_views():
                if view.materialize:
                    t = os.times()
                    own = t.user + t.system
                    wall = time.perf_counter()
                    con.execute(f'CREATE OR REPLACE TABLE "{view.name}" AS\n{view.sql}')
                    t = os.times()
                    costs[view.name] = [round(t.user + t.system - own, 2),
                                        round(time.perf_counter() - wall, 2)]
        finally:
            con.close()
    return dict(sorted(costs.items(), key=lambda kv: -kv[1][0]))


if __name__ == "__main__":
    sys.exit(main())
