"""The options of a build that `mteb-lb etl` (etl/cli.py) and `mteb-lb refresh`
(etl/refresh_cli.py) share, and what both do to their process before a build (`without_pandas`);
a module of its own, so that neither command imports the other's."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path


class _NoPandas:
    """A meta path finder that answers `import pandas` as if pandas were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError(
                "pandas is not imported by `mteb-lb etl` and `mteb-lb refresh` "
                "(etl/build_options.py without_pandas)", name="pandas")
        return None


@contextlib.contextmanager
def without_pandas():
    """While the block runs, pandas cannot be imported in this process (nor in the parser
    processes it forks), unless it is imported already; afterwards it can be again (pyarrow
    tries the import anew when it needs pandas). The build never uses pandas, but pyarrow
    imports it, if it can, the first time it converts Python values or opens a dataset, only to
    check whether they are pandas objects: ~0.25-0.4 s of CPU per run, a tenth of the CPU of a
    1 % rerun's Python (docs/PERFORMANCE.md §Session 21: the 1 % rerun (rerun14)). Without
    pandas, pyarrow and DuckDB skip those checks; the tables are the same (the build is compared
    with one made with pandas imported)."""
    if "pandas" in sys.modules or any(isinstance(f, _NoPandas) for f in sys.meta_path):
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


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
