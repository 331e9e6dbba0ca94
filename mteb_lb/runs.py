"""The run log of the nightly refresh: `<warehouse>/runs.jsonl`, one JSON object per line.

Append-only. Each record is written with one `write` of a whole line on a file opened with
O_APPEND, under a short `flock` on the log (so two processes never interleave), then flushed and
fsynced, so a run is on disk once `append` returns. A crash in the middle of a write can leave a
torn last line; `read` skips any line that is not a complete JSON object, so the log stays
readable and the next append starts on a fresh line.

A record (keys always present; values may be null):

    started, ended        ISO 8601 UTC timestamps (e.g. 2026-11-26T03:17:00.123456Z)
    outcome               "published" | "unchanged" | "failed"
    source, source_commit where the data came from and the commit it was at
    build_id              the build published (published), or the build still current
    previous_build_id     the build that was current when the run started
    files_added, files_changed, files_removed   counts against the previous build
    files_quarantined     how many files the build quarantined
    quarantined           [{path, reason}] (at most QUARANTINE_LIMIT; the `files` table has all)
    duration_s            seconds from start to end
    message               what happened, in a sentence (the reason, when it failed)
    reason                a short machine-readable failure kind (failed runs only): "source",
                          "locked", "disk_full", "catalog", "validation", "error"
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from mteb_lb import settings

LOG_FILE = "runs.jsonl"
QUARANTINE_LIMIT = 200
OUTCOMES = ("published", "unchanged", "failed")

FIELDS = ("started", "ended", "outcome", "source", "source_commit", "build_id",
          "previous_build_id", "files_added", "files_changed", "files_removed",
          "files_quarantined", "quarantined", "duration_s", "message", "reason", "full")


def log_path(warehouse_dir: Path | None = None) -> Path:
    return Path(warehouse_dir or settings.get("warehouse")) / LOG_FILE


def append(record: dict, warehouse_dir: Path | None = None) -> dict:
    """Append one run record (missing fields become null); returns the record as written."""
    if record.get("outcome") not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {record.get('outcome')!r}")
    full = {key: record.get(key) for key in FIELDS}
    full.update({k: v for k, v in record.items() if k not in full})
    quarantined = full.get("quarantined") or []
    if len(quarantined) > QUARANTINE_LIMIT:
        full["quarantined"] = quarantined[:QUARANTINE_LIMIT]
    line = (json.dumps(full, sort_keys=False, default=str) + "\n").encode()
    path = log_path(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if _ends_torn(fd):
                line = b"\n" + line  # a crash left half a line: start ours on a fresh one
            _write_all(fd, line)
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return full


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    return os.pread(fd, 1, size - 1) != b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read(warehouse_dir: Path | None = None) -> list[dict]:
    """Every complete record, oldest first (torn or garbled lines are skipped)."""
    path = log_path(warehouse_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and record.get("outcome") in OUTCOMES:
            records.append(record)
    return records


def last(n: int = 10, warehouse_dir: Path | None = None) -> list[dict]:
    """The newest ``n`` records, newest first."""
    records = read(warehouse_dir)
    return list(reversed(records[-n:])) if n > 0 else []
