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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl import gitdiff
from etl.segments import FileStat

RESULTS = "results/"
# the files a build sees, one row per file sorted by path (`FileStat`'s fields as columns: at
# ~104k files a Python object per file was most of a 1 % rerun's Python; docs/PERFORMANCE.md
# §Session 20: the Python over all paths (rerun13))
STATS = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()),
                   ("skip", pa.string())])
STATE_COLUMNS = ["path", "size", "mtime_ns"]


def stats_table(stats) -> pa.Table:
    """`STATS` of FileStat-like objects (any order)."""
    stats = sorted(stats, key=lambda s: s.path)
    return pa.table([pa.array([s.path for s in stats], pa.string()),
                     pa.array([s.size for s in stats], pa.int64()),
                     pa.array([s.mtime_ns for s in stats], pa.int64()),
                     pa.array([s.skip for s in stats], pa.string())], schema=STATS)


def stats_of(groups: dict[str, list[FileStat]]) -> pa.Table:
    """`STATS` of etl/build.py scan's groups."""
    return stats_table(s for group in groups.values() for s in group)


def file_stats(stats: pa.Table, rows=None) -> list[FileStat]:
    """The FileStat of each row of `stats` (of the rows at `rows`, indices, when given)."""
    if rows is not None:
        stats = stats.take(rows)
    return [FileStat(*row) for row in zip(*(stats.column(name).to_pylist()
                                            for name in STATS.names))]


def groups_of(stats: pa.Table) -> dict[str, list[FileStat]]:
    """etl/build.py scan's grouping by model folder (files directly in results/: "")."""
    groups: dict[str, list[FileStat]] = {}
    for stat in file_stats(stats):
        parts = stat.path.split("/")
        groups.setdefault(parts[1] if len(parts) > 2 else "", []).append(stat)
    return groups


def records_of(stats: pa.Table) -> bytes:
    """etl/nochange.py `records` of the path, size and mtime of `stats` (sorted by path), made
    by Arrow: `path\0size\0mtime_ns\0` per row, the joined strings' value buffer."""
    joined = pc.binary_join_element_wise(
        stats.column("path"), pc.cast(stats.column("size"), pa.string()),
        pc.cast(stats.column("mtime_ns"), pa.string()), "", "\0")
    out = []
    for chunk in joined.chunks:
        if len(chunk):
            offsets = pa.Array.from_buffers(pa.int32(), len(chunk) + 1,
                                            [None, chunk.buffers()[1]], offset=chunk.offset)
            start, end = offsets[0].as_py(), offsets[-1].as_py()
            out.append(chunk.buffers()[2].slice(start, end - start).to_pybytes())
    return b"".join(out)


def records_table(data: bytes) -> pa.Table:
    """The (path, size, mtime_ns) of etl/nochange.py `records` (a folder's compiled listing),
    split by Arrow (ValueError if `data` is not such records)."""
    if not data:
        return pa.table({"path": pa.array([], pa.string()), "size": pa.array([], pa.int64()),
                         "mtime_ns": pa.array([], pa.int64())})
    if not data.endswith(b"\0"):
        raise ValueError("malformed records")
    parts = pc.split_pattern(pa.array([data[:-1].decode("utf-8")], pa.large_string()),
                             "\0").flatten()
    if len(parts) % 3:
        raise ValueError("malformed records")
    rows = pa.FixedSizeListArray.from_arrays(parts, 3)   # (path, size, mtime_ns) per row
    try:
        return pa.table({name: pc.list_element(rows, i).cast(pa.string() if i == 0
                                                              else pa.int64())
                         for i, name in enumerate(STATE_COLUMNS)})
    except pa.ArrowInvalid as exc:
        raise ValueError(f"malformed records: {exc}") from None


def read_state(build: Path, state_file: str) -> pa.Table | None:
    """The (path, size, mtime_ns) the build recorded for the files it saw, sorted by path; None
    when unreadable. ParquetFile reads it without importing pyarrow.dataset (and pandas)."""
    try:
        table = pq.ParquetFile(build / state_file).read(columns=STATE_COLUMNS)
    except (OSError, ValueError, KeyError):
        return None
    return table.cast(pa.schema([STATS.field(name) for name in STATE_COLUMNS]))


def same_stats(stats: pa.Table, state: pa.Table | None) -> bool:
    """Every file has the path, size and mtime the previous build recorded, and no file came
    or went (the columns compared by Arrow)."""
    return state is not None and stats.num_rows == state.num_rows \
        and stats.select(STATE_COLUMNS).equals(state)


def from_git(repo_root: Path, old_commit: str, new_commit: str, state: pa.Table,
             skips: dict[str, str], stat_one, dirty: set[str] | None) -> pa.Table | None:
    """The files of `repo_root` as etl/build.py scan lists them (`STATS`), from the previous
    build's `state` (`read_state`; `skips`: path -> why it was not opened) and the paths git
    names as changed since `old_commit` or `dirty` in the work tree, each stat'ed by
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


def from_listing(data: bytes, state: pa.Table) -> set[str] | None:
    """The paths whose (size, mtime_ns) differ between etl/nochange.py's compiled listing of
    the folder (`data`, its records) and the build's recorded state (`read_state`), added and
    removed ones included; None when a name is recorded with escapes (not UTF-8: `stat_path`
    needs the name on disk, so the folder is scanned instead). Column by column: only the
    paths that differ become Python strings."""
    found = records_table(data)
    touched: set[str] = set()
    if found.num_rows == state.num_rows and found.column("path").equals(state.column("path")):
        differ = pc.or_(pc.not_equal(found.column("size"), state.column("size")),
                        pc.not_equal(found.column("mtime_ns"), state.column("mtime_ns")))
        touched.update(found.column("path").filter(differ).to_pylist())
    else:
        at = pc.index_in(found.column("path"), value_set=state.column("path"))
        differ = pc.fill_null(pc.or_(
            pc.not_equal(found.column("size"), state.column("size").take(at)),
            pc.not_equal(found.column("mtime_ns"), state.column("mtime_ns").take(at))), True)
        touched.update(found.column("path").filter(differ).to_pylist())
        gone = pc.invert(pc.is_in(state.column("path"), value_set=found.column("path")))
        touched.update(state.column("path").filter(gone).to_pylist())
    return None if any("\\" in p for p in touched) else touched


def from_paths(repo_root: Path, touched: set[str], state: pa.Table, skips: dict[str, str],
               stat_one) -> pa.Table:
    """from_git's files (`STATS`) for a known set of changed paths (added, modified, deleted,
    both sides of a rename): the previous build's files, the touched ones stat'ed again."""
    found: dict[str, FileStat | None] = {}
    for path in touched:
        recorded, stat = stat_one(repo_root, path)
        found[recorded] = stat
    paths = state.column("path")
    kept = state.filter(pc.invert(pc.is_in(paths, value_set=pa.array(list(found), pa.string()))))
    skipped = pa.array(list(skips), pa.string())
    kept = kept.append_column(STATS.field("skip"), pa.array(list(skips.values()), pa.string())
                              .take(pc.index_in(kept.column("path"), value_set=skipped)))
    return pa.concat_tables([kept.cast(STATS),
                             stats_table(s for s in found.values() if s is not None)]) \
        .sort_by("path")
