"""How fresh the data is and what the last refresh runs did (for `mteb-lb status` and the
dashboard's status page). Plain dicts and lists only; reads the warehouse folder, nothing else.

    freshness() -> {"published": bool, "build_id", "source", "source_commit", "built_at",
                    "age_seconds", "age", "last_run": {...} | None,
                    "last_success": {...} | None, "last_failure": {...} | None}
    last_runs(n) -> [run record, newest first]   (fields: mteb_lb/runs.py)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mteb_lb import runs, warehouse


def last_runs(n: int = 10, warehouse_dir: Path | None = None) -> list[dict]:
    """The newest ``n`` refresh runs, newest first (see mteb_lb/runs.py for the fields)."""
    return runs.last(n, warehouse_dir)


def _parse(text) -> dt.datetime | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(str(text), fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    return None


def human_age(seconds: float | None) -> str | None:
    """12 s, 5 min, 3 h 12 min, 2 d 4 h."""
    if seconds is None:
        return None
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def freshness(warehouse_dir: Path | None = None, now: dt.datetime | None = None) -> dict:
    """The build being served and its age, with the last run, success and failure."""
    now = now or dt.datetime.now(dt.timezone.utc)
    out = {"published": False, "build_id": None, "source": None, "source_commit": None,
           "built_at": None, "age_seconds": None, "age": None}
    try:
        build = warehouse.current_build(warehouse_dir)
        manifest = warehouse.read_manifest(build)
    except (warehouse.WarehouseError, OSError, ValueError):
        manifest = None
    if manifest is not None:
        built = _parse(manifest.get("built_at"))
        age = (now - built).total_seconds() if built else None
        out.update(published=True, build_id=build.name, source=manifest.get("source"),
                   source_commit=manifest.get("source_commit"),
                   built_at=manifest.get("built_at"), age_seconds=age, age=human_age(age))
    records = runs.read(warehouse_dir)
    out["last_run"] = records[-1] if records else None
    out["last_success"] = next((r for r in reversed(records) if r["outcome"] != "failed"), None)
    out["last_failure"] = next((r for r in reversed(records) if r["outcome"] == "failed"), None)
    checked = _parse((out["last_success"] or {}).get("ended"))
    out["checked_at"] = out["last_success"]["ended"] if out["last_success"] else None
    out["checked_age"] = human_age((now - checked).total_seconds()) if checked else None
    return out
