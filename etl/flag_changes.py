"""Validity flags new since the previous build (docs/QUALITY.md §New flags): every published
build keeps the keys of the previous build's flags in the table `quality_previous_flags` (a hash
of the columns that identify a flag: 8 bytes a flag, not its nine texts, which cost an
incremental build ~0.1 s more to copy and store), and the view
`quality_new_flags` (queries/quality/) lists the build's flags that were not there; the
/changes page shows them.

Hooked into the publish step of etl/build.py like etl/history.py: `prepare(final)` creates the
empty table before the queries/ views are created (the view reads it), `record(final,
warehouse_dir)` fills it after. The previous build is the one history compares with (the current
build, or the newest whole one); without one (the first build, or a build made before the
flags existed) the table holds the build's own flags, so nothing is new.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from etl import history
from mteb_lb import warehouse

TABLE = "quality_previous_flags"
# what identifies a flag: the same rule on the same result (or model) with the same values
# (queries/quality/quality_new_flags.sql hashes the same columns in the same order)
COLUMNS = ("rule", "model_name", "revision", "task_name", "split", "subset", "benchmark",
           "path", "message")
KEY = f"hash({', '.join(COLUMNS)})"


def prepare(final: Path) -> None:
    """Create the empty table in the build's database, so the view over it binds."""
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {TABLE} (flag_key UBIGINT)")
    finally:
        con.close()


def _has_flags(con, database: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND view_name = "
        "'validity_flags'", [database]).fetchall()[0][0])


def record(final: Path, warehouse_dir: Path | None = None) -> dict:
    """Fill `quality_previous_flags` with the keys of the previous build's flags. Returns
    manifest fields: the previous build compared with (None: none) and the number of new
    flags."""
    started = time.monotonic()
    prev = history._previous_build(final, warehouse_dir)
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        source = "validity_flags"
        if prev is not None and (prev / warehouse.DB_FILE).is_file():
            con.execute("ATTACH ? AS prev_build (READ_ONLY)", [str(prev / warehouse.DB_FILE)])
            if _has_flags(con, "prev_build"):
                source = "prev_build.validity_flags"
            else:
                prev = None
        else:
            prev = None
        con.execute(f"INSERT INTO {TABLE} SELECT DISTINCT {KEY} FROM {source}")
        if source != "validity_flags":
            con.execute("DETACH prev_build")
        new = con.execute("SELECT count(*) FROM quality_new_flags").fetchall()[0][0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"new_flags": {"previous_build_id": prev.name if prev is not None else None,
                          "count": new, "seconds": round(time.monotonic() - started, 3)}}
