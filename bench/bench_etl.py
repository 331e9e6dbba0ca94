"""ETL benchmark on the real results repository: full build, rerun with nothing changed, rerun
after ~1 % of the result files changed (main scores rewritten; scattered: files at random across
every folder; clustered: whole model folders, as upstream commits add or rerun models); and, in
the same run, mteb's own loader
(`ResultCache.load_results(only_main_score=True)`) on the same folder when an interpreter with
mteb is given. Prints medians (and the ratio to mteb) and writes bench/out/etl.json.
Every file is read once before the first run, so every run, ours and mteb's, starts with the
files in the page cache (`--cold` skips that); each run's seconds stalled on I/O are printed.

    .venv/bin/python bench/bench_etl.py --results /path/holding/results [--repeat 3] [--cold]
        [--mteb-python .mteb-venv/bin/python] [--code /tmp/base-export]

`--code DIR`: the checkout (or export with its compiled parser) whose ETL runs, for an A/B of
two codes run alternately (default: this one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_refresh import change  # the same 1 % changes the refresh benchmark makes

ROOT = Path(__file__).resolve().parent.parent
MTEB_SNIPPET = r"""
import json, resource, sys, time, tempfile, os
from pathlib import Path
t0 = time.perf_counter()
from mteb.cache import ResultCache
tmp = Path(tempfile.mkdtemp())
(tmp / "remote").symlink_to(Path(sys.argv[1]).resolve())
cache = ResultCache(cache_path=tmp)
t1 = time.perf_counter()
results = cache.load_results(only_main_score=True, require_model_meta=False, include_remote=True)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1,
                  "model_results": len(results.model_results),
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


CODE = ROOT   # the checkout whose ETL runs (--code)
CPU: dict[str, list[float]] = {}   # CPU seconds (user + sys) of each timed run, by scenario
IO_STALL: dict[str, list[float]] = {}   # seconds some task of the machine waited on the disk


def io_stalled_s() -> float | None:
    """The machine's total time with some task stalled on I/O (Linux PSI, /proc/pressure/io,
    `some` line), in seconds; None where the kernel has no PSI. A run whose stall is a large
    part of its wall time measured the disk, not the build."""
    try:
        line = Path("/proc/pressure/io").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    return int(fields["total"]) / 1e6


def run_etl(args: list[str], warehouse: Path, key: str | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the ETL process tree, last summary line); the run's CPU
    time (user + sys, parser processes included) goes to CPU[key]."""
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(warehouse), "PYTHONPATH": str(CODE)}
    cmd = [sys.executable, "-c", "import sys; from mteb_lb.cli import main; sys.exit(main())",
           "etl", *args]
    before_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = before_usage.ru_maxrss
    stall = io_stalled_s()
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=CODE)
    wall = time.perf_counter() - t
    if key is not None and stall is not None:
        IO_STALL.setdefault(key, []).append(io_stalled_s() - stall)
    if key is not None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU.setdefault(key, []).append(usage.ru_utime + usage.ru_stime
                                       - before_usage.ru_utime - before_usage.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"etl failed: {proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return wall, max(peak, before) / 1024, lines[-1] if lines else ""


# issue 16's build-time targets: (median key, label, target seconds)
TARGETS = (("full_s", "full build", 20.0),
           ("nochange_s", "rerun, nothing changed (folder)", 1.0),
           ("scattered_s", "rerun, 1 % of files changed (scattered)", 3.0),
           ("clustered_s", "rerun, 1 % of files changed (whole folders)", 3.0))
MAX_RSS_MB = 2048
MIN_MTEB_RATIO = 3.0   # the full build at least this many times faster than mteb's loader


def warm_page_cache(folder: Path) -> None:
    """Read every file under ``folder`` once, so that no run pays for the first read."""
    for dirpath, _, names in os.walk(folder):
        for name in names:
            try:
                with open(os.path.join(dirpath, name), "rb") as f:
                    while f.read(1 << 20):
                        pass
            except OSError:
                pass


def table(medians: dict, mteb: dict | None) -> str:
    """Every build-time target with its median and its ratio to mteb's load_results (which has
    no incremental mode: a rerun of mteb loads everything again)."""
    lines = ["| scenario | median | target | vs mteb load_results |", "|---|---|---|---|"]
    for key, label, target in TARGETS:
        value = medians[key]
        ok = value <= target
        extra = ""
        if key == "full_s":
            ok = ok and medians["full_rss_mb"] <= MAX_RSS_MB
            extra = f", peak RSS {medians['full_rss_mb']:.0f} MB"
        ratio = "n/a"
        if mteb:
            r = mteb["load_s"] / value
            ratio = f"{r:.1f}x faster"
            if key == "full_s":
                ratio += f" ({'ok' if r >= MIN_MTEB_RATIO else 'MISSED'}: ≥ {MIN_MTEB_RATIO:.0f}x)"
        limit = f"≤ {target:g} s" + (f", ≤ {MAX_RSS_MB / 1024:.0f} GB" if key == "full_s" else "")
        lines.append(f"| {label} | {value:.2f} s{extra} | {limit} ({'ok' if ok else 'MISSED'}) "
                     f"| {ratio} |")
    if mteb:
        lines.append(f"| mteb ResultCache.load_results (1 run, same machine, same run) "
                     f"| {mteb['load_s']:.1f} s, peak RSS {mteb['max_rss_mb']:.0f} MB | | 1.0x |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"),
                        help="folder holding results/ (default: $MTEB_LB_REAL_RESULTS)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mteb-python", default=str(ROOT / ".mteb-venv" / "bin" / "python"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "etl.json"))
    parser.add_argument("--cold", action="store_true",
                        help="do not read the files before the first full build (it then "
                             "measures the disk as much as the build)")
    parser.add_argument("--code", default=str(ROOT),
                        help="checkout whose ETL runs (default: this one)")
    args = parser.parse_args()
    global CODE
    CODE = Path(args.code).resolve()
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("no real results: pass --results DIR (a folder holding results/)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="mteb-lb-bench-etl-"))
    repo = work / "repo"
    print(f"copying {args.results} (hard links) to {repo} ...", file=sys.stderr)
    subprocess.run(["cp", "-al", str(Path(args.results).resolve()), str(repo)], check=True)
    if not args.cold:
        print("reading every file once: our builds and mteb's loader all start with the files "
              "in the page cache ...", file=sys.stderr)
        warm_page_cache(repo)
    figures: dict[str, list[float]] = {"full_s": [], "full_rss_mb": [], "nochange_s": [],
                                       "scattered_s": [], "clustered_s": []}
    try:
        for i in range(args.repeat):
            warehouse = work / f"warehouse-{i}"
            wall, rss, _ = run_etl(["--source", str(repo), "--full"], warehouse, "full_s")
            figures["full_s"].append(wall)
            figures["full_rss_mb"].append(rss)
            wall, _, line = run_etl(["--source", str(repo)], warehouse, "nochange_s")
            figures["nochange_s"].append(wall)
            changed = {}
            for how in ("scattered", "clustered"):
                changed[how] = change(repo, how, seed=1000 * i + (how == "scattered"))
                wall, _, line = run_etl(["--source", str(repo)], warehouse, f"{how}_s")
                figures[f"{how}_s"].append(wall)
            stalled = IO_STALL.get("full_s", [None])[-1]
            print(f"run {i + 1}: full {figures['full_s'][-1]:.1f} s"
                  + (f" ({stalled:.1f} s stalled on I/O)" if stalled is not None else "")
                  + f", no change "
                  f"{figures['nochange_s'][-1]:.2f} s, 1 % changed: "
                  f"{changed['scattered']} files scattered {figures['scattered_s'][-1]:.2f} s, "
                  f"{changed['clustered']} files in whole folders "
                  f"{figures['clustered_s'][-1]:.2f} s",
                  file=sys.stderr)
            shutil.rmtree(warehouse, ignore_errors=True)
        mteb = None
        if Path(args.mteb_python).exists():
            print("running mteb's ResultCache.load_results (takes minutes) ...", file=sys.stderr)
            proc = subprocess.run([args.mteb_python, "-c", MTEB_SNIPPET, args.results],
                                  capture_output=True, text=True,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"})
            if proc.returncode == 0:
                mteb = json.loads(proc.stdout.strip().splitlines()[-1])
            else:
                print(f"mteb run failed: {proc.stderr[-1000:]}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {k: statistics.median(v) for k, v in figures.items()}
    result = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
              "repeat": args.repeat, "runs": figures, "medians": medians, "mteb": mteb,
              "cpu_runs": CPU, "cpu_medians": {k: statistics.median(v) for k, v in CPU.items()},
              "io_stall_runs": IO_STALL, "page_cache": "cold" if args.cold else "warm"}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(table(medians, mteb))
    print("CPU (user + sys, medians): " + ", ".join(
        f"{k} {statistics.median(v):.2f} s" for k, v in CPU.items()))
    if IO_STALL:
        print("stalled on I/O (/proc/pressure/io, some; medians): " + ", ".join(
            f"{k} {statistics.median(v):.2f} s" for k, v in IO_STALL.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
