"""Where one `mteb-lb` command's CPU goes, per build step and per SQL statement, without
cProfile's inflation: each top-level function of the build is timed with `time.process_time`
(this process and its threads: DuckDB's, the rank intervals'; not the parser processes), and
every statement through a wrapper around the DuckDB connections the build opens. Used for
docs/PERFORMANCE.md §Session 10: where a 1 % rerun's CPU goes now, the scratch tables reused,
and §Session 20: the Python over all paths (rerun13), which sums the per-path steps
(`PATH_STEPS`).

    MTEB_LB_WAREHOUSE=... [PROFILE_TIMELINE_MS=30] .venv/bin/python bench/profile_rerun.py \
        [--code CHECKOUT] etl --source REPO

The command runs as `mteb-lb` would; the figures go to stderr when it ends. `--code` (first
argument) imports the code of another checkout (e.g. the base's, for an A/B pair). §Session 21:
the 1 % rerun (rerun14) added the refresh's own steps (validation, publish, the files'
comparison) and the CPU spent before the command starts (interpreter and imports); §Session 23:
the 1 % rerun (rerun16) the wall time of each step and statement beside its CPU (CPU equal to
wall: one thread busy, the second core idle on an idle machine).
"""

from __future__ import annotations

import atexit
import collections
import os
import re
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
if sys.argv[1:2] == ["--code"]:   # the checkout whose code runs (before/after pairs)
    ROOT = Path(sys.argv[2]).resolve()
    del sys.argv[1:3]
sys.path.insert(0, str(ROOT))

SQL: dict = collections.defaultdict(lambda: [0, 0.0, 0.0])   # statement -> [calls, CPU s, wall s]
# the steps whose work is per path, their sum reported apart (docs/PERFORMANCE.md
# §Session 20: the Python over all paths (rerun13); nochange.check includes the C listing)
PATH_STEPS = ("etl.nochange.check", "etl.changes.read_state", "etl.build._scan_skips",
              "etl.changes.from_listing", "etl.changes.from_paths", "etl.build._previous",
              "etl.incremental.plan", "etl.build._write_tables")
STEP: dict = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])   # function -> [calls, CPU s,
                                                   # of which in timed statements, wall s]
SQL_CPU = [0.0]   # CPU of the timed statements so far
# with PROFILE_TIMELINE_MS=N: (start s, wall s, CPU s, statement) of every statement, listed in
# the order they ran when their wall time reaches N ms (where the wall time goes, step by step)
TIMELINE: list = []
WALL0 = time.monotonic()
_connect = duckdb.connect


class _Timed:
    """A connection whose execute and sql are timed (everything else passes through)."""

    def __init__(self, con):
        object.__setattr__(self, "_con", con)

    def __getattr__(self, name):
        return getattr(self._con, name)

    def _timed(self, function, sql, *args, **kwargs):
        # the build scans Arrow tables by their Python name (replacement scans look in the
        # caller's frame, which is now this one): register the caller's tables named in the SQL
        for name, value in sys._getframe(2).f_locals.items():
            if type(value).__name__ == "Table" and re.search(rf"\b{name}\b", str(sql)):
                self._con.register(name, value)
        start, wall = time.process_time(), time.monotonic()
        try:
            return function(sql, *args, **kwargs)
        finally:
            entry = SQL[" ".join(str(sql).split())[:100]]
            TIMELINE.append((wall - WALL0, time.monotonic() - wall, time.process_time() - start,
                             " ".join(str(sql).split())[:100]))
            entry[0] += 1
            entry[1] += time.process_time() - start
            entry[2] += time.monotonic() - wall
            SQL_CPU[0] += time.process_time() - start

    def execute(self, sql, *args, **kwargs):
        self._timed(self._con.execute, sql, *args, **kwargs)
        return self

    def sql(self, sql, *args, **kwargs):
        return self._timed(self._con.sql, sql, *args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._con.__exit__(*exc)


def _wrap(module, name: str, clock=time.process_time) -> None:
    function = getattr(module, name)

    def timed(*args, **kwargs):
        start, sql, wall = clock(), SQL_CPU[0], time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            entry = STEP[f"{module.__module__}.{module.__name__}.{name}"
                         if isinstance(module, type) else f"{module.__name__}.{name}"]
            entry[0] += 1
            entry[1] += clock() - start
            entry[2] += SQL_CPU[0] - sql
            entry[3] += time.monotonic() - wall
    setattr(module, name, timed)


def _report() -> None:
    out = sys.stderr
    print(f"build process CPU: {time.process_time():.2f} s (step figures: process CPU while "
          "the step ran, other threads included; rank_intervals._intervals: its thread's "
          "own)", file=out)
    print(f"build process wall: {time.monotonic() - WALL0:.2f} s (per step: CPU s, wall s; "
          "CPU / wall near 1: one core busy, the other idle)", file=out)
    for name, (calls, cpu, sql, wall) in sorted(STEP.items(), key=lambda item: -item[1][1]):
        print(f"step {cpu:7.3f} s {wall:7.3f} s wall  x{calls:<3d} {name}"
              + (f"  (statements {sql:.3f} s)" if sql else ""), file=out)
    print(f"the steps over all paths: {sum(STEP[n][1] for n in PATH_STEPS if n in STEP):.2f} s "
          f"({', '.join(n.split('.', 1)[1] for n in PATH_STEPS)})", file=out)
    print(f"SQL in all: {sum(v[1] for v in SQL.values()):.2f} s", file=out)
    at_least = os.environ.get("PROFILE_TIMELINE_MS")
    if at_least:
        print(f"statements of {at_least} ms or more, in the order they ran (start s, wall s, "
              "CPU s):", file=out)
        for start, wall, cpu, sql in TIMELINE:
            if wall * 1000 >= float(at_least):
                print(f"at {start:7.3f} {wall:7.3f} s wall {cpu:7.3f} s CPU  {sql}", file=out)
    lines = int(os.environ.get("PROFILE_SQL_LINES", "40"))   # how many statements to list
    for sql, (calls, cpu, wall) in sorted(SQL.items(), key=lambda item: -item[1][1])[:lines]:
        print(f"sql  {cpu:7.3f} s {wall:7.3f} s wall  x{calls:<3d} {sql}", file=out)


def main() -> int:
    STEP["(interpreter start and imports before main)"] = [1, time.process_time(), 0.0, 0.0]
    duckdb.connect = lambda *args, **kwargs: _Timed(_connect(*args, **kwargs))
    import queries
    from etl import (
        build,
        catalog,
        changes,
        default_summaries,
        flag_changes,
        history,
        incremental,
        maintain,
        nochange,
        rank_intervals,
        refresh,
        validate,
    )
    from mteb_lb import warehouse
    from mteb_lb.cli import main as cli

    steps = {build: ["scan", "_scan_skips", "_previous", "_write_tables", "_update_database",
                     "_create_database", "_finalize", "_row_counts", "run"],
             incremental: ["plan"], maintain: ["refresh", "_refresh_keyed"],
             history: ["prepare", "record", "snapshot", "input_hashes", "changed_paths",
                       "_carry_forward", "_holds", "_delta", "stale_benchmarks",
                       "_previous_build"],
             default_summaries: ["store", "write_file"], rank_intervals: ["start"],
             flag_changes: ["prepare", "record"], nochange: ["check", "database_fingerprint"],
             changes: ["from_listing", "from_paths", "read_state"],
             queries: ["create_views", "all_views", "sql_digest"],
             validate: ["check"], warehouse: ["publish", "prune", "check_build"],
             catalog: ["load_snapshot"], build._JobRunner: ["__call__"],
             refresh: ["_files_state", "file_changes", "_sql_validated", "catalog_digest"]}
    for module, names in steps.items():
        for name in names:
            _wrap(module, name)
    # the intervals' bootstrap runs in a thread while history.record and flag_changes.record
    # run: their process CPU includes it; its own thread's CPU is reported apart
    _wrap(rank_intervals, "_intervals", clock=time.thread_time)
    atexit.register(_report)
    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
