"""Is there anything to build? Answered before DuckDB, Arrow or the parser are imported
(docs/PERFORMANCE.md §Build time): `mteb-lb etl` asks here first, and `etl/build.py` run()
asks the same question the same way, so a rerun with nothing to do costs the interpreter start,
reading the current build's manifest and state, and (for a folder) one listing of results/.

Nothing to build when the current build is whole (mteb_lb/warehouse.py check_build), was made
from the same source by the same parser, catalog and queries/ SQL (its fingerprints), and
- a git source is at the commit the build recorded, with no edit in the work tree (`git status`;
  the cache clone of a git URL is reset to its commit and not asked), or
- every file under results/ has the path, size and mtime the build recorded: the digest of
  the sorted records (`STATE_DIGEST`) equals that of the folder's listing, made in C
  (etl/_fastparse.c listing: no Python object per file); else the records themselves are
  compared (`STATE_CACHE`). The listing is `etl/build.py` scan's, without its per-file objects: same
  entries, same recorded names, same (l)stat figures.

Only the standard library and the light modules (catalog, queries, settings, warehouse) are
imported here.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import threading
from pathlib import Path

import queries
from etl import catalog as catalog_mod
from mteb_lb import settings, warehouse

try:  # the compiled listing (etl/_fastparse.c); the Python walk below when it is not built
    from etl import _fastparse
except ImportError:  # pragma: no cover - the extension is optional (pyproject.toml)
    _fastparse = None

# Bump when parsing rules change: an incremental run then rebuilds everything.
PARSER_VERSION = "5"  # 3: entry_checks; 4: no row of a main metric = main_score; 5: rows only
# for entries a rule could flag (etl/parse.py CHECK_FLOOR)
# `records` of the files a build saw (the listing as etl/build.py scan records it), as one
# marshalled bytes object: read in milliseconds without Arrow, compared with a folder's
# compiled listing as it is. file_stats.parquet holds the same.
STATE_CACHE = "file_stats.marshal"
# blake2b of `records` of the same figures: a folder's compiled listing is compared with it
STATE_DIGEST = "file_stats.digest"
RESULTS = "results/"


def recorded_name(name: str) -> tuple[str, bool]:
    """A file or folder name as the warehouse records it, and whether it is valid UTF-8. A name
    that is not (Python holds its bytes as surrogate escapes) is recorded losslessly with its
    backslashes doubled and its other bytes as \\xNN escapes."""
    if name.isascii():  # nearly every name: no encoding needed
        return name, True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name).replace(b"\\", b"\\\\")
        return raw.decode("utf-8", "backslashreplace"), False
    return name, True


def parse_fingerprint(snapshot) -> str:
    """What parsing depends on besides the files: parser version, the task catalog (legacy
    conversion reads it) and the file-size and nesting limits. A change forces a full rebuild."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([PARSER_VERSION, settings.get("max_file_bytes"),
                              settings.get("max_json_depth"),
                              snapshot["meta"].get("mteb_version"), snapshot["digests"]["tasks"],
                              snapshot["digests"]["task_renames"]]).encode())
    return digest.hexdigest()


def database_fingerprint(snapshot) -> str:
    """What the database's derived tables depend on besides the results: the whole catalog and
    the queries/ SQL. Equal to the previous build's: its database is copied and updated."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(snapshot["digests"], sort_keys=True).encode())
    digest.update(queries.sql_digest().encode())
    return digest.hexdigest()


def records(state: dict) -> bytes:
    """{path: (size, mtime_ns)} as the compiled listing gives it: `path\\0size\\0mtime_ns\\0`
    per path, sorted (str order is the UTF-8 bytes' order)."""
    return "".join([f"{path}\0{size}\0{mtime}\0" for path, (size, mtime)
                    in sorted(state.items())]).encode("utf-8", "backslashreplace")


def records_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_state(data: bytes, build: Path) -> None:
    """Record `data` (`records` of the files a build saw) as `STATE_CACHE` and `STATE_DIGEST`
    in `build`."""
    (build / STATE_CACHE).write_bytes(marshal.dumps(data))
    (build / STATE_DIGEST).write_text(records_digest(data))


def read_records(build: Path) -> bytes | None:
    """The `records` `build` recorded (`STATE_CACHE`), or None (absent, unreadable, another
    Python's format). A build of older code recorded them as a dict."""
    try:
        data = marshal.loads((build / STATE_CACHE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if isinstance(data, dict):
        return records(data)
    return data if isinstance(data, bytes) else None


def records_of_dict(data: bytes) -> dict:
    """{path: (size, mtime_ns)} of `records` (ValueError if `data` is not such records)."""
    if _fastparse is not None:
        return _fastparse.records_dict(data)
    parts = data.decode("utf-8").split("\0")
    if len(parts) % 3 != 1 or parts[-1]:
        raise ValueError("malformed records")
    return {parts[i]: (int(parts[i + 1]), int(parts[i + 2])) for i in range(0, len(parts) - 1, 3)}


def compiled_listing(repo_root: Path) -> bytes | None:
    """`listing` as sorted `records`, made in C; None without a results/ folder or without the
    compiled extension."""
    results = Path(repo_root) / "results"
    if _fastparse is None or not results.is_dir():
        return None
    return _fastparse.listing(os.fsencode(results), b"results")


def listing(repo_root: Path) -> dict | None:
    """{recorded path: (size, mtime_ns)} of every entry etl/build.py scan lists under
    results/ (regular files, links and special files by their lstat; hidden folders not
    entered), or None without a results/ folder."""
    results = Path(repo_root) / "results"
    if not results.is_dir():
        return None
    data = compiled_listing(repo_root)
    if data is not None:
        return records_of_dict(data)
    out: dict = {}

    def walk(folder: str, rel: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if not name.isascii():
                name = recorded_name(name)[0]
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not name.startswith("."):
                        walk(entry.path, f"{rel}/{name}")
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out[f"{rel}/{name}"] = (st.st_size, st.st_mtime_ns)

    walk(str(results), "results")
    return out


def is_cache_clone(root: Path) -> bool:
    """A clone etl/sources.py keeps of a git URL (reset to the fetched commit, never edited)."""
    return Path(settings.get("cache_dir")).resolve() / "git" in Path(root).resolve().parents


def work_tree_changes(repo: Path) -> set[str] | None:
    """Paths under results/ that differ from the checked-out commit in the work tree (modified,
    added, deleted, untracked or ignored, which the folder scan lists too), from `git status`;
    None if git fails."""
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", "status", "--porcelain=v1",
                               "-z", "--untracked-files=all", "--ignored", "--no-renames", "--",
                               RESULTS], cwd=repo, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    paths = set()
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if len(record) > 3:
            paths.add(record[3:])
    return paths


def same_commit(manifest: dict, repo_root: Path, source: str, source_commit: str | None,
                dirty: set[str] | None) -> bool:
    """A git source at the commit `manifest`'s build recorded, with no edit in the work tree
    (`dirty`: `work_tree_changes`, an empty set for a cache clone, None when git failed)."""
    return bool(source_commit) and manifest.get("source_commit") == source_commit \
        and manifest.get("source") == source and (Path(repo_root) / ".git").exists() \
        and dirty is not None and not dirty


def check(repo_root: Path, *, source: str, source_commit: str | None = None,
          catalog_dir: Path | None = None, warehouse_dir: Path | None = None,
          full: bool = False, seen: dict | None = None) -> tuple[str, Path, dict] | None:
    """(message, current build, its manifest) when there is nothing to build, else None
    (the build decides then, and says why). The caller holds the ETL lock. `seen`, when
    given, receives what was learnt on the way (``dirty``: `work_tree_changes`; ``listing``:
    (current build, `listing`, its recorded state) when a folder was listed and differs;
    ``snapshot``: the catalog snapshot read, ``fingerprints``: its (parse_fingerprint,
    database_fingerprint), which the build then neither reads nor computes again)."""
    seen = {} if seen is None else seen
    if full:
        return None
    repo_root = Path(repo_root).resolve()
    listed: dict = {}

    def work() -> None:
        try:
            listed["data"] = compiled_listing(repo_root)
        except MemoryError:  # the Python walk (`listing`) then
            listed["data"] = None

    lister = threading.Thread(target=work, daemon=True, name="nochange-listing")
    try:
        return _check(repo_root, lister, listed, source=source, source_commit=source_commit,
                      catalog_dir=catalog_dir, warehouse_dir=warehouse_dir, seen=seen)
    finally:
        if lister.is_alive():
            lister.join()


def _check(repo_root: Path, lister: threading.Thread, listed: dict, *, source: str,
           source_commit: str | None, catalog_dir: Path | None, warehouse_dir: Path | None,
           seen: dict) -> tuple[str, Path, dict] | None:
    """`check`; `lister` (not started) lists a folder source in C into ``listed["data"]``
    meanwhile: the walk runs without the GIL."""
    try:
        build = warehouse.current_build(warehouse_dir)
        manifest = warehouse.read_manifest(build)
        git = bool(source_commit and isinstance(manifest, dict)
                   and manifest.get("source_commit") and (repo_root / ".git").exists())
        if not git:
            lister.start()
        if warehouse.check_build(build) is not None:
            return None
        snapshot = catalog_mod.load_snapshot(catalog_dir)
        seen["snapshot"] = snapshot
        seen["fingerprints"] = parse_fingerprint(snapshot), database_fingerprint(snapshot)
        if not isinstance(manifest, dict) \
                or manifest.get("parse_fingerprint") != seen["fingerprints"][0] \
                or manifest.get("database_fingerprint") != seen["fingerprints"][1]:
            return None
    except Exception:  # noqa: BLE001 - no build, a damaged one, a bad catalog: the build says
        return None
    if git:
        if read_records(build) is None:
            return None
        dirty = set() if is_cache_clone(repo_root) else work_tree_changes(repo_root)
        seen["dirty"] = dirty
        if same_commit(manifest, repo_root, source, source_commit, dirty):
            return (f"already at {source_commit} with the same catalog and queries; nothing "
                    "published"), build, manifest
        if dirty is not None and manifest.get("source") == source:
            return None  # git names what changed (etl/changes.py): no listing here
    unchanged = "no file changed since the current build; nothing published", build, manifest
    if git:  # git could not answer: list here
        lister.start()
    lister.join()
    data = listed.get("data")
    try:
        digest = (build / STATE_DIGEST).read_text()
    except OSError:
        digest = None
    if data is not None and digest is not None and records_digest(data) == digest:
        return unchanged
    recorded = read_records(build)
    if recorded is None:
        return None
    if data is None:   # the Python walk, no compiled extension
        found = listing(repo_root)
        data = None if found is None else records(found)
    if data == recorded:
        return unchanged
    if data is not None:  # the build starts from what changed (etl/changes.py from_listing)
        seen["listing"] = (build, data)
    return None
