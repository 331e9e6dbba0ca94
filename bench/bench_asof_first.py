"""As-of requests of a backfilled warehouse, each case in a FRESH process: the first request of a
date (what a user waits for after a deploy or a restart) and the later ones. Prints JSON lines and
a median per case; issue 17's target is 300 ms for an as-of table, the first request included.

    .venv/bin/python bench/bench_asof_first.py WAREHOUSE [CASE ...] [--rounds N]

WAREHOUSE: a warehouse with a backfilled history (`mteb-lb backfill`, or bench_backfill.py's
`<work>/warehouse`). CASE: `SEQ[:field=value...]`, the snapshot's number (0: today, -1: the
newest snapshot) and leaderboard state fields, e.g. `27`, `33:languages=eng`; default: 27, 40,
33:languages=eng, -1 on MTEB(Multilingual, v2). Before each case the compacted state files of
the snapshots other than the newest are deleted (caches, made again on demand; the backfill
leaves only the newest, and the ranges of every snapshot), so that the first request meets the
store as a backfill leaves it. ``--without-ranges``: the ranges moved aside for each case (a
store recorded before them: a date without its own state is an overlay on the newest's).
Per case: `first` (wall ms, CPU ms of the process: every thread), then the table again 4 times
with the rankings cache cleared (after the date's own state is compacted), medians.
The rank intervals are not computed (the dashboard's first request; they come in a second).

With ``--served``, each case's process first does what a gunicorn worker does before it accepts
requests (``app.main.prewarm_rankings``: today's default boards, then the past database's
schema, ``asof.prewarm``), and the case runs on that worker's Leaderboard: the first as-of
request a user of the deployed app waits for. Without it: a bare process (a restart's CLI).
``--gap SECONDS``: with ``--served``, the worker idles that long between its warm-up and the
request (a user arrives later than the worker starts).
The schema `past` that the first process of a build stores (<store>/past_schema, mteb_lb/asof.py)
is kept between the cases, as a deployed app's later processes find it; ``--fresh-schema``
removes it before each case (every case then is the first process of its build, which makes and
stores it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = "MTEB(Multilingual, v2)"
DEFAULT_CASES = ("27", "40", "33:languages=eng", "-1")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(warehouse: Path, case: str, served: bool = False, gap: float = 0.0) -> dict:
    """One case in this process: its first request, then four more; `served`: after a
    worker's warm-up (and `gap` seconds idle), on the worker's Leaderboard."""
    sys.path.insert(0, str(ROOT))
    from etl import backfill
    from mteb_lb import asof, db, rankings

    snaps = backfill.read_snapshots(warehouse / "history").to_pylist()
    warm = None
    if served:
        os.environ["MTEB_LB_WAREHOUSE"] = str(warehouse)
        from app.main import prewarm_rankings

        t, c = time.perf_counter(), _cpu()
        prewarm_rankings()
        warm = (round((time.perf_counter() - t) * 1000), round((_cpu() - c) * 1000))
        lb = rankings.leaderboard()
        time.sleep(gap)
    else:
        lb = rankings.Leaderboard(db.CurrentBuild(warehouse))
    seq, *extra = case.split(":")
    params = {"benchmark": BENCHMARK, **dict(e.split("=", 1) for e in extra)}
    if int(seq):
        params["as_of"] = snaps[int(seq) - 1 if int(seq) > 0 else int(seq)][
            "committed_at"].date().isoformat()
    state, problems = lb.read_state(params)
    if problems:
        raise SystemExit(f"{case}: {problems}")
    runs = []
    for i in range(5):
        lb._cache.clear()
        t, c = time.perf_counter(), _cpu()
        table = lb.view(state, intervals="none")
        runs.append((round((time.perf_counter() - t) * 1000), round((_cpu() - c) * 1000)))
        if i == 0:     # the date's own state compacted (after the first request, in a thread)
            for past in list(asof._past.values()):
                past.settle()
    return {"case": case, "first_wall_ms": runs[0][0], "first_cpu_ms": runs[0][1],
            "again_wall_ms": statistics.median(r[0] for r in runs[1:]),
            "again_cpu_ms": statistics.median(r[1] for r in runs[1:]),
            "rows": table.num_rows, "load": round(os.getloadavg()[0], 1),
            **({"warm_up_wall_ms": warm[0], "warm_up_cpu_ms": warm[1]} if served else {})}


def _clear_states(warehouse: Path) -> None:
    """The compacted state files but the newest snapshot's (the store as a backfill leaves it),
    in the store and in the private temp folder (mteb_lb/asof.py _state_folders)."""
    folders = [warehouse / "history" / "asof",
               Path(tempfile.gettempdir()) / f"mteb-lb-asof-{os.getuid()}"]
    names = sorted(p.name for p in folders[0].glob("*.duckdb"))
    newest = names[-1].split("-", 1)[0] if names else None
    for folder in folders:
        for path in folder.glob("*.duckdb"):
            if path.name.split("-", 1)[0] != newest:
                path.unlink(missing_ok=True)


def _clear_schema(warehouse: Path) -> None:
    """The stored schema `past` files (mteb_lb/asof.py _schema_folders)."""
    for folder in (warehouse / "history" / "past_schema",
                   Path(tempfile.gettempdir()) / f"mteb-lb-asof-schema-{os.getuid()}"):
        for path in folder.glob("*.duckdb"):
            path.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("cases", nargs="*", default=list(DEFAULT_CASES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--served", action="store_true",
                        help="each case after a gunicorn worker's warm-up (see above)")
    parser.add_argument("--gap", type=float, default=0.0,
                        help="with --served: seconds idle between the warm-up and the request")
    parser.add_argument("--fresh-schema", action="store_true",
                        help="remove the stored schema `past` before each case (see above)")
    parser.add_argument("--without-ranges", action="store_true",
                        help="the ranges of every snapshot moved aside for each case")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.warehouse, args.cases[0], args.served, args.gap)), flush=True)
        return 0
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for case in args.cases:
            _clear_states(args.warehouse)
            if args.fresh_schema:
                _clear_schema(args.warehouse)
            ranges = args.warehouse / "history" / "ranges"
            aside = ranges.with_name("ranges.aside")
            if args.without_ranges and ranges.is_dir():
                ranges.rename(aside)
            try:
                out = subprocess.run([sys.executable, __file__, str(args.warehouse), case,
                                      "--child", "--gap", str(args.gap),
                                      *(["--served"] if args.served else [])],
                                     check=True, capture_output=True, text=True)
            finally:
                if aside.is_dir():
                    aside.rename(ranges)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(row), flush=True)
            results.setdefault(case, []).append(row)
    _clear_states(args.warehouse)
    print("case | first wall ms | first CPU ms | later wall ms | later CPU ms  (medians)")
    for case, rows in results.items():
        print(" | ".join([case] + [str(statistics.median(r[k] for r in rows)) for k in (
            "first_wall_ms", "first_cpu_ms", "again_wall_ms", "again_cpu_ms")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
