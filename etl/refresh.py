"""The nightly refresh: fetch the source, rebuild incrementally if it moved, validate, publish.

    refresh(source)
      1. under the ETL lock: resolve/fetch the source (git fetch, or resolve the hub revision)
      2. source commit == the current build's source commit (same catalog, same parser)?
         -> "already at <commit>; nothing published", outcome `unchanged`
      3. incremental build (etl.build.run), validated before it is published (etl.validate:
         row counts, table schemas, every view and macro runs); the leaderboard history is
         recorded in the build (etl.history)
      4. append the run to <warehouse>/runs.jsonl (mteb_lb.runs), whatever happened

Idempotent and keyed by the source commit: rerunning with the same commit is a no-op. Every
failure (source unreachable, lock held, disk full, catalog unreadable, build or validation error)
leaves the current build untouched, so users keep being served the last good build; the run is
recorded as `failed` with the reason and the exit code is non-zero:

    0   published, or nothing to publish
    1   the build failed (disk full, catalog, validation, any error)
    3   the source cannot be read (unreachable, not a results repository)
    75  another ETL run holds the lock (EX_TEMPFAIL: try again later)
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from mteb_lb import runs

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SOURCE = 3
EXIT_LOCKED = 75


@dataclass
class RefreshResult:
    outcome: str                 # published | unchanged | failed
    exit_code: int
    message: str
    record: dict = field(default_factory=dict)
    report: object | None = None  # etl.build.BuildReport when a build ran


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _current(warehouse_dir: Path) -> tuple[Path | None, dict]:
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from mteb_lb import warehouse

    try:
        build = warehouse.current_build(warehouse_dir)
        return build, warehouse.read_manifest(build)
    except (warehouse.WarehouseError, OSError, ValueError):
        return None, {}


def _files_state(build: Path | None):
    """The (path, content_hash) columns of a build's `files` table, or None."""
    # deferred: heavy, loaded only when this path runs
    import pyarrow as pa
    import pyarrow.parquet as pq

    if build is None:
        return None
    path = build / "parquet" / "files" / "files.parquet"
    try:
        return pq.ParquetFile(path).read(columns=["path", "content_hash"])
    except (OSError, pa.ArrowException):
        return None


def file_changes(before, after) -> dict[str, int]:
    """Files added, changed (other bytes) and removed between two `files` tables."""
    # deferred: heavy, loaded only when this path runs
    import duckdb

    if before is None:
        return {"files_added": after.num_rows, "files_changed": 0, "files_removed": 0}
    con = duckdb.connect()
    try:
        con.register("a", after)
        con.register("b", before)
        added, removed, changed = con.execute("""
            SELECT count(*) FILTER (WHERE b.path IS NULL),
                   count(*) FILTER (WHERE a.path IS NULL),
                   count(*) FILTER (WHERE a.path IS NOT NULL AND b.path IS NOT NULL
                                    AND a.content_hash IS DISTINCT FROM b.content_hash)
            FROM a FULL OUTER JOIN b ON a.path = b.path""").fetchall()[0]
    finally:
        con.close()
    return {"files_added": added, "files_changed": changed, "files_removed": removed}


def _catalog_version(catalog_dir: Path | None) -> str:
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import catalog as catalog_mod

    folder = Path(catalog_dir) if catalog_dir is not None else catalog_mod.CATALOG_DIR
    try:
        return str(
            catalog_mod._read_json(catalog_mod._snapshot_file(folder, "meta"))["mteb_version"]
        )
    except catalog_mod.CatalogError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad JSON, missing key: the catalog is unusable
        raise catalog_mod.CatalogError(f"{folder}/meta.json: {type(exc).__name__}: {exc}") from exc


def catalog_digest(catalog_dir: Path | None) -> str:
    """BLAKE2b of every file of the catalog snapshot: any change (tasks, benchmarks, models,
    menu) changes the leaderboards, so the same source commit must be rebuilt."""
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import catalog as catalog_mod

    folder = Path(catalog_dir) if catalog_dir is not None else catalog_mod.CATALOG_DIR
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith((".json", ".json.gz")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _load_catalog(catalog_dir: Path | None) -> None:
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import catalog as catalog_mod

    try:
        snapshot = catalog_mod.load_snapshot(catalog_dir)
        for key in snapshot:  # parsed lazily otherwise: every file is checked now
            snapshot[key]
    except catalog_mod.CatalogError:
        raise
    except Exception as exc:  # noqa: BLE001
        folder = catalog_dir or catalog_mod.CATALOG_DIR
        raise catalog_mod.CatalogError(f"{folder}: {type(exc).__name__}: {exc}") from exc


def _clean_after_crash(warehouse_dir: Path, source: str) -> list[Path]:
    """What a killed run can leave behind, removed under the ETL lock: the warehouse's leftovers
    (mteb_lb/warehouse.py clean_leftovers: staging, build folders that never got their
    manifest, half-pruned builds, a temporary `current` link) and git lock files in the cache
    clone of a git source (a killed `git fetch`/`reset` leaves them and every later git command
    would fail)."""
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import sources
    from mteb_lb import warehouse

    # the warehouse's leftovers (etl/build.py removes them too; here before the fetch)
    removed = [warehouse_dir / name for name in warehouse.clean_leftovers(warehouse_dir)]
    if sources._looks_like_git_url(source):
        git_dir = sources._cache_folder("git", source) / ".git"
        if git_dir.is_dir():
            for lock in [*git_dir.glob("*.lock"), *git_dir.glob("refs/**/*.lock")]:
                lock.unlink(missing_ok=True)
                removed.append(lock)
    return removed


def refresh(source: str | None = None, *, full: bool = False, warehouse_dir: Path | None = None,
            catalog_dir: Path | None = None, workers: int | None = None, update: bool = True,
            progress=None, hf_api=None, log=None) -> RefreshResult:
    """One refresh run; never raises for the failures above (they are returned and recorded).
    The build's modules (DuckDB, Arrow) are imported after the unchanged-commit check: a run
    with nothing to do stays well under a second."""
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import nochange, sources
    from mteb_lb import settings, warehouse

    warehouse_dir = Path(warehouse_dir or warehouse.root())
    source = source or settings.get("source")
    t0 = time.monotonic()
    prev_build, prev_manifest = _current(warehouse_dir)
    record = {"started": _now(), "source": source, "full": full,
              "previous_build_id": prev_build.name if prev_build else None,
              "build_id": prev_build.name if prev_build else None,
              "source_commit": None, "files_added": 0, "files_changed": 0, "files_removed": 0,
              "files_quarantined": 0, "quarantined": []}
    say = log or (lambda _msg: None)

    def finish(outcome: str, message: str, code: int, reason: str | None = None,
               report=None) -> RefreshResult:
        record.update(outcome=outcome, message=message, reason=reason, ended=_now(),
                      duration_s=round(time.monotonic() - t0, 3))
        try:
            written = runs.append(record, warehouse_dir)
        except OSError as exc:  # e.g. the disk is full: the outcome still stands
            written = dict(record, log_error=str(exc))
            message += f" (the run could not be recorded: {exc})"
        return RefreshResult(outcome, code, message, written, report)

    def failed(exc: BaseException, report=None) -> RefreshResult:
        reason, code, text = classify(exc)
        return finish("failed", text + "; the current build stays "
                      + (record["previous_build_id"] or "(none published yet)"),
                      code, reason, report)

    # 1. fetch under the lock, 2. short-circuit on an unchanged commit
    try:
        with warehouse.etl_lock(warehouse_dir):
            _clean_after_crash(warehouse_dir, source)
            prev_build, prev_manifest = _current(warehouse_dir)  # as of now that we hold the lock
            record["previous_build_id"] = record["build_id"] = \
                prev_build.name if prev_build else None
            say(f"resolving {source}")
            checkout = sources.resolve(source, update=update, hf_api=hf_api)
            record["source"] = checkout.source
            record["source_commit"] = checkout.commit
            _catalog_version(catalog_dir)
            digest = catalog_digest(catalog_dir)
            prev_digest = (prev_manifest.get("refresh") or {}).get("catalog_digest")
            if (not full and prev_build is not None and checkout.commit
                    and prev_manifest.get("source_commit") == checkout.commit
                    and prev_digest == digest):
                return finish("unchanged", f"already at {checkout.commit}; nothing published",
                              EXIT_OK)
            checked = None  # what etl/nochange.py check learnt, when it ran here
            if not full and prev_build is not None and prev_digest in (None, digest):
                # a folder source (or a git one at another commit): nothing to build? asked as
                # build.run would, before DuckDB and Arrow load (etl/nochange.py)
                checked = {}
                quick = nochange.check(checkout.root, source=checkout.source,
                                       source_commit=checkout.commit, catalog_dir=catalog_dir,
                                       warehouse_dir=warehouse_dir, seen=checked)
                if quick is not None:
                    return finish("unchanged", quick[0], EXIT_OK)
            if prev_digest != digest:  # (the previous build loaded these very bytes)
                _load_catalog(catalog_dir)  # fail early, with the catalog named
            if prev_digest is not None and prev_digest != digest and not full:
                # An incremental build would see no file change and publish nothing, yet the
                # benchmarks, registry or menu may differ: rebuild everything.
                say("the catalog snapshot changed since the current build: full rebuild")
                full = True
                record["full"] = True
                record["catalog_changed"] = True
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised if not an Exception
        result = failed(exc)
        if not isinstance(exc, Exception):
            raise
        return result

    # 3. incremental build, validated before it is published
    import pyarrow as pa

    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import build, validate

    def check(final: Path) -> dict:
        return {"refresh": {"catalog_digest": digest, "validation": validate.check(
            final, bind_only=sql_validated, bound_catalog=bound_catalog)}}

    sql_validated = not full and _sql_validated(
        prev_manifest, catalog_dir, (checked or {}).get("fingerprints", (None, None))[1])
    # the previous build's validated catalog (etl/validate.py catalog_digest): the same one
    # here, its views and macros are not bound again
    bound_catalog = prev_manifest["refresh"]["validation"].get("catalog") \
        if sql_validated else None

    say(f"building from {checkout.root}" + (f" at {checkout.commit}" if checkout.commit else ""))
    try:
        report = build.run(checkout.root, source=checkout.source, source_commit=checkout.commit,
                           full=full, catalog_dir=catalog_dir, warehouse_dir=warehouse_dir,
                           workers=workers, progress=progress, validate=check,
                           checked=checked)
    except BaseException as exc:  # noqa: BLE001
        result = failed(exc)
        if not isinstance(exc, Exception):
            raise
        return result

    record["files_quarantined"] = len(report.quarantined)
    record["quarantined"] = [{"path": p, "reason": r} for p, r in report.quarantined]
    if not report.published:
        return finish("unchanged", report.message or "nothing changed; nothing published",
                      EXIT_OK, report=report)
    record["build_id"] = report.build.name
    try:
        record.update(_published_changes(report.build, prev_build))
    except (OSError, ValueError, pa.ArrowException) as exc:  # published anyway; counts unknown
        record["files_error"] = str(exc)
    commit = f" at {checkout.commit[:12]}" if checkout.commit else ""
    return finish("published",
                  f"published {report.build.name}{commit}: {record['files_added']} files added, "
                  f"{record['files_changed']} changed, {record['files_removed']} removed, "
                  f"{record['files_quarantined']} quarantined", EXIT_OK, report=report)


def _published_changes(build: Path, prev_build: Path | None) -> dict[str, int]:
    """Files added, changed and removed by the published `build` since `prev_build` (the build
    current before it): what the build's history recorded (etl/history.py record: the files
    tables compared for the paths the build made or lost) when it compared with `prev_build`,
    else `file_changes` of the two builds' `files` tables."""
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    import pyarrow.parquet as pq

    from mteb_lb import warehouse

    history = warehouse.read_manifest(build).get("history") or {}
    if prev_build is not None and history.get("previous_build") == prev_build.name \
            and isinstance(history.get("files"), dict):
        return history["files"]
    after = pq.ParquetFile(build / "parquet" / "files" / "files.parquet").read(
        columns=["path", "content_hash"])
    return file_changes(_files_state(prev_build), after)


def _sql_validated(prev_manifest: dict, catalog_dir: Path | None,
                   fingerprint: str | None = None) -> bool:
    """The current build was validated by a refresh and made with the queries/ SQL and catalog
    this build uses (its database fingerprint: `fingerprint` when etl/nochange.py computed it
    for this run): every view and macro already ran in full on it, so this build's validation
    binds them without running them (etl/validate.py)."""
    # deferred: loaded only when a build runs
    from etl import catalog as catalog_mod
    from etl import nochange

    validation = (prev_manifest.get("refresh") or {}).get("validation")
    if not isinstance(validation, dict) or not prev_manifest.get("database_fingerprint"):
        return False
    try:
        fingerprint = fingerprint or nochange.database_fingerprint(
            catalog_mod.load_snapshot(catalog_dir))
    except Exception:  # noqa: BLE001 - unreadable catalog: the build reports it; run in full
        return False
    return prev_manifest["database_fingerprint"] == fingerprint


def classify(exc: BaseException) -> tuple[str, int, str]:
    """(reason, exit code, message) of a failed run."""
    # deferred: a rerun with nothing to do returns before DuckDB/Arrow load
    from etl import build, sources, validate
    from etl import catalog as catalog_mod
    from mteb_lb import warehouse

    if isinstance(exc, (sources.SourceError, build.SourceError)):
        return "source", EXIT_SOURCE, f"source cannot be read: {exc}"
    if isinstance(exc, warehouse.WarehouseError) and "etl.lock" in str(exc):
        return "locked", EXIT_LOCKED, f"another ETL run is in progress: {exc}"
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) \
            or "No space left on device" in str(exc):  # DuckDB reports it as an IOException
        return "disk_full", EXIT_FAILED, f"disk full while building: {exc}"
    if isinstance(exc, catalog_mod.CatalogError):
        return "catalog", EXIT_FAILED, f"the catalog snapshot cannot be loaded: {exc}"
    if isinstance(exc, validate.ValidationError):
        return "validation", EXIT_FAILED, f"the new build failed validation: {exc}"
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return "interrupted", EXIT_FAILED, f"interrupted ({type(exc).__name__})"
    return "error", EXIT_FAILED, f"build failed: {type(exc).__name__}: {exc}"

