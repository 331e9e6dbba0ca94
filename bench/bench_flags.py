"""What the validity flags (queries/quality/, docs/QUALITY.md) add to a build, in one run, against
the issue's targets (#13: at most +3 s on a full build, +0.5 s on an incremental one): full builds
and incremental builds (one result file changed, as a nightly refresh with a new submission) of
the real results repository, with the flags and without them (the same code with the
queries/quality/ views left out, the frame's flag filter a constant false and the parser's
`entry_checks` and its compiled filter of the entries no-ops, so no flag work at all),
alternated so both see the same machine load.

Each build is timed as wall time and as CPU time (user + system of the build process, its DuckDB
threads and its forked parser workers), in total and per step (parse, tables, database, views,
history, new flags, rank intervals, the rest): on a shared machine the CPU time is the comparable
figure. Prints the medians per variant and step, the added CPU (difference of the medians) and
whether each target is met, the wall time added between the least-loaded run of each variant,
and writes bench/out/flags.json. The idle machine runs it end to end
in ~5 min (the copy of the repository, 4 full and 10 incremental builds by default).

    .venv/bin/python bench/bench_flags.py --results /path/holding/results [--repeat 5]
        [--full-repeat 2] [--workdir DIR]
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
from contextlib import contextmanager
from pathlib import Path

from bench_refresh import rewrite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import queries  # noqa: E402
from etl import build, flag_changes, history, incremental, rank_intervals, segments  # noqa: E402

QUALITY = queries.QUERIES_DIR / "quality"
TARGETS_S = {"full": 3.0, "incremental": 0.5}   # issue #13: seconds added at most
_all_views = queries.all_views
_prepare, _record = flag_changes.prepare, flag_changes.record
_entry_checks = segments.entry_checks
_check_candidates = segments.check_candidates
# the build's steps, each the functions etl/build.py calls for it (module, attribute); what is
# left of a build's CPU time (scan, listing, manifest, publish, prune) is "other"
STEPS = {
    "parse": [(build, "_parse_full"), (incremental, "plan")],
    "tables": [(build, "_write_tables")],
    "database": [(build, "_create_database"), (build, "_update_database")],
    "views": [(history, "prepare"), (flag_changes, "prepare"), (build, "_finalize")],
    "history": [(history, "record")],
    "new_flags": [(flag_changes, "record")],
    "rank_intervals": [(rank_intervals, "record")],
}


def _without_flags():
    """The views without queries/quality/, and the frame's flag filter a constant false.
    (queries/ is listed once per call: the build calls this as it would `queries.all_views`,
    several times per build.)"""
    import dataclasses

    paths = queries.files()
    out = []
    for v in _all_views():
        if paths[v.name].is_relative_to(QUALITY) or v.name == "lb_task_flags":
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


@contextmanager
def _step_clock(spent: dict[str, float]):
    """Adds each step's CPU seconds to `spent` while the build runs."""
    saved = []

    def timed(step, function):
        def wrapper(*args, **kwargs):
            start = _cpu()
            try:
                return function(*args, **kwargs)
            finally:
                spent[step] = spent.get(step, 0.0) + _cpu() - start
        return wrapper

    for step, places in STEPS.items():
        for module, name in places:
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, timed(step, getattr(module, name)))
    try:
        yield
    finally:
        for module, name, function in saved:
            setattr(module, name, function)


def run(repo: Path, wh: Path, flags: bool, full: bool) -> tuple[float, float, dict, dict]:
    """(wall seconds, CPU seconds, CPU seconds per step, manifest) of one build."""
    queries.all_views = _all_views if flags else _without_flags
    # without flags: no previous flags to keep, no new flags to count (etl/flag_changes.py),
    # and no entry_checks rows from the parser (the forked workers inherit the stub)
    flag_changes.prepare = _prepare if flags else (lambda final: None)
    flag_changes.record = _record if flags else (lambda final, warehouse_dir=None: {})
    segments.entry_checks = _entry_checks if flags else (lambda *args, **kwargs: None)
    # nor the compiled filter of the entries to check (no entry is then checked at all)
    segments.check_candidates = _check_candidates if flags else (lambda *args, **kwargs: [])
    steps: dict[str, float] = {}
    try:
        with _step_clock(steps):
            t, cpu = time.perf_counter(), _cpu()
            report = build.run(repo, source=str(repo), warehouse_dir=wh, full=full)
            seconds, cpu_seconds = time.perf_counter() - t, _cpu() - cpu
    finally:
        queries.all_views = _all_views
        flag_changes.prepare, flag_changes.record = _prepare, _record
        segments.entry_checks = _entry_checks
        segments.check_candidates = _check_candidates
    assert report.published, report.message
    steps["other"] = cpu_seconds - sum(steps.values())
    return seconds, cpu_seconds, steps, json.loads((wh / "current" / "manifest.json").read_text())


def summary(runs: dict[str, list[dict]]) -> dict:
    """Medians per variant (wall, CPU, CPU per step), the added CPU per kind and step, and the
    targets' verdicts (on the CPU medians)."""
    out: dict = {"runs": runs, "median": {}, "added_cpu_s": {}, "targets": {}}
    for key, rows in runs.items():
        if rows:
            steps = sorted({s for r in rows for s in r["steps"]})
            out["median"][key] = {
                "wall_s": statistics.median(r["wall_s"] for r in rows),
                "cpu_s": statistics.median(r["cpu_s"] for r in rows),
                "steps_cpu_s": {s: statistics.median(r["steps"].get(s, 0.0) for r in rows)
                                for s in steps}}
    for kind in ("full", "incremental"):
        a, b = out["median"].get(f"{kind}_with"), out["median"].get(f"{kind}_without")
        if a is None or b is None:
            continue
        added = a["cpu_s"] - b["cpu_s"]
        out["added_cpu_s"][kind] = {
            "total": added, "ratio": a["cpu_s"] / b["cpu_s"],
            "wall": a["wall_s"] - b["wall_s"],
            "steps": {s: a["steps_cpu_s"].get(s, 0.0) - b["steps_cpu_s"].get(s, 0.0)
                      for s in a["steps_cpu_s"]}}
        # the wall time added, from the run of each variant made at the lowest load (the load
        # average when it ended): on a shared machine the figure closest to an idle one
        calm = {v: min(runs[f"{kind}_{v}"], key=lambda r: r.get("load", 0.0))
                for v in ("with", "without")}
        out["targets"][kind] = {"target_s": TARGETS_S[kind], "added_cpu_s": added,
                                "met": added <= TARGETS_S[kind],
                                "added_wall_least_loaded_s":
                                    calm["with"]["wall_s"] - calm["without"]["wall_s"],
                                "least_loaded": {v: r.get("load") for v, r in calm.items()}}
    return out


def report(out: dict) -> str:
    lines = []
    for kind in ("full", "incremental"):
        a, b = out["median"].get(f"{kind}_with"), out["median"].get(f"{kind}_without")
        if a is None or b is None:
            continue
        n = len(out["runs"][f"{kind}_with"]), len(out["runs"][f"{kind}_without"])
        lines.append(f"{kind} builds (medians of {n[0]} with, {n[1]} without), CPU s:")
        lines.append(f"  {'step':<15}{'without':>9}{'with':>9}{'added':>9}")
        for s in list(a["steps_cpu_s"]) + ["total"]:
            x = b["cpu_s"] if s == "total" else b["steps_cpu_s"].get(s, 0.0)
            y = a["cpu_s"] if s == "total" else a["steps_cpu_s"].get(s, 0.0)
            lines.append(f"  {s:<15}{x:>9.2f}{y:>9.2f}{y - x:>+9.2f}")
        lines.append(f"  wall medians: without {b['wall_s']:.1f} s, with {a['wall_s']:.1f} s")
    for kind, t in out["targets"].items():
        verdict = "met" if t["met"] else "NOT met"
        lines.append(f"TARGET {kind}: flags add {t['added_cpu_s']:+.2f} s of CPU "
                     f"(target <= +{t['target_s']:g} s): {verdict}; wall "
                     f"{t['added_wall_least_loaded_s']:+.2f} s on the least-loaded runs (load "
                     f"{t['least_loaded']['with']:.1f} with, {t['least_loaded']['without']:.1f} "
                     "without)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"))
    parser.add_argument("--repeat", type=int, default=5, help="incremental rounds")
    parser.add_argument("--full-repeat", type=int, default=2, help="full build rounds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "flags.json"))
    parser.add_argument("--workdir", help="reuse and keep this folder (repo/, wh-with/, "
                                          "wh-without/ of an earlier run) instead of a temp one")
    args = parser.parse_args()
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("no real results: pass --results DIR (a folder holding results/)")
        return 2
    if args.full_repeat < 1 and not args.workdir:
        print("--full-repeat 0 needs --workdir holding the warehouses of an earlier run")
        return 2
    tmp = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-flags-"))
    tmp.mkdir(parents=True, exist_ok=True)   # a new --workdir is made, an earlier one reused
    started = time.perf_counter()
    try:
        repo = tmp / "repo"
        if not repo.exists():
            subprocess.run(["cp", "-al", str(Path(args.results).resolve()), str(repo)],
                           check=True)
        files = sorted(p for p in (repo / "results").rglob("*.json")
                       if p.name != "model_meta.json" and "experiments" not in p.parts)
        rng = random.Random(0)
        runs: dict[str, list[dict]] = {k: [] for k in ("full_without", "full_with",
                                                      "incremental_without",
                                                      "incremental_with")}
        whs = {True: tmp / "wh-with", False: tmp / "wh-without"}

        def one(kind: str, flags: bool) -> None:
            key = f"{kind}_{'with' if flags else 'without'}"
            wall, cpu, steps, manifest = run(repo, whs[flags], flags, full=kind == "full")
            # an incremental build updates the previous database, as a nightly refresh does
            assert kind == "full" or manifest.get("database") != "created", key
            runs[key].append({"wall_s": wall, "cpu_s": cpu, "steps": steps,
                              "load": os.getloadavg()[0]})
            print(f"{key}: {wall:.1f} s wall, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f}; "
                  "CPU per step " + ", ".join(f"{s} {v:.2f}" for s, v in steps.items()),
                  flush=True)

        for i in range(args.full_repeat):  # without, with, with, without, ...
            for flags in (False, True) if i % 2 == 0 else (True, False):
                one("full", flags)
        # the first incremental build after a full one also compacts or re-validates what the
        # full build left: one untimed round first, so each timed round is a nightly refresh's
        rewrite(rng.choice(files), seed=1000)
        for flags in (False, True):
            run(repo, whs[flags], flags, full=False)
        for i in range(args.repeat):
            rewrite(rng.choice(files), seed=i + 1)  # one changed file, seen by both warehouses
            for flags in (False, True) if i % 2 == 0 else (True, False):
                one("incremental", flags)
        out = summary(runs)
        out["seconds"] = time.perf_counter() - started
        text = report(out)
        out["report"] = text
        print(text)
        print(f"({out['seconds']:.0f} s in all; load now {os.getloadavg()[0]:.1f})")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=1))
    finally:
        if not args.workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
