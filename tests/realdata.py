"""The real-data warehouse the `realdata` and golden tests run against (see conftest.py).

A reused warehouse (`MTEB_LB_REAL_WAREHOUSE`) is only trusted when its current build was made by
this code: the manifest's parse and database fingerprints (etl/build.py: parser version, file-size
limit, catalog snapshot, the SQL of queries/) must equal the ones the code computes now. If they
differ it is rebuilt from `MTEB_LB_REAL_RESULTS` (in place: `build.run` reparses everything when
the parse fingerprint changed and recreates the database when the database one did), so golden
tests never check old SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable


class Missing(Exception):
    """No real data to test against."""


def stale_fingerprints(build_dir: Path, catalog_dir: Path | None = None) -> list[str]:
    """The manifest fingerprints of ``build_dir`` that differ from the code's (sorted names)."""
    from etl import build
    from etl import catalog as catalog_mod
    from mteb_lb import warehouse

    snapshot = catalog_mod.load_snapshot(catalog_dir)
    expected = {"parse_fingerprint": build.parse_fingerprint(snapshot),
                "database_fingerprint": build.database_fingerprint(snapshot)}
    manifest = warehouse.read_manifest(build_dir)
    return sorted(k for k, v in expected.items() if manifest.get(k) != v)


def real_warehouse(existing: Path | None, results: Path | None, new_dir: Callable[[], Path], *,
                   catalog_dir: Path | None = None) -> Path:
    """The warehouse to test against: ``existing`` if its build is the code's, else ``existing``
    rebuilt from ``results``; without ``existing``, a new build of ``results`` in ``new_dir()``.
    Raises `Missing` when there is nothing to build from."""
    from etl import build
    from mteb_lb import warehouse

    if existing is not None and (existing / "current").exists():
        stale = stale_fingerprints(warehouse.current_build(existing), catalog_dir)
        if not stale:
            return existing
        if results is None:
            raise Missing(f"the reused warehouse {existing} was built by other code "
                          f"({', '.join(stale)} differ) and MTEB_LB_REAL_RESULTS is not set to "
                          "rebuild it")
        target = existing
    elif results is None:
        raise Missing("MTEB_LB_REAL_RESULTS is not set: no real results to test against")
    else:
        target = new_dir()
    if not (results / "results").is_dir():
        raise Missing(f"MTEB_LB_REAL_RESULTS={results} holds no results/ folder")
    report = build.run(results, source=str(results), catalog_dir=catalog_dir,
                       warehouse_dir=target)
    assert report.published, report.message
    return target
