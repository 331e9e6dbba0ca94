"""The leaderboard as of a past date: the `as_of` field of the leaderboard state.

Two histories hold the past (docs/HISTORY.md): the backfilled one, one snapshot per commit of
the results repository (`mteb-lb backfill`, <warehouse>/history/), and the builds' own
(`leaderboard_history` in every build, one snapshot per published build). For a date the
snapshot taken last on or before it wins, whichever history holds it; its rows come from the
same macro, `leaderboard_as_of` (queries/history/), run over that history's tables.

A backfilled snapshot also has the past results themselves (etl/past_rows.py): PastBuild is a
build handle over them, so rankings.Leaderboard answers every state of a past date (views,
filters, every column) with today's code and SQL (docs/HISTORY.md §Past results). A snapshot of
the builds' history has only its leaderboard rows, each benchmark's board with its default
filters (registered models): rank, means and per-task scores; its as-of table is the summary
(rank, model, today's model metadata, the benchmark's mean columns) or the per-task table, and
other filters are refused with a clear message. Today's catalog is used on past results
throughout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

import queries
from mteb_lb import db, warehouse

STORE = "history"          # <warehouse>/history: the backfill's store (etl/backfill.py)
MEANS = {"Mean (Task)": "score", "Mean (TaskType)": "mean_task_type",
         "Mean (Public)": "mean_public", "Mean (Private)": "mean_private",
         "Mean (Subset)": "mean_subset"}
AS_OF_VIEWS = ("summary", "per-task", "tasks")
HISTORY_MACROS = ("lb_change_kind", "leaderboard_as_of", "lb_model_history", "lb_benchmark_history",
                  "lb_changes_between")


class AsOfError(ValueError):
    """A date with no snapshot, or a state a past snapshot cannot answer."""


@dataclass(frozen=True)
class Snapshot:
    origin: str            # "backfill" (a commit) or "build" (a published build)
    seq: int
    snapshot_id: str       # the commit (12 hex) or the build id
    taken_at: dt.datetime  # commit date or build time, UTC, naive


def parse_date(text: str) -> dt.datetime:
    """YYYY-MM-DD (the end of that day, UTC) or an ISO timestamp -> naive UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise AsOfError(f"as_of={text!r} is not a date (YYYY-MM-DD)") from None
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if len(text.strip()) == 10:
        value += dt.timedelta(days=1, microseconds=-1)
    return value


def _store(build: Path) -> Path:
    return build.parent.parent / STORE


def _sources(build: Path) -> dict[str, tuple[list[str], str]]:
    """Per history: (its leaderboard_history files, the SQL of its builds table)."""
    out = {}
    store = _store(build)
    files = sorted(str(p) for p in (store / "leaderboard_history").glob("*.parquet"))
    snaps = store / "snapshots.parquet"
    if snaps.is_file():
        out["backfill"] = (files, (
            "SELECT seq AS build_seq, left(commit, 12) AS build_id, committed_at AS built_at, "
            f"commit AS source_commit, rows_added FROM read_parquet('{_lit(snaps)}')"))
    hist = build / "parquet" / "leaderboard_history"
    builds = build / "parquet" / "leaderboard_history_builds"
    if any(builds.glob("*.parquet")):
        out["build"] = (sorted(str(p) for p in hist.glob("*.parquet")),
                        f"SELECT * FROM read_parquet('{_lit(builds)}/*.parquet')")
    return out


def _lit(path) -> str:
    return str(path).replace("'", "''")


def _listed(files: list[str]) -> str:
    """A list of file names as a SQL literal (read_parquet's argument)."""
    return "[" + ", ".join(f"'{_lit(f)}'" for f in files) + "]"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _constants(values: list) -> str | None:
    """Key values (strings, integers; NULL left out) as a list of SQL constants, or None when
    one is of another type."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(f"'{_lit(v)}'")
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(str(v))
        elif v is not None:
            return None
    return ", ".join(out)


_cache: dict = {}
_cache_lock = threading.Lock()


def _connection(build: Path, origin: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database whose leaderboard_history(_builds) are one history's files, with
    the leaderboard_as_of macro of queries/. Cached per (build, origin, files)."""
    files, builds_sql = _sources(build)[origin]
    key = (str(build), origin, tuple(files))
    with _cache_lock:
        con = _cache.get(key)
        if con is None:
            con = duckdb.connect()
            if files:
                con.execute("CREATE TABLE leaderboard_history AS SELECT * FROM read_parquet(?)",
                            [files])
            else:
                con.execute("CREATE TABLE leaderboard_history (build_seq INTEGER, "
                            "build_id VARCHAR, built_at TIMESTAMP, benchmark VARCHAR, "
                            "model_name VARCHAR, key VARCHAR, rank INTEGER, score DOUBLE, "
                            "mean_task_type DOUBLE, mean_public DOUBLE, mean_private DOUBLE, "
                            "mean_subset DOUBLE, removed BOOLEAN)")
            con.execute(f"CREATE TABLE leaderboard_history_builds AS {builds_sql}")
            for name in HISTORY_MACROS:
                con.execute(queries.load(name))
            for old in [k for k in _cache if k[1] == origin]:   # older builds' too
                _cache.pop(old).close()
            _cache[key] = con
        return con.cursor()


_snapshots: dict = {}


def snapshots(build: Path) -> list[Snapshot]:
    """Every snapshot of both histories, oldest first. Kept per build and version of the
    backfill's snapshots file (a build is immutable, the backfill replaces that file): every
    as-of request looks its date up here, and reading the two tables costs ~20 ms."""
    snaps = _store(build) / "snapshots.parquet"
    try:
        stat = snaps.stat()
        key = (str(build), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        key = (str(build), None)
    found = _snapshots.get(key)
    if found is None:
        found = _read_snapshots(build)
        _snapshots.clear()     # one build's at a time: the current one
        _snapshots[key] = found
    return list(found)


def _read_snapshots(build: Path) -> tuple[Snapshot, ...]:
    out = []
    con = _reader(build)   # the builds tables alone: not the histories' rows (_connection)
    try:
        for origin, (_, builds_sql) in _sources(build).items():
            for seq, sid, at in con.execute(
                    f"SELECT build_seq, build_id, built_at FROM ({builds_sql}) "
                    "ORDER BY build_seq").fetchall():
                out.append(Snapshot(origin, seq, sid, at))
    finally:
        con.close()
    return tuple(sorted(out, key=lambda s: (s.taken_at, s.origin == "build", s.seq)))


def _reader(build: Path) -> duckdb.DuckDBPyConnection:
    """A cursor of the process's past database when the build has past results (its first
    as-of request opens it anyway: opening a DuckDB database costs ~15-20 ms of CPU), else a
    database of its own."""
    if has_past_rows(build) and (build / warehouse.DB_FILE).is_file():
        try:
            return _past_database(build).con.cursor()
        except duckdb.Error:
            pass
    return duckdb.connect()


def snapshot_at(build: Path, when: dt.datetime) -> Snapshot:
    """The snapshot taken last on or before `when`."""
    snaps = snapshots(build)
    before = [s for s in snaps if s.taken_at <= when]
    if not before:
        first = f"; the history starts on {snaps[0].taken_at:%Y-%m-%d}" if snaps else \
            "; there is no history yet (run `mteb-lb backfill`)"
        raise AsOfError(f"no leaderboard snapshot on or before {when:%Y-%m-%d %H:%M}{first}")
    return before[-1]


def rows_at(build: Path, when: dt.datetime, benchmark: str | None = None,
            summary_only: bool = False) -> tuple[Snapshot, pa.Table]:
    """(the snapshot, its rows: leaderboard_as_of's columns) for a date; `summary_only`: the
    models' summary rows (key '') without the task scores."""
    snap = snapshot_at(build, when)
    cur = _connection(build, snap.origin)
    try:
        table = db.query_arrow(
            cur, "SELECT * FROM leaderboard_as_of($ts) WHERE ($b IS NULL OR benchmark = $b) "
            "AND (NOT $s OR key = '') ORDER BY benchmark, model_name, key",
            {"ts": snap.taken_at, "b": benchmark, "s": summary_only})
    finally:
        cur.close()
    return snap, table


def summary_rows(mean_columns: list[str], model_rows: list[dict], meta: dict[str, dict]
                 ) -> list[dict]:
    """The summary rows a snapshot holds (unsorted): its rank as "Rank (Borda)", the model,
    today's model metadata (`meta`: name -> models row), the benchmark's mean columns."""
    out = []
    for r in model_rows:
        m = meta.get(r["model_name"], {})
        row = {"Rank (Borda)": r["rank"], "Model": r["model_name"],
               "Active Parameters (B)": m.get("active_params_b"),
               "Total Parameters (B)": m.get("total_params_b"),
               "Embedding Dimensions": m.get("embed_dim"), "Max Tokens": m.get("max_tokens")}
        for column, field in MEANS.items():
            if column in mean_columns:
                row[column] = r[field]
        row["Release Date"] = m.get("release_date")
        out.append(row)
    return out


def per_task_table(task_names: list[str], rows: list[dict], model_order: list[str]) -> pa.Table:
    """Model x task scores (0-100) of a snapshot, models in `model_order` (the summary's), tasks
    in the benchmark's order."""
    order = {m: i for i, m in enumerate(model_order)}
    cells = {(r["model_name"], r["key"]): r["score"] for r in rows if r["key"]}
    models = sorted({m for m, _ in cells}, key=lambda m: (m not in order, order.get(m, 0), m))
    present = {t for _, t in cells}
    data = {"Model": models}
    for task in (t for t in task_names if t in present):
        data[task] = [cells.get((m, task)) for m in models]
    return pa.table(data) if models else pa.table({"Model": pa.array([], pa.string())})


# --------------------------------------------------------------------------------------------
# the past results: every leaderboard state of a backfilled snapshot, with today's SQL
# --------------------------------------------------------------------------------------------

def has_past_rows(build: Path) -> bool:
    """Whether the backfill stored the past results themselves (etl/past_rows.py)."""
    return any((_store(build) / warehouse.PAST_FOLDER).glob("*/*.parquet"))


_past: dict = {}
_past_lock = threading.Lock()
STATE_FOLDER = warehouse.PAST_STATE_FOLDER   # one snapshot's past results, compacted
STATE_FILES_KEPT = 12      # the most recently used state files kept on disk
SCHEMAS_KEPT = 4           # snapshots attached at once per process
CURSORS_KEPT = 4           # idle cursors kept per snapshot served, their views made
COMPACT_IDLE_S = 0.5       # a date's compaction starts once its requests pause this long
OVERLAY_THREADS = 2        # the overlays a statement needs first computed side by side
# the macro whose past results tables a board ranked from the result rows reads (a language
# filter's): their overlays are begun together, by a date's first statement that names the
# schema `past`'s views or macros or reads AHEAD_TRIGGER (_PastDatabase._begin_ahead)
AHEAD_ROOT = "lb_task_scores_rows"
AHEAD_TRIGGER = "benchmark_results"
COMPACT_WAIT_S = 30.0      # ... or after this long with a cursor still lent (never given back)
# the most key values, and event rows, an overlay's scan of the events lists as constants
# (_PastDatabase._events): beyond, one scan filtered by a join
LISTED_MAX = 2000
# the size of a table's event files from which an overlay scans them twice (_events)
TWO_SCANS_BYTES = 32 << 20
# <store>/past_schema/<digest>.duckdb: the schema `past` a process made, stored (_store_schema):
# a later process attaches it (a few ms) where making it costs ~100-180 ms of CPU
SCHEMA_FOLDER = "past_schema"
SCHEMA_FILES_KEPT = 4      # the most recently used schema files kept (a build, a code version)
SCHEMA_FORMAT = 1          # bumped when what the schema file holds changes


def _schema_folders(store: Path) -> list[Path]:
    """Where the schema `past` is stored: the store, else (not writable) a private temp folder."""
    return [store / SCHEMA_FOLDER,
            Path(tempfile.gettempdir()) / f"mteb-lb-asof-schema-{os.getuid()}"]


def _state_folders(store: Path) -> list[Path]:
    """Where snapshot states are cached: the store, else (not writable) a private temp folder."""
    return [store / STATE_FOLDER,
            Path(tempfile.gettempdir()) / f"mteb-lb-asof-{os.getuid()}"]


def state_file(build: Path, seq: int) -> Path:
    """The past results tables as of backfilled snapshot `seq`, compacted into one DuckDB file
    (made on first use from the event files of the snapshots <= seq only, with lb_past_rows; kept
    on disk, the STATE_FILES_KEPT most recently used): a process serving a past date reads that
    snapshot's rows only, never the whole history."""
    store = _store(build)
    found = warehouse.past_event_files(store, seq)
    name = warehouse.past_state_name(seq, found)
    error = None
    for folder in _state_folders(store):
        path = folder / name
        if path.is_file():
            try:
                os.utime(path)
            except OSError:
                pass
            return path
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_state(path, found, seq, build)
        except (OSError, duckdb.IOException, duckdb.PermissionException) as exc:
            error = exc
            continue
        _evict(folder)
        return path
    raise AsOfError(f"cannot store the past results of snapshot {seq}: {error}")


def _write_state(path: Path, found: dict[str, list[str]], seq: int, build: Path) -> None:
    """The state file: per results table, lb_past_rows over its events <= seq; a results table
    without any (empty then) is empty, never today's rows."""
    def missing(con) -> None:
        tables = [t for t in warehouse.PAST_TABLES if t not in found]
        if tables:
            con.execute(f"ATTACH '{_lit(build / warehouse.DB_FILE)}' AS cur (READ_ONLY)")
            for table in tables:
                if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                               "'cur' AND table_name = ?", [table]).fetchall()[0][0]:
                    con.execute(f'CREATE TABLE "{table}" AS FROM cur.main."{table}" LIMIT 0')
            con.execute("DETACH cur")

    warehouse.write_past_file(path, found, queries.load("lb_past_rows"),
                              f"FROM lb_past_rows('events', {int(seq)})", missing)


def _evict(folder: Path, kept: int = STATE_FILES_KEPT) -> None:
    """Remove the state (or schema) files beyond the `kept` most recently used (a process that
    has one attached keeps reading it: the file goes when it is closed)."""
    try:
        files = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[kept:]:
        old.unlink(missing_ok=True)


def _current_seq(path: Path, events: dict[str, list[str]]) -> int | None:
    """The snapshot of a compacted state or ranges file (`<seq>-<digest>.duckdb`) when its name
    is the one the stored events give it now (warehouse.past_state_name), else None (a file
    named after other event files, left by a history backfilled again; another file).
    `events`: every event file of the store."""
    try:
        seq = warehouse.past_file_seq(path.name)
    except ValueError:
        return None
    found = {t: [f for f in files if warehouse.past_file_seq(f) <= seq]
             for t, files in events.items()}
    return seq if path.name == warehouse.past_state_name(
        seq, {t: f for t, f in found.items() if f}) else None


def _compacted(store: Path, events: dict[str, list[str]] | None = None) -> dict[int, Path]:
    """The compacted state files that hold their snapshot as the stored events make it now.
    `events`: every event file of the store (warehouse.past_event_files), when known."""
    if events is None:
        events = warehouse.past_event_files(store, 1 << 30)
    out: dict[int, Path] = {}
    for folder in _state_folders(store):
        try:
            paths = sorted(folder.glob("*.duckdb"))
        except OSError:
            continue
        for path in paths:
            seq = _current_seq(path, events)
            if seq is not None and seq not in out:
                out[seq] = path
    return out


def _ranges(store: Path, events: dict[str, list[str]]) -> tuple[int, Path] | None:
    """The file of the past results through every snapshot up to its own (etl/past_rows.py
    export_ranges) that holds them as the stored events make them now, with that snapshot;
    None when there is none. `events`: every event file of the store."""
    try:
        paths = sorted((store / warehouse.PAST_RANGES_FOLDER).glob("*.duckdb"), reverse=True)
    except OSError:
        return None
    for path in paths:
        seq = _current_seq(path, events)
        if seq is not None:
            return seq, path
    return None


@dataclass
class _Served:
    """How a cursor sees one backfilled snapshot: its base (a compacted state file, attached),
    the schema of its overlay (None: the base is its own state) and, per recorded table made
    so far, the SQL of the temp view that stands for it (a Future: made once, on the first
    query that reads the table, _PastDatabase._views)."""
    base: str
    overlay: str | None
    views: dict[str, Future]
    seq: int = 0
    base_seq: int = 0
    alias: str = ""
    base_tables: set[str] = dataclasses.field(default_factory=set)
    ranges: bool = False   # the base holds every row version (_ranges): filtered at `seq`
    events: dict = dataclasses.field(default_factory=dict)  # table -> [(snapshot, event file)]
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)   # of `views`
    ahead: threading.Thread | None = None   # making AHEAD_ROOT's overlays (_begin_ahead)
    thread: threading.Thread | None = None   # compacting the snapshot's own state
    used: float = 0.0      # time.monotonic() its last cursor was lent or given back
    lent: int = 0          # its cursors lent now
    # cursors unlent, each with the set of tables whose temp views it has
    idle: list[tuple[duckdb.DuckDBPyConnection, set[str]]] = dataclasses.field(
        default_factory=list)


def _harden() -> duckdb.DuckDBPyConnection:
    """The past database's in-memory connection, hardened as db.py's connections to today's
    build (no extension installed or loaded, no Python object reachable by name, spill files in
    the process's private folder and capped, memory and threads capped, the configuration
    locked): it runs the same SQL, with the same parameters from the request. File access stays
    on: it reads the store's event files and state files, and the build's views read their
    Parquet files where the build was made (a copied warehouse reads the original's)."""
    con = duckdb.connect(config=dict(db.HARDENED_CONFIG))
    try:
        con.execute("SET enable_progress_bar = false")
        db.cap_resources(con)
        # an overlay's view of a table (the base's rows minus its groups, plus the overlay's)
        # is one subplan that a ranking query reads several times: DuckDB's `common_subplan`
        # would materialize it whole (every column of the benchmark's 2M benchmark_results rows)
        # where each read, planned apart, keeps the few columns and rows it needs: half the
        # query's CPU under a language filter (docs/HISTORY.md, tenth run). GLOBAL in DuckDB
        # 2.0: this in-memory database's, which runs the leaderboard's SQL alone
        con.execute("SET GLOBAL disabled_optimizers = 'common_subplan'")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


class _PastDatabase:
    """An in-memory database with today's build attached as `cur` (the catalog: today's for every
    snapshot), the queries/ views (not materialized) and macros created once in a schema `past`
    as every build creates them, where every other table of the build is a view of `cur`'s, and
    each past results table (warehouse.PAST_TABLES, PAST_DERIVED) a view of the TEMP view of the
    same name: a cursor whose temp views are a snapshot's past results answers the ordinary lb_*
    macros with them (temp views belong to the cursor, so cursors of different dates run side
    by side).

    A snapshot's rows come from a compacted state file (state_file): its own when it was made
    (the backfill leaves the newest one); else from the ranges the backfill leaves (_ranges:
    every row version of the snapshots up to its newest, each table filtered at the date by
    lb_past_at: no overlay, nothing compacted); else (a date after them, a store without them)
    from the nearest compacted state on disk (its `base`) with an
    `overlay`: the rows as of the snapshot of the groups (warehouse.PAST_KEYS: the model, mostly)
    with events between the two snapshots, from those groups' events alone (lb_past_rows), in
    a schema d<seq> of this in-memory database, each table's when a statement first reads it
    (provide); the base's other rows are the snapshot's as they are. So the first request for
    a date waits for no compaction (a weekly snapshot changes a few models); a thread compacts
    the date's own state after it (_compact), which serves the date from then on. Only a store
    without any state file compacts the date's own first. The SCHEMAS_KEPT most recently used
    snapshots stay served."""

    def __init__(self, build: Path):
        self.build = build
        self.store = _store(build)
        self.con = _harden()
        self.con.execute(f"ATTACH '{_lit(build / 'lb.duckdb')}' AS cur (READ_ONLY)")
        self.fingerprint = warehouse.read_manifest(build).get("database_fingerprint")
        self.schemas: OrderedDict[int, _Served] = OrderedDict()
        self.bases: dict[str, str] = {}     # state file -> its alias, attached
        self.retired: list[tuple[int, _Served]] = []   # overlays replaced by their own state
        self.cur_tables: set[str] = set()
        self.cur_names: list[str] = []      # today's tables and views
        self.stubs: list[queries.View] = []
        self.ready = False
        # making the schema `past`: its tables' views, then its queries/ views and macros
        self.parts: tuple[Future, Future] | None = None
        self.view_names: set[str] = set()     # those of its queries/ views and macros
        # the catalog of the schema `past`: this in-memory database's when this process made it,
        # else the alias of the stored one attached (_attach_schema)
        self.catalog = "memory"
        self.past_thread: threading.Thread | None = None   # making (and storing) it
        self.ahead: list[str] = []     # AHEAD_ROOT's past results tables (_begin_ahead)
        self.lock = threading.Lock()

    def cursor(self, seq: int) -> duckdb.DuckDBPyConnection:
        seq = int(seq)
        with self.lock:
            # the schema `past` is made in a thread while the first statement's tables are
            # (their overlays): two independent parts of a process's first request
            self._start_past()
            served = self.schemas.get(seq)
            if served is not None:
                self.schemas.move_to_end(seq)
            else:
                served = self.schemas[seq] = self._serve(seq)
                while len(self.schemas) > SCHEMAS_KEPT:
                    self._drop(*self.schemas.popitem(last=False))
            cur, made = served.idle.pop() if served.idle else (self.con.cursor(), None)
            served.used = time.monotonic()
            served.lent += 1
            if served.overlay and served.thread is None:
                # not a daemon: a process that answered one request (the CLI) finishes the
                # compaction before it exits, rather than leave a partial file
                served.thread = threading.Thread(target=self._compact, args=(seq, served),
                                                 name=f"asof-{seq}")
                served.thread.start()
        return _Cursor(cur, made, self, seq, served)

    def provide(self, con, made: set[str] | None, served: _Served, sql: str,
                params) -> set[str] | None:
        """Before a statement of a lent cursor (`made`: the tables whose temp views it has;
        None: a new cursor, not yet in the schema `past`): the temp views of the past results
        tables the statement reads, directly or through the views and macros it names
        (queries.uses; a table name handed as a parameter counts), their overlays made now if
        no statement made them before, while the first cursor's thread makes the schema `past`:
        the statement waits for its tables' views, and for its queries/ views and macros only
        if it names one of them (the default board's names a stored table alone).
        A table not named has no temp view in the cursor: a query reading it fails (binding),
        it never reads another date's rows. A statement naming nothing of the schema (SET,
        ATTACH) runs as it is. The first statement of a date served by an overlay that reads
        AHEAD_TRIGGER or names the queries/ views and macros begins the overlays of
        AHEAD_ROOT's tables too (_begin_ahead). Returns the cursor's tables now."""
        names = self._named(sql, params)
        if not names:
            return made
        tables = [t for t in self._recorded(names)
                  if t not in (made or ()) and self._holds(served, t)]
        whole = not names.isdisjoint(self.view_names)
        if served.overlay and (whole or AHEAD_TRIGGER in tables):
            self._begin_ahead(served, tables)
        views = self._views(served, tables)
        self._await_past(whole=whole)
        if made is None:
            con.execute(f"USE {self.catalog}.past")
            made = set()
        for table in tables:
            con.execute(views[table])
            made.add(table)
        return made

    @staticmethod
    def _holds(served: _Served, table: str) -> bool:
        """Whether the store holds `table` as of the served snapshot: a table that older
        backfills did not record (warehouse.PAST_LATER) only from its first event file on.
        Before it the cursor has no temp view of it: a statement reading it fails (binding),
        as on a build without the table, and the ranking code takes that path."""
        return table not in warehouse.PAST_LATER or any(
            n <= served.seq for n, _ in served.events.get(table, ()))

    def _begin_ahead(self, served: _Served, tables: list[str]) -> None:
        """The overlays of the tables a board ranked from the result rows reads (AHEAD_ROOT's;
        `tables`, the statement's own, left to it) begun in a thread, once per served date: a
        language filter's first request waits for the schema `past` (a bare process), then
        makes benchmark_results' overlay for its cut, then the ranking statement's others, one
        after the other; begun together, its statements meet them made."""
        if not self.ahead:
            self.ahead = self._recorded({AHEAD_ROOT})
        todo = [t for t in self.ahead if t not in tables and self._holds(served, t)]

        def make() -> None:
            for table in todo:
                try:
                    self._views(served, [table])
                except BaseException:   # noqa: BLE001 - a statement that needs it makes it again
                    pass
        with served.lock:
            if served.ahead is not None:
                return
            # not a daemon: the database is closed (close) once it is done
            served.ahead = threading.Thread(target=make, name=f"asof-ahead-{served.seq}")
            served.ahead.start()

    def _views(self, served: _Served, tables: list[str]) -> dict[str, str]:
        """The temp views' SQL of `tables` in `served`, each made once (its overlay computed by
        the first statement that needs it; the others wait for that one); several overlays
        are computed in OVERLAY_THREADS threads (benchmark_results', the largest, in one).
        A failed one is made again by the next statement that needs it."""
        with served.lock:
            todo = [t for t in tables if t not in served.views]
            for table in todo:
                served.views[table] = Future()
            futures = {t: served.views[t] for t in tables}

        def make(table: str) -> None:
            future = futures[table]
            cur = self.con.cursor()
            try:
                future.set_result(self._view(cur, table, self._table(
                    cur, table, served.seq, served, served.events.get(table, []))))
            except BaseException as exc:
                with served.lock:
                    served.views.pop(table, None)
                future.set_exception(exc)
            finally:
                cur.close()

        if served.overlay and len(todo) > 1:
            with ThreadPoolExecutor(OVERLAY_THREADS, thread_name_prefix="asof-overlay") as pool:
                list(pool.map(make, todo))
        else:
            for table in todo:
                make(table)
        return {t: f.result() for t, f in futures.items()}

    def give_back(self, seq: int, served: _Served, cur: duckdb.DuckDBPyConnection,
                  made: set[str] | None) -> None:
        """A lent cursor returned (_Cursor.close): kept for the date's next request, its user
        variables reset (rankings sets lb_exclude_level per query), while its snapshot is
        served as it was; closed otherwise."""
        try:
            for (name,) in cur.execute("SELECT name FROM duckdb_variables()").fetchall():
                cur.execute(f"RESET VARIABLE {_ident(name)}")
            cur.execute(f"USE {self.catalog}.past")
        except duckdb.Error:
            cur.close()
            cur = None
        if cur is None:
            with self.lock:
                served.lent -= 1
                served.used = time.monotonic()
            return
        with self.lock:
            served.lent -= 1
            served.used = time.monotonic()
            if self.schemas.get(seq) is served and len(served.idle) < CURSORS_KEPT:
                served.idle.append((cur, made or set()))
                return
        cur.close()

    def _compact(self, seq: int, served: _Served) -> None:
        """After the first request of a date served with an overlay: its own state compacted
        on disk (state_file), in this thread; the cursors made after it read that state alone
        (an overlay's views cost every query a little: the groups it replaces are filtered
        out of the base), and it is one more base for the dates near it. The overlay stays
        until SCHEMAS_KEPT others have been retired (a cursor may still read it). It starts
        once the date's requests pause (no cursor lent for COMPACT_IDLE_S): on two cores it
        would otherwise take half the CPU from the requests it follows."""
        start = time.monotonic()
        while time.monotonic() - start < COMPACT_WAIT_S:
            idle = time.monotonic() - served.used
            if served.lent <= 0 and idle >= COMPACT_IDLE_S:
                break
            time.sleep(max(0.05, COMPACT_IDLE_S - idle))
        try:
            state_file(self.build, seq)
        except (AsOfError, OSError, duckdb.Error):
            return     # the overlay keeps serving the date
        with self.lock:
            if self.schemas.get(seq) is not served:
                return
            try:
                self.schemas[seq] = self._serve(seq)
            except (OSError, duckdb.Error):
                self.schemas[seq] = served
                return
            self.retired.append((seq, served))
            while served.idle:
                served.idle.pop()[0].close()
            while len(self.retired) > SCHEMAS_KEPT:
                self._drop(*self.retired.pop(0))

    def settle(self) -> None:
        """Wait for the overlays made after the first requests, and for the schema `past`
        stored once made (tests)."""
        if self.ready and self.past_thread is not None:
            self.past_thread.join()
        for served in list(self.schemas.values()) + [s for _, s in self.retired]:
            for thread in (served.ahead, served.thread):
                if thread is not None:
                    thread.join()

    def _start_past(self) -> None:
        """(self.lock held) The schema `past` attached from its stored file (_attach_schema),
        else begun in a thread, unless made or being made."""
        if self.ready or self.parts is not None:
            return
        self._prepare()
        if self._attach_schema():
            return
        self.parts = (Future(), Future())
        self.past_thread = threading.Thread(target=self._create_past, args=self.parts,
                                            name="asof-past")
        self.past_thread.start()

    def _schema_name(self) -> str:
        """The file name of the stored schema `past` of this build and code: a digest of what
        its views and macros are made from (today's build, its tables' and views' names, the
        SQL of past_views, the tables recorded or not, DuckDB's version)."""
        import hashlib  # deferred: only this path needs it

        digest = hashlib.blake2b(digest_size=12)
        try:
            stat = (self.build / warehouse.DB_FILE).stat()
            made = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            made = None
        for part in (SCHEMA_FORMAT, duckdb.__version__, str(self.build.resolve()), made,
                     self.fingerprint, self.cur_names, RECORDED, NOT_RECORDED,
                     warehouse.TODAY_ONLY_TABLES):
            digest.update(repr(part).encode() + b"\0")
        for view in past_views():
            digest.update(view.name.encode() + b"\0" + view.sql.encode() + b"\0")
        return f"{digest.hexdigest()}.duckdb"

    def _attach_schema(self) -> bool:
        """(self.lock held) The schema `past` that a process stored for this build and code
        (_store_schema), attached read-only (a few ms, where making it costs ~100-180 ms of
        CPU): its views bind in their own catalog, to the cursor's temp views and today's
        build (`cur`) as the ones made here. False when there is none (or it cannot be read)."""
        name = self._schema_name()
        for folder in _schema_folders(self.store):
            path = folder / name
            if not path.is_file():
                continue
            alias = f"p_{os.getpid()}"
            try:
                self.con.execute(f"ATTACH '{_lit(path)}' AS {alias} (READ_ONLY)")
            except duckdb.Error:
                continue
            try:
                os.utime(path)    # the most recently used are kept
            except OSError:
                pass
            self.catalog = alias
            self.ready = True
            return True
        return False

    def _store_schema(self) -> None:
        """The schema `past` just made here, made again in a database file for the later
        processes of this build and code (_attach_schema): attached beside under a temporary
        name, then renamed; the SCHEMA_FILES_KEPT most recently used kept. Best effort: a
        folder not writable is skipped, an error leaves no file."""
        name = self._schema_name()
        for folder in _schema_folders(self.store):
            path = folder / name
            if path.is_file():
                return
            tmp = path.with_name(f"{name}.{os.getpid()}.tmp")
            alias = f"w_{os.getpid()}"
            cur = None
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                tmp.unlink(missing_ok=True)
                cur = self.con.cursor()
                cur.execute(f"ATTACH '{_lit(tmp)}' AS {alias}")
                try:
                    self._make_schema(cur, alias)
                finally:
                    cur.execute("USE memory.main")
                    cur.execute(f"DETACH DATABASE {alias}")
                os.replace(tmp, path)
            except (OSError, duckdb.Error, RuntimeError):
                tmp.unlink(missing_ok=True)
                continue
            finally:
                if cur is not None:
                    cur.close()
            _evict(folder, SCHEMA_FILES_KEPT)
            return

    def _await_past(self, whole: bool = True) -> None:
        """Wait for the schema `past`'s tables' views, and if `whole` for its queries/ views
        and macros too (begun if not yet, or again after an error); an error in making them
        raised (the next statement begins them again)."""
        with self.lock:
            self._start_past()
            parts = self.parts
        if parts is None:     # made
            return
        try:
            parts[1 if whole else 0].result()
        except BaseException:
            with self.lock:
                if self.parts is parts:
                    self.parts = None
            raise

    def close(self) -> None:
        """The database closed, once the threads making the schema `past` (which outlives the
        first statement) and the overlays begun ahead are done with it."""
        with self.lock:
            parts = self.parts
            ahead = [s.ahead for s in list(self.schemas.values()) + [s for _, s in self.retired]
                     if s.ahead is not None]
        if parts is not None:
            parts[1].exception()      # waits; its error is the statements'
        if self.past_thread is not None:    # storing the schema (_store_schema)
            self.past_thread.join()
        for thread in ahead:          # the overlays begun ahead (_begin_ahead)
            thread.join()
        self.con.close()

    def _create_past(self, tables: Future, views: Future) -> None:
        """The schema `past`, in two parts, each done (`tables`, `views`) when made: today's
        tables as views of `cur` and the past results tables as views of the cursor's temp
        views, then the queries/ views and macros the leaderboard reads (past_views: the
        others are not defined there). Each statement replaces what an earlier attempt that
        failed half-way made."""
        part, cur, error = tables, None, None

        def first_part() -> None:
            nonlocal part
            tables.set_result(None)
            part = views
        try:
            cur = self.con.cursor()
            self._make_schema(cur, "memory", first_part)
        except BaseException as exc:    # noqa: BLE001 - raised by the statements waiting
            error = exc
        finally:
            if cur is not None:
                cur.close()
        if error is not None:    # told once the cursor is closed (close() may follow)
            for future in {part, views}:
                future.set_exception(error)
            return
        self.ready = True
        views.set_result(None)
        self._store_schema()

    def _make_schema(self, cur, catalog: str, first_part=None) -> None:
        """The schema `past` in `catalog` (this in-memory database's, or a file's to store it):
        today's tables as views of `cur`, the past results tables as views of the cursor's temp
        views of the same name, then (`first_part()` called in between) the queries/ views and
        macros of past_views."""
        views_made = past_views()     # once per process, as _recreated
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.past")
        for name in self.cur_names:
            view = f'CREATE OR REPLACE VIEW {catalog}.past."{name}" AS'
            if name in RECORDED:
                # the temp view the views below bind to: today's columns, no rows
                cur.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS '
                            f'FROM cur.main."{name}" LIMIT 0')
                cur.execute(f'{view} FROM temp.main."{name}"')
            elif name in NOT_RECORDED:
                cur.execute(f'{view} FROM cur.main."{name}" LIMIT 0')
            elif name not in _recreated and name not in warehouse.TODAY_ONLY_TABLES:
                cur.execute(f'{view} FROM cur.main."{name}"')
        if first_part is not None:
            first_part()
        cur.execute(f"USE {catalog}.past")
        queries.create_views(cur, views_made, comments=False)

    def _prepare(self) -> None:
        """What both halves of the set-up need: the names of today's tables and views,
        lb_past_rows and lb_past_at (in memory.main: the overlays' rows, a date's rows from the
        ranges)."""
        if self.cur_tables:
            return
        self.cur_tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'cur' "
            "AND schema_name = 'main'").fetchall()}
        self.cur_names = sorted(self.cur_tables) + [r[0] for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'cur' "
            "AND schema_name = 'main' AND NOT internal").fetchall()]
        # every name of the schema `past`, as views for queries.uses (_named)
        self.view_names = {v.name for v in past_views()}
        self.stubs = [queries.View(n, "", "") for n in sorted(
            self.view_names | set(RECORDED) | set(self.cur_names))]
        self.con.execute(queries.load("lb_past_rows"))
        self.con.execute(queries.load("lb_past_at"))

    def _named(self, sql: str, params) -> set[str]:
        """The names of the schema `past` that a statement names, its string parameters
        included (a table macro may be handed a table's name)."""
        values = params.values() if isinstance(params, dict) else params or ()
        text = "\n".join([sql, *(v for v in values if isinstance(v, str))])
        return queries.uses([queries.View("", text, ""), *self.stubs])[""]

    def _recorded(self, names: set[str]) -> list[str]:
        """The past results tables that `names` read, directly or through the views and
        macros of the schema `past`."""
        reads = past_reads()
        need, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name not in need:
                need.add(name)
                todo.extend(reads.get(name, ()))
        return [t for t in RECORDED if t in need and t in self.cur_tables]

    def _serve(self, seq: int) -> _Served:
        # the store's event files listed once (not per table), with their snapshot numbers
        every = warehouse.past_event_files(self.store, 1 << 30)
        numbered = {t: [(warehouse.past_file_seq(f), f) for f in files]
                    for t, files in every.items()}
        found = {t: [f for n, f in files if n <= seq] for t, files in numbered.items()}
        found = {t: files for t, files in found.items() if files}
        own = None
        for folder in _state_folders(self.store):
            if (folder / warehouse.past_state_name(seq, found)).is_file():
                own = folder / warehouse.past_state_name(seq, found)
                break
        ranges = None if own else _ranges(self.store, every)
        alias = None
        if ranges is not None and seq <= ranges[0]:
            # every row version up to a later snapshot: the date's rows, one filtered scan
            # (no overlay, nothing to compact)
            base_seq, path = seq, ranges[1]
            try:
                alias = self._attach(path)
            except duckdb.Error:      # a damaged file: served as without it
                ranges = None
        if alias is None:
            bases = {seq: own} if own else _compacted(self.store, every)
            if not bases:     # nothing compacted yet: this snapshot's own state, made now
                bases = {seq: state_file(self.build, seq)}
            base_seq = min(bases, key=lambda b: (abs(b - seq), -b))
            path = bases[base_seq]
            ranges = None
            try:
                os.utime(path)    # the most recently used state files are kept
            except OSError:
                pass
            alias = self._attach(path)
        served = _Served(str(path), None, {}, seq, base_seq, alias, events=numbered,
                         ranges=ranges is not None)
        try:
            served.base_tables = {r[0] for r in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                [alias]).fetchall()}
            if base_seq != seq:
                # the overlays' tables, each made in a schema of its own (_views)
                served.overlay = f"d{seq}"
                self.con.execute(f"CREATE SCHEMA memory.{served.overlay}")
        except BaseException:
            self._drop(seq, served)
            raise
        return served

    def _view(self, con, table: str, sql: str) -> str:
        """The temp view that stands for `table` in a cursor, from its rows' SQL."""
        if table in warehouse.PAST_DERIVED:
            # derived by the backfill's build with its catalog and SQL: only the rows made with
            # today's (the others are computed as for any other state)
            columns = [d[0] for d in con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]
            sql = (f"SELECT * EXCLUDE (_fingerprint) FROM ({sql}) "
                   f"WHERE _fingerprint = '{_lit(self.fingerprint or '')}'"
                   if "_fingerprint" in columns else f'FROM cur.main."{table}" LIMIT 0')
        return f'CREATE OR REPLACE TEMP VIEW "{table}" AS {sql}'

    def _table(self, con, table: str, seq: int, served: _Served,
               events: list[tuple[int, str]]) -> str:
        """The SQL of `table` as of snapshot `seq`: the base's rows, where the groups
        (warehouse.past_key: a model's rows on a benchmark, mostly) with events between the
        base's snapshot and `seq` are replaced by the overlay's rows (those groups' events up to
        `seq`, by lb_past_rows' rule: the other groups' rows are not even read).
        `events`: the table's event files, (snapshot, path), oldest first.
        The groups are matched by their key's values (semi joins, which the Parquet scan of the
        older events filters with: half the CPU of matching a hash), NULL keys included."""
        base_seq, alias, overlay = served.base_seq, served.alias, served.overlay
        base = f'{alias}.main."{table}"' if table in served.base_tables else None
        empty = f'FROM cur.main."{table}" LIMIT 0'
        if served.ranges:
            return (f"FROM memory.main.lb_past_at('{_lit(base)}', {int(seq)})"
                    if base else empty)
        if overlay is None:
            return f"FROM {base}" if base else empty
        low, high = sorted((base_seq, seq))
        between = [f for n, f in events if low < n <= high]
        upto = [f for n, f in events if n <= seq]
        if not between:
            return f"FROM {base}" if base else empty
        keys = [_ident(c) for c in warehouse.past_key(table)]
        groups, rows = f'memory.{overlay}."g_{table}"', f'memory.{overlay}."{table}"'
        mine = f"FROM {rows}"
        # a row of table t in a group of g (NULL keys included)
        same = " AND ".join(f"t.{k} IS NOT DISTINCT FROM g.{k}" for k in keys)
        cur = con.cursor()
        try:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {groups} AS SELECT DISTINCT "
                        f"{', '.join(keys)} FROM read_parquet({_listed(between)})")
            rest = (f"FROM {base} AS t ANTI JOIN {groups} AS g ON {same}" if base else empty)
            if table in warehouse.PAST_DERIVED:
                # the stored boards of the benchmarks with events in between: whole boards
                # change weekly, their events are every version of each board, too many to
                # read for the first request: each group's rows are read from the whole-groups
                # file of the last snapshot <= `seq` that changed it (else, a store recorded
                # before those files, the ranking SQL computes these boards: the same table)
                whole = self._whole(cur, table, groups, events, seq)
                if whole is None:
                    return rest
                return f"{rest} UNION ALL BY NAME {whole}" if base else whole
            if upto:
                cur.execute(f"CREATE OR REPLACE TABLE {rows} AS "
                            + self._events(cur, upto, keys, groups, same))
                if cur.execute(f"SELECT count(*) FROM {rows} WHERE _removed").fetchall()[0][0]:
                    # a table, not a view: lb_past_rows reads its events twice
                    cur.execute("CREATE TEMP TABLE events AS " + warehouse.past_hashed(rows))
                    cur.execute(f"CREATE OR REPLACE TABLE {rows} AS "
                                f"FROM memory.main.lb_past_rows('events', {int(seq)})")
                else:
                    # no removal among them (the usual case): each row added is valid at `seq`,
                    # lb_past_rows' answer without hashing every row
                    mine = f"SELECT * EXCLUDE (_seq, _k, _removed) FROM {rows}"
            else:     # no row yet at `seq`: every row of the base came after it
                source = base or f"cur.main.{_ident(table)}"
                cur.execute(f"CREATE OR REPLACE TABLE {rows} AS FROM {source} LIMIT 0")
        finally:
            cur.close()
        return f"{rest} UNION ALL BY NAME {mine}" if base else mine

    @staticmethod
    def _events(con, upto: list[str], keys: list[str], groups: str, same: str) -> str:
        """The SQL of the events in the files `upto` of the groups in `groups`. The event files
        are sorted by the key (etl/past_rows.py) in row groups with its range. When the
        groups' first key takes few values (a weekly snapshot's dozens of models): two scans,
        the first of the key columns alone, filtered by those values as constants (the Parquet
        scan skips the row groups without them), which finds where the groups' events are
        (file, row number), the second of those rows alone (their row numbers as constants:
        the other row groups skipped, the other rows not decoded): worth its second query when
        the files are large (TWO_SCANS_BYTES: benchmark_results'). Else (small
        files, many values, many rows) one scan filtered by a semi join on the first key
        column (its range), then the groups."""
        first = keys[0]
        values, listed = [], None
        if sum(os.path.getsize(f) for f in upto) >= TWO_SCANS_BYTES:
            values = [v for (v,) in con.execute(
                f"SELECT DISTINCT {first} FROM {groups}").fetchall()]
            listed = _constants(values) if len(values) <= LISTED_MAX else None
        if listed is not None:
            where = f"t.{first} IN ({listed})" if listed else "false"
            if None in values:
                where += f" OR t.{first} IS NULL"
            found = con.execute(
                "SELECT filename, list(file_row_number ORDER BY file_row_number) FROM ("
                "SELECT filename, file_row_number FROM read_parquet("
                f"{_listed(upto)}, filename = true, file_row_number = true) AS t "
                f"SEMI JOIN {groups} AS g ON {same} WHERE {where}) GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            if sum(len(r) for _, r in found) <= LISTED_MAX:
                parts = [f"SELECT * EXCLUDE (file_row_number) FROM read_parquet('{_lit(f)}', "
                         f"file_row_number = true) WHERE file_row_number IN "
                         f"({', '.join(str(int(n)) for n in numbers)})"
                         for f, numbers in found]
                return " UNION ALL ".join(parts) if parts else \
                    f"FROM read_parquet({_listed(upto[:1])}) LIMIT 0"
        scan = (f"FROM read_parquet({_listed(upto)}) AS t SEMI JOIN (SELECT DISTINCT "
                f"{first} FROM {groups}) AS g ON t.{first} IS NOT DISTINCT FROM g.{first}")
        if len(keys) > 1:
            scan = f"FROM ({scan}) AS t SEMI JOIN {groups} AS g ON {same}"
        return scan

    def _whole(self, con, table: str, groups: str, events: list[tuple[int, str]],
               seq: int) -> str | None:
        """The SQL of the rows as of `seq` of a derived table's `groups` (a one-column key: the
        benchmark), each group's from the whole-groups file of the last snapshot <= `seq` with
        an event of it (warehouse.PAST_WHOLE_FOLDER; a group without any has no rows), as a
        scan per file of its groups' values: a query of one benchmark reads its board alone
        (the files' row groups of the others are skipped by their range). None when none of
        the groups had rows at `seq`, or a file needed is missing (a store recorded before
        them: the ranking SQL computes those boards)."""
        (key,) = warehouse.past_key(table)
        upto = {n: f for n, f in events if n <= seq}
        if not upto:
            return None
        last: dict[int, list] = {}
        for value, at in con.execute(
                f"SELECT t.{_ident(key)}, max(t._seq) FROM read_parquet("
                f"{_listed(list(upto.values()))}) AS t SEMI JOIN {groups} AS g "
                f"ON t.{_ident(key)} = g.{_ident(key)} GROUP BY ALL").fetchall():
            last.setdefault(at, []).append(value)
        parts = []
        for at, values in sorted(last.items()):
            path = warehouse.past_whole_file(upto[at])
            if not path.is_file():
                return None
            listed = ", ".join(f"'{_lit(v)}'" for v in sorted(values))
            parts.append(f"SELECT * EXCLUDE (_seq) FROM read_parquet('{_lit(path)}') "
                         f"WHERE {_ident(key)} IN ({listed})")
        return "(" + " UNION ALL BY NAME ".join(parts) + ")" if parts else None

    def _attach(self, path: Path) -> str:
        alias = self.bases.get(str(path))
        if alias is None:
            alias = f"s{len(self.bases)}_{os.getpid()}"
            while alias in self.bases.values():
                alias += "_"
            self.con.execute(f"ATTACH '{_lit(path)}' AS {alias} (READ_ONLY)")
            self.bases[str(path)] = alias
        return alias

    def _drop(self, seq: int, served: _Served) -> None:
        while served.idle:
            served.idle.pop()[0].close()
        if served.overlay:
            self.con.execute(f"DROP SCHEMA IF EXISTS memory.{served.overlay} CASCADE")
        if all(s.base != served.base for s in self.schemas.values()) and all(
                s.base != served.base for _, s in self.retired):
            alias = self.bases.pop(served.base, None)
            if alias:
                self.con.execute(f"DETACH DATABASE IF EXISTS {alias}")


RECORDED = warehouse.PAST_TABLES + warehouse.PAST_DERIVED
# today's tables that depend on the results but are not recorded per snapshot: empty on a past
# date, never today's rows (chosen_results: the per-experiment scores behind the per-task grid's
# spread marks, lb_task_spread; a past date's grid has none, docs/HISTORY.md §Past results)
NOT_RECORDED = ("chosen_results",)
# the queries/ folders whose views and macros a past date's leaderboard reads (rankings.py); the
# others' (the app's pages, the quality report, the builds' history) are not made for a past date
PAST_ROOTS = ("leaderboard", "marts")
_past_views: list = []
_recreated: set = set()    # every queries/ view (not materialized) and macro: not today's
_past_reads: dict = {}


def past_views() -> list:
    """The queries/ views (not materialized, or materialized but warehouse.PAST_RECOMPUTED) and
    macros that a past database creates: those of PAST_ROOTS and every one they name, in
    dependency order (a view after those it names, so that queries.create_views creates each at
    its first try). Making them is most of a past database's set-up (binding a view reads its
    inputs' schemas): the ~70 of queries/ took ~130 ms of CPU, these about half of it. Computed
    once per process."""
    if _past_views:
        return list(_past_views)
    views = [v if v.is_macro or not v.materialize else dataclasses.replace(v, materialize=False)
             for v in queries.all_views()
             if v.is_macro or not v.materialize or v.name in warehouse.PAST_RECOMPUTED]
    _recreated.update(v.name for v in views)
    folders = {name: path.parent.name for name, path in queries.files().items()}
    roots = [v for v in views if folders.get(v.name) in PAST_ROOTS]
    ordered = queries.dependency_order(queries.closure(views, roots))
    _past_views[:] = ordered
    return list(ordered)


def past_reads() -> dict[str, set[str]]:
    """Per view and macro of past_views(): the others and the past results tables it names
    (queries.uses). Computed once per process."""
    if not _past_reads:
        _past_reads.update(queries.uses(
            past_views() + [queries.View(t, "", "") for t in RECORDED]))
    return _past_reads


class _Cursor:
    """A cursor of the past database whose temp views stand for one snapshot's tables, lent
    to one caller: close() gives it back (_PastDatabase.give_back), so the date's next request
    does not create its views again (~2 ms a view). Each statement first gets the temp views of
    the past results tables it reads (_PastDatabase.provide: their overlays made then, not
    before), so a request waits only for the tables its query reads. Otherwise a DuckDB
    cursor."""

    def __init__(self, con, made: set[str], owner: _PastDatabase, seq: int, served: _Served):
        self._con, self._made, self._owner = con, made, owner
        self._seq, self._served = seq, served

    def __getattr__(self, name):
        if self._con is None:
            raise duckdb.ConnectionException("Connection already closed!")
        return getattr(self._con, name)

    def execute(self, query: str, parameters=None):
        if self._con is None:
            raise duckdb.ConnectionException("Connection already closed!")
        self._made = self._owner.provide(self._con, self._made, self._served, query, parameters)
        return self._con.execute(query, parameters)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            self._owner.give_back(self._seq, self._served, con, self._made)


class PastBuild:
    """A build handle (as db.CurrentBuild: build, build_id, cursor) on the leaderboard of a
    backfilled snapshot: rankings.Leaderboard over it computes every table of every state from
    the past results, with the same SQL as today's. `lacks`: the today-only tables its schema
    never has (_make_schema makes no view of them), which the ranking code then knows without
    a failing query (each cost a request ~10-20 ms: DuckDB's error, then the check that the
    build was not made by other code, rankings.stale_build_error)."""

    lacks = frozenset(warehouse.TODAY_ONLY_TABLES) - frozenset(RECORDED)

    def __init__(self, build: Path, snap: Snapshot):
        self.build, self.snap = build, snap

    def build_id(self) -> str:
        return f"{self.build.name}@{self.snap.origin}:{self.snap.seq}"

    def cache_key(self) -> str:
        return f"{self.build}@{self.snap.origin}:{self.snap.seq}"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return _past_database(self.build).cursor(self.snap.seq)


def _past_database(build: Path) -> _PastDatabase:
    """The process's past database of `build` (one at a time)."""
    snaps = _store(build) / "snapshots.parquet"
    # another build, or a store backfilled again (its snapshots renumbered): afresh
    key = (str(build), snaps.stat().st_mtime_ns if snaps.is_file() else None)
    with _past_lock:
        past = _past.get(key)
        if past is None:
            for old in list(_past):     # an older build's or store's: closed
                _past.pop(old).close()
            past = _past[key] = _PastDatabase(build)
    return past


def prewarm(build: Path) -> bool:
    """Make the past database of `build` ahead (its schema `past`: today's tables, the views
    and macros, ~70 ms of CPU), so that a process's first as-of request does not: the app's
    prewarm thread calls it after today's boards. False when the warehouse has no past results
    (nothing to make)."""
    if not has_past_rows(build):
        return False
    past = _past_database(build)
    past._await_past()
    return past.ready


# --------------------------------------------------------------------------------------------
# through time: a model's ranks, a benchmark's leader, the changes between two dates
# --------------------------------------------------------------------------------------------

def _both(build: Path, sql: str, params: dict) -> list[dict]:
    """`sql` run over each history, rows tagged with their origin, oldest history first."""
    out = []
    for origin in _sources(build):
        cur = _connection(build, origin)
        try:
            rows = db.query_arrow(cur, sql, params).to_pylist()
        finally:
            cur.close()
        out.extend(dict(r, origin=origin) for r in rows)
    return out


def model_history(build: Path, model: str) -> list[dict]:
    """lb_model_history(model) over both histories, by benchmark, key and date."""
    rows = _both(build, "SELECT * FROM lb_model_history($m)", {"m": model})
    return sorted(rows, key=lambda r: (r["benchmark"], r["key"], r["built_at"]))


def benchmark_history(build: Path, benchmark: str) -> list[dict]:
    """lb_benchmark_history(benchmark) over both histories, by date."""
    rows = _both(build, "SELECT * FROM lb_benchmark_history($b)", {"b": benchmark})
    return sorted(rows, key=lambda r: r["built_at"])


def changes_between(build: Path, date_from: dt.datetime, date_to: dt.datetime,
                    benchmark: str | None = None) -> tuple[Snapshot, Snapshot, list[dict]]:
    """(snapshot at date_from, snapshot at date_to, lb_changes_between's rows with a `cause`
    for each model or result that disappeared). The two states may come from either history:
    they are compared as a two-snapshot history by the same macro."""
    snap_from, old = rows_at(build, date_from, benchmark)
    snap_to, new = rows_at(build, date_to, benchmark)
    con = duckdb.connect()
    try:
        con.register("old_rows", old)
        con.register("new_rows", new)
        cols = ("benchmark, model_name, key, rank, score, mean_task_type, mean_public, "
                "mean_private, mean_subset")
        con.execute(f"""
            CREATE TABLE leaderboard_history AS
            SELECT 1 AS build_seq, 'from' AS build_id, TIMESTAMP '2000-01-01' AS built_at,
                   {cols}, false AS removed FROM old_rows
            UNION ALL
            SELECT 2, 'to', TIMESTAMP '2000-01-02', {cols}, false FROM new_rows
            UNION ALL
            SELECT 2, 'to', TIMESTAMP '2000-01-02', o.benchmark, o.model_name, o.key, NULL,
                   NULL, NULL, NULL, NULL, NULL, true
            FROM old_rows AS o ANTI JOIN new_rows AS n USING (benchmark, model_name, key)""")
        con.execute("CREATE TABLE leaderboard_history_builds AS SELECT * FROM (VALUES "
                    "(1, 'from', TIMESTAMP '2000-01-01'), (2, 'to', TIMESTAMP '2000-01-02')) "
                    "AS t(build_seq, build_id, built_at)")
        for name in ("lb_change_kind", "leaderboard_as_of", "lb_changes_between"):
            con.execute(queries.load(name))
        rows = con.sql("SELECT * FROM lb_changes_between(TIMESTAMP '2000-01-01', "
                       "TIMESTAMP '2000-01-02')").to_arrow_table().to_pylist()
    finally:
        con.close()
    gone = [r for r in rows if r["change"] in ("removed_model", "removed_result")]
    if gone:
        causes = _Causes(build, snap_from, snap_to)
        for r in gone:
            r["cause"] = causes.of(r["model_name"], r["task_name"])
    for r in rows:
        r.setdefault("cause", None)
    return snap_from, snap_to, rows


def model_folder(name: str) -> str:
    """The results/ folder of a model name (docs/DATA.md §Layout)."""
    return name.replace("/", "__").replace(" ", "_")


class _Causes:
    """Why a model or a task score left the board between two snapshots: the changed paths the
    backfill recorded between them (files removed, renamed, model_meta.json changed,
    quarantined), else a catalog change or an unknown cause. A file quarantined at the first
    snapshot already (the backfill lists every quarantined file at each commit; a build, those
    quarantined since the build before) had no scores then: not a cause."""

    def __init__(self, build: Path, snap_from: Snapshot, snap_to: Snapshot):
        self.paths: list[dict] = []
        self.quarantined_before: set[str] = set()
        # the backfill records the paths per commit, every build its own (etl/history.py PATHS)
        folder = {"backfill": _store(build) / "paths",
                  "build": build / "parquet" / "leaderboard_history_paths"}[snap_to.origin]
        self.known = snap_from.origin == snap_to.origin and any(folder.glob("*.parquet"))
        if self.known:
            con = duckdb.connect()
            try:
                files = sorted(str(p) for p in folder.glob("*.parquet"))
                if files:
                    rows = db.query_arrow(
                        con, "SELECT * FROM read_parquet($f) WHERE seq >= $a AND seq <= $b",
                        {"f": files, "a": snap_from.seq, "b": snap_to.seq}).to_pylist()
                    self.paths = [r for r in rows if r["seq"] > snap_from.seq]
                    self.quarantined_before = {r["path"] for r in rows
                                               if r["seq"] == snap_from.seq
                                               and r["status"] == "Q"}
            finally:
                con.close()

    def of(self, model: str, task: str | None) -> str:
        if not self.known:
            return ("unknown: no changed paths recorded between these snapshots (one of each "
                    "history, or builds older than the record); a catalog change or result "
                    "files changed")
        prefix = f"results/{model_folder(model)}/"
        mine = [p for p in self.paths
                if (p["path"].startswith(prefix) or (p["old_path"] or "").startswith(prefix))
                and not (p["status"] == "Q" and p["path"] in self.quarantined_before)]
        if task is not None:
            mine = [p for p in mine if p["status"] == "Q" or
                    Path(p["old_path"] or p["path"]).name in (f"{task}.json", "model_meta.json")]
        parts = []
        for status, label in (("D", "files removed"), ("R", "files renamed"),
                              ("Q", "quarantined")):
            hits = [p for p in mine if p["status"] == status]
            if hits:
                first = hits[0]
                what = (f"{first['old_path']} -> {first['path']}" if status == "R"
                        else f"{first['path']}: {first['reason']}" if status == "Q"
                        else first["path"])
                more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
                parts.append(f"{label}: {what}{more}")
        if any(p["status"] in "AM" and p["path"].endswith("/model_meta.json") for p in mine):
            parts.append("model_meta.json changed (model name or revision)")
        if not parts:
            return ("no file of the model changed: a ranking or catalog change (today's "
                    "catalog is used for every snapshot), or its results moved to another "
                    "model's folder")
        return "; ".join(parts)
