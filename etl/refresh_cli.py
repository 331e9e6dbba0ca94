"""`mteb-lb refresh` (the nightly job: fetch, rebuild if the source moved, validate, publish,
record the run) and `mteb-lb status` (how fresh the data is; the last runs)."""

from __future__ import annotations

import json
import signal
import sys

from etl.build_options import add_build_options, without_pandas


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "refresh", help="fetch the source and publish a new build if it changed (the nightly job)",
        description="Fetch the source; if its commit is the current build's, publish nothing; "
                    "else build incrementally, validate, publish and record the run in "
                    "<warehouse>/runs.jsonl. Exit codes: 0 published or nothing to do, 1 build "
                    "or validation failed, 3 source unreadable, 75 another run holds the lock.")
    add_build_options(p, full_help="rebuild everything, even when the source commit did not "
                                   "change")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_refresh)

    p = subparsers.add_parser("status", help="the build being served, its age, and the last "
                                             "refresh runs")
    p.add_argument("-n", "--runs", type=int, default=10, help="how many runs to show (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_status)


def _on_sigterm(signum, _frame):
    # systemd stops a unit with SIGTERM: unwind (staging is removed, the run is recorded).
    raise SystemExit(128 + signum)


def _refresh(args) -> int:
    # deferred: DuckDB/Arrow and the build load only when the command runs
    from etl import refresh
    from etl.cli import progress_for
    from etl.progress import Display

    signal.signal(signal.SIGTERM, _on_sigterm)
    display = Display(tick_s=None if args.quiet else 0.5)
    log = None if args.quiet else display.print
    try:
        with without_pandas():
            result = refresh.refresh(
                args.source, full=args.full, catalog_dir=args.catalog, workers=args.workers,
                update=not args.no_update,
                progress=None if args.quiet else progress_for(display), log=log)
    finally:
        display.close()
    if result.report is not None and result.outcome == "published" and not args.quiet:
        # deferred: DuckDB/Arrow and the build load only when the command runs
        from etl import build

        build.print_summary(result.report, out=sys.stderr)
    stream = sys.stdout if result.exit_code == 0 else sys.stderr
    prefix = "" if result.exit_code == 0 else "error: "
    print(f"{prefix}{result.message}", file=stream)
    return result.exit_code


def _status(args) -> int:
    # deferred: DuckDB/Arrow and the build load only when the command runs
    from mteb_lb import status

    fresh = status.freshness()
    runs = status.last_runs(args.runs)
    if args.json:
        print(json.dumps({"freshness": fresh, "runs": runs}, indent=2, default=str))
        return 0
    if fresh["published"]:
        print(f"serving:  {fresh['build_id']}")
        print(f"source:   {fresh['source']}"
              + (f" at {fresh['source_commit']}" if fresh["source_commit"] else ""))
        print(f"built:    {fresh['built_at']} ({fresh['age']} ago)")
    else:
        # deferred: DuckDB/Arrow and the build load only when the command runs
        from mteb_lb import warehouse

        print(f"serving:  nothing. {warehouse.no_build_message(warehouse.root())}")
    if fresh.get("checked_at"):
        print(f"checked:  {fresh['checked_at']} ({fresh['checked_age']} ago, last run that "
              "did not fail)")
    if fresh.get("last_failure"):
        f = fresh["last_failure"]
        print(f"last failure: {f.get('ended')}: {f.get('message')}")
    if not runs:
        print("\nno refresh run recorded yet")
        return 0
    print(f"\nlast {len(runs)} runs (newest first):")
    header = ("started", "ended", "outcome", "commit", "added", "changed", "removed",
              "quarantined", "seconds")
    rows = [header]
    for r in runs:
        rows.append((_short(r.get("started")), _short(r.get("ended")), r.get("outcome") or "",
                     (r.get("source_commit") or "-")[:12], str(r.get("files_added") or 0),
                     str(r.get("files_changed") or 0), str(r.get("files_removed") or 0),
                     str(r.get("files_quarantined") or 0), f"{r.get('duration_s') or 0:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            continue
        run = runs[i - 1]
        if run.get("message"):
            print(f"    {run['message']}")
        for q in (run.get("quarantined") or [])[:10]:
            print(f"    quarantined {q.get('path')}: {q.get('reason')}")
        extra = (run.get("files_quarantined") or 0) - min(10, len(run.get("quarantined") or []))
        if extra > 0:
            print(f"    ... {extra} more quarantined (see the `files` table)")
    return 0


def _short(ts) -> str:
    return str(ts or "-").replace("T", " ")[:19]
