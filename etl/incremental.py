"""Incremental builds: which file versions changed since the previous build, and which segments
the new build keeps, compacts or adds (etl/segments.py explains segments).

    previous build's files + segment map, the repository's files now
        -> files whose version is unchanged keep their `files` row and their rows stay
           where they are
        -> files whose version is new (content or model identity changed, or added) are parsed
           into one delta segment
        -> versions no longer current are superseded: their segments are hard-linked as they are
           (the ids are listed in `superseded_files`), or compacted when mostly superseded

When more than `MAX_CHANGED_SHARE` of the result files changed (and more than `FULL_BUILD_FLOOR`),
a full build is as fast and leaves no dead rows: `plan` returns None and the caller builds in full.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.changes import file_stats, read_state
from etl.segments import (
    PARSE_RETRY,
    SEGMENTED,
    CompactJob,
    FileStat,
    IdentitiesJob,
    ParseJob,
    classify,
    compact_segment,
    parse_segment,
    read_file,
    read_identities_apart,
    read_segment_map,
    segment_map_table,
    split_path,
    unparsed_row,
    version_id,
)
from etl.workers import DIED_PREFIX
from mteb_lb import schema

MAX_CHANGED_SHARE = 0.25      # above it a full build is as fast as an incremental one
COMPACT_DEAD_SHARE = 0.3      # a segment with this share of superseded metric rows is rewritten
COMPACT_BUDGET_SHARE = 0.1    # rewrite at most this share of all metric rows per build
MAX_DELTA_SEGMENTS = 8        # more delta segments than this are merged into one
IN_PROCESS_FILES = 300        # parse up to this many files in the ETL process (no pool start-up)
FULL_BUILD_FLOOR = 2000       # never fall back to a full build for fewer changed files
DELTA_PREFIX = "delta-"


@dataclass
class Previous:
    """What the previous build recorded, as Arrow tables (no Python object per file): its
    `files` table (sorted by path), the size and mtime each file had when it was seen (`state`:
    path, size, mtime_ns), its segment map and its model_meta rows."""

    build: Path
    files_table: pa.Table
    state: pa.Table                         # path, size, mtime_ns
    segments: pa.Table                      # segment map (etl/segments.py)
    model_meta: dict[str, dict]             # path -> its `model_meta` row

    def model_meta_rows(self) -> list[dict]:
        return sorted(self.model_meta.values(), key=lambda r: r["path"])


@dataclass
class _Looked:
    """A file the plan looks at one by one, with its previous `files` row (None: new)."""

    stat: FileStat
    row: int | None             # its row in the previous `files` table
    old: dict | None
    unchanged: bool             # the size and mtime the previous build saw


@dataclass
class Outcome:
    """What parsing produced, for a full build as for an incremental one."""

    files: pa.Table                    # the `files` table, sorted by path
    model_meta_rows: list[dict]
    segments: pa.Table                 # the new build's segment map
    superseded: list[int]              # ids whose rows linked segments still hold
    new_segments: list[str]            # segments holding newly parsed versions
    parsed: int = 0
    unchanged: int = 0
    changed: bool = False
    compacted: list[str] = field(default_factory=list)
    # an incremental build: its `files` rows made now (the others are rows of the previous
    # build's table as they were); None for a full build
    made: pa.Table | None = None

    def loaded(self) -> int:
        return pc.sum(pc.equal(self.files.column("status"), "loaded")).as_py() or 0

    def quarantined(self) -> list[tuple[str, str]]:
        rows = self.files.filter(pc.equal(self.files.column("status"), "quarantined"))
        return list(zip(rows.column("path").to_pylist(), rows.column("reason").to_pylist()))

    def live_ids(self) -> set[int]:
        """Ids of the versions whose rows readers see (loaded files with entries)."""
        status, entries = self.files.column("status"), self.files.column("n_entries")
        mask = pc.and_(pc.equal(status, "loaded"), pc.greater(entries, 0))
        return set(self.files.column("file_id").filter(mask).to_pylist())


def files_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(sorted(rows, key=lambda r: r["path"]), schema.FILES)


def load_previous(build: Path, state_file: str) -> Previous | None:
    """The previous build's files (with the size and mtime it saw) and its segment map."""
    segment_map = read_segment_map(build)
    if segment_map is None or not (build / state_file).exists():
        return None
    state = read_state(build, state_file)
    if state is None:
        return None
    # (ParquetFile, not read_table: no pyarrow.dataset)
    table = pq.ParquetFile(build / "parquet" / "files" / "files.parquet").read().cast(
        schema.FILES)
    meta = pq.ParquetFile(build / "parquet" / "model_meta" / "model_meta.parquet").read() \
        .to_pylist()
    return Previous(build, table, state, segment_map, {r["path"]: r for r in meta})


def _compare(stats: pa.Table, prev: Previous) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Column-wise, per file of `stats` (etl/changes.py `STATS`): (its row in the previous
    `files` table or null, unchanged: the size and mtime the previous build saw, kept: a result
    file whose previous row stays as it is without a look: unchanged, not skipped, not
    quarantined because its parser died). At 1 % changed ~99 % of the files are kept: a Python
    step per file was most of a rerun's planning."""
    files, state = prev.files_table, prev.state
    paths = stats.column("path")
    before = _positions(paths, files.column("path"))
    at = _positions(paths, state.column("path"))
    size, mtime = state.column("size"), state.column("mtime_ns")
    if at is not None:
        size, mtime = size.take(at), mtime.take(at)
    if before is None:   # the same paths: no file came or went
        before = pa.array(range(len(paths)), pa.int32())
    unchanged = pc.fill_null(pc.and_(pc.and_(
        pc.equal(size, stats.column("size")), pc.equal(mtime, stats.column("mtime_ns"))),
        pc.is_valid(before)), False)
    died = pc.fill_null(pc.and_(pc.equal(files.column("status"), "quarantined"),
                                pc.starts_with(files.column("reason"), DIED_PREFIX)), False)
    kept = pc.fill_null(pc.and_(
        pc.and_(unchanged, pc.is_null(stats.column("skip"))),
        pc.and_(pc.equal(files.column("kind").take(before), "result"),
                pc.invert(died.take(before)))), False)
    return _flat(before), _flat(unchanged), _flat(kept)


def _positions(paths, values) -> pa.Array | None:
    """`pc.index_in` of `paths` in `values`; None when both are the same paths in the same
    order (each path at its own position: the usual rerun, where no file came or went; the
    hash tables of ~104k paths cost more than the comparison)."""
    if len(paths) == len(values) and paths.equals(values):
        return None
    return pc.index_in(paths, value_set=values)


def _flat(array) -> pa.Array:
    """One array of a chunked one (a table column taken from, compared)."""
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _look(indices: list[int], stats: pa.Table, before: pa.Array, unchanged: pa.Array,
          prev: Previous) -> list[_Looked]:
    """The files of `stats` at `indices` with their previous row (`_compare`'s columns)."""
    at = pa.array(indices, pa.int64())
    rows = before.take(at)
    old = prev.files_table.take(rows).to_pylist()
    rows = rows.to_pylist()
    return [_Looked(stat, row, old[n] if row is not None else None, same)
            for n, (stat, row, same) in enumerate(zip(file_stats(stats, at), rows,
                                                      unchanged.take(at).to_pylist()))]


def plan(stats: pa.Table, repo_root: Path, staged: Path, prev: Previous, build_id: str,
         max_file_bytes: int, run_jobs, workers: int = 1) -> Outcome | None:
    """Parse what changed into the staged build and carry the rest forward. `stats`: the files
    seen (etl/changes.py `STATS`, sorted by path). ``run_jobs(function, jobs)`` runs jobs (in a
    process pool when there are many) in order."""
    contents: dict[str, tuple[bytes | None, str]] = {}

    def content(stat: FileStat):
        if stat.path not in contents:
            contents[stat.path] = read_file(repo_root / stat.path, stat, max_file_bytes)
        return contents[stat.path]

    before, unchanged, kept = _compare(stats, prev)
    # the files looked at one by one: changed, added, skipped, model_meta and other files
    # (a path's kind depends on the path only: its previous row says it, classify a new one)
    looked = _look(pc.indices_nonzero(pc.invert(kept)).to_pylist(), stats, before, unchanged,
                   prev)
    kinds = {f.stat.path: f.old["kind"] if f.old is not None else classify(f.stat.path)
             for f in looked}
    identities, meta_rows, meta_errors = _identities(
        [f for f in looked if kinds[f.stat.path] == "model_meta"], prev, content, repo_root,
        max_file_bytes)
    prev_identities = dict(_identity_of_row(row) for row in prev.model_meta.values())
    # identity keys (model, revision, experiment) whose model identity changed: usually none,
    # and then no unchanged result file needs its path split
    moved = {key for key in identities.keys() | prev_identities.keys()
             if identities.get(key) != prev_identities.get(key)}
    if moved:   # their unchanged result files are looked at too: their version may be another
        kept_at = pc.indices_nonzero(kept)
        again = [i for i, path in zip(kept_at.to_pylist(),
                                      stats.column("path").take(kept_at).to_pylist())
                 if split_path(path)[:3] in moved]
        if again:
            mask = [False] * stats.num_rows
            for i in again:
                mask[i] = True
            kept = pc.and_(kept, pc.invert(pa.array(mask, pa.bool_())))
            again_looked = _look(again, stats, before, unchanged, prev)
            looked = sorted(looked + again_looked, key=lambda f: f.stat.path)
            kinds.update((f.stat.path, "result") for f in again_looked)
    rows: list[dict] = []          # `files` rows made now
    reused: list[int] = []         # rows of the previous `files` table looked at, kept as they are
    to_parse: list[FileStat] = []
    for file in looked:
        stat, before_row, kind = file.stat, file.row, kinds[file.stat.path]
        if stat.skip is not None:  # never opened
            rows.append(unparsed_row(stat, f"!{stat.skip}", identities, meta_errors))
            continue
        if kind == "result" and file.old is not None and _died_before(file.old):
            to_parse.append(stat)  # its parser died, maybe of something else (the OOM killer)
            continue
        digest = file.old["content_hash"] if file.unchanged else content(stat)[1]
        if digest is None:  # unreadable before and unchanged since: read it again
            digest = content(stat)[1]
        if kind != "result":
            rows.append(unparsed_row(stat, digest, identities, meta_errors))
            continue
        readable = not digest.startswith("!")
        if file.old is not None and file.old["file_id"] == version_id(
                stat.path, digest if readable else None, identities):
            reused.append(before_row)
        else:
            to_parse.append(stat)
    n_results = (pc.sum(kept).as_py() or 0) + sum(kind == "result" for kind in kinds.values())
    if len(to_parse) > max(MAX_CHANGED_SHARE * n_results, FULL_BUILD_FLOOR):
        return None

    jobs = _parse_jobs(to_parse, repo_root, staged, build_id, max_file_bytes, identities, contents,
                       workers)
    outcome = Outcome(prev.files_table, meta_rows, prev.segments, [], [])
    delta_rows = []
    for result in run_jobs(parse_segment, jobs, PARSE_RETRY):
        outcome.parsed += result.parsed
        rows.extend(result.file_rows)
        delta_rows.extend(result.versions)
        # a job retried file by file (its process died) wrote a segment per file
        outcome.new_segments.extend(sorted({row[0] for row in result.versions}))
    outcome.made = files_table(rows)
    # the rows that stay as they were: those kept without a look, and those looked at
    same = pa.concat_arrays([before.filter(kept).cast(pa.int64()), pa.array(reused, pa.int64())])
    outcome.files = pa.concat_tables([prev.files_table.take(same), outcome.made]) \
        .sort_by("path").combine_chunks()
    outcome.unchanged = stats.num_rows - len(to_parse)
    outcome.changed = not outcome.files.equals(prev.files_table)
    _carry_segments(prev, outcome, delta_rows, staged, build_id, run_jobs)
    return outcome


def _died_before(old: dict) -> bool:
    """The file was quarantined because its parser process died (etl/workers.py)."""
    reason = old["reason"]
    return old["status"] == "quarantined" and reason is not None \
        and reason.startswith(DIED_PREFIX)


def _identities(metas: list[_Looked], prev: Previous, content, repo_root: Path,
                max_file_bytes: int):
    """Model identities, `model_meta` rows and load errors of the model_meta.json files
    `metas`: those unchanged since the previous build come from its tables, the others are
    read (in a parser process: etl/segments.py read_identities_apart)."""
    identities, rows, errors, to_read = {}, [], {}, []
    for file in metas:
        row = prev.model_meta.get(file.stat.path) if file.unchanged else None
        if row is not None:
            key, identity = _identity_of_row(row)
            identities[key] = identity
            rows.append(row)
        elif file.unchanged and file.old["status"] == "quarantined":
            errors[file.stat.path] = file.old["reason"]
        else:
            to_read.append(file.stat)
    read_ids, read_rows, read_errors = read_identities_apart(IdentitiesJob(
        str(repo_root), to_read, max_file_bytes,
        {s.path: content(s) for s in to_read if s.skip is None}))
    identities.update(read_ids)
    errors.update(read_errors)
    return identities, sorted(rows + read_rows, key=lambda r: r["path"]), errors


def _identity_of_row(row: dict):
    """(identity key, (model name, revision)) a `model_meta` row gives its revision folder, as
    etl/segments.py read_identities does from the file."""
    model, revision, experiment, _ = split_path(row["path"])
    meta_revision = row["revision"]
    return (model, revision, experiment), \
        (row["name"], meta_revision if meta_revision is not None else revision)


def _parse_jobs(to_parse, repo_root, staged, build_id, max_file_bytes, identities, contents,
                workers):
    """One delta segment, or one per worker when there are enough files to share out."""
    if not to_parse:
        return []
    n = 1 if len(to_parse) <= IN_PROCESS_FILES else max(1, workers)
    chunk = -(-len(to_parse) // n)
    return [ParseJob(f"{DELTA_PREFIX}{build_id}{'' if n == 1 else f'-{i // chunk}'}.parquet",
                     str(repo_root), str(staged), to_parse[i:i + chunk], max_file_bytes,
                     identities,
                     {s.path: contents[s.path] for s in to_parse[i:i + chunk]
                      if s.path in contents})
            for i in range(0, len(to_parse), chunk)]


def _carry_segments(prev: Previous, outcome: Outcome, delta_rows: list[tuple], staged: Path,
                    build_id: str, run_jobs) -> None:
    """Link, compact or drop each previous segment; fill the segment map and superseded ids."""
    live, fresh = outcome.live_ids(), {row[1] for row in delta_rows}
    old = prev.segments
    ids = old.column("file_id")
    keep = pc.is_in(ids, value_set=pa.array(sorted(live - fresh), pa.int64()))
    weight = pc.add(old.column("scores"), old.column("metrics"))
    per_segment = {row["segment"]: row for row in pa.table({
        "segment": old.column("segment"), "keep": keep, "rows": weight,
        "metrics": old.column("metrics"), "dead": pc.if_else(keep, 0, weight),
        "fresh": pc.is_in(ids, value_set=pa.array(sorted(fresh), pa.int64())),
    }).group_by("segment").aggregate([("keep", "any"), ("fresh", "any"), ("rows", "sum"),
                                      ("metrics", "sum"), ("dead", "sum")]).to_pylist()}
    kept = [seg for seg, r in per_segment.items() if r["keep_any"]]   # the others are dropped

    def dead_share(seg):
        return per_segment[seg]["dead_sum"] / max(per_segment[seg]["rows_sum"], 1)

    # a segment holding a version parsed again (a file reverted) must not keep a second copy
    compact = [seg for seg in kept if per_segment[seg]["fresh_any"]]
    budget = COMPACT_BUDGET_SHARE * max(pc.sum(old.column("metrics")).as_py() or 0, 1)
    for seg in sorted((s for s in kept if s not in compact and dead_share(s) >= COMPACT_DEAD_SHARE),
                      key=dead_share, reverse=True):
        size = per_segment[seg]["metrics_sum"]
        if compact and size > budget:
            continue
        compact.append(seg)
        budget -= size
    linked = [seg for seg in kept if seg not in compact]
    deltas = sorted(seg for seg in linked if seg.startswith(DELTA_PREFIX))
    merges = []
    if len(deltas) + bool(outcome.new_segments) > MAX_DELTA_SEGMENTS:
        merges = deltas
        linked = [seg for seg in linked if seg not in deltas]
    keep_of = _kept_ids(old, keep, compact + merges)
    jobs = [CompactJob(seg, [seg], str(prev.build), str(staged), keep_of[seg]) for seg in compact]
    if merges:
        jobs.append(CompactJob(f"{DELTA_PREFIX}{build_id}-merged.parquet", merges,
                               str(prev.build), str(staged),
                               set().union(*(keep_of[d] for d in merges))))
    for table in SEGMENTED:  # (plain strings: pathlib cost ~0.2 s for ~20k links)
        source, target = f"{prev.build}/parquet/{table}/", f"{staged}/parquet/{table}/"
        present = set(os.listdir(source)) if os.path.isdir(source) else set()
        for seg in linked:
            if seg in present:
                os.link(source + seg, target + seg)
    in_linked = pc.is_in(old.column("segment"), value_set=pa.array(linked, pa.string()))
    carried = old.filter(in_linked)
    superseded = old.filter(pc.and_(in_linked, pc.invert(keep))).column("file_id")
    new_rows = list(delta_rows)
    for rows in run_jobs(compact_segment, jobs):
        new_rows.extend(rows)
    outcome.segments = pa.concat_tables([carried, segment_map_table(new_rows)])
    outcome.superseded = sorted(superseded.to_pylist())
    outcome.compacted = compact + merges


def _kept_ids(segment_map: pa.Table, keep: pa.Array, segments: list[str]) -> dict[str, set[int]]:
    """segment -> the ids whose rows a rewrite of that segment keeps."""
    out: dict[str, set[int]] = {seg: set() for seg in segments}
    if segments:
        mask = pc.and_(keep, pc.is_in(segment_map.column("segment"),
                                      value_set=pa.array(segments, pa.string())))
        rows = segment_map.filter(mask)
        for seg, fid in zip(rows.column("segment").to_pylist(), rows.column("file_id").to_pylist()):
            out[seg].add(fid)
    return out
