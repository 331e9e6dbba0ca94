"""Build a warehouse from a results repository and publish it atomically.

    scan -> parse model folders in parallel (incrementally) -> Parquet -> lb.duckdb -> validate
         -> publish (move into builds/, write manifest, flip `current`) -> prune

A build that fails at any step is removed and the current build stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from packaging.version import InvalidVersion, Version

import queries
from etl import catalog as catalog_mod
from etl import schema
from etl.folders import (
    PARTITIONED, FileStat, FolderJob, FolderOutcome, PrevFile, init_worker,
    process_folder, write_parquet,
)
from etl.parse import TaskCatalog, parse_version
from mteb_lb import settings, warehouse

# Bump when parsing rules change: an incremental run then rebuilds everything.
PARSER_VERSION = "1"
STATE_FILE = "file_stats.parquet"
PARQUET_VIEWS = ("metrics", "metric_arrays")  # big tables the database reads from Parquet
# Benchmark fields whose shape varies (a list or "all"; a string or a list): always JSON text.
JSON_BENCHMARK_FIELDS = ("language_view", "summary_sort_column")

class SourceError(RuntimeError):
    """The source repository cannot be read."""


@dataclass
class BuildReport:
    build: Path | None
    published: bool
    files_seen: int = 0
    loaded: int = 0
    parsed: int = 0
    unchanged: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""


def scan(repo_root: Path) -> dict[str, list[FileStat]]:
    """Every file under results/, grouped by model folder (files directly in results/ too)."""
    repo_root = Path(repo_root).resolve()
    results = repo_root / "results"
    if not results.is_dir():
        raise SourceError(f"{repo_root} has no results/ folder: not an MTEB results repository")
    groups: dict[str, list[FileStat]] = {}
    prefix_len = len(str(repo_root)) + 1
    for dirpath, dirnames, filenames in os.walk(results):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            rel = full[prefix_len:]
            parts = rel.split("/")
            folder = parts[1] if len(parts) > 2 else ""
            groups.setdefault(folder, []).append(FileStat(rel, st.st_size, st.st_mtime_ns))
    return groups


def parse_fingerprint(snapshot: dict) -> str:
    """What parsing depends on besides the files: parser version, the task catalog (legacy
    conversion reads it) and the file-size limit. A change forces a full rebuild."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([PARSER_VERSION, settings.get("max_file_bytes"),
                              snapshot["meta"].get("mteb_version"), snapshot["tasks"],
                              snapshot["task_renames"]], sort_keys=True).encode())
    return digest.hexdigest()


def _previous(build: Path | None, fingerprint: str) -> tuple[dict[str, PrevFile], Path | None]:
    """What the previous build knows of each file, if it is usable for an incremental run."""
    if build is None:
        return {}, None
    manifest = warehouse.read_manifest(build)
    if manifest.get("parse_fingerprint") != fingerprint or not (build / STATE_FILE).exists():
        return {}, None
    files = pq.read_table(build / "parquet" / "files" / "files.parquet").to_pylist()
    stats = {r["path"]: (r["size"], r["mtime_ns"])
             for r in pq.read_table(build / STATE_FILE).to_pylist()}
    prev = {}
    for row in files:
        size, mtime = stats.get(row["path"], (-1, -1))
        prev[row["path"]] = PrevFile(size, mtime, row["content_hash"] or "", row)
    return prev, build


def _stats_unchanged(groups: dict[str, list[FileStat]], prev: dict[str, PrevFile]) -> bool:
    """Every file has the size and mtime the previous build saw, and no file came or went."""
    n = 0
    for stats in groups.values():
        for s in stats:
            p = prev.get(s.path)
            if p is None or p.size != s.size or p.mtime_ns != s.mtime_ns:
                return False
            n += 1
    return n == len(prev)


def run(repo_root: Path, *, source: str, source_commit: str | None = None, full: bool = False,
        catalog_dir: Path | None = None, warehouse_dir: Path | None = None,
        workers: int | None = None, progress=None, validate=None) -> BuildReport:
    """Build from `repo_root` (a folder holding results/) and publish. Holds the ETL lock.
    ``validate(final_dir) -> dict | None``, when given, runs before the build is published;
    raising stops it, what it returns is added to the manifest."""
    started = time.monotonic()
    warehouse_dir = warehouse_dir or warehouse.root()
    with warehouse.etl_lock(warehouse_dir):
        repo_root = Path(repo_root).resolve()
        snapshot = catalog_mod.load_snapshot(catalog_dir)
        catalog_version = snapshot["meta"]["mteb_version"]
        empty = [k for k in ("tasks", "benchmarks", "benchmark_tasks", "models") if not snapshot[k]]
        if empty:
            raise catalog_mod.CatalogError(f"the catalog snapshot has no {', '.join(empty)}: "
                                           "re-export it with `mteb-lb catalog`")
        fingerprint = parse_fingerprint(snapshot)
        try:
            prev_build = warehouse.current_build(warehouse_dir)
        except warehouse.WarehouseError:
            prev_build = None
        prev, prev_dir = ({}, None) if full else _previous(prev_build, fingerprint)
        timings = {}
        t = time.monotonic()
        groups = scan(repo_root)
        timings["scan_s"] = time.monotonic() - t
        if prev_dir is not None and _stats_unchanged(groups, prev):
            return BuildReport(prev_build, False, files_seen=len(prev), unchanged=len(prev),
                               loaded=sum(p.row["status"] == "loaded" for p in prev.values()),
                               seconds=time.monotonic() - started,
                               message="no file changed since the current build; nothing published")

        build_id = warehouse.new_build_id(source_commit, warehouse_dir)
        staged = warehouse.staging_dir(build_id, warehouse_dir)
        try:
            for table in PARTITIONED:
                (staged / "parquet" / table).mkdir(parents=True)
            t = time.monotonic()
            outcomes = _parse_all(groups, repo_root, staged, prev, prev_dir, snapshot,
                                  workers or settings.get("etl_workers"), progress)
            timings["parse_s"] = time.monotonic() - t
            for table in PARTITIONED:  # an empty repository still gets (empty) tables
                if not any((staged / "parquet" / table).glob("*.parquet")):
                    write_parquet(schema.TABLES[table].empty_table(),
                                  staged / "parquet" / table / "empty.parquet")
            t = time.monotonic()
            report = _write_tables(staged, outcomes, snapshot)
            timings["tables_s"] = time.monotonic() - t
            if prev_dir is not None and not any(o.changed for o in outcomes):
                shutil.rmtree(staged.parent, ignore_errors=True)
                report.build, report.published = prev_build, False
                report.message = "nothing changed since the current build; nothing published"
                report.seconds = time.monotonic() - started
                return report
            manifest = {
                "build_id": build_id, "source": source, "source_commit": source_commit,
                "catalog_mteb_version": catalog_version, "parser_version": PARSER_VERSION,
                "parse_fingerprint": fingerprint,
                "incremental": prev_dir is not None, "previous_build": prev_dir.name if prev_dir else None,
                "row_counts": report.rows, "files_seen": report.files_seen,
                "files_loaded": report.loaded, "files_parsed": report.parsed,
                "files_unchanged": report.unchanged,
                "quarantined": [{"path": p, "reason": r} for p, r in report.quarantined],
                "tool_versions": {"python": platform.python_version(), "duckdb": duckdb.__version__,
                                  "pyarrow": pa.__version__},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            t = time.monotonic()
            _create_database(staged)
            timings["database_s"] = time.monotonic() - t
            t = time.monotonic()
            final = _publish(staged, manifest, timings, warehouse_dir, validate)
            timings["publish_s"] = time.monotonic() - t
        finally:
            if staged.exists():
                shutil.rmtree(staged.parent, ignore_errors=True)
        warehouse.prune(warehouse=warehouse_dir)
        report.build, report.published = final, True
        report.seconds = time.monotonic() - started
        return report


def _parse_all(groups, repo_root, staged, prev, prev_dir, snapshot, workers, progress):
    prev_by_folder: dict[str, dict[str, PrevFile]] = {}
    for path, record in prev.items():
        prev_by_folder.setdefault(record.row["model_folder"] or "", {})[path] = record
    folders = sorted(set(groups) | set(prev_by_folder),
                     key=lambda f: -sum(s.size for s in groups.get(f, [])))
    jobs = [FolderJob(f, str(repo_root), groups.get(f, []), str(staged), prev_by_folder.get(f, {}),
                      str(prev_dir) if prev_dir else None, settings.get("max_file_bytes"))
            for f in folders]
    catalog = TaskCatalog.from_snapshot(snapshot["tasks"], snapshot["task_renames"])
    outcomes: list[FolderOutcome] = []
    if workers <= 1:
        init_worker(catalog)
        results = map(process_folder, jobs)
        pool = None
    else:
        # multiprocessing.Pool, not concurrent.futures: on an interruption (SIGTERM, an error)
        # terminate() stops the workers at once instead of waiting for every queued folder
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=init_worker,
                                                          initargs=(catalog,))
        results = pool.imap(process_folder, jobs, chunksize=1)
    try:
        for i, outcome in enumerate(results, 1):
            outcomes.append(outcome)
            if progress:
                progress(i, len(jobs))
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
        raise
    if pool is not None:
        pool.close()
        pool.join()
    return outcomes


def _write_tables(staged: Path, outcomes: list[FolderOutcome], snapshot) -> BuildReport:
    report = BuildReport(build=None, published=False)
    file_rows, meta_rows, stats = [], [], []
    for o in outcomes:
        file_rows.extend(o.file_rows)
        meta_rows.extend(o.model_meta_rows)
        stats.extend(o.stats)
        report.parsed += o.parsed
        report.unchanged += o.unchanged
    file_rows.sort(key=lambda r: r["path"])
    meta_rows.sort(key=lambda r: r["path"])
    stats.sort()
    report.files_seen = len(file_rows)
    report.loaded = sum(r["status"] == "loaded" for r in file_rows)
    report.quarantined = [(r["path"], r["reason"]) for r in file_rows if r["status"] == "quarantined"]
    _write_single(staged, "files", pa.Table.from_pylist(file_rows, schema.FILES))
    _write_single(staged, "model_meta", pa.Table.from_pylist(meta_rows, schema.MODEL_META))
    pq.write_table(pa.table({"path": [s[0] for s in stats], "size": [s[1] for s in stats],
                             "mtime_ns": [s[2] for s in stats]}), staged / STATE_FILE)
    for name, table in _catalog_tables(snapshot, staged).items():
        _write_single(staged, name, table)
    report.rows = _count_rows(staged)
    return report


def _write_single(staged: Path, name: str, table: pa.Table) -> None:
    folder = staged / "parquet" / name
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(table, folder / f"{name}.parquet")


def _count_rows(staged: Path) -> dict[str, int]:
    counts = {}
    for folder in sorted((staged / "parquet").iterdir()):
        counts[folder.name] = sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))
    return counts


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
            columns[key] = pa.array([None if v is None else float(v) for v in values], pa.float64()) \
                if float in kinds else pa.array(values, pa.int64())
        elif dict in kinds or len(kinds) > 1 or (list in kinds and any(
                isinstance(x, (dict, list)) for v in values if v for x in v)):
            columns[key] = pa.array([_json_cell(v) for v in values], pa.string())
        else:
            columns[key] = pa.array(values)
    return pa.table(columns)


def _catalog_tables(snapshot, staged: Path) -> dict[str, pa.Table]:
    triples = [{"benchmark": bench, "task_name": t, "split": s, "subset": sub, "languages": langs}
               for bench, rows in snapshot["benchmark_tasks"].items() for t, s, sub, langs in rows]
    training = [{"model_name": m["name"], "task_name": task}
                for m in snapshot["models"] if m.get("training_datasets_closure") is not None
                for task in m["training_datasets_closure"]]
    similar = [{"task_name": t, "similar_task": s}
               for t, others in snapshot["similar_tasks"].items() for s in others]
    versions = _mteb_versions(staged)
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
        "mteb_versions": versions,
        "catalog_info": pa.Table.from_pylist(info),
    }


def _mteb_versions(staged: Path) -> pa.Table:
    """Distinct file-level mteb versions with mteb's ordering (packaging.Version; ranges unparsed)."""
    glob = str(staged / "parquet" / "scores" / "*.parquet")
    con = duckdb.connect()
    try:
        has_files = any((staged / "parquet" / "scores").glob("*.parquet"))
        found = [r[0] for r in con.execute(
            f"SELECT DISTINCT mteb_version FROM read_parquet('{glob}') WHERE mteb_version IS NOT NULL"
        ).fetchall()] if has_files else []
    finally:
        con.close()
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


def _create_database(staged: Path) -> None:
    """lb.duckdb with the small and medium tables materialised (the app's hot path)."""
    con = duckdb.connect(str(staged / warehouse.DB_FILE))
    try:
        _limit_resources(con)
        con.execute("SET preserve_insertion_order = false")
        for folder in sorted((staged / "parquet").iterdir()):
            if folder.name in PARQUET_VIEWS or not any(folder.glob("*.parquet")):
                continue
            con.execute(f'CREATE TABLE "{folder.name}" AS SELECT * FROM read_parquet(?)',
                        [str(folder / "*.parquet")])
        _comment_tables(con, [f.name for f in (staged / "parquet").iterdir()
                              if f.name not in PARQUET_VIEWS])
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


def _finalize(final: Path) -> dict[str, int]:
    """Views over this build's Parquet (absolute paths), the queries/ views, then validation."""
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        _limit_resources(con)
        for name in PARQUET_VIEWS:  # every partitioned table has a file (empty.parquet at least)
            folder = (final / "parquet" / name).resolve()
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                        f"SELECT * FROM read_parquet('{folder}/*.parquet')")
        _comment_tables(con, PARQUET_VIEWS)
        created = queries.create_views(con)
        checks = {}
        for name in created:
            view = next(v for v in queries.all_views() if v.name == name)
            if not view.is_macro:
                con.execute(f'SELECT * FROM "{name}" LIMIT 0').fetchall()
        for table in ("scores", "files", "tasks", "benchmarks", "benchmark_tasks"):
            checks[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.execute("CHECKPOINT")
        return checks
    finally:
        con.close()


def _publish(staged: Path, manifest: dict, timings: dict, warehouse_dir: Path,
             validate=None) -> Path:
    from etl import history  # leaderboard_history: delta-encoded snapshots (etl/history.py)

    def finalize(final: Path) -> dict:
        history.prepare(final)
        checks = _finalize(final)
        if checks["tasks"] == 0 or checks["benchmarks"] == 0:
            raise RuntimeError(f"validation failed: empty catalog tables {checks}")
        extra = history.record(final, manifest, warehouse_dir)
        if validate is not None:
            extra.update(validate(final) or {})
        return {"validation": checks, "timings": {k: round(v, 3) for k, v in timings.items()},
                **extra}

    return warehouse.publish(staged, manifest, warehouse_dir, finalize=finalize)


def print_summary(report: BuildReport, out=sys.stdout) -> None:
    print(f"files seen:   {report.files_seen}", file=out)
    print(f"loaded:       {report.loaded}", file=out)
    print(f"parsed:       {report.parsed}", file=out)
    print(f"unchanged:    {report.unchanged}", file=out)
    print(f"quarantined:  {len(report.quarantined)}", file=out)
    for path, reason in report.quarantined[:50]:
        print(f"  {path}: {reason}", file=out)
    if len(report.quarantined) > 50:
        print(f"  ... {len(report.quarantined) - 50} more (see the `files` table)", file=out)
    for table, n in sorted(report.rows.items()):
        print(f"rows {table:<16} {n}", file=out)
    print(f"seconds:      {report.seconds:.1f}", file=out)
    if report.message:
        print(report.message, file=out)
    elif report.build is not None:
        print(f"published:    {report.build}", file=out)
