"""The options of a build that `mteb-lb etl` (etl/cli.py) and `mteb-lb refresh`
(etl/refresh_cli.py) share; a module of its own, so that neither command imports the other's."""

from __future__ import annotations

from pathlib import Path


def add_build_options(p, full_help: str) -> None:
    """The source, --full (`full_help`: what it means for the command), the catalog snapshot,
    the parser processes, --no-update."""
    p.add_argument("--source", help="a folder holding results/, a git URL, or hf:<dataset repo id> "
                                    "(default: the MTEB_LB_SOURCE setting)")
    p.add_argument("--full", action="store_true", help=full_help)
    p.add_argument("--catalog", type=Path, help="catalog snapshot folder (default: etl/catalog)")
    p.add_argument("--workers", type=int, help="parser processes (default: MTEB_LB_ETL_WORKERS)")
    p.add_argument("--no-update", action="store_true",
                   help="use the cached copy of a git/hf source without fetching")
