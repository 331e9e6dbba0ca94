"""Refresh benchmark on the real results repository: `mteb-lb refresh` with no upstream change,
and after ~1 % of the result files changed (clustered: whole model folders, as upstream commits
add or rerun a model; scattered: files picked at random across every folder). Prints medians
with the targets and where the time of a publishing run goes; writes bench/out/refresh.json.

    .venv/bin/python bench/bench_refresh.py [--results /work/results-data] [--repeat 3] [--git]

The source is a hard-linked copy of the results folder in a temporary folder (changed files are
written to new inodes, so the original is never modified). By default it is a plain folder
source (no commit: the refresh compares file stats); `--git` makes it a git working tree (each
change is committed), so the refresh knows the commit and "no change" is the commit
short-circuit (`already at <commit>`), as in production. git hashes the 2 GB once (~30 s); the
source is the working tree itself, not a `file://` URL, whose first clone would pack 2 GB.
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

ROOT = Path(__file__).resolve().parent.parent
# issue 16's targets: nothing changed <= 0.5 s from a git source (the commit says so), <= 1 s
# from a folder (every file stat'ed); 1 % of the files changed <= 3 s
TARGETS = {"nochange_s": 3.0, "clustered_s": 3.0, "scattered_s": 3.0}
NOCHANGE_TARGET = {"git": 0.5, "folder": 1.0}


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, list[float]] = {}   # CPU seconds of each timed run, by scenario (the machine
                                   # may be shared: CPU time is what contention inflates least)


def refresh(source: str, env: dict, key: str | None = None) -> tuple[float, dict]:
    """(wall seconds, the run record) of one `mteb-lb refresh` in a fresh process; its CPU
    time (user + sys, the parser processes included) goes to CPU[key]."""
    cmd = [sys.executable, "-m", "mteb_lb.cli", "refresh", "--source", source, "--quiet"]
    cpu = children_cpu()
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if key is not None:
        CPU.setdefault(key, []).append(children_cpu() - cpu)
    if proc.returncode != 0:
        raise SystemExit(f"refresh failed ({proc.returncode}): {proc.stderr[-2000:]}")
    log = Path(env["MTEB_LB_WAREHOUSE"]) / "runs.jsonl"
    record = json.loads(log.read_text().splitlines()[-1])
    return wall, record


def result_files(repo: Path) -> dict[str, list[Path]]:
    by_folder: dict[str, list[Path]] = {}
    for path in sorted((repo / "results").rglob("*.json")):
        if path.name != "model_meta.json":
            by_folder.setdefault(path.relative_to(repo / "results").parts[0], []).append(path)
    return by_folder


def rewrite(path: Path, seed: int) -> None:
    """A changed main score (new inode: the hard-linked original stays as it was)."""
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return
    scores = data.get("scores") if isinstance(data, dict) else None
    touched = False
    if isinstance(scores, dict):
        for entries in scores.values():
            if isinstance(entries, list) and entries and isinstance(entries[0], dict) \
                    and isinstance(entries[0].get("main_score"), (int, float)):
                entries[0]["main_score"] = entries[0]["main_score"] * (0.9 + seed % 7 / 100)
                touched = True
                break
    if not touched and isinstance(data, dict):
        data["bench_refresh_seed"] = seed
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def change(repo: Path, how: str, seed: int) -> int:
    by_folder = result_files(repo)
    total = sum(len(v) for v in by_folder.values())
    target = max(1, total // 100)
    rng = random.Random(seed)
    if how == "scattered":
        chosen = rng.sample([p for v in by_folder.values() for p in v], target)
    else:  # clustered: whole model folders until ~1 % of the files
        folders = list(by_folder)
        rng.shuffle(folders)
        chosen = []
        for folder in folders:
            if len(chosen) >= target:
                break
            if len(by_folder[folder]) <= target - len(chosen) + target // 5:
                chosen.extend(by_folder[folder])
    for path in chosen:
        rewrite(path, seed)
    return len(chosen)


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS",
                                                            "/work/results-data"),
                        help="folder holding results/ (default: $MTEB_LB_REAL_RESULTS or "
                             "/work/results-data)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--git", action="store_true", help="use a git repository source")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "refresh.json"))
    args = parser.parse_args()
    results = Path(args.results)
    if not (results / "results").is_dir():
        print(f"no real results in {results}: pass --results DIR (a folder holding results/)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="mteb-lb-bench-refresh-"))
    repo = work / "repo"
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(work / "warehouse"),
           "MTEB_LB_CACHE": str(work / "cache")}
    TARGETS["nochange_s"] = NOCHANGE_TARGET["git" if args.git else "folder"]
    figures: dict[str, list[float]] = {k: [] for k in TARGETS}
    breakdown: dict[str, dict] = {}
    try:
        print(f"copying {results} (hard links) to {repo} ...", file=sys.stderr)
        repo.mkdir()
        subprocess.run(["cp", "-al", str((results / "results").resolve()), str(repo / "results")],
                       check=True)
        source = str(repo)
        if args.git:
            t = time.perf_counter()
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "initial")
            git(repo, "config", "gc.auto", "0")
            print(f"git repository made in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        wall, rec = refresh(source, env)
        print(f"initial refresh (full build): {wall:.1f} s, {rec['outcome']}", file=sys.stderr)
        for i in range(args.repeat):
            wall, rec = refresh(source, env, "nochange_s")
            assert rec["outcome"] == "unchanged", rec
            figures["nochange_s"].append(wall)
            for how in ("clustered", "scattered"):
                n = change(repo, how, seed=1000 * i + (how == "scattered"))
                if args.git:
                    git(repo, "add", "-A")
                    git(repo, "commit", "-q", "-m", f"{how} {i}")
                wall, rec = refresh(source, env, f"{how}_s")
                assert rec["outcome"] == "published", rec
                figures[f"{how}_s"].append(wall)
                manifest = json.loads(
                    (work / "warehouse" / "current" / "manifest.json").read_text())
                timings = manifest.get("timings", {})
                timings["finalize+publish_s"] = rec["duration_s"] - sum(timings.values())
                timings["of which history_s"] = manifest.get("history", {}).get("seconds", 0)
                timings["of which validation_s"] = \
                    manifest.get("refresh", {}).get("validation", {}).get("seconds", 0)
                breakdown[how] = {k: round(v, 2) for k, v in timings.items()}
                print(f"run {i + 1} {how}: {n} files changed ({rec['files_changed']} seen), "
                      f"{wall:.1f} s: {breakdown[how]}", file=sys.stderr)
            print(f"run {i + 1}: no change {figures['nochange_s'][-1]:.2f} s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {k: statistics.median(v) for k, v in figures.items() if v}
    cpu_medians = {k: statistics.median(v) for k, v in CPU.items() if v}
    out = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
           "source": "git" if args.git else "folder", "repeat": args.repeat, "runs": figures,
           "medians": medians, "breakdown_last_run": breakdown, "targets": TARGETS,
           "cpu_runs": CPU, "cpu_medians": cpu_medians}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    labels = {"nochange_s": f"refresh, no upstream change ({out['source']} source)",
              "clustered_s": "refresh, 1 % of files changed (whole model folders)",
              "scattered_s": "refresh, 1 % of files changed (scattered)"}
    print("| scenario | median | target | CPU (median) |\n|---|---|---|---|")
    for key, label in labels.items():
        if key in medians:
            ok = "ok" if medians[key] <= TARGETS[key] else "MISSED"
            cpu = f"{cpu_medians[key]:.2f} s" if key in cpu_medians else "n/a"
            print(f"| {label} | {medians[key]:.2f} s | ≤ {TARGETS[key]:g} s ({ok}) | {cpu} |")
    for how, parts in breakdown.items():
        print(f"{how}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
