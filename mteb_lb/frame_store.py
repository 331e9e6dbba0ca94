"""Summary frames shared by the processes of one server (setting ``shared_frames_dir``).

A filter click and the deferred statistics request that follows it (app/intervals.py) often
land on different gunicorn workers: the second would run the state's ranking SQL again to get
the summary frame the first already computed (``Leaderboard._summary_frame``). With the setting
on, the worker that ran the query writes the frame here as an Arrow IPC file; another worker
missing it maps the file instead of querying.
See docs/PERFORMANCE.md §Session 16: the served app (serve7).

- Keyed like the in-process frame cache: the build's cache key (its full path), the benchmark,
  the state's canonical filter key. The file name is a digest of the key, and the key itself
  is in the file's metadata and checked on read: another build's entry is never served.
- Written to a temporary name, then renamed: a reader sees a whole file or none.
- A missing, corrupt or foreign file is a miss (the caller queries), never an error.
- Bounded: after a write, the oldest files beyond MAX_ENTRIES are removed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc  # imported by pyarrow itself: free

from mteb_lb import settings

# hashlib, logging and tempfile are imported where a frame is shared: with the setting off (one
# process: the CLI, the benchmarks) a filtered request's first frame pays none of them (4-10 ms)

MAX_ENTRIES = 256   # frames of ~0.1-0.7 MB (real data): ~80 MB of files
SUFFIX = ".arrow"
_KEY = b"mteb_lb_frame_key"


def _folder() -> Path | None:
    value = settings.get("shared_frames_dir")
    return Path(value) if value else None


def _name(key: tuple) -> str:
    import hashlib  # deferred: see the imports

    return hashlib.sha256(repr(key).encode()).hexdigest()[:40] + SUFFIX


def get(key: tuple) -> pa.Table | None:
    """The frame stored under `key` (memory-mapped), or None: the setting is off, no such file,
    or the file is unreadable or holds another key."""
    folder = _folder()
    if folder is None:
        return None
    try:
        with pa.memory_map(str(folder / _name(key))) as source:
            table = ipc.open_file(source).read_all()
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a corrupt or truncated file is a miss
        _warn("shared frame %s unreadable: ignored", _name(key))
        return None
    metadata = dict(table.schema.metadata or {})
    if metadata.pop(_KEY, None) != repr(key).encode():
        return None
    return table.replace_schema_metadata(metadata or None)


def put(key: tuple, frame: pa.Table) -> None:
    """Store `frame` under `key` (no-op when the setting is off); failures are logged, never
    raised (the frame is already the request's answer)."""
    folder = _folder()
    if folder is None:
        return
    import tempfile  # deferred: see the imports

    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        metadata = {**(frame.schema.metadata or {}), _KEY: repr(key).encode()}
        frame = frame.replace_schema_metadata(metadata)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
        with os.fdopen(fd, "wb") as sink, ipc.new_file(sink, frame.schema) as writer:
            writer.write_table(frame)
        os.replace(tmp, folder / _name(key))
        tmp = None
        _prune(folder)
    except Exception:  # noqa: BLE001 - a full disk or a removed folder: no sharing
        _warn("shared frame not written to %s", folder)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _warn(message: str, *args) -> None:
    import logging  # deferred: see the imports

    logging.getLogger(__name__).warning(message, *args, exc_info=True)


def _prune(folder: Path) -> None:
    entries = []
    for entry in os.scandir(folder):
        if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
            try:
                entries.append((entry.stat().st_mtime_ns, entry.path))
            except FileNotFoundError:   # removed by another process meanwhile
                pass
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort()
    for _, path in entries[:len(entries) - MAX_ENTRIES]:
        Path(path).unlink(missing_ok=True)
