"""`mteb-lb backfill`: record the leaderboard's past from the results repository's git history
(etl/backfill.py; docs/HISTORY.md)."""

from __future__ import annotations

import signal
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backfill", help="record past leaderboards from the results repository's git history",
        description="Walk the first-parent commits of the source's default branch, oldest "
                    "first, one per period (the last of each), and record each commit's "
                    "leaderboard snapshot (today's catalog on the results of then) into "
                    "<warehouse>/history. Rerunning resumes; it holds the ETL lock. Exit codes: "
                    "0 done, 1 failed, 3 source without history, 75 another ETL run holds the "
                    "lock.")
    p.add_argument("--source", help="a git clone of the results repository or its git URL "
                                    "(default: the MTEB_LB_SOURCE setting); a git URL's cached "
                                    "clone is deepened as far as --since")
    p.add_argument("--since", help="first date to record (YYYY-MM-DD; default: all history)")
    p.add_argument("--every", choices=("day", "week", "month"),
                   help="one snapshot per period, its last commit (default: every commit)")
    p.add_argument("--workers", type=int, help="parser processes (default: MTEB_LB_ETL_WORKERS)")
    p.add_argument("--no-update", action="store_true",
                   help="use the cached clone of a git URL as it is (no fetch)")
    p.add_argument("--relayout", action="store_true",
                   help="only rewrite the stored past results in the current layout (sorted by "
                        "their group, small row groups: a past date's first request reads "
                        "less), then stop; no source needed. Idempotent; a plain backfill run "
                        "does it first too")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_backfill)


def _on_sigterm(signum, _frame):
    raise SystemExit(128 + signum)


def _backfill(args) -> int:
    # deferred: DuckDB/Arrow and the build load only when the command runs
    from etl import backfill, build, refresh, sources
    from mteb_lb import warehouse

    signal.signal(signal.SIGTERM, _on_sigterm)
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        if args.relayout:
            result = backfill.relayout(log=log)
        else:
            result = backfill.backfill(args.source, since=args.since, every=args.every,
                                       workers=args.workers, update=not args.no_update, log=log)
    except (backfill.BackfillError, sources.SourceError, build.SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return refresh.EXIT_SOURCE
    except warehouse.LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return refresh.EXIT_LOCKED
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.message)
    return 0
