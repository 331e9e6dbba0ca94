"""Run the whole benchmark suite on the real data and write bench/out/summary.{json,md}.

    .venv/bin/python bench/run_all.py --results /path/holding/results
        [--mteb-python .mteb-venv/bin/python] [--quick] [--skip-mteb-tables]
        [--peer-json bench/out/tables.json]

Steps (each a script of its own, runnable alone): build a warehouse from the results; table
scenarios of mteb's bench_leaderboard.py on ours and, in the same run, on mteb's code
(bench_tables.py); the SQL console's typical queries (bench_sql.py); the app's start, benchmark
switch and filter change (bench_app.py); the loopback load test (load_test.py); full and
incremental ETL with mteb's loader as the peer (bench_etl.py); the refresh (bench_refresh.py);
two app instances across a publish (multi_instance.py); where a worker's memory goes
(memory_profile.py). The summary names the machine and ends with issue #16's targets, one row
each with its ratio and met / NOT met (bench/targets.py); ``bench/readme_perf.py`` then writes
them into the README's Performance section. ``--skip-mteb-tables`` leaves mteb out of the table
scenarios; ``--peer-json`` reuses mteb's timings of a previous run (a tables.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import targets  # noqa: E402


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_gib, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def step(name: str, cmd: list[str], env: dict, log: dict, *, json_out: bool = False) -> None:
    """Run one bench script; with ``json_out`` its stdout is JSON (kept as <name>.json) and its
    human-readable report is on stderr."""
    print(f"== {name}: {' '.join(cmd[1:3])} ...", file=sys.stderr, flush=True)
    t = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    report = proc.stderr if json_out else proc.stdout
    if json_out:
        (OUT / f"{name}.json").write_text(proc.stdout)
    (OUT / f"{name}.md").write_text(report)
    (OUT / f"{name}.err").write_text(proc.stderr)
    log[name] = {"exit": proc.returncode, "seconds": round(time.monotonic() - t, 1),
                 "output": report.strip().splitlines()[-40:]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"))
    parser.add_argument("--mteb-python", default=str(ROOT / ".mteb-venv" / "bin" / "python"))
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter load test")
    parser.add_argument("--skip-mteb-tables", action="store_true",
                        help="table scenarios without mteb (no ratios unless --peer-json)")
    parser.add_argument("--peer-json", help="mteb's table timings from a previous run "
                        "(bench/out/tables.json or mteb_tables_peer.py's output)")
    args = parser.parse_args(argv)
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("pass --results DIR (a folder holding results/)")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    repeat = "2" if args.quick else "5"
    warehouse = Path(tempfile.mkdtemp(prefix="mteb-lb-bench-"))
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(warehouse), "MTEB_LB_REAL_RESULTS": args.results}
    log: dict = {}
    step("build", [py, "-m", "mteb_lb.cli", "etl", "--source", args.results, "--full"], env, log)
    tables = [py, "bench/bench_tables.py", "--warehouse", str(warehouse), "--results",
              args.results, "--repeat", repeat, "--processes", "2" if args.quick else "5",
              "--out", str(OUT / "tables.json")]
    if args.peer_json:
        peer = OUT / "peer-tables.json"   # tables.json is rewritten by this run
        peer.write_text(Path(args.peer_json).read_text())
        tables += ["--peer-json", str(peer)]
    tables += ["--mteb-python", "/nonexistent" if args.skip_mteb_tables else args.mteb_python]
    step("tables", tables, env, log)
    step("sql", [py, "bench/bench_sql.py"], env, log)
    step("app", [py, "bench/bench_app.py", "--json"] + (["--repeat", "2", "--start-runs", "1"]
                                                        if args.quick else []), env, log,
         json_out=True)
    # issue #16: 200 users for 60 s on 2 workers (p95 <= 150 ms, 0 errors, <= 500 MB/worker),
    # the server as deploy/gunicorn.conf.py configures it
    step("load", [py, "bench/load_test.py", "--warehouse", str(warehouse), "--users", "200",
                  "--seconds", "20" if args.quick else "60", "--workers", "2",
                  "--out", str(OUT / "load.json")], env, log)
    step("memory", [py, "bench/memory_profile.py", "--warehouse", str(warehouse),
                    "--states", "30" if args.quick else "150"], env, log)
    step("etl", [py, "bench/bench_etl.py", "--results", args.results, "--repeat",
                 "1" if args.quick else "3", "--mteb-python", args.mteb_python,
                 "--out", str(OUT / "etl.json")], env, log)
    step("refresh", [py, "bench/bench_refresh.py", "--repeat", "1" if args.quick else "3",
                     "--results", args.results, "--out", str(OUT / "refresh.json")], env, log)
    step("refresh_git", [py, "bench/bench_refresh.py", "--git", "--repeat",
                         "1" if args.quick else "3", "--results", args.results,
                         "--out", str(OUT / "refresh_git.json")],
         env, log)
    step("multi_instance", [py, "bench/multi_instance.py", "--results", args.results], env, log)
    rows = targets.targets(OUT)
    summary = {"machine": machine(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "quick": args.quick, "steps": log, "targets": rows}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))
    lines = [f"# Benchmarks ({summary['when']})", "",
             f"Machine: {summary['machine']['cpus']} CPUs ({summary['machine']['cpu']}), "
             f"{summary['machine']['memory_gib']} GiB, Python {summary['machine']['python']}", ""]
    for name, entry in log.items():
        lines += [f"## {name} (exit {entry['exit']}, {entry['seconds']} s)", "",
                  *entry["output"], ""]
    met = sum(1 for r in rows if r["met"])
    lines += [f"## targets (issue #16): {met} of {len(rows)} met", "", targets.markdown(rows), ""]
    (OUT / "summary.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if all(e["exit"] == 0 for e in log.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
