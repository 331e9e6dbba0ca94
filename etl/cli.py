"""`mteb-lb etl` (build and publish the warehouse) and `mteb-lb catalog` (refresh the snapshot)."""

from __future__ import annotations

import sys
from pathlib import Path

from mteb_lb import warehouse


def register(subparsers) -> None:
    p = subparsers.add_parser("etl", help="build the warehouse from a results repository and publish it")
    p.add_argument("--source", help="a folder holding results/, a git URL, or hf:<dataset repo id> "
                                    "(default: the MTEB_LB_SOURCE setting)")
    p.add_argument("--full", action="store_true", help="rebuild everything instead of incrementally")
    p.add_argument("--catalog", type=Path, help="catalog snapshot folder (default: etl/catalog)")
    p.add_argument("--workers", type=int, help="parser processes (default: MTEB_LB_ETL_WORKERS)")
    p.add_argument("--no-update", action="store_true",
                   help="use the cached copy of a git/hf source without fetching")
    p.set_defaults(func=_etl)

    p = subparsers.add_parser("catalog", help="export the mteb catalog snapshot (needs mteb)")
    p.add_argument("--python", required=True,
                   help="an interpreter with mteb installed, e.g. .mteb-venv/bin/python")
    p.add_argument("--out", type=Path, help="snapshot folder (default: etl/catalog)")
    p.set_defaults(func=_catalog)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total or done % 50 == 0:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total else ("\r" if sys.stderr.isatty() else "\n")
        # a full build parses model folders; an incremental one, delta chunks and compactions
        print(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} jobs",
              end=end, file=sys.stderr, flush=True)


def _etl(args) -> int:
    from etl import build, sources
    from etl.catalog import CatalogError

    try:
        with warehouse.etl_lock():  # fetching updates the source cache: one run at a time
            checkout = sources.resolve(args.source, update=not args.no_update)
    except (sources.SourceError, warehouse.WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"source: {checkout.source} at {checkout.root}"
          + (f" (commit {checkout.commit})" if checkout.commit else ""), file=sys.stderr)
    try:
        report = build.run(checkout.root, source=checkout.source, source_commit=checkout.commit,
                           full=args.full, catalog_dir=args.catalog, workers=args.workers,
                           progress=_progress)
    except (build.SourceError, warehouse.WarehouseError, CatalogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    build.print_summary(report)
    return 0


def _catalog(args) -> int:
    from etl import catalog

    try:
        written = catalog.export(args.python, args.out or catalog.CATALOG_DIR)
    except catalog.CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
