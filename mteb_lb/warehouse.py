"""Warehouse layout: immutable builds, the `current` pointer, atomic publishing, connections.

    <warehouse>/builds/<build_id>/   a finished build: parquet/<table>/*.parquet, lb.duckdb,
                                     manifest.json (written last)
    <warehouse>/current              symlink -> builds/<build_id>, replaced atomically
    <warehouse>/.staging/<build_id>/ a build in progress; never read by readers
    <warehouse>/.trash/<build_id>/   a build being pruned (moved here first, then deleted)
    <warehouse>/etl.lock             flock held by the one ETL run allowed at a time

A build directory is never modified once published: readers may hold it open while a newer one is
published. A killed or failed ETL run can leave a `.staging` folder, a build folder without a
manifest (killed while publishing) or a half-deleted build in `.trash`; the next run removes them
under the lock (`clean_leftovers`).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from mteb_lb import settings

# hashlib, fcntl, shutil (which imports bz2 and lzma) and duckdb are imported by the functions
# that use them (a past date's state file name, the ETL's lock, its staging, publishing and
# pruning, writing a past results file): a process serving a default summary needs none of them
# (docs/PERFORMANCE.md)

# queries/ views materialized in a build (`-- @materialize`) that a past date makes again as
# plain views over its own recorded tables: `models` reads model_meta (PAST_TABLES), so a past
# date's unregistered models carry that date's model_meta.json, not today's
PAST_RECOMPUTED = ("models",)

DB_FILE = "lb.duckdb"
MANIFEST = "manifest.json"
# The default boards as an Arrow IPC file beside the database (etl/default_summaries.py writes
# it, Leaderboard reads it): a fresh process serves a default summary without opening DuckDB.
DEFAULT_SUMMARIES_FILE = "default_summaries.arrow"
# The backfill's store of past results (<warehouse>/history/past/<table>/, etl/past_rows.py,
# read by mteb_lb/asof.py): the per-build tables the leaderboard macros read that depend on the
# results (the rest is the catalog, today's for every past date).
PAST_FOLDER = "past"
PAST_TABLES = ("benchmark_results", "benchmark_task_means", "benchmark_language_rows",
               "benchmark_language_means", "benchmark_task_required", "language_sets",
               "model_meta", "quality_entry_flags", "benchmark_pair_repeats")
# the recorded tables that a store backfilled by older code lacks (up to the snapshot it had
# reached): the first snapshot that records one always writes its event file, empty or not
# (etl/past_rows.py); a past date before it has no such table, and the ranking code takes the
# path of a build without it (mteb_lb/asof.py). benchmark_pair_repeats: the few rows that spare
# a language filter's ranking a distinct count of every scored row (rankings.py _repeated_tasks)
PAST_LATER = ("benchmark_pair_repeats",)
# tables the backfill also records per snapshot (with the `_fingerprint` of the catalog and SQL
# its build used, etl/past_rows.py): a past date serves their rows made with today's
PAST_DERIVED = ("default_summaries",)
# <store>/past_whole/<table>/<seq>-<sha>.parquet, for each derived table: the rows of the groups
# its event file of the same name changed, whole, as of that snapshot (etl/past_rows.py): a past
# date served by an overlay reads a stored board from the last snapshot that changed it, where
# its events are every version of it since the first (mteb_lb/asof.py)
PAST_WHOLE_FOLDER = "past_whole"
# per recorded table, the columns whose values group its rows (default: model_name; past_key):
# the backfill compares only the groups whose rows changed (etl/past_rows.py), its event files
# are sorted by them, and a past date served from another snapshot's compacted state replaces
# only the groups with events in between (mteb_lb/asof.py): a model's results on one benchmark,
# not all of them (a model's new results are mostly another benchmark's); benchmark_results' by
# task too: a model's new task on a benchmark of 131 tasks replaces that task's rows, not the
# model's thousands there (the real history's 20 weeks before its newest commit: 115k rows of
# 29,672 groups as of the older date, against 1.29M of 3,335 by model and benchmark)
PAST_KEYS = {"benchmark_results": ("model_name", "benchmark", "task_name"),
             "benchmark_task_means": ("model_name", "benchmark"),
             "benchmark_language_rows": ("model_name", "benchmark"),
             "benchmark_language_means": ("model_name", "benchmark"),
             "benchmark_task_required": ("benchmark",), "language_sets": ("language_set",),
             "model_meta": ("model_folder",), "default_summaries": ("benchmark",),
             "benchmark_pair_repeats": ("model_name", "benchmark")}


def past_key(table: str) -> tuple[str, ...]:
    """The columns that group the rows of recorded table `table` (PAST_KEYS)."""
    return PAST_KEYS.get(table, ("model_name",))

# <store>/ranges/<seq>-<digest>.duckdb (named as snapshot seq's compacted state): the past
# results of every snapshot up to seq at once, each row version with the snapshots it is valid
# in (queries/history/lb_past_ranges; the backfill leaves the newest, etl/past_rows.py
# export_ranges): mteb_lb/asof.py serves any date up to seq from it, one filtered scan
PAST_RANGES_FOLDER = "ranges"
# <store>/asof/<seq>-<digest>.duckdb: one backfilled snapshot's past results, compacted
# (mteb_lb/asof.py makes them on demand; the backfill leaves the newest one, etl/past_rows.py)
PAST_STATE_FOLDER = "asof"
# the column a compacted state's tables are ordered by when they have it (the marts' order; the
# event files are by group, the model first): a query of one benchmark, over the state or over
# an overlay whose base it is, reads that benchmark's row groups only
PAST_STATE_ORDER = "benchmark"
# ... and within a benchmark, the rows of a table with these columns (benchmark_results,
# quality_entry_flags) by task: benchmark_results' task, language-set and string columns then
# come in runs (RLE, small dictionaries), its file is half the size and a language filter's
# scan of a benchmark's rows costs ~15-20 % less (docs/HISTORY.md, fifteenth run)
PAST_RESULTS_ORDER = (PAST_STATE_ORDER, "task_name", "subset", "split", "model_name")


def past_state_order(columns) -> str:
    """The ORDER BY clause of a compacted state's table with these columns (PAST_RESULTS_ORDER
    when it has them all, else PAST_STATE_ORDER when it has that column), else ''."""
    if all(c in columns for c in PAST_RESULTS_ORDER):
        return " ORDER BY " + ", ".join(PAST_RESULTS_ORDER)
    return f" ORDER BY {PAST_STATE_ORDER}" if PAST_STATE_ORDER in columns else ""


def past_file_seq(name: str) -> int:
    """The snapshot number an event or state file of the history store is named after
    (`<seq>-...`); ValueError when the name has none."""
    return int(Path(name).name.split("-", 1)[0])


def past_event_files(store: Path, seq: int) -> dict[str, list[str]]:
    """Per recorded table, its event files of the snapshots <= `seq` (etl/past_rows.py), oldest
    first: all a past date needs, whatever the later snapshots hold."""
    out = {}
    for table in PAST_TABLES + PAST_DERIVED:
        found = []
        for path in sorted((store / PAST_FOLDER / table).glob("*.parquet")):
            if past_file_seq(path.name) <= seq:
                found.append(str(path))
        if found:
            out[table] = found
    return out


def past_whole_file(event_file: str | Path) -> Path:
    """The whole-groups file of a derived table's event file (PAST_WHOLE_FOLDER)."""
    event_file = Path(event_file)
    return (event_file.parent.parent.parent / PAST_WHOLE_FOLDER / event_file.parent.name
            / event_file.name)


def past_hashed(source: str) -> str:
    """The SQL of the events of relation `source` (etl/past_rows.py's columns) with each row's
    hash, `_h`, of its own columns: with its occurrence among equal rows (`_k`), a row's
    identity (the one definition: the backfill, the compacted states, the ranges, overlays)."""
    return f"SELECT hash(*COLUMNS(* EXCLUDE (_seq, _k, _removed))) AS _h, * FROM {source}"


def past_events_sql(files: list[str]) -> str:
    """The SQL of the events stored in `files` with each row's hash (past_hashed)."""
    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return past_hashed(f"read_parquet([{listed}])")


def write_past_file(path: Path, found: dict[str, list[str]], macro: str, rows: str,
                    finish=None) -> None:
    """A DuckDB file of past results (a compacted state, the ranges) at `path`, written whole
    or not at all (a temporary file beside it, renamed): per table of `found` (its event
    files), the rows `rows` selects (a query of the temp view `events`, past_events_sql, with
    the macro `macro` created), ordered as a compacted state (past_state_order); `finish(con)`
    runs last, before the checkpoint. Capped as the read-only connection (sql_memory_limit,
    sql_threads)."""
    import duckdb  # deferred: see the imports

    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET memory_limit = ?", [settings.get("sql_memory_limit")])
        con.execute(f"SET threads = {int(settings.get('sql_threads'))}")
        con.execute(macro)
        for table, files in found.items():
            con.execute("CREATE OR REPLACE TEMP VIEW events AS " + past_events_sql(files))
            order = past_state_order(
                [d[0] for d in con.execute("SELECT * FROM events LIMIT 0").description])
            con.execute(f'CREATE TABLE "{table}" AS {rows}{order}')
        if finish is not None:
            finish(con)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, path)


def past_state_name(seq: int, found: dict[str, list[str]]) -> str:
    """The file name of snapshot `seq`'s compacted state, from its event files (`found`)."""
    import hashlib  # deferred: see the imports

    digest = hashlib.blake2b(digest_size=8)
    for table, names in sorted(found.items()):
        digest.update(table.encode() + b"\0" + "\0".join(Path(n).name for n in names).encode())
    return f"{seq:06d}-{digest.hexdigest()}.duckdb"


# tables a build derives from today's results to answer requests faster (a stored default
# board, stored rank intervals, the per-task cells' spread and flag marks, the per-language
# rows' sort key, the pairs a model filter recounts, the rows that repeat a pair, the per-task
# score lists of the per-language rows and the same per model and language, the languages of the
# rows without a score, the language sets of each task's rows, each model's task lists and each
# task's columns that a task filter's summary reads, each model's scores of a task as a list
# that a language filter's summary masks): a past date computes them from
# its own rows or reads its own recorded ones (PAST_TABLES, PAST_DERIVED), never these
TODAY_ONLY_TABLES = ("default_summaries", "rank_intervals", "benchmark_task_spread",
                     "benchmark_task_flags", "benchmark_language_keyed",
                     "benchmark_task_uncovered", "benchmark_pair_repeats",
                     "language_score_lists", "benchmark_null_languages",
                     "benchmark_task_language_sets", "language_task_lists",
                     "benchmark_model_tasks", "benchmark_task_scored",
                     "benchmark_task_score_lists")


class WarehouseError(RuntimeError):
    """The warehouse is missing, locked or inconsistent; the message says what to do."""


#: Exit status of `mteb-lb table` and `mteb-lb sql` when the current build is damaged.
EXIT_DAMAGED = 5


class DamagedBuildError(WarehouseError):
    """The published build exists but cannot be read (database or Parquet damaged or missing)."""

    def __init__(self, build: Path, reason: str):
        super().__init__(f"The current build {build.name} is damaged: {reason}. Publish a new "
                         "one with `mteb-lb etl --full` (or point `current` at an older build).")
        self.build, self.reason = build, reason


class StaleBuildError(WarehouseError):
    """The published build was made by other code: it lacks (or defines differently) a view or
    macro this code calls. The build is whole; rebuilding it with this code fixes it."""

    def __init__(self, build: Path, name: str):
        super().__init__(
            f"The current build {build.name} was made by another version of mteb-lb: it has no "
            f"`{name}` as this version defines it. Rebuild with `mteb-lb etl` (the states the "
            "build can answer are still served).")
        self.build, self.name = build, name


_DUCKDB_MAGIC = b"DUCK"   # bytes 8-12 of a DuckDB database file
_PARQUET_MAGIC = b"PAR1"  # first and last 4 bytes of a Parquet file


_whole_files: set[tuple] = set()   # (path, inode, size, mtime) of Parquet files found whole


@functools.lru_cache(maxsize=8)
def _segment_files(path: str, _ino: int, _size: int, _mtime_ns: int) -> tuple[tuple[str, str]]:
    """(table, file name) of every segment file a segment map says holds rows (cached per
    version of the map file)."""
    # deferred: heavy, loaded only when this path runs
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    out = []
    for name in ("scores", "metrics", "metric_arrays", "entry_checks"):
        if name not in table.column_names:
            continue
        sums = table.select(["segment", name]).group_by("segment").aggregate([(name, "sum")])
        for segment, n in zip(sums.column("segment").to_pylist(),
                              sums.column(f"{name}_sum").to_pylist()):
            if n:
                out.append((name, segment if segment.endswith(".parquet")
                            else f"{segment}.parquet"))
    return tuple(out)


class NoBuild(WarehouseError):
    """No build is published in the warehouse: every command says so with the same message."""

    def __init__(self, warehouse: Path):
        super().__init__(no_build_message(warehouse))
        self.warehouse = warehouse


def no_build_message(warehouse: Path) -> str:
    """What every command and page says when there is no build: where it looked, what to run."""
    return (f"No published build in {Path(warehouse).resolve()} (the MTEB_LB_WAREHOUSE "
            "setting). Run `mteb-lb etl` to build one.")


class LockHeld(WarehouseError):
    """Another ETL run holds the warehouse's lock."""


def root() -> Path:
    return settings.get("warehouse")


def current_build(warehouse: Path | None = None) -> Path:
    """The directory of the published build readers should use, resolved through the pointer."""
    warehouse = warehouse or root()
    pointer = warehouse / "current"
    if not pointer.exists():
        raise NoBuild(warehouse)
    build = pointer.resolve()
    if not (build / MANIFEST).is_file():
        raise WarehouseError(f"{build} has no {MANIFEST}: it is not a finished build.")
    return build


def read_manifest(build: Path) -> dict:
    return json.loads((build / MANIFEST).read_text())


def list_builds(warehouse: Path | None = None) -> list[Path]:
    """Finished builds, oldest first (build ids start with a UTC timestamp)."""
    builds = (warehouse or root()) / "builds"
    if not builds.is_dir():
        return []
    return sorted(p for p in builds.iterdir() if (p / MANIFEST).is_file())


def new_build_id(source_commit: str | None, warehouse: Path | None = None) -> str:
    """UTC time, a sequence number for builds made within the same second (ids sort in build
    order), the source commit and the process id."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    builds = (warehouse or root()) / "builds"
    taken = [int(p.name.split("-")[1]) for p in builds.glob(f"{stamp}-*")
             if p.name.split("-")[1].isdigit()] if builds.is_dir() else []
    suffix = (source_commit or "local")[:12]
    return f"{stamp}-{max(taken, default=-1) + 1:03d}-{suffix}-{os.getpid()}"


@contextmanager
def etl_lock(warehouse: Path | None = None):
    """Exclusive, non-blocking lock so two ETL runs never overlap."""
    import fcntl  # deferred: see the imports

    warehouse = warehouse or root()
    warehouse.mkdir(parents=True, exist_ok=True)
    handle = open(warehouse / "etl.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise LockHeld(f"Another ETL run holds {warehouse / 'etl.lock'}; "
                       "try again later.") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def staging_dir(build_id: str, warehouse: Path | None = None) -> Path:
    """A fresh staging folder; stale ones from killed runs are removed first (we hold the lock)."""
    import shutil  # deferred: see the imports

    staging = (warehouse or root()) / ".staging"
    if staging.exists():
        shutil.rmtree(staging)
    path = staging / build_id
    path.mkdir(parents=True)
    return path


def publish(staged: Path, manifest: dict, warehouse: Path | None = None,
            finalize=None) -> Path:
    """Move a staged build into builds/, finish it, write its manifest last, flip `current`.

    ``finalize(final_dir) -> dict`` runs after the move (views need the final absolute path) and
    before anything points at the build; what it returns is added to the manifest. If it raises,
    the build is deleted and `current` is untouched.
    """
    import shutil  # deferred: see the imports

    warehouse = warehouse or root()
    builds = warehouse / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    final = builds / staged.name
    os.replace(staged, final)
    try:
        if finalize is not None:
            manifest.update(finalize(final) or {})
        _fsync_tree(final)
        manifest["contents"] = _contents(final)
        tmp_manifest = final / (MANIFEST + ".tmp")
        tmp_manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
        os.replace(tmp_manifest, final / MANIFEST)
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise
    tmp_link = warehouse / f".current.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(Path("builds") / final.name, tmp_link)
    os.replace(tmp_link, warehouse / "current")
    _fsync_dir(warehouse)
    return final


def prune(keep: int | None = None, warehouse: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` builds; the current build is always kept."""
    keep = settings.get("keep_builds") if keep is None else keep
    warehouse = warehouse or root()
    builds = list_builds(warehouse)
    try:
        current = current_build(warehouse)
    except WarehouseError:
        current = None
    removed = []
    for build in builds[: max(0, len(builds) - keep)]:
        if current is not None and build.resolve() == current:
            continue
        _discard(build, warehouse)
        removed.append(build)
    return removed


def _discard(build: Path, warehouse: Path) -> None:
    """Delete a build folder: moved into .trash first (one atomic rename, after which nothing
    lists it as a build), so a run killed while deleting leaves only .trash to clean."""
    import shutil  # deferred: see the imports

    trash = warehouse / ".trash"
    trash.mkdir(exist_ok=True)
    target = trash / build.name
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    os.replace(build, target)
    shutil.rmtree(target, ignore_errors=True)
    try:
        trash.rmdir()
    except OSError:  # not empty: the next run cleans it
        pass


def clean_leftovers(warehouse: Path | None = None) -> list[str]:
    """Remove what killed or failed runs left (call with the ETL lock held): the staging folder,
    half-deleted builds in .trash, build folders without a manifest and damaged builds that are
    not current (`check_build`). Returns what was removed, relative to the warehouse."""
    import shutil  # deferred: see the imports

    warehouse = warehouse or root()
    removed = []
    for name in (".staging", ".trash"):
        if (warehouse / name).exists():
            shutil.rmtree(warehouse / name, ignore_errors=True)
            removed.append(name)
    for tmp in warehouse.glob(".current.*"):  # a pointer never renamed into place
        if tmp.is_symlink() or tmp.is_file():
            tmp.unlink()
            removed.append(tmp.name)
    builds = warehouse / "builds"
    if not builds.is_dir():
        return removed
    try:
        current = current_build(warehouse)
    except WarehouseError:
        current = None
    for build in sorted(builds.iterdir()):
        if current is not None and build.resolve() == current:
            continue
        if build.is_symlink() or not build.is_dir():
            build.unlink()
        elif check_build(build) is not None:
            _discard(build, warehouse)
        else:
            continue
        removed.append(f"builds/{build.name}")
    return removed


def _contents(build: Path) -> dict:
    """Sizes the manifest records so that a damaged build can be told (`check_build`)."""
    files, size = 0, 0
    for dirpath, _dirs, names in os.walk(build / "parquet"):
        for name in names:
            files += 1
            size += os.stat(os.path.join(dirpath, name)).st_size
    return {"database_bytes": (build / DB_FILE).stat().st_size, "parquet_files": files,
            "parquet_bytes": size}


def check_build(build: Path, *, files: bool = True) -> str | None:
    """Why the build folder ``build`` cannot be served, or None when it looks whole. Cheap (no
    query; a stat per file, and Parquet files read once per version): the manifest parses;
    ``lb.duckdb`` exists and starts like a DuckDB file; the database size and the number and
    total size of the Parquet files are those the manifest recorded at publishing. Builds
    published before sizes were recorded: the database is a whole number of 4 KiB blocks, every
    table folder holds a Parquet file, each starting and ending with Parquet's magic bytes, and
    every segment ``segments.parquet`` lists rows for is present. The ETL asks before it builds
    on the current build, the app and the SQL endpoint before they serve it. ``files=False``:
    the manifest and database checks only (``check_files`` gives the rest: the app opens the
    database meanwhile)."""
    try:
        manifest = read_manifest(build)
    except FileNotFoundError:
        return f"{MANIFEST} is missing"
    except (OSError, ValueError) as exc:
        return f"{MANIFEST} is unreadable ({exc})"
    if not isinstance(manifest, dict):
        return f"{MANIFEST} is not a JSON object"
    try:
        with open(build / DB_FILE, "rb") as handle:
            header = handle.read(12)
            database_bytes = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return f"{DB_FILE} is missing"
    except OSError as exc:
        return f"{DB_FILE} is unreadable ({exc.strerror})"
    if header[8:12] != _DUCKDB_MAGIC:
        return f"{DB_FILE} is not a DuckDB database (zeroed or overwritten)"
    expected = manifest.get("contents")
    if isinstance(expected, dict):
        if database_bytes != expected.get("database_bytes"):
            return (f"{DB_FILE} has {database_bytes} bytes, {expected.get('database_bytes')} "
                    "when published (truncated?)")
    elif database_bytes < 3 * 4096 or database_bytes % 4096:
        return f"{DB_FILE} is truncated ({database_bytes:,} bytes)"
    return check_files(build, manifest) if files else None


def check_files(build: Path, manifest: dict | None = None) -> str | None:
    """check_build's Parquet checks (its database checks passed): the number and total size of
    the Parquet files are those the manifest recorded, or for older builds `_check_parquet`."""
    if manifest is None:
        try:
            manifest = read_manifest(build)
        except (OSError, ValueError) as exc:
            return f"{MANIFEST} is unreadable ({exc})"
    expected = manifest.get("contents") if isinstance(manifest, dict) else None
    if isinstance(expected, dict):
        try:
            found = _contents(build)
        except OSError as exc:
            return f"its files cannot be listed ({exc.strerror})"
        if found["parquet_files"] != expected.get("parquet_files"):
            return (f"{expected.get('parquet_files')} Parquet files when published, "
                    f"{found['parquet_files']} now (missing files)")
        if found["parquet_bytes"] != expected.get("parquet_bytes"):
            return "Parquet files changed size since it was published (truncated?)"
        return None   # the recorded sizes cover missing and truncated files
    return _check_parquet(build)


def _check_parquet(build: Path) -> str | None:
    """For builds published before sizes were recorded: every table folder holds a Parquet
    file, each whole (magic bytes at both ends), and the segments the map lists are present."""
    parquet = build / "parquet"
    try:
        folders = sorted(e.name for e in os.scandir(parquet) if e.is_dir())
    except OSError:
        return "its parquet/ folder is missing"
    present: set[tuple[str, str]] = set()
    for folder in folders:
        try:
            entries = sorted((e for e in os.scandir(parquet / folder)
                              if e.name.endswith(".parquet")), key=lambda e: e.name)
        except OSError:
            return f"parquet/{folder}/ is unreadable"
        if not entries:
            return f"parquet/{folder}/ holds no Parquet file"
        for entry in entries:
            where = f"parquet/{folder}/{entry.name}"
            try:
                st = entry.stat()
                key = (entry.path, st.st_ino, st.st_size, st.st_mtime_ns)
                if key not in _whole_files:   # else checked before and unchanged since
                    with open(entry.path, "rb") as fh:
                        first = fh.read(4)
                        fh.seek(max(0, st.st_size - 4))
                        last = fh.read(4)
                    if first != _PARQUET_MAGIC or last != _PARQUET_MAGIC:
                        return f"{where} is not a whole Parquet file (truncated or zeroed)"
                    if len(_whole_files) > 1_000_000:
                        _whole_files.clear()
                    _whole_files.add(key)
            except OSError:
                return f"{where} is unreadable"
            present.add((folder, entry.name))
    segment_map = build / "segments.parquet"
    if segment_map.is_file():
        try:
            st = segment_map.stat()
            listed = _segment_files(str(segment_map), st.st_ino, st.st_size, st.st_mtime_ns)
        except Exception as exc:  # noqa: BLE001 - any failure to read it is damage
            return f"segments.parquet cannot be read ({exc.__class__.__name__})"
        for name, file in listed:
            if (name, file) not in present:
                return f"parquet/{name}/{file} is missing"
    return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """fsync every file written for this build. Files with more than one link are hard links
    to an earlier build's files, made durable when that build was published: skipped."""
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(dirpath, name)
            if os.stat(full).st_nlink > 1:
                continue
            fd = os.open(full, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))
