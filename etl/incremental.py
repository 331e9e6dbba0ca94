"""Incremental builds: which file versions changed since the previous build, and which segments
the new build keeps, compacts or adds (etl/segments.py explains segments).

    previous build's files + segment map, the repository's files now
        -> files whose version is unchanged keep their `files` row and their rows stay where they are
        -> files whose version is new (content or model identity changed, or added) are parsed
           into one delta segment
        -> versions no longer current are superseded: their segments are hard-linked as they are
           (the ids are listed in `superseded_files`), or compacted when mostly superseded

When more than `MAX_CHANGED_SHARE` of the result files changed (and more than a few thousand), a
full build is as fast and leaves no dead rows: `plan` returns None and the caller builds in full.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from etl.segments import (
    SEGMENTED, CompactJob, FileStat, ParseJob, classify, compact_segment, file_row, parse_segment,
    read_file, read_identities, read_segment_map, version_id,
)

MAX_CHANGED_SHARE = 0.25      # above it a full build is as fast as an incremental one
COMPACT_DEAD_SHARE = 0.3      # a segment with this share of superseded metric rows is rewritten
COMPACT_BUDGET_SHARE = 0.1    # rewrite at most this share of all metric rows per build
MAX_DELTA_SEGMENTS = 8        # more delta segments than this are merged into one
IN_PROCESS_FILES = 2000       # parse up to this many files in the ETL process (no pool start-up)
DELTA_PREFIX = "delta-"


@dataclass
class PrevFile:
    """What the previous build recorded of a file."""

    size: int
    mtime_ns: int
    row: dict          # its row of the `files` table


@dataclass
class Previous:
    build: Path
    files: dict[str, PrevFile]
    segments: dict[str, dict[int, tuple[int, int, int]]]   # segment -> file_id -> row counts


@dataclass
class Outcome:
    """What an incremental parse produced (the same fields a full build gathers)."""

    file_rows: list[dict]
    model_meta_rows: list[dict]
    segment_rows: list[tuple]          # the new build's segment map
    superseded: list[int]              # ids whose rows linked segments still hold
    new_segments: list[str]            # segments holding newly parsed versions
    parsed: int = 0
    unchanged: int = 0
    changed: bool = False
    compacted: list[str] = field(default_factory=list)


def load_previous(build: Path, state_file: str) -> Previous | None:
    """The previous build's files (with the size and mtime it saw) and its segment map."""
    segment_map = read_segment_map(build)
    if segment_map is None or not (build / state_file).exists():
        return None
    stats = pq.read_table(build / state_file)
    seen = dict(zip(stats.column("path").to_pylist(),
                    zip(stats.column("size").to_pylist(), stats.column("mtime_ns").to_pylist())))
    files = {}
    for row in pq.read_table(build / "parquet" / "files" / "files.parquet").to_pylist():
        size, mtime = seen.get(row["path"], (-1, -1))
        files[row["path"]] = PrevFile(size, mtime, row)
    segments: dict[str, dict[int, tuple[int, int, int]]] = {}
    columns = [segment_map.column(c).to_pylist() for c in ("segment", "file_id", *SEGMENTED)]
    for segment, fid, *counts in zip(*columns):
        segments.setdefault(segment, {})[fid] = tuple(counts)
    return Previous(build, files, segments)


def plan(stats: list[FileStat], repo_root: Path, staged: Path, prev: Previous, build_id: str,
         max_file_bytes: int, run_jobs) -> Outcome | None:
    """Parse what changed into the staged build and carry the rest forward.
    ``run_jobs(function, jobs)`` runs jobs (in a process pool when there are many) in order."""
    stats = sorted(stats, key=lambda s: s.path)
    contents: dict[str, tuple[bytes | None, str]] = {}

    def content(stat: FileStat):
        if stat.path not in contents:
            contents[stat.path] = read_file(repo_root / stat.path, stat, max_file_bytes)
        return contents[stat.path]

    metas = [s for s in stats if classify(s.path) == "model_meta"]
    identities, meta_rows, meta_errors = read_identities(metas, content)
    rows: dict[str, dict] = {}
    to_parse: list[FileStat] = []
    for stat in stats:
        before = prev.files.get(stat.path)
        same_stat = before is not None and (before.size, before.mtime_ns) == (stat.size, stat.mtime_ns)
        digest = before.row["content_hash"] if same_stat else content(stat)[1]
        if digest is None:  # unreadable before and unchanged since: read it again
            digest = content(stat)[1]
        kind = classify(stat.path)
        if kind != "result":
            row = file_row(stat, digest, identities)
            if kind == "other":
                row.update(status="skipped", reason="not a result JSON file")
            elif stat.path in meta_errors:
                row.update(status="quarantined", reason=meta_errors[stat.path])
            rows[stat.path] = row
            continue
        readable = not digest.startswith("!")
        if before is not None and before.row["file_id"] == version_id(
                stat.path, digest if readable else None, identities) \
                and before.row["size"] == stat.size:
            rows[stat.path] = before.row
        else:
            to_parse.append(stat)
    n_results = sum(classify(s.path) == "result" for s in stats)
    if len(to_parse) > max(MAX_CHANGED_SHARE * n_results, IN_PROCESS_FILES):
        return None

    jobs = _parse_jobs(to_parse, repo_root, staged, build_id, max_file_bytes, identities, contents)
    outcome = Outcome([], meta_rows, [], [], [])
    delta_rows = []
    for result in run_jobs(parse_segment, jobs):
        outcome.parsed += result.parsed
        for row in result.file_rows:
            rows[row["path"]] = row
        delta_rows.extend(result.versions)
        if result.versions:
            outcome.new_segments.append(result.segment)
    outcome.file_rows = [rows[s.path] for s in stats]
    outcome.unchanged = len(stats) - len(to_parse)
    previous_rows = sorted((p.row for p in prev.files.values()), key=lambda r: r["path"])
    outcome.changed = outcome.file_rows != previous_rows
    _carry_segments(prev, outcome, delta_rows, staged, build_id, run_jobs)
    return outcome


def _parse_jobs(to_parse, repo_root, staged, build_id, max_file_bytes, identities, contents):
    if not to_parse:
        return []
    if len(to_parse) <= IN_PROCESS_FILES:
        return [ParseJob(f"{DELTA_PREFIX}{build_id}.parquet", str(repo_root), str(staged),
                         to_parse, max_file_bytes, identities,
                         {s.path: contents[s.path] for s in to_parse if s.path in contents})]
    chunk = -(-len(to_parse) // 8)
    return [ParseJob(f"{DELTA_PREFIX}{build_id}-{i // chunk}.parquet", str(repo_root), str(staged),
                     to_parse[i:i + chunk], max_file_bytes, identities)
            for i in range(0, len(to_parse), chunk)]


def _carry_segments(prev: Previous, outcome: Outcome, delta_rows: list[tuple], staged: Path,
                    build_id: str, run_jobs) -> None:
    """Link, compact or drop each previous segment; fill the segment map and superseded ids."""
    live = {r["file_id"] for r in outcome.file_rows
            if r["status"] == "loaded" and r["n_entries"]}
    fresh = {row[1] for row in delta_rows}
    total_metrics = sum(c[1] for ids in prev.segments.values() for c in ids.values()) or 1
    keep_of = {seg: {f for f in ids if f in live and f not in fresh}
               for seg, ids in prev.segments.items()}

    def dead_share(seg):
        ids = prev.segments[seg]
        rows = sum(c[1] + c[0] for c in ids.values()) or 1
        return sum(c[1] + c[0] for f, c in ids.items() if f not in keep_of[seg]) / rows

    forced = [seg for seg, ids in prev.segments.items()
              if keep_of[seg] and not fresh.isdisjoint(ids)]  # a version parsed again (a revert)
    candidates = sorted((seg for seg in prev.segments if keep_of[seg] and seg not in forced
                         and dead_share(seg) >= COMPACT_DEAD_SHARE),
                        key=dead_share, reverse=True)
    budget = COMPACT_BUDGET_SHARE * total_metrics
    compact = list(forced)
    for seg in candidates:
        size = sum(c[1] for c in prev.segments[seg].values())
        if compact and size > budget:
            continue
        compact.append(seg)
        budget -= size
    linked = [seg for seg in prev.segments if keep_of[seg] and seg not in compact]
    jobs = [CompactJob(seg, [seg], str(prev.build), str(staged), keep_of[seg]) for seg in compact]
    deltas = sorted(seg for seg in linked if seg.startswith(DELTA_PREFIX))
    if len(deltas) + bool(outcome.new_segments) > MAX_DELTA_SEGMENTS:
        merged = f"{DELTA_PREFIX}{build_id}-merged.parquet"
        jobs.append(CompactJob(merged, deltas, str(prev.build), str(staged),
                               set().union(*(keep_of[d] for d in deltas))))
        linked = [seg for seg in linked if seg not in deltas]
        compact = compact + deltas
    for seg in linked:
        for table in SEGMENTED:
            source = prev.build / "parquet" / table / seg
            if source.exists():
                os.link(source, staged / "parquet" / table / seg)
    segment_rows = list(delta_rows)
    superseded = set()
    for seg in linked:
        for fid, counts in prev.segments[seg].items():
            segment_rows.append((seg, fid, *counts))
            if fid not in keep_of[seg]:
                superseded.add(fid)
    for rows in run_jobs(compact_segment, jobs):
        segment_rows.extend(rows)
    outcome.segment_rows = segment_rows
    outcome.superseded = sorted(superseded)
    outcome.compacted = compact
