"""Where a fresh process's time goes before its first MTEB(Multilingual, v2) summary (the #16
target: <= 150 ms from the first statement), phase by phase, as medians over fresh processes:

    .venv/bin/python bench/bench_fresh.py [--warehouse DIR] [--processes 7] [--json]
        [--code DIR] [--cli]

Phases (cumulative from the statement's start, as bench_tables' fresh-process figure): ``import
pyarrow`` (which imports numpy), ``mteb_lb`` (the rest of what ``mteb_lb.rankings`` imports:
DuckDB too when the code imports it eagerly), and the summary (a default state's from the
build's file, else the connection, catalog and default frame); then whether the processes had
imported DuckDB by then (yes/no, not a time). Each phase is printed as wall and CPU ms (every
thread of the process: the figure a shared machine inflates least), cumulative and its own (the
median over processes of its difference to the phase before). The #16 verdict uses the first
summary's median wall (``--cli`` prints none: the target is not the whole command's).
Bytecode is cached as an installed package has it (the first process writes it; not counted).
``--code DIR``: another checkout's code (an A/B run with the same script); ``--cli``: time
``mteb-lb table`` (the same summary printed as CSV) as a whole process instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = "MTEB(Multilingual, v2)"

CODE = """
import resource, sys, time
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return (u.ru_utime + u.ru_stime) * 1000
t0, c0, out = time.perf_counter(), cpu(), {}
def mark(name):
    out[name] = ((time.perf_counter() - t0) * 1000, cpu() - c0)
import pyarrow
mark("pyarrow + numpy")
from pathlib import Path
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Leaderboard
mark("mteb_lb")
Leaderboard(CurrentBuild(Path(sys.argv[1]))).summary(sys.argv[2])
mark("first summary")
out["duckdb"] = (float("duckdb" in sys.modules),) * 2
print(repr(out))
"""

CLI = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(repr({"mteb-lb table": ((time.perf_counter() - t0) * 1000,
                              (u.ru_utime + u.ru_stime) * 1000)}))
"""


def one(warehouse: Path, code: Path = ROOT, cli: bool = False) -> dict[str, tuple[float, float]]:
    env = {**os.environ, "PYTHONPATH": str(code), "MTEB_LB_WAREHOUSE": str(warehouse),
           "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "mteb-lb-bench-pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = ([sys.executable, "-c", CLI, sys.executable, "-m", "mteb_lb.cli", "table",
             "--benchmark", BENCHMARK] if cli
            else [sys.executable, "-c", CODE, str(warehouse), BENCHMARK])
    proc = subprocess.run(args, capture_output=True, text=True, check=True, env=env, cwd=code)
    import ast

    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE",
                                                              str(ROOT / "warehouse")))
    parser.add_argument("--processes", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--cli", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from mteb_lb import warehouse as wh

    os.environ["MTEB_LB_WAREHOUSE"] = args.warehouse
    try:
        root = wh.root()
        wh.current_build()
    except wh.WarehouseError as exc:
        print(f"no published build: {exc}")
        return 0
    one(root, args.code, args.cli)   # writes the bytecode cache
    runs = [one(root, args.code, args.cli) for _ in range(args.processes)]
    phases = list(runs[0])
    timed = [p for p in phases if p != "duckdb"]   # the flag: whether DuckDB was imported
    result = {p: {"wall_ms": statistics.median(r[p][0] for r in runs),
                  "cpu_ms": statistics.median(r[p][1] for r in runs)} for p in phases}
    # a phase's own time: the median over processes of its difference to the phase before (the
    # difference of the cumulative medians mixes processes and can even be negative)
    for before, p in zip([None, *timed], timed):
        for i, key in enumerate(("own_wall_ms", "own_cpu_ms")):
            result[p][key] = statistics.median(
                r[p][i] - (r[before][i] if before else 0.0) for r in runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"fresh process to the first {BENCHMARK} summary, medians of {args.processes} "
          "processes (cumulative wall / CPU ms; the phase's own wall / CPU ms)")
    for p in timed:
        r = result[p]
        print(f"  {p:<20} {r['wall_ms']:7.1f} / {r['cpu_ms']:7.1f}   "
              f"(+{r['own_wall_ms']:.1f} / +{r['own_cpu_ms']:.1f})")
    if "duckdb" in phases:
        n = sum(1 for run in runs if run["duckdb"][0])
        print(f"  {'duckdb imported':<20} {'yes' if n else 'no'} ({n} of {len(runs)} processes)")
    if not args.cli:   # #16's target is the summary's, not the whole command's
        total = result["first summary"]["wall_ms"]
        print(f"target #16: <= 150 ms: {total:.0f} ms ({'met' if total <= 150 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
