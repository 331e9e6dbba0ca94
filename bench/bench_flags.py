"""What the validity flags (queries/quality/, docs/QUALITY.md) add to a build, in one run: full
builds and incremental builds (one result file changed, as a nightly refresh with a new
submission) of the real results repository, with the flags and without them (the same code with
the queries/quality/ views left out and the parser's `entry_checks` a no-op, so no flag work at
all), interleaved so both see the same machine load. Each build is timed as wall time and as
CPU time (user + system) of the build process and of its forked parser workers: on a shared
machine the CPU time is the comparable figure. Prints the medians and the differences, writes
bench/out/flags.json.

    .venv/bin/python bench/bench_flags.py --results /path/holding/results [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_refresh import rewrite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import queries  # noqa: E402
from etl import build, flag_changes, segments  # noqa: E402

QUALITY = queries.QUERIES_DIR / "quality"
_all_views = queries.all_views
_prepare, _record = flag_changes.prepare, flag_changes.record
_entry_checks = segments.entry_checks


def _without_flags():
    """The views without queries/quality/, and the frame's flag filter a constant false."""
    import dataclasses

    out = []
    for v in _all_views():
        if queries.files()[v.name].is_relative_to(QUALITY) or v.name == "lb_task_flags":
            continue
        if v.name == "lb_flag_excluded":
            v = dataclasses.replace(v, sql="create or replace macro lb_flag_excluded("
                                           "model, task, entry_no) as false;")
        out.append(v)
    return out


def _cpu() -> float:
    """User + system CPU seconds of this process and of its waited-for children (the parser
    workers are forked and joined by the build)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(repo: Path, wh: Path, flags: bool, full: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one build."""
    queries.all_views = _all_views if flags else _without_flags
    # without flags: no previous flags to keep, no new flags to count (etl/flag_changes.py),
    # and no entry_checks rows from the parser (the forked workers inherit the stub)
    flag_changes.prepare = _prepare if flags else (lambda final: None)
    flag_changes.record = _record if flags else (lambda final, warehouse_dir=None: {})
    segments.entry_checks = _entry_checks if flags else (lambda *args, **kwargs: None)
    try:
        t, cpu = time.perf_counter(), _cpu()
        report = build.run(repo, source=str(repo), warehouse_dir=wh, full=full)
        seconds, cpu_seconds = time.perf_counter() - t, _cpu() - cpu
    finally:
        queries.all_views = _all_views
        flag_changes.prepare, flag_changes.record = _prepare, _record
        segments.entry_checks = _entry_checks
    assert report.published, report.message
    return seconds, cpu_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full-repeat", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "flags.json"))
    parser.add_argument("--workdir", help="reuse and keep this folder (repo/, wh-with/, "
                                          "wh-without/ of an earlier run) instead of a temp one")
    args = parser.parse_args()
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("no real results: pass --results DIR (a folder holding results/)")
        return 2
    tmp = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-flags-"))
    try:
        repo = tmp / "repo"
        if not repo.exists():
            subprocess.run(["cp", "-al", str(Path(args.results).resolve()), str(repo)],
                           check=True)
        files = sorted(p for p in (repo / "results").rglob("*.json")
                       if p.name != "model_meta.json" and "experiments" not in p.parts)
        rng = random.Random(0)
        times: dict[str, list[float]] = {k: [] for k in
                                         ("full_without", "full_with", "incr_without",
                                          "incr_with")}
        cpus: dict[str, list[float]] = {k: [] for k in times}
        whs = {True: tmp / "wh-with", False: tmp / "wh-without"}
        for i in range(args.full_repeat):
            for flags in (False, True) if i % 2 == 0 else (True, False):
                key = "full_with" if flags else "full_without"
                wall, cpu = run(repo, whs[flags], flags, full=True)
                times[key].append(wall)
                cpus[key].append(cpu)
                print(f"{key}: {wall:.1f} s wall, {cpu:.1f} s CPU, load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
        for i in range(args.repeat):
            rewrite(rng.choice(files), seed=i + 1)  # one changed file, seen by both warehouses
            for flags in (False, True) if i % 2 == 0 else (True, False):
                key = "incr_with" if flags else "incr_without"
                wall, cpu = run(repo, whs[flags], flags, full=False)
                times[key].append(wall)
                cpus[key].append(cpu)
                print(f"{key}: {wall:.2f} s wall, {cpu:.2f} s CPU, load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
                print("  timings", {k: v for k, v in json.loads(
                    (whs[flags] / "current" / "manifest.json").read_text()).get(
                    "timings", {}).items()}, flush=True)
        medians = {k: statistics.median(v) for k, v in times.items() if v}
        cpu_medians = {k: statistics.median(v) for k, v in cpus.items() if v}
        out = {"times_s": times, "median_s": medians, "cpu_s": cpus,
               "cpu_median_s": cpu_medians}
        for kind, a, b in (("full", "full_with", "full_without"),
                           ("incremental", "incr_with", "incr_without")):
            if a in medians and b in medians:
                out[f"{kind}_added_s"] = medians[a] - medians[b]
                out[f"{kind}_ratio"] = medians[a] / medians[b]
                out[f"{kind}_added_cpu_s"] = cpu_medians[a] - cpu_medians[b]
                out[f"{kind}_cpu_ratio"] = cpu_medians[a] / cpu_medians[b]
        print(json.dumps(out, indent=1))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=1))
    finally:
        if not args.workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
