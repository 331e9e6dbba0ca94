"""Build a warehouse from a results repository and publish it atomically.

    scan -> parse (full: every model folder in parallel; incremental: only the file versions
    that changed, etl/incremental.py) -> Parquet segments -> lb.duckdb (full: created; incremental:
    the previous one copied and updated, etl/maintain.py) -> validate -> publish (move into
    builds/, write manifest, flip `current`) -> prune

A build that fails at any step is removed and the current build stays as it was.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import shutil
import stat as stat_mod
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from packaging.version import InvalidVersion, Version

import queries
from etl import catalog as catalog_mod
from etl import (
    changes,
    default_summaries,
    flag_changes,
    history,
    incremental,
    maintain,
    nochange,
    rank_intervals,
)
from etl import workers as worker_pool
from etl.nochange import (  # noqa: F401 - etl.build.PARSER_VERSION... stay public
    PARSER_VERSION,
    database_fingerprint,
    parse_fingerprint,
    recorded_name,
)
from etl.parse import TaskCatalog, parse_version
from etl.report import (  # noqa: F401 - etl.build.print_summary stays public
    BuildReport,
    print_summary,
    unchanged_report,
)
from etl.segments import (
    PARSE_RETRY,
    SEGMENTED,
    FileStat,
    ParseJob,
    init_worker,
    parse_segment,
    segment_map_table,
    segment_name,
    write_parquet,
    write_segment_map,
)
from mteb_lb import schema, settings, warehouse

STATE_FILE = "file_stats.parquet"
# tables the database reads from Parquet (big, or per segment: entry_checks)
PARQUET_VIEWS = ("metrics", "metric_arrays", "entry_checks")
SUPERSEDED = "superseded_files"
# An incremental build updates a copy of the previous database; rows it re-inserts go to the end
# of the rankings tables, out of their (benchmark, task) order, which the app's scans rely on.
# After this many updates in a row the database is created afresh, in order.
MAX_DATABASE_UPDATES = 7
# Tables made from the catalog snapshot alone: an incremental build with the same catalog links
# them.
CATALOG_TABLES = ("tasks", "benchmarks", "benchmark_tasks", "model_registry", "model_training",
                  "similar_tasks", "catalog_info")
# Benchmark fields whose shape varies (a list or "all"; a string or a list): always JSON text.
JSON_BENCHMARK_FIELDS = ("language_view", "summary_sort_column")

class SourceError(RuntimeError):
    """The source repository cannot be read."""


NOT_UTF8_NAME = "file name is not valid UTF-8 (recorded with \\x escapes)"
SYMLINK = "a symbolic link: not followed"


def _special_file(mode: int) -> str:
    kind = ("a FIFO" if stat_mod.S_ISFIFO(mode) else "a socket" if stat_mod.S_ISSOCK(mode)
            else "a device" if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode) else "not a file")
    return f"not a regular file ({kind}): never opened"


def scan(repo_root: Path) -> dict[str, list[FileStat]]:
    """Every entry under results/, grouped by model folder (files directly in results/ too).
    Regular files are to be read; symbolic links (to files or folders), FIFOs, devices, sockets
    and names that are not UTF-8 are listed with the reason they are skipped, never opened.
    Hidden folders (.git) are not entered."""
    repo_root = Path(repo_root).resolve()
    results = repo_root / "results"
    if not results.is_dir():
        raise SourceError(f"{repo_root} has no results/ folder: not an MTEB results repository")
    groups: dict[str, list[FileStat]] = {}

    def walk(folder: str, rel: str, model: str | None, named: bool) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            name, ok = recorded_name(entry.name)
            path = f"{rel}/{name}"
            try:
                if entry.is_symlink():
                    skip = SYMLINK
                elif entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        walk(entry.path, path, model if model is not None else name, named and ok)
                    continue
                else:
                    skip = None
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if skip is None and not stat_mod.S_ISREG(st.st_mode):
                skip = _special_file(st.st_mode)
            if skip is None and not (named and ok):
                skip = NOT_UTF8_NAME
            groups.setdefault(model or "", []).append(
                FileStat(path, st.st_size, st.st_mtime_ns, skip))

    walk(str(results), "results", None, True)
    return groups


def stat_path(repo_root: Path, path: str) -> tuple[str, FileStat | None]:
    """(recorded path, FileStat) of one path as `scan` lists it; the FileStat is None when scan
    would not list it (gone, in a hidden folder, below a symbolic link, a folder)."""
    parts = path.split("/")
    names = [recorded_name(part) for part in parts]
    rel = "/".join(name for name, _ok in names)
    if len(parts) < 2 or parts[0] != "results" or any(p.startswith(".") for p in parts[1:-1]):
        return rel, None
    folder = Path(repo_root) / "results"
    try:
        for part in parts[1:-1]:  # scan enters real folders only
            folder = folder / part
            if not stat_mod.S_ISDIR(os.lstat(folder).st_mode):
                return rel, None
        st = os.lstat(folder / parts[-1])
    except OSError:
        return rel, None
    if stat_mod.S_ISLNK(st.st_mode):
        skip = SYMLINK
    elif stat_mod.S_ISDIR(st.st_mode):
        return rel, None
    elif not stat_mod.S_ISREG(st.st_mode):
        skip = _special_file(st.st_mode)
    else:
        skip = None if all(ok for _name, ok in names) else NOT_UTF8_NAME
    return rel, FileStat(rel, st.st_size, st.st_mtime_ns, skip)


def _scan_skips(build: Path, prev: incremental.Previous | None = None) -> dict[str, str]:
    """path -> why `scan` listed it without opening it, for the files of a previous build (of
    its `files` table as `prev` holds it, when given: not read again)."""
    table = prev.files_table if prev is not None else pq.ParquetFile(
        build / "parquet" / "files" / "files.parquet").read(columns=["path", "status", "reason"])
    skipped = table.filter(pc.equal(table.column("status"), "skipped"))
    return {p: r for p, r in zip(skipped.column("path").to_pylist(),
                                 skipped.column("reason").to_pylist())
            if r is not None and (r == NOT_UTF8_NAME or r == SYMLINK
                                  or r.startswith("not a regular file ("))}


def _previous(build: Path | None, fingerprint: str) -> incremental.Previous | None:
    """What the previous build knows of each file, if it is usable for an incremental run
    (None as well when its state cannot be read: the run then builds in full)."""
    if build is None or warehouse.read_manifest(build).get("parse_fingerprint") != fingerprint:
        return None
    try:
        return incremental.load_previous(build, STATE_FILE)
    except (OSError, pa.ArrowException, KeyError, ValueError):
        return None


def _manifest(build: Path | None) -> dict:
    if build is None:
        return {}
    try:
        manifest = warehouse.read_manifest(build)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _database_updates(prev: incremental.Previous | None, fingerprint: str) -> int | None:
    """How many builds in a row updated the previous build's database in place (0: it was
    created afresh); None when it cannot be updated (no previous build, other catalog or SQL)."""
    if prev is None:
        return None
    manifest = warehouse.read_manifest(prev.build)
    if manifest.get("database_fingerprint") != fingerprint:
        return None
    database = manifest.get("database")
    return database.get("updates_since_created", 0) if isinstance(database, dict) else 0


def run(repo_root: Path, *, source: str, source_commit: str | None = None, full: bool = False,
        catalog_dir: Path | None = None, warehouse_dir: Path | None = None,
        workers: int | None = None, progress=None, validate=None,
        checked: dict | None = None, changed_paths: list[str] | None = None) -> BuildReport:
    """Build from `repo_root` (a folder holding results/) and publish. Holds the ETL lock.
    ``checked``: etl/nochange.py check already ran for this run (and found something to build);
    what it learnt (``dirty``: the work tree's edits) is reused rather than asked again.
    ``validate(final_dir) -> dict | None``, when given, runs before the build is published;
    raising stops it, what it returns is added to the manifest. ``changed_paths``: the paths
    known to differ from the current build's (the backfill has them from git): only these are
    looked at, the tree is not listed (ignored when the current build is of another source)."""
    started = time.monotonic()
    warehouse_dir = warehouse_dir or warehouse.root()
    with warehouse.etl_lock(warehouse_dir):
        warehouse.clean_leftovers(warehouse_dir)  # what killed runs left behind
        repo_root = Path(repo_root).resolve()
        if checked is None:
            checked = {}
            quick = nochange.check(repo_root, source=source, source_commit=source_commit,
                                   catalog_dir=catalog_dir, warehouse_dir=warehouse_dir,
                                   full=full, seen=checked)
            if quick is not None:
                return unchanged_report(quick, started)
        # read (and fingerprinted) once per run: by etl/nochange.py when it asked first
        snapshot = checked.get("snapshot")
        if snapshot is None:
            snapshot = catalog_mod.load_snapshot(catalog_dir)
        catalog_version = snapshot["meta"]["mteb_version"]
        empty = [k for k in ("tasks", "benchmarks", "benchmark_tasks", "models")
                 if snapshot.is_empty(k)]
        if empty:
            raise catalog_mod.CatalogError(f"the catalog snapshot has no {', '.join(empty)}: "
                                           "re-export it with `mteb-lb catalog`")
        fingerprint, db_fingerprint = checked.get("fingerprints") \
            or (parse_fingerprint(snapshot), database_fingerprint(snapshot))
        try:
            prev_build = warehouse.current_build(warehouse_dir)
        except warehouse.WarehouseError:
            prev_build = None
        damage = warehouse.check_build(prev_build) if prev_build is not None else None
        notice = "" if damage is None else \
            f"the current build {prev_build.name} is damaged ({damage}): building in full"
        t = time.monotonic()
        timings = {"start_s": t - started}
        # what changed (etl/changes.py): git names the changed paths, a folder is listed
        prev_manifest = _manifest(prev_build) if not (full or damage) else {}
        usable = prev_manifest.get("parse_fingerprint") == fingerprint
        same_files_db = usable and prev_manifest.get("database_fingerprint") == db_fingerprint
        prev = _previous(prev_build, fingerprint) if usable else None
        timings["previous_s"] = time.monotonic() - t
        t = time.monotonic()
        # the state the previous build recorded (read once: its files table holds the skips)
        state = prev.state if prev is not None \
            else changes.read_state(prev_build, STATE_FILE) if usable else None
        staged = catalog_writer = None
        if prev is None and state is None:
            # a full build for certain (no previous build to compare the files with, hence no
            # early return below): the catalog tables' process starts now, beside the scan,
            # which leaves the second core idle (~0.7 s), rather than beside the parse
            build_id = warehouse.new_build_id(source_commit, warehouse_dir)
            staged = warehouse.staging_dir(build_id, warehouse_dir)
            catalog_writer = _start_catalog_writer(staged, snapshot)
        stats, listing = None, "scan"
        old_commit = prev_manifest.get("source_commit")
        git = state is not None and source_commit and old_commit \
            and prev_manifest.get("source") == source and (repo_root / ".git").exists()
        # the cache clone of a git URL is its commit; a local work tree may hold edits
        dirty = (set() if nochange.is_cache_clone(repo_root)
                 else checked["dirty"] if "dirty" in checked
                 else nochange.work_tree_changes(repo_root)) if git else None
        git = git and dirty is not None
        if changed_paths is not None and state is not None and old_commit \
                and prev_manifest.get("source") == source:
            try:   # the changed paths are known: no listing, no git
                stats = changes.from_paths(repo_root, set(changed_paths), state,
                                           _scan_skips(prev_build, prev), stat_path)
                listing, git = f"{len(changed_paths)} changed paths given", False
            except (OSError, pa.ArrowException):
                stats = None
        listed = checked.get("listing")
        if stats is None and not git and listed is not None and state is not None \
                and listed[0] == prev_build and prev_manifest.get("source") == source:
            # etl/nochange.py listed the folder for this run: only what differs is stat'ed
            try:
                touched = changes.from_listing(listed[1], state)
                if touched is not None:
                    stats = changes.from_paths(repo_root, touched, state,
                                               _scan_skips(prev_build, prev), stat_path)
                    listing = f"listing ({len(touched)} changed paths)"
            except (OSError, ValueError, pa.ArrowException):
                stats = None
        if git and same_files_db and old_commit == source_commit and not dirty:
            seen = prev_manifest.get("files_seen", 0)
            return BuildReport(prev_build, False, files_seen=seen, unchanged=seen,
                               loaded=prev_manifest.get("files_loaded", 0),
                               seconds=time.monotonic() - started,
                               message=f"already at {source_commit} with the same catalog and "
                                       "queries; nothing published")
        if git:
            try:
                skips = _scan_skips(prev_build, prev)
            except (OSError, pa.ArrowException):
                skips = None
            stats = None if skips is None else changes.from_git(
                repo_root, old_commit, source_commit, state, skips, stat_path, dirty)
            listing = f"git diff {old_commit[:12]}..{source_commit[:12]}"
        if stats is None:
            try:
                stats, listing = changes.stats_of(scan(repo_root)), "scan"
            except BaseException:
                if catalog_writer is not None:
                    catalog_writer.stop()
                    shutil.rmtree(staged.parent, ignore_errors=True)  # .staging
                raise
        timings["scan_s"] = time.monotonic() - t
        if same_files_db and changes.same_stats(stats, state):
            seen = prev_manifest.get("files_seen", 0)
            return BuildReport(prev_build, False, files_seen=seen, unchanged=seen,
                               loaded=prev_manifest.get("files_loaded", 0),
                               seconds=time.monotonic() - started,
                               message="no file changed since the current build"
                                       + (f" ({listing})" if listing != "scan" else "")
                                       + "; nothing published")
        # None: the catalog or the SQL changed, the database differs even if no file did
        updates = _database_updates(prev, db_fingerprint)
        same_database = updates is not None

        if staged is None:
            build_id = warehouse.new_build_id(source_commit, warehouse_dir)
            staged = warehouse.staging_dir(build_id, warehouse_dir)
        try:
            for table in SEGMENTED:
                (staged / "parquet" / table).mkdir(parents=True)
            t = time.monotonic()
            catalog = TaskCatalog.from_snapshot(snapshot["tasks"], snapshot["task_renames"])
            workers = workers or settings.get("etl_workers")
            jobs = _JobRunner(catalog, workers, progress)
            outcome = None if prev is None else incremental.plan(
                stats, repo_root, staged, prev, build_id, settings.get("max_file_bytes"), jobs,
                workers)
            if outcome is None:
                prev = None
                if catalog_writer is None:  # stopped by the finally
                    catalog_writer = _start_catalog_writer(staged, snapshot)
                outcome = _parse_full(changes.groups_of(stats), repo_root, staged, jobs)
            timings["parse_s"] = time.monotonic() - t
            if prev is not None and same_database and not outcome.changed:
                shutil.rmtree(staged.parent, ignore_errors=True)
                return BuildReport(prev_build, False, files_seen=outcome.files.num_rows,
                                   loaded=outcome.loaded(), parsed=outcome.parsed,
                                   unchanged=outcome.unchanged,
                                   seconds=time.monotonic() - started,
                                   message="nothing changed since the current build; "
                                           "nothing published")
            for table in SEGMENTED:  # an empty repository still gets (empty) tables
                if not any((staged / "parquet" / table).glob("*.parquet")):
                    write_parquet(schema.TABLES[table].empty_table(),
                                  staged / "parquet" / table / "empty.parquet")
            t = time.monotonic()
            same_db = prev is not None and same_database and updates < MAX_DATABASE_UPDATES
            _write_tables(staged, outcome, stats, snapshot, prev.build if same_db else None,
                          catalog_writer)
            timings["tables_s"] = time.monotonic() - t
            t = time.monotonic()
            if same_db:
                maintained = _update_database(staged, prev, outcome)
            else:
                maintained = None
                _create_database(staged)
            rows = _row_counts(staged, outcome)
            timings["database_s"] = time.monotonic() - t
            report = BuildReport(build=None, published=False, files_seen=outcome.files.num_rows,
                                 loaded=outcome.loaded(), parsed=outcome.parsed,
                                 unchanged=outcome.unchanged, rows=rows,
                                 quarantined=outcome.quarantined(), notice=notice)
            manifest = {
                "build_id": build_id, "source": source, "source_commit": source_commit,
                "listing": listing,
                "catalog_mteb_version": catalog_version, "parser_version": PARSER_VERSION,
                "parse_fingerprint": fingerprint, "database_fingerprint": db_fingerprint,
                "sql_digest": queries.sql_digest(),
                "incremental": prev is not None,
                "previous_build": prev.build.name if prev is not None else None,
                "database": {"updated": maintained, "updates_since_created": updates + 1}
                if maintained is not None else "created",
                "row_counts": report.rows, "files_seen": report.files_seen,
                "files_loaded": report.loaded, "files_parsed": report.parsed,
                "files_unchanged": report.unchanged,
                "segments": {"superseded_files": len(outcome.superseded),
                             "compacted": outcome.compacted, "new": outcome.new_segments},
                "quarantined": [{"path": p, "reason": r} for p, r in report.quarantined],
                "previous_build_damaged": damage,
                "tool_versions": {"python": platform.python_version(), "duckdb": duckdb.__version__,
                                  "pyarrow": pa.__version__},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            final = _publish(staged, manifest, timings, warehouse_dir, validate,
                             keep_tables=maintained is not None,
                             changed=_changed(prev, outcome))
        finally:
            if catalog_writer is not None:
                catalog_writer.stop()
            shutil.rmtree(staged.parent, ignore_errors=True)  # .staging
        warehouse.prune(warehouse=warehouse_dir)
        report.build, report.published = final, True
        report.seconds = time.monotonic() - started
        return report


class _JobRunner:
    """Runs parse and compaction jobs in forked worker processes (etl/workers.py), even a single
    job: a file that crashes or hangs its parser then costs that file, never the build. Yields
    results in job order. `retry` says how a job whose process died is retried file by file."""

    def __init__(self, catalog: TaskCatalog, workers: int, progress):
        self.catalog, self.workers, self.progress = catalog, workers, progress

    def __call__(self, function, jobs: list, retry: worker_pool.Retry | None = None):
        init_worker(self.catalog)  # the forked workers inherit it
        return worker_pool.run_jobs(function, jobs, self.workers, retry, self.progress)


def _parse_full(groups, repo_root: Path, staged: Path, jobs: _JobRunner) -> incremental.Outcome:
    """Every model folder parsed into its own segment, biggest folders first."""
    folders = sorted(groups, key=lambda f: -sum(s.size for s in groups[f]))
    work = [ParseJob(segment_name(f), str(repo_root), str(staged), groups[f],
                     settings.get("max_file_bytes")) for f in folders]
    file_rows, segment_rows = [], []
    outcome = incremental.Outcome(schema.FILES.empty_table(), [], None, [], [])
    for result in jobs(parse_segment, work, PARSE_RETRY):
        file_rows.extend(result.file_rows)
        outcome.model_meta_rows.extend(result.model_meta_rows)
        segment_rows.extend(result.versions)
        outcome.parsed += result.parsed
    outcome.files = incremental.files_table(file_rows)
    outcome.segments = segment_map_table(segment_rows)
    outcome.model_meta_rows.sort(key=lambda r: r["path"])
    outcome.changed = True
    return outcome


def _write_tables(staged: Path, outcome: incremental.Outcome, stats: pa.Table, snapshot,
                  catalog_from: Path | None,
                  catalog_writer: _CatalogWriter | None = None) -> None:
    """The single-file tables and the state the next incremental build plans from. With
    `catalog_from` (a previous build with the same catalog), its catalog tables are linked;
    with `catalog_writer`, that process wrote them."""
    _write_single(staged, "files", outcome.files)
    _write_single(staged, "model_meta", pa.Table.from_pylist(outcome.model_meta_rows,
                                                             schema.MODEL_META))
    _write_single(staged, SUPERSEDED, pa.table({"file_id": pa.array(outcome.superseded,
                                                                    pa.int64())},
                                               schema=schema.SUPERSEDED_FILES))
    nochange.write_state(changes.records_of(stats), staged)
    pq.write_table(stats.select(changes.STATE_COLUMNS), staged / STATE_FILE)
    write_segment_map(outcome.segments, staged)
    if catalog_from is not None:
        for name in CATALOG_TABLES:
            (staged / "parquet" / name).mkdir(parents=True)
            source = catalog_from / "parquet" / name / f"{name}.parquet"
            (staged / "parquet" / name / source.name).hardlink_to(source)
        return
    if catalog_writer is not None:
        catalog_writer.wait()
        return
    _write_catalog_tables(staged, snapshot)


def _write_catalog_tables(staged: Path, snapshot) -> None:
    for name, table in _catalog_tables(snapshot).items():
        _write_single(staged, name, table)


def _start_catalog_writer(staged: Path, snapshot) -> _CatalogWriter:
    # pyarrow imports pandas on its first conversion of Python values (~0.4 s of CPU): once
    # here, in the parent (which converts such values after parsing anyway), before the catalog
    # tables' process and the parser processes are forked
    pa.array([0], pa.int64())
    return _CatalogWriter(staged, snapshot)


class _CatalogWriter:
    """`_write_catalog_tables` in a forked process, started before the parse: the catalog
    tables depend on the snapshot alone, and their ~0.8 s of CPU (the snapshot's JSON decoded,
    Arrow tables, Parquet) then overlaps the scan (a build known to be full: `run`) or the
    parse instead of following it. Forked before the parser processes, from the same
    single-threaded parent. `wait()` re-raises its error."""

    def __init__(self, staged: Path, snapshot):
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe(duplex=False)
        self.process = context.Process(target=self._run, args=(child, staged, snapshot),
                                       daemon=True)
        self.process.start()
        child.close()

    @staticmethod
    def _run(conn, staged: Path, snapshot) -> None:
        try:
            _write_catalog_tables(staged, snapshot)
            error = None
        except BaseException as exc:  # noqa: BLE001 - re-raised in the parent
            error = RuntimeError(f"writing the catalog tables failed: "
                                 f"{type(exc).__name__}: {exc}")
        conn.send(error)
        conn.close()

    def wait(self) -> None:
        try:
            error = self.conn.recv()
        except EOFError:
            self.process.join()
            error = RuntimeError("the process writing the catalog tables died (exit code "
                                 f"{self.process.exitcode})")
        self.process.join()
        if error is not None:
            raise error

    def stop(self) -> None:
        """End it if still running (the build failed or was interrupted)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _write_single(staged: Path, name: str, table: pa.Table) -> None:
    folder = staged / "parquet" / name
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(table, folder / f"{name}.parquet")


def _row_counts(staged: Path, outcome: incremental.Outcome) -> dict[str, int]:
    """Rows per table as readers see them (superseded rows left out)."""
    con = duckdb.connect(str(staged / warehouse.DB_FILE), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]
                  for n in names if (staged / "parquet" / n).is_dir()}
    finally:
        con.close()
    current = outcome.segments.filter(pc.invert(pc.is_in(
        outcome.segments.column("file_id"), value_set=pa.array(outcome.superseded, pa.int64()))))
    for table in SEGMENTED[1:]:
        counts[table] = pc.sum(current.column(table)).as_py() or 0
    return dict(sorted(counts.items()))


def _json_cell(value):
    return None if value is None else json.dumps(value, sort_keys=True)


def _records_table(rows: list[dict]) -> pa.Table:
    """Arrow table from JSON-like records; a key whose values mix shapes (a list here, a string
    there, or any dict) is stored as JSON text so nothing is lost."""
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    columns = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if kinds <= {int, float} and kinds:
            columns[key] = pa.array([None if v is None else float(v) for v in values],
                                    pa.float64()) \
                if float in kinds else pa.array(values, pa.int64())
        elif dict in kinds or len(kinds) > 1 or (list in kinds and any(
                isinstance(x, (dict, list)) for v in values if v for x in v)):
            columns[key] = pa.array([_json_cell(v) for v in values], pa.string())
        else:
            columns[key] = pa.array(values)
    return pa.table(columns)


def _catalog_tables(snapshot) -> dict[str, pa.Table]:
    triples = [{"benchmark": bench, "task_name": t, "split": s, "subset": sub, "languages": langs}
               for bench, rows in snapshot["benchmark_tasks"].items() for t, s, sub, langs in rows]
    training = [{"model_name": m["name"], "task_name": task}
                for m in snapshot["models"] if m.get("training_datasets_closure") is not None
                for task in m["training_datasets_closure"]]
    similar = [{"task_name": t, "similar_task": s}
               for t, others in snapshot["similar_tasks"].items() for s in others]
    info = [{"mteb_version": snapshot["meta"]["mteb_version"],
             "menu_json": json.dumps(snapshot["menu"], sort_keys=True)}]
    return {
        "tasks": _records_table(snapshot["tasks"]),
        "benchmarks": _records_table([
            {**b, **{k: _json_cell(b.get(k)) for k in JSON_BENCHMARK_FIELDS}}
            for b in snapshot["benchmarks"]]),
        "benchmark_tasks": pa.Table.from_pylist(triples, pa.schema([
            ("benchmark", pa.string()), ("task_name", pa.string()), ("split", pa.string()),
            ("subset", pa.string()), ("languages", pa.list_(pa.string()))])),
        "model_registry": _records_table(snapshot["models"]),
        "model_training": pa.Table.from_pylist(training, pa.schema([
            ("model_name", pa.string()), ("task_name", pa.string())])),
        "similar_tasks": pa.Table.from_pylist(similar, pa.schema([
            ("task_name", pa.string()), ("similar_task", pa.string())])),
        "catalog_info": pa.Table.from_pylist(info),
    }


def _mteb_versions(con) -> pa.Table:
    """Distinct file-level mteb versions of `scores` with mteb's ordering (packaging.Version;
    ranges unparsed)."""
    found = [r[0] for r in con.execute(
        "SELECT DISTINCT mteb_version FROM scores WHERE mteb_version IS NOT NULL").fetchall()]
    parsed = {}
    for text in found:
        try:
            parsed[text] = Version(text)  # join_revisions does not parse ranges
        except InvalidVersion:
            parsed[text] = None
    ordered = sorted((v, t) for t, v in parsed.items() if v is not None)
    rank = {t: i + 1 for i, (_v, t) in enumerate(ordered)}
    rows = [{"mteb_version": t, "is_parsed": parsed[t] is not None, "version_rank": rank.get(t),
             "min_version": str(parse_version(t)) if parse_version(t) else None}
            for t in sorted(parsed)]
    return pa.Table.from_pylist(rows, pa.schema([
        ("mteb_version", pa.string()), ("is_parsed", pa.bool_()), ("version_rank", pa.int32()),
        ("min_version", pa.string())]))


def _replace_table(con, staged: Path, name: str, table: pa.Table | None = None) -> None:
    """(Re)create table `name` in the database from its Parquet file (written first if given)."""
    if table is not None:
        _write_single(staged, name, table)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_parquet(?)',
                [str(staged / "parquet" / name / "*.parquet")])


def _create_database(staged: Path) -> None:
    """lb.duckdb with the small and medium tables materialised (the app's hot path); `scores`
    without superseded rows."""
    con = duckdb.connect(str(staged / warehouse.DB_FILE))
    try:
        _limit_resources(con)
        con.execute("SET preserve_insertion_order = false")
        for folder in sorted((staged / "parquet").iterdir()):
            if folder.name not in PARQUET_VIEWS and folder.name != "scores":
                _replace_table(con, staged, folder.name)
        con.execute("CREATE TABLE scores AS SELECT * FROM read_parquet(?) WHERE file_id NOT IN "
                    f"(SELECT file_id FROM {SUPERSEDED})",
                    [str(staged / "parquet" / "scores" / "*.parquet")])
        _replace_table(con, staged, "mteb_versions", _mteb_versions(con))
        _comment_tables(con, [f.name for f in (staged / "parquet").iterdir()
                              if f.name not in PARQUET_VIEWS])
    finally:
        con.close()


def _update_database(staged: Path, prev: incremental.Previous,
                     outcome: incremental.Outcome) -> dict:
    """A copy of the previous build's database brought up to date: the file tables replaced,
    `scores` rows of versions gone deleted and those of new versions added, then the
    materialized views maintained for the (model, task) pairs that changed (etl/maintain.py)."""
    target = staged / warehouse.DB_FILE
    shutil.copyfile(prev.build / warehouse.DB_FILE, target)
    con = duckdb.connect(str(target))
    try:
        _limit_resources(con)
        maintain.no_vacuum(con)
        con.execute("SET preserve_insertion_order = false")
        # in memory already: not read back. Only the rows made now replace the previous
        # build's (and those of files gone): the table is not written again in full, nor
        # checkpointed in full (~0.2 s of CPU for 104,747 rows)
        con.register("new_files", outcome.files)
        con.register("made_files", outcome.made)
        con.execute("DELETE FROM files WHERE path IN (SELECT path FROM made_files) "
                    "OR path NOT IN (SELECT path FROM new_files)")
        con.execute("INSERT INTO files BY NAME SELECT * FROM made_files")
        con.unregister("new_files")
        con.unregister("made_files")
        if outcome.model_meta_rows != prev.model_meta_rows():
            _replace_table(con, staged, "model_meta")
        _replace_table(con, staged, SUPERSEDED)
        con.execute("""CREATE TEMP TABLE gone AS
            SELECT file_id FROM (SELECT DISTINCT file_id FROM scores)
            WHERE file_id NOT IN (SELECT file_id FROM files WHERE status = 'loaded')""")
        con.execute("CREATE TEMP TABLE added AS SELECT * FROM scores LIMIT 0")
        new = [str(staged / "parquet" / "scores" / seg) for seg in outcome.new_segments]
        if new:
            con.execute("INSERT INTO added BY NAME SELECT * FROM read_parquet(?)", [new])
        con.execute("""CREATE TEMP TABLE affected_pairs AS
            SELECT DISTINCT model_name, task_name FROM scores
            WHERE file_id IN (SELECT file_id FROM gone)
            UNION SELECT DISTINCT model_name, task_name FROM added""")
        con.execute("DELETE FROM scores WHERE file_id IN (SELECT file_id FROM gone)")
        con.execute("INSERT INTO scores BY NAME SELECT * FROM added")
        _replace_table(con, staged, "mteb_versions", _mteb_versions(con))
        _comment_tables(con, ["files", "model_meta", SUPERSEDED, "mteb_versions"])
        # the copied views read the previous build's Parquet: the maintained views that read
        # metrics (the validity flags) must see this build's
        _parquet_views(con, staged)
        counts = maintain.refresh(con)
        counts["affected_pairs"] = con.execute(
            "SELECT count(*) FROM affected_pairs").fetchall()[0][0]
        con.execute("CHECKPOINT")
        return counts
    finally:
        con.close()


def _limit_resources(con) -> None:
    """Keep the build's DuckDB work within the ETL's memory budget (it spills beyond it)."""
    con.execute("SET memory_limit = ?", [settings.get("etl_memory_limit")])
    con.execute(f"SET threads = {max(1, int(settings.get('etl_workers')))}")


def _comment_tables(con, names) -> None:
    for name in names:
        table_schema = schema.TABLES.get(name)
        doc = (table_schema.metadata or {}).get(b"doc", b"").decode() if table_schema else \
            schema.CATALOG_DOCS.get(name, "")
        kind = "VIEW" if name in PARQUET_VIEWS else "TABLE"
        if doc:
            con.execute(f'COMMENT ON {kind} "{name}" IS {queries._quote(doc)}')
        if table_schema is None:
            continue
        for f in table_schema:
            text = (f.metadata or {}).get(b"doc", b"").decode()
            if text:
                con.execute(f'COMMENT ON COLUMN "{name}"."{f.name}" IS {queries._quote(text)}')


def _parquet_views(con, build_dir: Path) -> None:
    """The big tables as views over ``build_dir``'s Parquet (absolute paths)."""
    superseded = con.execute(f"SELECT count(*) FROM {SUPERSEDED}").fetchall()[0][0]
    for name in PARQUET_VIEWS:  # every segmented table has a file (empty.parquet at least)
        folder = (build_dir / "parquet" / name).resolve()
        # rows of superseded file versions stay in their segments until compacted
        where = f" WHERE entry_id >> 20 NOT IN (SELECT file_id FROM {SUPERSEDED})" \
            if superseded else ""
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                    f"SELECT * FROM read_parquet('{folder}/*.parquet'){where}")


def _finalize(final: Path, keep_tables: bool) -> dict[str, int]:
    """Views over this build's Parquet (absolute paths), the queries/ views (their materialized
    tables computed; unless `keep_tables`: an incremental build maintained them in a copy of
    the previous database, which holds the views), validation."""
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        _limit_resources(con)
        _parquet_views(con, final)
        _comment_tables(con, PARQUET_VIEWS)
        views = queries.all_views()   # (read once: ~20 ms per reading of queries/)
        if not keep_tables:
            queries.create_views(con, views)
        # else an updated copy of the previous build's database, whose views and macros the
        # same queries/ SQL made (its database fingerprint): not made again (~0.25 s of CPU)
        checks = {}
        for view in views:   # every view binds against this build's tables
            if not view.is_macro:
                con.execute(f'SELECT * FROM "{view.name}" LIMIT 0').fetchall()
        for table in ("scores", "files", "tasks", "benchmarks", "benchmark_tasks"):
            checks[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.execute("CHECKPOINT")
        return checks
    finally:
        con.close()


def _changed(prev: incremental.Previous | None,
             outcome: incremental.Outcome) -> tuple[Path, pa.Table] | None:
    """(the previous build, the paths whose `files` rows may differ from its: the rows made now
    and the paths gone) of an incremental build; the other rows are the previous build's as
    they were (incremental.plan). None for a full build."""
    if prev is None or outcome.made is None:
        return None
    before = prev.files_table.column("path")
    gone = before.filter(pc.invert(pc.is_in(before, value_set=outcome.files.column("path"))))
    return prev.build, pa.table({"path": pa.chunked_array(
        [*outcome.made.column("path").chunks, *gone.chunks], pa.string())})


def _publish(staged: Path, manifest: dict, timings: dict, warehouse_dir: Path,
             validate=None, keep_tables: bool = False,
             changed: tuple[Path, pa.Table] | None = None) -> Path:
    def finalize(final: Path) -> dict:
        if not keep_tables:
            checks, extra = steps(final)
        else:
            # an updated database (etl/maintain.py no_vacuum): while this connection is open,
            # the steps' connections share its DuckDB instance, whose checkpoints do not vacuum
            # (closed before the validation, which opens the build read-only)
            held = duckdb.connect(str(final / warehouse.DB_FILE))
            try:
                maintain.no_vacuum(held)
                checks, extra = steps(final)
            finally:
                held.close()
        if validate is not None:
            t = time.monotonic()
            extra.update(validate(final) or {})
            timings["validate_s"] = time.monotonic() - t
        return {"validation": checks, "timings": {k: round(v, 3) for k, v in timings.items()},
                **extra}

    def steps(final: Path) -> tuple[dict, dict]:
        t = time.monotonic()
        history.prepare(final)
        flag_changes.prepare(final)
        checks = _finalize(final, keep_tables)
        if checks["tasks"] == 0 or checks["benchmarks"] == 0:
            raise RuntimeError(f"validation failed: empty catalog tables {checks}")
        timings["views_s"] = time.monotonic() - t
        t = time.monotonic()
        # the rank intervals start once the default boards they read are stored: their numpy
        # runs in a thread while DuckDB computes the history's snapshot and the flag changes
        started = {}

        def boards_ready(con, hashes):
            started["finish"] = rank_intervals.start(final, hashes, warehouse_dir, con=con)
        extra = history.record(final, manifest, warehouse_dir, boards_ready=boards_ready,
                               changed=changed)
        timings["history_s"] = time.monotonic() - t
        # of which the default boards (computed once, for the snapshot and the stored table)
        timings["default_summaries_s"] = extra[default_summaries.TABLE]["seconds"]
        t = time.monotonic()
        extra.update(flag_changes.record(final, warehouse_dir))
        timings["flag_changes_s"] = time.monotonic() - t
        if "finish" not in started:   # (history.record always calls boards_ready)
            boards_ready(None, (extra.get("history") or {}).get("input_hashes"))
        t = time.monotonic()
        extra.update(started["finish"]())
        # what they add after the work they overlap: the wait for the thread, the table stored
        # (their reads are in history_s; the manifest's rank_intervals.seconds: start to end)
        timings["rank_intervals_s"] = time.monotonic() - t
        return checks, extra

    return warehouse.publish(staged, manifest, warehouse_dir, finalize=finalize)
