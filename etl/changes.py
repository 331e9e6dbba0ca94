"""What changed in the source since the previous build, found cheaply (docs/PERFORMANCE.md
§Build time).

- A git source whose commit is the one the previous build recorded, with the same catalog and
  SQL (and, for a local work tree, no edit since that commit), has nothing to build:
  `etl/build.py` returns before anything is listed or read.
- A git source at another commit: the files are those the previous build saw, updated by
  `git diff --name-status old new -- results/` (etl/gitdiff.py); only the paths named there are
  stat'ed. The cache clone of a git URL is exactly its commit (etl/sources.py resets it); a
  local work tree may hold edits not committed yet, so `git status` names those too (git
  compares each file's stat with its index, in C: much cheaper than listing the folder here).
  `from_git` returns None when git cannot answer (the old commit is not in a shallow clone,
  git is missing): the caller lists the folder instead.
- A folder: every file is stat'ed (etl/build.py scan), and compared with the previous build's
  sizes and mtimes column by column (`same_stats`), before the previous build's tables are read.
  When etl/nochange.py already listed the folder for this run (its `listing`, with the path,
  size and mtime of every entry), that listing names the changed paths (`from_listing`) and
  only those are stat'ed again (`from_paths`), as for git: the folder is not listed twice.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from etl import gitdiff
from etl.segments import FileStat

RESULTS = "results/"


def read_state(build: Path, state_file: str) -> tuple[list[str], list[int], list[int]] | None:
    """(paths, sizes, mtimes) the build recorded for the files it saw, sorted by path; None when
    unreadable. ParquetFile reads it without importing pyarrow.dataset (and pandas)."""
    try:
        table = pq.ParquetFile(build / state_file).read(columns=["path", "size", "mtime_ns"])
    except (OSError, ValueError, KeyError):
        return None
    return (table.column("path").to_pylist(), table.column("size").to_pylist(),
            table.column("mtime_ns").to_pylist())


def same_stats(groups: dict[str, list[FileStat]], state) -> bool:
    """Every file has the path, size and mtime the previous build recorded, and no file came
    or went (list comparisons in C rather than a lookup per file)."""
    if state is None:
        return False
    paths, sizes, mtimes = state
    stats = sorted((s for group in groups.values() for s in group), key=lambda s: s.path)
    if len(stats) != len(paths):
        return False
    return [s.path for s in stats] == paths and [s.size for s in stats] == sizes \
        and [s.mtime_ns for s in stats] == mtimes


def from_git(repo_root: Path, old_commit: str, new_commit: str, state, skips: dict[str, str],
             stat_one, dirty: set[str] | None) -> dict[str, list[FileStat]] | None:
    """The files of `repo_root` grouped by model folder as etl/build.py scan lists them, from
    the previous build's `state` (paths, sizes, mtimes; `skips`: path -> why it was not opened)
    and the paths git names as changed since `old_commit` or `dirty` in the work tree, each
    stat'ed by
    `stat_one(repo_root, path) -> (recorded path, FileStat or None)` (None: gone, or not listed,
    e.g. in a hidden folder). None when git cannot answer."""

    if state is None:
        return None
    try:
        changes = gitdiff.changed_paths(repo_root, old_commit, new_commit)
    except Exception:  # noqa: BLE001 - a shallow clone without the old commit, no git...
        return None
    touched = set(dirty)
    for change in changes:
        touched.add(change.path)
        if change.old_path is not None:
            touched.add(change.old_path)
    return from_paths(repo_root, touched, state, skips, stat_one)


def from_listing(found: dict, state: dict) -> set[str] | None:
    """The paths whose (size, mtime_ns) differ between etl/nochange.py's `listing` of the
    folder (`found`) and the build's recorded state (`state`, the same shape), added and removed
    ones included; None when a name is recorded with escapes (not UTF-8: `stat_path` needs the
    name on disk, so the folder is scanned instead)."""
    touched = {p for p, stat in found.items() if state.get(p) != stat}
    touched.update(p for p in state if p not in found)
    return None if any("\\" in p for p in touched) else touched


def from_paths(repo_root: Path, touched: set[str], state, skips: dict[str, str],
               stat_one) -> dict[str, list[FileStat]]:
    """from_git's grouping for a known set of changed paths (added, modified, deleted, both
    sides of a rename): the previous build's files, the touched ones stat'ed again."""
    paths, sizes, mtimes = state
    files = {p: FileStat(p, size, mtime, skips.get(p))
             for p, size, mtime in zip(paths, sizes, mtimes)}
    for path in touched:
        recorded, found = stat_one(repo_root, path)
        files.pop(recorded, None)
        if found is not None:
            files[recorded] = found
    groups: dict[str, list[FileStat]] = {}
    for path in sorted(files):
        parts = path.split("/")
        groups.setdefault(parts[1] if len(parts) > 2 else "", []).append(files[path])
    return groups

