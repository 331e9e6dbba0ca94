"""Statistics layer benchmark: the summary with rank intervals (B = 1,000) against the summary
alone, the robustness view and pairwise odds, and the memory they add to a process.

    .venv/bin/python bench/bench_stats.py [--warehouse DIR] [--repeat 7] [--resamples 1000]
                                          [--clock wall|cpu] [--code CHECKOUT] [--out FILE]
                                          [--state SUBSTRING]

Server time, as a request pays it (mteb_lb.rankings.Leaderboard, the functions the dashboard,
the API and the CLI call), for MTEB(Multilingual, v2) and MTEB(eng, v2) under a few filters:
- cold: the first computation of that state in this process (result cache empty);
- uncached: median of `repeat` runs with the result cache cleared before each (the SQL and
  numpy work, without a dictionary hit);
- warm: median of `repeat` runs of the same state again (result cache hit);
for the summary alone, and the summary + rank_intervals (what the summary with its interval
column costs), in the same run. Memory: RSS of the process after the summaries alone, and after
every statistic of every state (intervals, robustness, pairwise): the difference is what the
statistics add (numpy arrays, the lb_borda_points / lb_model_scores queries, cached results).
`--clock cpu` times with the process's CPU time (every thread, DuckDB's and BLAS's included)
instead of wall time: steadier on a shared machine, where wall time mostly measures the others.
`--code` imports mteb_lb from another checkout (e.g. main's, against a build of main) for a
before/after pair in one run, as bench_tables.py; `--state` keeps the states whose label holds it
(e.g. `languages`). Writes bench/out/stats.json (or --out) and prints a markdown table.

The intervals' own memory (`--memory-processes N`, default 3; 0 skips it): fresh processes, as
a worker is configured (deploy/gunicorn.conf.py's DuckDB limit and allocator arenas), each
computing the summary of every state above, alternately alone and followed by its intervals
(B resamples); the median resident set (VmRSS, after a gc) and peak (VmHWM) of each kind and
their difference: what the intervals add to a worker, apart from the robustness view and the
pairwise odds that the in-process RSS above also counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = ROOT = Path(__file__).resolve().parent.parent
if "--code" in sys.argv[:-1]:  # the checkout whose mteb_lb is measured (before/after pairs)
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(ROOT))

BENCHMARKS = ("MTEB(Multilingual, v2)", "MTEB(eng, v2)")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def states(name: str, only: str = ""):
    from mteb_lb.rankings import Filters

    out = [("default", Filters()), ("Retrieval only", Filters(task_types=("Retrieval",))),
           ("<= 1B parameters", Filters(max_params_b=1.0))]
    if name == "MTEB(Multilingual, v2)":
        out.append(("languages eng, fra", Filters(languages=("eng", "fra"))))
    return [(label, filters) for label, filters in out if only in label]


CLOCK = time.perf_counter   # --clock cpu: time.process_time


def memory_child(mode: str, warehouse: Path | None, resamples: int, only: str) -> int:
    """One fresh process of the memory comparison: every state's summary, and with mode
    "intervals" its rank intervals; prints {"rss_mb", "peak_mb"} as JSON."""
    import gc
    import re

    sys.path.insert(0, str(HERE / "bench"))
    from memory_profile import worker_config

    sys.path.insert(0, str(ROOT))   # memory_profile put this checkout first: --code's goes first
    worker_config()
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    lb = Leaderboard(CurrentBuild(warehouse) if warehouse else None)
    lb.benchmarks()
    for name in BENCHMARKS:
        for _label, filters in states(name, only):
            lb.summary(name, filters)
            if mode == "intervals":
                lb.rank_intervals(name, filters, resamples)
    gc.collect()
    status = Path("/proc/self/status").read_text()
    kb = {f: int(re.search(rf"^{f}:\s*(\d+) kB", status, re.M).group(1))
          for f in ("VmRSS", "VmHWM")}
    print(json.dumps({"rss_mb": kb["VmRSS"] / 1024, "peak_mb": kb["VmHWM"] / 1024}))
    return 0


def memory_share(args) -> dict:
    """The intervals' own memory: `--memory-processes` fresh processes per kind, alternated."""
    import subprocess

    runs = {"summary": [], "intervals": []}
    for _ in range(args.memory_processes):
        for mode in runs:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", mode,
                   "--resamples", str(args.resamples), "--state", args.state]
            if args.code != str(HERE):
                cmd += ["--code", args.code]
            if args.warehouse:
                cmd += ["--warehouse", str(args.warehouse)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs[mode].append(json.loads(out.strip().splitlines()[-1]))
    med = {mode: {k: statistics.median(r[k] for r in rows) for k in ("rss_mb", "peak_mb")}
           for mode, rows in runs.items()}
    return {"processes": args.memory_processes, "runs": runs, "median": med,
            "added_rss_mb": med["intervals"]["rss_mb"] - med["summary"]["rss_mb"],
            "added_peak_mb": med["intervals"]["peak_mb"] - med["summary"]["peak_mb"]}


def timed(fn) -> float:
    t = CLOCK()
    fn()
    return (CLOCK() - t) * 1000


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    p.add_argument("--code", default=str(ROOT),
                   help="checkout whose mteb_lb is measured (default: this one)")
    p.add_argument("--out", type=Path, default=HERE / "bench" / "out" / "stats.json")
    p.add_argument("--state", default="", help="only the states whose label holds this")
    p.add_argument("--memory-processes", type=int, default=3,
                   help="fresh processes per kind for the intervals' own memory (0: skip)")
    p.add_argument("--memory-child", choices=("summary", "intervals"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.warehouse, args.resamples, args.state)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    from mteb_lb.db import CurrentBuild
    from mteb_lb.lbstate import LeaderboardState
    from mteb_lb.rankings import Leaderboard

    lb = Leaderboard(CurrentBuild(args.warehouse) if args.warehouse else None)
    lb.benchmarks()
    b = args.resamples
    results = {"resamples": b, "repeat": args.repeat, "clock": args.clock, "benchmarks": {}}
    rss_start = rss_mb()
    # 1. the summary alone: cold (first time), uncached, warm
    for name in BENCHMARKS:
        rows = results["benchmarks"].setdefault(name, {})
        for label, filters in states(name, args.state):
            r = rows.setdefault(label, {})
            r["summary_cold_ms"] = timed(lambda: lb.summary(name, filters))
            r["summary_warm_ms"] = statistics.median(
                timed(lambda: lb.summary(name, filters)) for _ in range(args.repeat))
            runs = []
            for _ in range(args.repeat):
                lb._cache.clear()
                runs.append(timed(lambda: lb.summary(name, filters)))
            r["summary_uncached_ms"] = statistics.median(runs)
    lb._cache.clear()
    rss_summaries = rss_mb()
    # 2. the summary with intervals (B resamples), robustness, pairwise
    for name in BENCHMARKS:
        for label, filters in states(name, args.state):
            r = results["benchmarks"][name][label]

            def with_intervals():
                lb.summary(name, filters)
                lb.rank_intervals(name, filters, b)

            lb.summary(name, filters)   # as a request has it: the intervals follow the table
            r["with_intervals_cold_ms"] = timed(lambda: lb.rank_intervals(name, filters, b)) + \
                r["summary_cold_ms"]   # the summary's own cold time, measured above
            r["with_intervals_warm_ms"] = statistics.median(
                timed(with_intervals) for _ in range(args.repeat))
            runs, alone = [], []
            for _ in range(args.repeat):
                lb._cache.clear()
                t = CLOCK()
                lb.summary(name, filters)
                t1 = CLOCK()
                lb.rank_intervals(name, filters, b)
                runs.append((CLOCK() - t) * 1000)
                alone.append((CLOCK() - t1) * 1000)
            r["with_intervals_uncached_ms"] = statistics.median(runs)
            r["intervals_alone_uncached_ms"] = statistics.median(alone)
            r["ratio_uncached"] = r["with_intervals_uncached_ms"] / r["summary_uncached_ms"]
            runs = []
            for _ in range(args.repeat):
                lb._cache.clear()
                runs.append(timed(lambda: lb.robustness(name, filters)))
            r["robustness_uncached_ms"] = statistics.median(runs)
            # the state path every surface serves (Leaderboard.view): B = 0 against B
            state = LeaderboardState(benchmark=name, **{
                f.name: getattr(filters, f.name) for f in dataclasses.fields(filters)
                if f.name in LeaderboardState.__dataclass_fields__
                and f.name not in ("open_weights", "instructions")})
            for key, resamples in (("view_b0_uncached_ms", 0), ("view_b_uncached_ms", b)):
                runs = []
                for _ in range(args.repeat):
                    lb._cache.clear()
                    runs.append(timed(lambda: lb.view(dataclasses.replace(
                        state, resamples=resamples))))
                r[key] = statistics.median(runs)
            r["view_ratio_uncached"] = r["view_b_uncached_ms"] / r["view_b0_uncached_ms"]
            top = lb.rank_intervals(name, filters, b).column("Model").to_pylist()[:4]
            runs = []
            if len(top) >= 2:
                for _ in range(args.repeat):
                    lb._cache.clear()
                    runs.append(timed(lambda: lb.pairwise(name, filters, top, b)))
                r["pairwise_4_uncached_ms"] = statistics.median(runs)
            r["models"] = lb.rank_intervals(name, filters, b).num_rows
            r["partitions"] = len(lb.borda_inputs(name, filters).partitions)
    rss_end = rss_mb()
    results["rss_mb"] = {"start": rss_start, "after_summaries": rss_summaries,
                         "after_statistics": rss_end,
                         "added_by_statistics": rss_end - rss_summaries}
    if args.memory_processes:
        results["intervals_memory"] = memory_share(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"B = {b}, medians of {args.repeat} runs, ms of {args.clock} time (cold: first time "
          "in the process)\n")
    print("| benchmark | state | models x partitions | summary cold / uncached / warm | "
          "summary + intervals cold / uncached / warm | ratio (uncached) | intervals alone | "
          "robustness | pairwise (4 models) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rows in results["benchmarks"].items():
        for label, r in rows.items():
            print(f"| {name} | {label} | {r['models']} x {r['partitions']} | "
                  f"{r['summary_cold_ms']:.0f} / {r['summary_uncached_ms']:.0f} / "
                  f"{r['summary_warm_ms']:.2f} | {r['with_intervals_cold_ms']:.0f} / "
                  f"{r['with_intervals_uncached_ms']:.0f} / {r['with_intervals_warm_ms']:.2f} | "
                  f"{r['ratio_uncached']:.2f} | {r['intervals_alone_uncached_ms']:.0f} | "
                  f"{r['robustness_uncached_ms']:.0f} | {r.get('pairwise_4_uncached_ms', 0):.0f} |")
    print("\n| benchmark | state | view (the served table) B = 0 / B, uncached | ratio |")
    print("|---|---|---|---|")
    for name, rows in results["benchmarks"].items():
        for label, r in rows.items():
            print(f"| {name} | {label} | {r['view_b0_uncached_ms']:.0f} / "
                  f"{r['view_b_uncached_ms']:.0f} | {r['view_ratio_uncached']:.2f} |")
    m = results["rss_mb"]
    print(f"\nRSS: {m['start']:.0f} MB at start, {m['after_summaries']:.0f} MB after the "
          f"summaries, {m['after_statistics']:.0f} MB after every statistic: "
          f"+{m['added_by_statistics']:.1f} MB")
    if "intervals_memory" in results:
        m = results["intervals_memory"]
        s, i = m["median"]["summary"], m["median"]["intervals"]
        print(f"\nThe intervals' own memory (fresh processes, worker configuration, medians of "
              f"{m['processes']} each, alternated): summaries alone RSS {s['rss_mb']:.1f} MB "
              f"(peak {s['peak_mb']:.1f}), summaries + intervals RSS {i['rss_mb']:.1f} MB "
              f"(peak {i['peak_mb']:.1f}): +{m['added_rss_mb']:.1f} MB RSS, "
              f"+{m['added_peak_mb']:.1f} MB peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
