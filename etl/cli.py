"""`mteb-lb etl` (build and publish the warehouse) and `mteb-lb catalog` (refresh the snapshot)."""

from __future__ import annotations

import errno
import sys
import threading
import time
from pathlib import Path

from etl import nochange, progress, report, sources
from etl.build_options import add_build_options, without_pandas
from mteb_lb import warehouse

# exit codes of `mteb-lb etl` (README, "Reliability")
EXIT_FAILED = 1         # the build failed (disk full, I/O error); nothing published
EXIT_SOURCE = 3         # the source cannot be read
EXIT_LOCKED = 4         # another ETL run holds the warehouse's lock
EXIT_CATALOG = 5        # the catalog snapshot is missing or unusable


def register(subparsers) -> None:
    p = subparsers.add_parser("etl",
                              help="build the warehouse from a results repository and publish it")
    add_build_options(p, full_help="rebuild everything instead of incrementally")
    p.set_defaults(func=_etl)

    p = subparsers.add_parser("catalog", help="export the mteb catalog snapshot (needs mteb)")
    p.add_argument("--python", required=True,
                   help="an interpreter with mteb installed, e.g. .mteb-venv/bin/python")
    p.add_argument("--out", type=Path, help="snapshot folder (default: etl/catalog)")
    p.set_defaults(func=_catalog)


def _progress(done: int, total: int) -> None:
    """Parse progress when stderr is not a terminal: a line every 50 jobs (logs, CI)."""
    if done == total or done % 50 == 0:
        width = 30
        filled = int(width * done / max(total, 1))
        # a full build parses model folders; an incremental one, delta chunks and compactions
        print(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} jobs",
              file=sys.stderr, flush=True)


# The steps after parsing (tables, database, views, history, rank intervals) take about this
# share of the parse time on a first, full build (real data, 2 cores: 18 s after 50 s).
AFTER_PARSE_SHARE = 0.4
AFTER_PARSE_STEPS = ("tables_s", "database_s", "views_s", "history_s", "flag_changes_s",
                     "rank_intervals_s", "validate_s")


def progress_for(display: progress.Display, root: Path | None = None):
    """The ``progress(done, total)`` callback of a build: the display on a terminal (counts, ETA,
    then the table step with its estimate), else `_progress`'s lines. With ``root`` (the folder
    holding results/), the ETA of a full build weighs each job by its model folder's bytes."""
    if not display.active:
        return _progress
    previous = _previous_after_parse_s()
    started = []
    sizes = _folder_sizes_later(root) if root is not None else {}

    def report(done: int, total: int) -> None:
        if not started:
            started.append(display.clock())
        weights = sizes.get("sizes")
        fraction = None
        if weights and len(weights) == total and sum(weights):
            fraction = sum(weights[:done]) / sum(weights)
        display.count("parsing", done, total, "jobs", fraction=fraction)
        if done == total:
            parse_s = display.clock() - started[0]
            estimate = previous if previous is not None else AFTER_PARSE_SHARE * parse_s
            display.step("computing tables", estimate_s=estimate)

    return report


# Parsing a file costs about as much as reading this many more bytes (its opening, its entries):
# with it the ETA of a full build of the real data stayed within 10 s of the truth after its
# first 20 % (one run on 2 shared cores; bytes alone: 15 s too short near the end).
FILE_COST_BYTES = 20_000


def _folder_sizes_later(root: Path) -> dict:
    """The work of each model folder (bytes + FILE_COST_BYTES per file), in the order a full
    build parses them (biggest folder first), computed in a background thread:
    ``{"sizes": [...]}`` once known."""
    # deferred: DuckDB/Arrow and the build load only when the command runs
    from etl import build

    out: dict = {}

    def work():
        try:
            groups = build.scan(root)
            order = sorted(groups.values(), key=lambda g: -sum(s.size for s in g))
            out["sizes"] = [sum(s.size for s in g) + FILE_COST_BYTES * len(g) for g in order]
        except Exception:  # noqa: BLE001 - only the estimate is lost; the build reports errors
            pass

    threading.Thread(target=work, daemon=True, name="progress-sizes").start()
    return out


def _previous_after_parse_s() -> float | None:
    """How long the current build's steps after parsing took (None without a build)."""
    try:
        timings = warehouse.read_manifest(warehouse.current_build()).get("timings") or {}
    except (warehouse.WarehouseError, OSError, ValueError):
        return None
    spent = [timings[k] for k in AFTER_PARSE_STEPS if k in timings]
    return sum(spent) if spent else None


def _failure(exc: BaseException) -> str:
    """One line for a build that failed on the machine's side (disk, I/O), not the data's."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "No space left" in str(exc):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return (f"error: the disk is full{where}: the build stopped; nothing was published and "
                "the current build is unchanged. Free some space and run again.")
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"error: the build failed ({type(exc).__name__}: {text}); nothing was published "
            "and the current build is unchanged.")


def _etl(args) -> int:
    started = time.monotonic()
    try:
        with warehouse.etl_lock():  # fetching updates the source cache: one run at a time
            checkout = sources.resolve(args.source, update=not args.no_update)
            # nothing to build? answered before DuckDB and Arrow load (etl/nochange.py)
            warehouse.clean_leftovers()  # what killed runs left behind (as build.run does)
            checked: dict = {}
            quick = nochange.check(checkout.root, source=checkout.source,
                                   source_commit=checkout.commit, catalog_dir=args.catalog,
                                   full=args.full, seen=checked)
    except warehouse.LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (sources.SourceError, warehouse.WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SOURCE
    print(source_line(checkout), file=sys.stderr)
    if quick is not None:
        report.print_summary(report.unchanged_report(quick, started))
        return 0

    # deferred: heavy, loaded only when this path runs
    import duckdb

    # deferred: DuckDB/Arrow and the build load only when the command runs
    from etl import build, workers
    from etl.catalog import CatalogError

    display = progress.Display()
    display.step("listing files")
    try:
        try:
            with without_pandas():
                outcome = build.run(checkout.root, source=checkout.source,
                                    source_commit=checkout.commit, full=args.full,
                                    catalog_dir=args.catalog, workers=args.workers,
                                    progress=progress_for(display, checkout.root),
                                    checked=checked)
        finally:
            display.close()
    except warehouse.LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (build.SourceError, warehouse.WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SOURCE
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CATALOG
    except (OSError, duckdb.IOException, workers.WorkerDied) as exc:
        print(_failure(exc), file=sys.stderr)
        return EXIT_FAILED
    build.print_summary(outcome)
    return 0


def source_line(checkout) -> str:
    """The source, named once (a git or Hugging Face source with its local copy)."""
    where = "" if str(checkout.root) == checkout.source else f" (local copy {checkout.root})"
    commit = f" at commit {checkout.commit}" if checkout.commit else ""
    return f"source: {checkout.source}{commit}{where}"


def _catalog(args) -> int:
    # deferred: DuckDB/Arrow and the build load only when the command runs
    from etl import catalog

    try:
        written = catalog.export(args.python, args.out or catalog.CATALOG_DIR)
    except catalog.CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
