"""`mteb-lb backfill`: the leaderboard's past, recorded from the results repository's git history.

    backfill(source, since, every)
      under the ETL lock of the warehouse (never races the nightly refresh):
      1. the source must have history: a git URL's cached clone is deepened as far as `since`
         (`git fetch --shallow-since`, or in full without `since`); a local folder must be a git
         clone, bare or not (a plain folder is refused in one line); hf: sources have no history
      2. the first-parent commits of HEAD, oldest first, one per period (the last of each),
         minus the commits already recorded: rerunning resumes where the last run stopped
      3. per commit: the work tree under <warehouse>/history/work/tree is moved from the previous
         commit to this one by applying the changed paths (`git diff --name-status -M`: added,
         modified, deleted, renamed files only); the ordinary incremental ETL build runs on it
         (etl.build.run into a scratch warehouse, <warehouse>/history/work/warehouse: the same
         parser, the same SQL, the same history snapshot, etl.history) and the leaderboard rows
         that changed (the build's history delta) are stored with the commit and its date
      4. the commit is recorded last (snapshots.parquet, replaced atomically): a kill at any
         point loses at most the commit in progress, which the next run does again

Snapshots use TODAY's catalog (benchmark definitions, task metadata, model registry) on past
results: a past date answers "how would today's board have looked with the results known then".

The store, <warehouse>/history/ (docs/HISTORY.md):

    snapshots.parquet                        one row per recorded commit (SNAPSHOTS_SCHEMA)
    leaderboard_history/<seq>-<sha>.parquet  the rows of the leaderboards that changed at that
                                             commit (etl.history.SCHEMA; build_id = the commit,
                                             built_at = its committer date)
    paths/<seq>-<sha>.parquet                the changed paths (PATHS_SCHEMA): why rows moved
    past/<table>/<seq>-<sha>.parquet         the past results themselves: the rows of the tables
                                             the lb_* macros read that appeared or went at that
                                             commit (etl/past_rows.py)
    work/                                    the scratch tree and warehouse (resumes; deletable)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl import build, gitdiff, history, past_rows, sources
from etl.segments import KEPT_LEVEL, write_parquet
from mteb_lb import settings, warehouse

STORE = "history"
RESAMPLES_ENV = "MTEB_LB_RANK_RESAMPLES"
SNAPSHOTS = "snapshots.parquet"


def _f(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    return pa.field(name, type_, metadata={"doc": doc})


SNAPSHOTS_SCHEMA = pa.schema([
    _f("seq", pa.int32(), "Position of the snapshot (1 = oldest commit recorded)."),
    _f("commit", pa.string(), "The results repository's commit (full sha)."),
    _f("committed_at", pa.timestamp("us"), "Its committer date (UTC): the snapshot's date."),
    _f("rows_added", pa.int64(), "Leaderboard rows that changed (history delta rows)."),
    _f("files_added", pa.int64(), "Result files added under results/ since the previous one."),
    _f("files_modified", pa.int64(), "Files modified."),
    _f("files_deleted", pa.int64(), "Files deleted."),
    _f("files_renamed", pa.int64(), "Files renamed (moved)."),
    _f("files_quarantined", pa.int64(), "Files of this commit the ETL quarantined."),
    _f("seconds", pa.float64(), "Time the snapshot took."),
])
PATHS_SCHEMA = pa.schema([
    _f("seq", pa.int32(), "The snapshot."),
    _f("status", pa.string(), "A added, M modified, D deleted, R renamed, Q quarantined."),
    _f("path", pa.string(), "Path in the repository (new path of a rename)."),
    _f("old_path", pa.string(), "Path before a rename."),
    _f("reason", pa.string(), "Why a quarantined file was not loaded."),
])


class BackfillError(RuntimeError):
    """The backfill cannot run; the message says why and what to do."""


@dataclass
class BackfillResult:
    recorded: list[str] = field(default_factory=list)   # commits recorded by this run
    skipped: int = 0                                    # commits already recorded
    seconds: float = 0.0
    message: str = ""
    relaid: int = 0         # files written in the current layout (past_rows.relayout)


def store_dir(warehouse_dir: Path | None = None) -> Path:
    return (warehouse_dir or warehouse.root()) / STORE


def read_snapshots(store: Path) -> pa.Table:
    path = store / SNAPSHOTS
    if not path.is_file():
        return SNAPSHOTS_SCHEMA.empty_table()
    return pq.read_table(path).cast(SNAPSHOTS_SCHEMA)


# --------------------------------------------------------------------------------------------
# the repository
# --------------------------------------------------------------------------------------------

def history_repo(source: str, since: str | None, update: bool = True) -> tuple[Path, str]:
    """(a local git repository holding the history, the source's name) for a backfill."""
    if source.startswith(sources.HF_PREFIX):
        raise BackfillError(f"{source} is a Hugging Face dataset: it has no git history to "
                            "backfill from; pass the results repository's git URL or clone")
    if sources._looks_like_git_url(source):
        checkout = sources.resolve(source, update=update)
        _deepen(checkout.root, since)
        return checkout.root, checkout.source
    root = Path(source).expanduser().resolve()
    if not root.is_dir():
        raise BackfillError(f"source folder {root} does not exist")
    if not (gitdiff.is_git_repo(root) or gitdiff.is_bare_repo(root)):
        raise BackfillError(f"{root} is not a git clone: backfill needs the results repository's "
                            "history (pass a git clone or the repository's git URL)")
    return root, str(root)


def _deepen(repo: Path, since: str | None) -> None:
    """Fetch the history of a shallow cached clone as far back as `since` (all of it without):
    the cost is the history's objects, once (the full repository is a few GB)."""
    if not (repo / ".git" / "shallow").exists():
        return
    if since:
        gitdiff._git(repo, "fetch", "-q", f"--shallow-since={since}", "origin", "HEAD")
    else:
        gitdiff._git(repo, "fetch", "-q", "--unshallow", "origin", "HEAD")


# --------------------------------------------------------------------------------------------
# the work tree: moved from commit to commit by the changed paths
# --------------------------------------------------------------------------------------------

# why a file whose content git cannot read was not loaded (its Q row in paths/)
UNREADABLE = ("git cannot read this file's content: its object is missing from the clone (a "
              "partial clone whose remote is out of reach, or a damaged one)")


def _extract_all(repo: Path, commit: str, tree: Path) -> list[str]:
    """The whole results/ tree of `commit` into `tree` (an empty folder); returns the paths
    whose content git cannot read (left out). `git archive` stops at the first such object, so
    then the tree is written again blob by blob, without them."""
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "results").mkdir(exist_ok=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", commit, "--", "results"],
                               cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-f", "-", "-C", str(tree)], stdin=archive.stdout,
                           capture_output=True)
    archive.stdout.close()
    err = archive.stderr.read().decode(errors="replace")
    if archive.wait() != 0 and "did not match any files" not in err:
        shutil.rmtree(tree)
        tree.mkdir(parents=True)
        try:
            listing = gitdiff._git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                                   "results")
        except gitdiff.SourceError as exc:
            raise BackfillError(f"git archive {commit[:12]} failed: {err.strip()}; {exc}") \
                from None
        entries = []
        for record in filter(None, listing.split("\0")):
            meta, path = record.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                entries.append((sha, path))
        return _write_blobs(repo, entries, tree)
    if untar.returncode != 0:
        raise BackfillError(f"unpacking {commit[:12]} failed: {untar.stderr.decode().strip()}")
    return []


def _write_blobs(repo: Path, entries: list[tuple[str, str]], tree: Path) -> list[str]:
    """Write each (object, path) into `tree` (one `git cat-file --batch`, the requests fed by a
    thread while the answers are read); an object git reports missing is not written, and its
    path (a stale file of an earlier commit removed) is returned."""
    if not entries:
        return []
    proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed():
        try:
            proc.stdin.write(b"".join(f"{spec}\n".encode("utf-8", "surrogateescape")
                                      for spec, _path in entries))
            proc.stdin.close()
        except BrokenPipeError:   # git died: its stderr is reported below
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    unreadable, folders, done = [], set(), False
    try:
        for _spec, path in entries:
            header = proc.stdout.readline()
            target = tree / path
            if header.endswith(b" missing\n"):   # "<spec> missing": the spec may hold spaces
                unreadable.append(path)
                target.unlink(missing_ok=True)
                continue
            fields = header.split()
            if len(fields) != 3 or fields[1] != b"blob":
                proc.kill()
                raise BackfillError(f"git cat-file gave {header[:200]!r} for {path}: "
                                    f"{proc.stderr.read().decode(errors='replace').strip()}")
            data = proc.stdout.read(int(fields[2]))
            proc.stdout.read(1)   # the newline after the content
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            tmp = target.with_name(target.name + ".bf-tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        done = True
    finally:
        if not done:
            proc.kill()   # the feeder, blocked on a full pipe, gets its error and ends
        feeder.join()
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()
    return unreadable


def _remove(tree: Path, path: str) -> None:
    target = tree / path
    try:
        target.unlink()
    except FileNotFoundError:
        return
    parent = target.parent
    while parent != tree and parent.name != "results":   # drop emptied folders, like git
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def move_tree(repo: Path, tree: Path, old: str | None, new: str,
              changes: list[gitdiff.PathChange]) -> tuple[bool, list[str]]:
    """Bring `tree` from commit `old` (or nothing) to `new`, touching only the changed paths.
    A marker file says which commit the tree holds; a tree whose marker is missing or other
    than `old` (a run killed mid-way) is extracted again in full. Returns whether only the
    changed paths were touched, and the files of `new` whose content git cannot read (not in
    the tree; kept beside the marker for the next move)."""
    marker = tree.parent / "tree.commit"
    kept = tree.parent / "tree.unreadable.json"
    held = marker.read_text().strip() if marker.is_file() else None
    if old is None or held != old:
        marker.unlink(missing_ok=True)
        shutil.rmtree(tree, ignore_errors=True)
        unreadable = set(_extract_all(repo, new, tree))
        moved = False
    else:
        moved = True
        unreadable = set(json.loads(kept.read_text())) if kept.is_file() else set()
        marker.unlink()
        for c in changes:
            unreadable.discard(c.path)
            if c.status == "D":
                _remove(tree, c.path)
            elif c.status == "R":
                unreadable.discard(c.old_path)
                _remove(tree, c.old_path)
        unreadable.update(_write_blobs(repo, [(f"{new}:{c.path}", c.path)
                                              for c in changes if c.status != "D"], tree))
    tmp = kept.with_name(kept.name + ".tmp")
    tmp.write_text(json.dumps(sorted(unreadable)))
    os.replace(tmp, kept)
    marker.write_text(new)
    return moved, sorted(unreadable)


# --------------------------------------------------------------------------------------------
# the backfill
# --------------------------------------------------------------------------------------------

def _latest_delta(scratch: Path, commit: str) -> pa.Table | None:
    """The history rows the scratch warehouse's current build added, if it reflects `commit`
    (None: its build is of another commit, i.e. nothing changed on the leaderboards)."""
    try:
        build = warehouse.current_build(scratch)
    except warehouse.WarehouseError:
        return None
    if warehouse.read_manifest(build).get("source_commit") != commit:
        return None
    builds = pq.read_table(build / "parquet" / history.BUILDS_TABLE).to_pylist()
    seq = max(r["build_seq"] for r in builds)
    files = sorted((build / "parquet" / history.TABLE).glob(f"{seq:06d}-*.parquet"))
    if not files:
        return history.SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(f).cast(history.SCHEMA) for f in files)


def _scratch_commit(scratch: Path) -> str | None:
    """The commit the scratch warehouse's current build reflects."""
    try:
        return warehouse.read_manifest(warehouse.current_build(scratch)).get("source_commit")
    except (warehouse.WarehouseError, OSError, ValueError):
        return None


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write_parquet(table, tmp, level=KEPT_LEVEL)
    os.replace(tmp, path)


@contextmanager
def _scratch_settings():
    """The scratch builds are never served: their rank intervals (etl/rank_intervals.py, a
    bootstrap per benchmark) are not computed (B = 0); a past date computes its own on demand
    from its past results."""
    saved = os.environ.get(RESAMPLES_ENV)
    os.environ[RESAMPLES_ENV] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(RESAMPLES_ENV, None)
        else:
            os.environ[RESAMPLES_ENV] = saved


def _pending(commits: list[gitdiff.Commit], done: pa.Table) -> tuple[list[gitdiff.Commit], int]:
    recorded = done.column("commit").to_pylist()
    if not recorded:
        return commits, 0
    last, last_at = recorded[-1], done.column("committed_at").to_pylist()[-1]
    shas = [c.commit for c in commits]
    if last in shas:
        at = shas.index(last) + 1
        return commits[at:], at
    # another --every/--since than the recorded run: continue after the last recorded date
    later = [c for c in commits if c.date.replace(tzinfo=None) > last_at]
    return later, len(commits) - len(later)


def backfill(source: str | None = None, *, since: str | None = None, every: str | None = None,
             warehouse_dir: Path | None = None, catalog_dir: Path | None = None,
             workers: int | None = None, update: bool = True, log=None,
             max_commits: int | None = None) -> BackfillResult:
    """Record the leaderboard snapshot of each commit not yet recorded (module docstring)."""

    say = log or (lambda _msg: None)
    started = time.monotonic()
    warehouse_dir = warehouse_dir or warehouse.root()
    source = source or settings.get("source")
    store = store_dir(warehouse_dir)
    work = store / "work"
    scratch, tree = work / "warehouse", work / "tree"
    result = BackfillResult()
    with warehouse.etl_lock(warehouse_dir):
        # a store recorded before the event files' layout: brought to it first (idempotent)
        result.relaid = past_rows.relayout(store, say)
        if result.relaid:
            say(f"{result.relaid} files of the past results written in the current layout")
        repo, source_name = history_repo(source, since, update)
        commits = gitdiff.first_parent_commits(repo, since=since, every=every)
        done = read_snapshots(store)
        pending, result.skipped = _pending(commits, done)
        if max_commits is not None:
            pending = pending[:max_commits]
        say(f"{len(commits)} commits in range, {result.skipped} already recorded, "
            f"{len(pending)} to record")
        seq = len(done)
        prev = done.column("commit").to_pylist()[-1] if seq else None
        if not seq:   # a store started over: the scratch state and compacted states are stale
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(store / warehouse.PAST_STATE_FOLDER, ignore_errors=True)
            shutil.rmtree(store / warehouse.PAST_RANGES_FOLDER, ignore_errors=True)
        past_rows.drop_after(store, seq)
        for c in pending:
            t = time.monotonic()
            seq += 1
            changes = gitdiff.changed_paths(repo, prev, c.commit)
            moved, unreadable = move_tree(repo, tree, prev, c.commit, changes)
            say(f"[{seq}] {c.commit[:12]} {c.date:%Y-%m-%d}: {len(changes)} changed paths"
                + (f", {len(unreadable)} files git cannot read (quarantined)" if unreadable
                   else ""))
            # the light path: the scratch build of the previous commit and the tree moved by the
            # changed paths only, so the build looks at these paths and lists nothing
            known = None
            if moved and _scratch_commit(scratch) == prev:
                known = [p for x in changes for p in (x.path, x.old_path) if p]
            t_build = time.monotonic()
            with _scratch_settings():
                # the changed paths known: the build's "anything to build?" check (a listing of
                # the whole tree) is skipped, git said what changed
                report = build.run(tree, source=source_name, source_commit=c.commit,
                                   catalog_dir=catalog_dir, warehouse_dir=scratch,
                                   workers=workers, changed_paths=known,
                                   checked={} if known is not None else None)
            t_build = time.monotonic() - t_build
            delta = _latest_delta(scratch, c.commit)
            name = f"{seq:06d}-{c.commit[:12]}.parquet"
            t_past = time.monotonic()
            n_past = past_rows.record(warehouse.current_build(scratch), store, seq, name)
            t_past = time.monotonic() - t_past
            if delta is None:
                delta = history.SCHEMA.empty_table()
            committed_at = c.date.replace(tzinfo=None)
            n = delta.num_rows
            delta = delta.set_column(0, "build_seq", pa.array([seq] * n, pa.int32())) \
                .set_column(1, "build_id", pa.array([c.commit[:12]] * n, pa.string())) \
                .set_column(2, "built_at", pa.array([committed_at] * n, pa.timestamp("us")))
            if n:
                _atomic_parquet(delta, store / history.TABLE / name)
            counts = {s: sum(1 for x in changes if x.status == s) for s in "AMDR"}
            paths = [{"seq": seq, "status": x.status, "path": x.path, "old_path": x.old_path,
                      "reason": None} for x in changes]
            quarantined = report.quarantined + [(p, UNREADABLE) for p in unreadable]
            paths += [{"seq": seq, "status": "Q", "path": p, "old_path": None, "reason": r}
                      for p, r in quarantined]
            _atomic_parquet(pa.Table.from_pylist(paths, PATHS_SCHEMA), store / "paths" / name)
            row = {"seq": seq, "commit": c.commit, "committed_at": committed_at,
                   "rows_added": n, "files_added": counts["A"], "files_modified": counts["M"],
                   "files_deleted": counts["D"], "files_renamed": counts["R"],
                   "files_quarantined": len(quarantined),
                   "seconds": round(time.monotonic() - t, 3)}
            done = pa.concat_tables([done, pa.Table.from_pylist([row], SNAPSHOTS_SCHEMA)])
            _atomic_parquet(done, store / SNAPSHOTS)     # the commit is recorded: last
            result.recorded.append(c.commit)
            prev = c.commit
            say(f"[{seq}] recorded: {n} leaderboard rows changed, {n_past} past result rows "
                f"added or removed ({time.monotonic() - t:.1f} s: build {t_build:.1f} s, "
                f"past results {t_past:.1f} s)")
        if result.recorded:   # the newest date's as-of state, ready (mteb_lb/asof.py)
            past_rows.export_state(warehouse.current_build(scratch), store, seq)
        if seq:   # every backfilled date's past results in one file (also after a killed run)
            t = time.monotonic()
            if past_rows.export_ranges(store, seq) is not None:
                say(f"past results of snapshots 1-{seq} ready for any date "
                    f"({time.monotonic() - t:.1f} s)")
    result.seconds = time.monotonic() - started
    result.message = (f"recorded {len(result.recorded)} snapshots "
                      f"({result.skipped} already recorded) in {result.seconds:.1f} s; "
                      f"history in {store}")
    return result


def relayout(warehouse_dir: Path | None = None, log=None) -> BackfillResult:
    """`mteb-lb backfill --relayout`: the stored past results rewritten in the current layout
    (etl/past_rows.py relayout), and the ranges of every recorded snapshot made if missing
    (export_ranges, as a backfill leaves them), under the ETL lock, without a source or a
    commit recorded."""
    started = time.monotonic()
    warehouse_dir = warehouse_dir or warehouse.root()
    store = store_dir(warehouse_dir)
    result = BackfillResult()
    with warehouse.etl_lock(warehouse_dir):
        result.relaid = past_rows.relayout(store, log)
        seq = len(read_snapshots(store))
        made = bool(seq) and past_rows.export_ranges(store, seq) is not None
    result.seconds = time.monotonic() - started
    result.message = (f"wrote {result.relaid} files of the past results in the current layout "
                      + (f"and their ranges up to snapshot {seq} " if made else "")
                      + f"in {result.seconds:.1f} s; history in {store}")
    return result


def stored_bytes(store: Path) -> int:
    """Bytes of the history proper (snapshots, deltas, paths, past results; not the work
    folder)."""
    total = 0
    for sub in (history.TABLE, "paths", past_rows.FOLDER, warehouse.PAST_WHOLE_FOLDER):
        total += sum(p.stat().st_size for p in (store / sub).rglob("*.parquet"))
    snap = store / SNAPSHOTS
    return total + (snap.stat().st_size if snap.is_file() else 0)
