"""What the validity flags add to the parse alone (issue #13), without a whole build's noise:
`parse_segment` over a random share of the real model folders in this process, alternated with
and without the parser's flag work (`entry_checks`, and the compiled filter of the entries to
check where the checkout has one, both replaced by no-ops), CPU time of the process; prints
the medians and the difference. The files are read once before (page cache).

    .venv/bin/python bench/bench_parse_flags.py --results DIR [--code CHECKOUT] [--share 12]
                                                [--seed 1] [--repeat 5]

`--share N`: one model folder in N (seeded); `--code` runs another checkout's parser (e.g.
main's: its folder goes first on sys.path).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"))
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--share", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.results or not (Path(args.results) / "results").is_dir():
        print("no real results: pass --results DIR (a folder holding results/)")
        return 2
    sys.path.insert(0, str(args.code.resolve()))
    from etl import catalog as catalog_mod  # noqa: PLC0415 - from the checkout chosen above
    from etl import segments  # noqa: PLC0415
    from etl.parse import TaskCatalog  # noqa: PLC0415

    snapshot = catalog_mod.load_snapshot(None)
    segments.init_worker(TaskCatalog.from_snapshot(snapshot["tasks"],
                                                   snapshot["task_renames"]))
    repo = Path(args.results)
    folders = sorted(p for p in (repo / "results").iterdir() if p.is_dir())
    folders = random.Random(args.seed).sample(folders, max(1, len(folders) // args.share))
    jobs = []
    for folder in folders:
        stats = []
        for path in sorted(folder.rglob("*.json")):
            st = path.stat()
            stats.append(segments.FileStat(str(path.relative_to(repo)), st.st_size,
                                           st.st_mtime_ns))
            path.read_bytes()  # into the page cache
        jobs.append((folder.name, stats))
    real = {name: getattr(segments, name) for name in ("entry_checks", "check_candidates")
            if hasattr(segments, name)}
    stubs = {"entry_checks": lambda *a, **k: None, "check_candidates": lambda *a, **k: []}

    def run(flags: bool) -> float:
        out = Path(tempfile.mkdtemp(prefix="bench-parse-flags-"))
        for table in segments.SEGMENTED:
            (out / "parquet" / table).mkdir(parents=True)
        for name in real:
            setattr(segments, name, real[name] if flags else stubs[name])
        segments._CHECK_SHAPES.clear()
        t = time.process_time()
        try:
            for name, stats in jobs:
                segments.parse_segment(segments.ParseJob(
                    segments.segment_name(name), str(repo), str(out), stats, 1 << 30))
        finally:
            for name, function in real.items():
                setattr(segments, name, function)
            shutil.rmtree(out)
        return time.process_time() - t

    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(args.repeat):
        for flags in (True, False) if i % 2 == 0 else (False, True):
            times[flags].append(run(flags))
    with_, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"{args.code}: {sum(len(s) for _, s in jobs)} files; CPU s with flags {with_:.3f}, "
          f"without {without:.3f}, added {with_ - without:+.3f} "
          f"(runs {[round(x, 3) for x in times[True]]} / {[round(x, 3) for x in times[False]]})"
          f"; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
