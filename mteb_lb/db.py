"""Read-only, hardened DuckDB connections to the current build.

One base connection per process (per gunicorn worker, after fork), one cursor per request. The
base connection follows the `current` pointer: when a newer build is published, the next
``cursor()`` opens it and the old connection is closed once nothing uses it (DuckDB keeps already
open files readable after their directory is pruned, so in-flight queries finish).

Hardening (DuckDB's "Securing DuckDB" advice, order matters): file access is limited to the build
directory (the Parquet the views read), external access is switched off, extensions cannot be
installed or autoloaded, memory and threads are capped, then the configuration is locked so user
SQL cannot undo any of it.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mteb_lb import settings, warehouse

# DuckDB is imported where a connection is opened, tempfile and shutil where its spill folder is
# made and removed: a default summary read from the build's file needs none of them
# (Leaderboard._stored_default, docs/PERFORMANCE.md)
if TYPE_CHECKING:
    import duckdb

# query_arrow fetches Arrow from a DB-API result on purpose (see there); duckdb's copy warning for
# that names this module's line, so only that line's warning is silenced, nobody else's.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning,
                        module=__name__)


def query_arrow(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    """The rows of `sql` with its parameters bound once, as a pyarrow Table: every parameterised
    query of the project goes through here. `con.sql(sql, params=...)` (the relation API) binds
    the statement a second time to learn its columns before running it, 4-7 ms of CPU on a
    ranking query; a DB-API result's extra copy to Arrow costs far less on the small results
    asked for this way. At most `sql_concurrency` of them run at once in a process (query_gate)."""
    gate = query_gate()
    if gate is None:
        con.execute(sql, params)
        return con.to_arrow_table()
    with gate:
        con.execute(sql, params)
        return con.to_arrow_table()


# The cap on concurrent query_arrow calls (setting sql_concurrency), one semaphore per value.
# A loaded server is CPU-bound: four request threads of a worker each running a cold state's
# query share the worker's core, so each takes ~4x its CPU time in wall time and holds its
# DuckDB and Arrow transients meanwhile; queued behind one another, the first answers after its
# own time and only one query's transients exist at once. The wait holds no other lock: a query
# under the gate only runs DuckDB. docs/PERFORMANCE.md §Eighth pass: the served app under load.
_GATES: dict[int, threading.BoundedSemaphore] = {}
_GATES_LOCK = threading.Lock()


def query_gate() -> threading.BoundedSemaphore | None:
    """The semaphore query_arrow holds while DuckDB runs a query, or None (no cap)."""
    n = int(settings.get("sql_concurrency"))
    if n <= 0:
        return None
    gate = _GATES.get(n)
    if gate is None:
        with _GATES_LOCK:
            gate = _GATES.setdefault(n, threading.BoundedSemaphore(n))
    return gate

# One hardened root connection per build file and process, shared by every handle: DuckDB keeps
# one database instance per file per process, and a second open with the locked configuration
# fails. Handles get cursors of the root; the root closes when its last handle releases it.
_ROOTS: dict[str, list] = {}          # resolved build path -> [root connection, handle count]
_ROOTS_LOCK = threading.Lock()


def open_build(build: Path) -> duckdb.DuckDBPyConnection:
    """A hardened read-only connection to one build's database (release it with release())."""
    key = str(build.resolve())
    with _ROOTS_LOCK:
        entry = _ROOTS.get(key)
        if entry is None:
            entry = _ROOTS[key] = [_harden(build), 0]
        entry[1] += 1
        return entry[0].cursor()


def release(build: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Close a connection from open_build; the build's root closes with its last user."""
    con.close()
    key = str(build.resolve())
    with _ROOTS_LOCK:
        entry = _ROOTS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            entry[0].close()
            del _ROOTS[key]


# The configuration every connection that runs the project's SQL opens with: no extension is
# installed or loaded, and SQL must not reach Python objects (DataFrames, Arrow tables) by name.
HARDENED_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,
}


def cap_resources(con: duckdb.DuckDBPyConnection) -> None:
    """The settings' caps on a connection, before its configuration is locked: spill files go to
    this process's private temp folder (never into the immutable build), capped; memory and
    threads capped. Must run while file access is still enabled (the spill folder)."""
    con.execute("SET temp_directory = ?", [str(_spill_dir())])
    con.execute("SET max_temp_directory_size = ?", [settings.get("sql_spill_limit")])
    con.execute("SET memory_limit = ?", [settings.get("sql_memory_limit")])
    con.execute(f"SET threads = {int(settings.get('sql_threads'))}")


def _harden(build: Path) -> duckdb.DuckDBPyConnection:
    import duckdb  # deferred: a stored default summary needs none

    con = duckdb.connect(str(build / warehouse.DB_FILE), read_only=True,
                         config=dict(HARDENED_CONFIG))
    try:
        build_dir = str(build.resolve()) + "/"
        cap_resources(con)
        con.execute("SET file_search_path = ?", [build_dir])
        con.execute("SET allowed_directories = [?]", [build_dir])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


SPILL_PREFIX = "mteb-lb-spill-"
_SPILL_NAME = re.compile(re.escape(SPILL_PREFIX) + r"(\d+)(-.*)?$")
_spill: dict[int, Path] = {}   # pid -> its spill folder (a forked child makes its own)
_spill_lock = threading.Lock()


def _spill_dir() -> Path:
    """This process's private spill folder: an unpredictable name holding the pid
    (``mteb-lb-spill-<pid>-<random>``, mode 0700, made by ``tempfile.mkdtemp``), removed when the
    process exits. Folders left by processes that were killed are removed first."""
    import tempfile  # deferred: see the imports

    pid = os.getpid()
    with _spill_lock:
        path = _spill.get(pid)
        if path is not None and path.is_dir():
            return path
        root = Path(tempfile.gettempdir())
        remove_orphan_spill_dirs(root)
        path = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{pid}-", dir=root))
        _spill[pid] = path
        atexit.register(_remove_spill_dir, pid, path)
        return path


def _remove_spill_dir(pid: int, path: Path) -> None:
    import shutil  # deferred: see the imports

    if os.getpid() == pid:  # not from a forked child that inherited the handler
        shutil.rmtree(path, ignore_errors=True)


def remove_orphan_spill_dirs(root: Path) -> list[Path]:
    """Remove spill folders in ``root`` whose process is gone (killed before its exit handler
    ran); folders of live processes and of other users stay. Returns what was removed."""
    import shutil  # deferred: see the imports

    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        match = _SPILL_NAME.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        if _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


_WAREHOUSE_ENV = next(s.env for s in settings.SETTINGS if s.name == "warehouse")

# How long a connection to a replaced build stays open for requests still using it.
RETIRE_GRACE_S = 300.0


class CurrentBuild:
    """The process-wide handle on the published build; switches builds without a restart."""

    def __init__(self, warehouse_dir: Path | None = None):
        self._warehouse_dir = warehouse_dir
        self._lock = threading.Lock()
        self._build: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        # Connections to replaced builds, with the time they were replaced. Closing a DuckDB
        # connection closes its cursors too, so in-flight requests get a grace period.
        self._retired: list[tuple[float, Path, duckdb.DuckDBPyConnection]] = []
        # The pointer as last read (warehouse folder, link text) with the build it resolved to:
        # while the link reads the same, the build is the same (publishing replaces the link),
        # so a request's ~30 build_id() calls cost a readlink each, not a path resolution.
        self._seen: tuple[tuple[str, str] | None, Path | None] = (None, None)
        self._root: tuple[str | None, Path | None] = ("", None)   # (env value, resolved)

    @property
    def build(self) -> Path:
        """The current build's folder, its manifest and database header checked
        (warehouse.check_build without the Parquet files); the database opens on the first
        cursor(), with every check, so a reader of the build's own files (the stored default
        summaries, Leaderboard._stored_default) imports and opens no DuckDB."""
        self._refresh(connect=False)
        return self._build

    def build_id(self) -> str:
        return self.build.name

    def cache_key(self) -> str:
        """What caches of this build's answers are keyed on: its full path. Build ids name a
        build within its warehouse only; two warehouses built in the same second by the same
        process share one (tests, a second warehouse), their paths never."""
        return str(self.build)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the current build (cheap: shares the base connection's database)."""
        self._refresh()
        with self._lock:
            return self._con.cursor()

    def _pointer(self) -> tuple[str, str] | None:
        """(warehouse folder, the `current` link's text), or None when it is not a readable
        symlink (then the full resolution says why)."""
        folder = self._warehouse_dir
        if folder is None:   # the setting, resolved again only when its variable changes
            raw = os.environ.get(_WAREHOUSE_ENV)
            if raw != self._root[0] or self._root[1] is None:
                self._root = (raw, warehouse.root())
            folder = self._root[1]
        try:
            return str(folder), os.readlink(os.path.join(folder, "current"))
        except OSError:
            return None

    def _refresh(self, connect: bool = True) -> None:
        pointer = self._pointer()
        seen, build = self._seen
        if pointer is not None and pointer == seen and build == self._build \
                and (self._con is not None or not connect):
            return
        target = warehouse.current_build(self._warehouse_dir)
        if target == self._build and (self._con is not None or not connect):
            with self._lock:
                if target == self._build:
                    self._seen = (pointer, target)   # read before target: never newer
            return
        with self._lock:
            if target == self._build and (self._con is not None or not connect):
                self._seen = (pointer, target)
                return
            if connect:
                new_con = _checked_open(target)
            else:   # checked, opened by the first cursor()
                reason = warehouse.check_build(target, files=False)
                if reason is not None:
                    raise warehouse.DamagedBuildError(target, reason)
                new_con = None
            now = time.monotonic()
            if self._con is not None:
                self._retired.append((now, self._build, self._con))
            self._con, self._build = new_con, target
            self._seen = (pointer, target)
            keep = []
            for retired_at, build, con in self._retired:
                if now - retired_at > RETIRE_GRACE_S:
                    release(build, con)
                else:
                    keep.append((retired_at, build, con))
            self._retired = keep


def _checked_open(build: Path) -> duckdb.DuckDBPyConnection:
    """open_build after warehouse.check_build passed: the manifest and database checks first,
    then the Parquet files are counted and sized in a thread while DuckDB opens the database
    (it releases the GIL), so a fresh process pays the longer of the two, not their sum. No
    cursor is handed out before both passed (a damaged build is refused as before)."""
    import duckdb  # deferred: a stored default summary needs none

    reason = warehouse.check_build(build, files=False)
    if reason is not None:
        raise warehouse.DamagedBuildError(build, reason)
    found: list[str | None] = []
    counting = threading.Thread(target=lambda: found.append(warehouse.check_files(build)),
                                name="mteb-lb-check-files", daemon=True)
    counting.start()
    try:
        con = open_build(build)
    except duckdb.Error as exc:
        counting.join()
        if found and found[0] is not None:
            raise warehouse.DamagedBuildError(build, found[0]) from None
        first_line = str(exc).split("\n", 1)[0]
        raise warehouse.DamagedBuildError(
            build, f"its database cannot be opened ({first_line})") from None
    except BaseException:
        counting.join()
        raise
    counting.join()
    reason = found[0] if found else "its files could not be checked"
    if reason is not None:
        release(build, con)
        raise warehouse.DamagedBuildError(build, reason)
    return con


_current: CurrentBuild | None = None


def current() -> CurrentBuild:
    """The shared handle, created lazily on first use (never at import time)."""
    global _current
    if _current is None:
        _current = CurrentBuild()
    return _current
