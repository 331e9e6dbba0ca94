"""Result rows stored as segments: Parquet files the tables scores, metrics, metric_arrays and
entry_checks share.

A segment is a Parquet file of the same name in parquet/scores/, parquet/metrics/,
parquet/metric_arrays/ and parquet/entry_checks/ (absent where it has no rows) holding the rows of
a set of file versions (`file_id`: path, content and model identity, etl/parse.py). A full build
writes one segment per model folder, parsed in parallel. An incremental build (etl/incremental.py)
hard-links the previous build's segments, parses only the files whose version changed and writes
their rows into one new delta segment. Rows of a version that is no longer current stay where they
are and are listed in `superseded_files`: the database's `scores` table drops them and its
`metrics`, `metric_arrays` and `entry_checks` views filter them out. Segments that are mostly
superseded are compacted (rewritten with their current rows) and delta segments are merged when
there are many, so the dead weight stays bounded; `mteb-lb etl --full` writes everything afresh.

`segments.parquet` in the build folder maps each segment to the versions it holds and their row
counts per table: the next incremental build plans from it without reading any segment.

The functions here run in worker processes: everything they need arrives in their job.
"""

from __future__ import annotations

import errno
import gc
import json
import math
import os
import signal
import stat as stat_mod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl import workers
from etl.parse import (
    ENTRY_KEYS_NOT_METRICS,
    MetricBuffer,
    ParsedResult,
    Quarantine,
    TaskCatalog,
    content_hash,
    emit_metrics_values,
    entry_checks,
    failure_reason,
    file_id_of,
    load_json,
    parse_result,
)
from etl.parse_fast import (
    EntryValues,
    FastParsed,
    Spotted,
    available,
    check_candidates,
    metric_positions,
    parse_fast,
)
from etl.workers import Retry, WorkerDied, run_jobs
from mteb_lb import schema, settings

# entry_checks: what the validity rules compare, per entry (etl/parse.py entry_checks)
SEGMENTED = ("scores", "metrics", "metric_arrays", "entry_checks")
SEGMENT_MAP = "segments.parquet"
SEGMENT_MAP_SCHEMA = pa.schema([
    ("segment", pa.string()), ("file_id", pa.int64()),
    *((table, pa.int64()) for table in SEGMENTED),   # rows of the version in each table
])
# zstd level 1: a third faster to write than level 3 for ~12 % more bytes
PARQUET_OPTS = {"compression": "zstd", "compression_level": 1}
# files written once and kept (the backfilled history, etl/backfill.py and etl/past_rows.py):
# level 3, 8-9 % fewer bytes than level 1 there, written and read as fast
# (docs/HISTORY.md §Session 28: the real year within 10 minutes)
KEPT_LEVEL = 3

# (model_folder, revision_folder, experiment) -> (model name, revision) from model_meta.json
Identities = dict[tuple[str, str | None, str | None], tuple[str, str]]


def write_parquet(table: pa.Table, path, row_group_size: int | None = None,
                  level: int | None = None) -> None:
    """zstd Parquet without min/max statistics on floating-point columns: those statistics
    leave NaN out, and DuckDB 2.0.1 then prunes row groups for `isnan(x)` and returns nothing
    (tests/test_etl_nan_statistics.py shows it). Dictionary encoding for the text columns only
    (metric names, model names, languages...): numbers and keys are mostly distinct, and their
    dictionaries cost time for larger files (the segments of 3,000 random files: a fifth less
    CPU to write, 5-15 % fewer bytes). `row_group_size`: rows per row group (default:
    pyarrow's, 1Mi); `level`: zstd's (default PARQUET_OPTS', 1)."""
    floating = {f.name for f in table.schema
                if pa.types.is_floating(f.type)
                or (pa.types.is_list(f.type) and pa.types.is_floating(f.type.value_type))}
    keep = [name for name in table.column_names if name not in floating]
    texts = [f.name for f in table.schema if pa.types.is_string(f.type)
             or (pa.types.is_list(f.type) and pa.types.is_string(f.type.value_type))]
    opts = {**PARQUET_OPTS, "compression_level": level or PARQUET_OPTS["compression_level"]}
    pq.write_table(table, path, write_statistics=keep, use_dictionary=texts,
                   row_group_size=row_group_size, **opts)


@dataclass
class FileStat:
    path: str          # relative to the repository root, e.g. results/org__m/rev/Task.json
    size: int
    mtime_ns: int
    # why the file is recorded as `skipped` and never opened (a symlink, a FIFO, a device,
    # a socket, a name that is not UTF-8); None for a regular file
    skip: str | None = None


@dataclass
class ParseJob:
    """Parse `files` and write their rows as segment `segment` of the build in `out_dir`."""

    segment: str
    repo_root: str
    out_dir: str
    files: list[FileStat]
    max_file_bytes: int
    # None: the files are a whole model folder, its model_meta.json files are read here
    identities: Identities | None = None
    # bytes the caller already read: path -> (bytes, hash) or (None, "!reason")
    contents: dict[str, tuple[bytes | None, str]] = field(default_factory=dict)


@dataclass
class ParseOutcome:
    segment: str
    file_rows: list[dict]
    model_meta_rows: list[dict]
    versions: list[tuple]      # segment map rows: (segment, file_id, scores, metrics, arrays)
    parsed: int = 0


@dataclass
class CompactJob:
    """Rewrite the rows of `keep` found in the previous build's segments `sources` as one
    segment `segment` (a compaction of one segment, or a merge of delta segments)."""

    segment: str
    sources: list[str]
    prev_dir: str
    out_dir: str
    keep: set[int]


def segment_name(model_folder: str) -> str:
    """The segment a full build writes for a model folder."""
    return f"{file_id_of(model_folder):011x}.parquet"


def split_path(path: str) -> tuple[str, str | None, str | None, str]:
    """results/<model>/<revision>[/experiments/<exp>]/<file>
    -> (model, revision, experiment, file)."""
    parts = path.split("/")
    if len(parts) == 4:
        return parts[1], parts[2], None, parts[3]
    if len(parts) == 6 and parts[3] == "experiments":
        return parts[1], parts[2], parts[4], parts[5]
    return (parts[1] if len(parts) > 2 else None), None, None, parts[-1]


def classify(path: str) -> str:
    _model, revision, _exp, name = split_path(path)
    if revision is None or not name.endswith(".json"):
        return "other"
    return "model_meta" if name == "model_meta.json" else "result"


def identity_of(path: str, identities: Identities) -> tuple[str, str | None]:
    """(model name, revision) of a result file: its revision folder's model_meta.json, else the
    folder names as mteb reads them."""
    model, revision, experiment, _ = split_path(path)
    found = identities.get((model, revision, experiment))
    if found is not None:
        return found
    return (model or "").replace("__", "/"), revision


def version_id(path: str, digest: str | None, identities: Identities) -> int:
    """file_id of a file's current version (see etl/parse.py file_id_of)."""
    if classify(path) == "result":
        return file_id_of(path, digest, *identity_of(path, identities))
    return file_id_of(path, digest)


_CATALOG: TaskCatalog | None = None


def init_worker(catalog: TaskCatalog) -> None:
    global _CATALOG
    _CATALOG = catalog


def main_metrics(catalog: TaskCatalog | None) -> dict[str, str]:
    """task name -> the metric it declares as main (the `tasks` table's main_score)."""
    if catalog is None:
        return {}
    return {name: info.main_score for name, info in catalog.tasks.items() if info.main_score}


# a symlink is not followed, a FIFO does not block the open
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def read_file(path: Path, stat: FileStat, max_bytes: int) -> tuple[bytes | None, str]:
    """(bytes, content hash), or (None, '!reason') when the file cannot be read. Only a regular
    file is read (checked on the open descriptor, so a file swapped for a link or a FIFO after
    the scan is refused), and never more than `max_bytes` + 1 bytes, whatever its size says."""
    if stat.skip is not None:
        return None, f"!{stat.skip}"
    too_large = f"!absurdly large: {{}} bytes (limit {max_bytes}, MTEB_LB_MAX_FILE_BYTES)"
    if stat.size > max_bytes:
        return None, too_large.format(stat.size)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "!unreadable: became a symbolic link after the scan"
        return None, f"!unreadable: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            return None, "!unreadable: not a regular file any more"
        if st.st_size > max_bytes:
            return None, too_large.format(st.st_size)
        chunks, total = [], 0
        while total <= max_bytes:  # until end of file, at most max_bytes + 1
            chunk = os.read(fd, min(max(st.st_size, 1 << 16), max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        return None, f"!unreadable: {exc.strerror}"
    finally:
        os.close(fd)
    if total > max_bytes:
        return None, too_large.format(f"more than {max_bytes}")
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return data, content_hash(data)


def read_identities(files: list[FileStat], content: Callable[[FileStat], tuple]):
    """Model identities of the model_meta.json files among `files`, with their `model_meta` rows
    and the reasons of those that cannot be loaded (path -> reason; the results of that folder
    then take their identity from the folder names, as mteb does)."""
    identities: Identities = {}
    max_depth = settings.get("max_json_depth")
    rows, errors = [], {}
    for stat in sorted(files, key=lambda f: f.path):
        model, revision, experiment, name = split_path(stat.path)
        if name != "model_meta.json" or revision is None:
            continue
        if stat.skip is not None:
            continue
        try:
            data, digest = content(stat)
            if data is None:
                raise Quarantine(digest[1:])
            meta = load_json(data, max_depth)
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                raise Quarantine("wrong shape: no string `name`")
            meta_revision = meta.get("revision")
            identity = (meta["name"], str(meta_revision) if meta_revision is not None else revision)
            row = _model_meta_row(stat.path, meta)
        except Exception as exc:  # noqa: BLE001 - any failure costs this file only
            errors[stat.path] = (f"model_meta.json not loadable: {failure_reason(exc)}; "
                                 "model name and revision taken from the folder names")
            continue
        identities[(model, revision, experiment)] = identity
        rows.append(row)
    return identities, rows, errors


@dataclass
class IdentitiesJob:
    """Read the model_meta.json files among `files` (etl/segments.py read_identities)."""

    repo_root: str
    files: list[FileStat]
    max_file_bytes: int
    contents: dict[str, tuple[bytes | None, str]] = field(default_factory=dict)


def _identities_of(job: IdentitiesJob):
    root = Path(job.repo_root)
    metas = [f for f in job.files if classify(f.path) == "model_meta"]
    time_limit = settings.get("parse_time_limit_s") if workers.IN_WORKER else 0
    if time_limit > 0:
        signal.setitimer(signal.ITIMER_REAL, time_limit * max(1, len(metas)))

    def content(stat: FileStat):
        return job.contents.get(stat.path) or read_file(root / stat.path, stat, job.max_file_bytes)

    found = read_identities(metas, content)
    if time_limit > 0:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return found


def read_identities_apart(job: IdentitiesJob):
    """`read_identities` in a parser process of its own, for the ETL process itself: a
    model_meta.json that kills its parser then quarantines the model_meta.json files of `job`
    (their folders fall back to the folder names) instead of stopping the build."""
    if not any(classify(f.path) == "model_meta" and f.skip is None for f in job.files):
        return {}, [], {}
    try:
        return next(run_jobs(_identities_of, [job], 1))
    except WorkerDied as exc:
        reason = (f"model_meta.json not loadable: {exc.reason}; model name and revision taken "
                  "from the folder names")
        return {}, [], {f.path: reason for f in job.files
                        if classify(f.path) == "model_meta" and f.skip is None}


def file_row(stat: FileStat, digest: str, identities: Identities) -> dict:
    """The `files` row of a file before parsing (status loaded, no entries)."""
    model, revision, experiment, _name = split_path(stat.path)
    readable = not digest.startswith("!")
    return {
        "file_id": version_id(stat.path, digest if readable else None, identities),
        "path": stat.path, "kind": classify(stat.path), "model_folder": model,
        "revision_folder": revision, "experiment": experiment, "size": stat.size,
        "content_hash": digest if readable else None, "status": "loaded", "reason": None,
        "n_entries": 0,
    }


def unparsed_row(stat: FileStat, digest: str, identities: Identities,
                 meta_errors: dict[str, str]) -> dict:
    """The `files` row of a file that is not parsed as a result (status set), or the row of a
    result file to parse (status `loaded` until parsing says otherwise)."""
    row = file_row(stat, digest, identities)
    if stat.skip is not None:
        row.update(status="skipped", reason=stat.skip)
    elif row["kind"] == "other":
        row.update(status="skipped", reason="not a result JSON file")
    elif row["kind"] == "model_meta":
        if stat.path in meta_errors:
            row.update(status="quarantined", reason=meta_errors[stat.path])
    elif digest.startswith("!"):
        row.update(status="quarantined", reason=digest[1:])
    return row


def parse_segment(job: ParseJob) -> ParseOutcome:
    """Parse the files of `job` and write their rows as one segment. A file that cannot be
    read or interpreted (whatever the exception) is quarantined and costs nothing else; in a
    parser process, a file taking longer than MTEB_LB_PARSE_TIME_LIMIT_S ends the process
    (SIGALRM), and the caller retries the job file by file (`retry_parts`).

    The cyclic garbage collector is paused meanwhile: decoding and the rows of a segment make
    millions of objects, none in a reference cycle, and each collection walked all of them
    (parse_segment of 3,000 random files: 1.03 -> 0.88 s of CPU); what the job frees goes by
    reference counting as before."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _parse_segment(job)
    finally:
        if paused:
            gc.enable()


def _parse_segment(job: ParseJob) -> ParseOutcome:
    catalog = _CATALOG
    root = Path(job.repo_root)
    contents = dict(job.contents)
    max_depth = settings.get("max_json_depth")
    time_limit = settings.get("parse_time_limit_s") if workers.IN_WORKER else 0

    def content(stat: FileStat):
        if stat.path not in contents:
            contents[stat.path] = read_file(root / stat.path, stat, job.max_file_bytes)
        return contents[stat.path]

    files = sorted(job.files, key=lambda f: f.path)
    if time_limit > 0:  # for the model_meta.json files read first
        signal.setitimer(signal.ITIMER_REAL, time_limit * (1 + sum(
            classify(f.path) == "model_meta" for f in files)))
    if job.identities is None:
        identities, meta_rows, meta_errors = read_identities(files, content)
    else:
        identities, meta_rows, meta_errors = job.identities, [], {}
    outcome = ParseOutcome(job.segment, [], meta_rows, [])
    builder = RowsBuilder(main_metrics(catalog))
    fast = available()
    for stat in files:
        if time_limit > 0:
            signal.setitimer(signal.ITIMER_REAL, time_limit)
        data, digest = content(stat)
        row = unparsed_row(stat, digest, identities, meta_errors)
        if row["kind"] == "result" and row["status"] == "loaded":
            outcome.parsed += 1
            mark = builder.mark()
            try:
                read = parse_fast(data, builder.buf.names, max_depth) if fast else None
                if read is not None and builder.takes_fast(read):
                    parsed = read.parsed
                    builder.add_fast(stat.path, digest, read, row["file_id"],
                                     identity_of(stat.path, identities))
                else:
                    parsed = parse_result(data, catalog, max_depth)
                    builder.add(stat.path, digest, parsed, row["file_id"],
                                identity_of(stat.path, identities))
            except Exception as exc:  # noqa: BLE001 - any failure costs this file only
                builder.rollback(mark)
                row.update(status="quarantined", reason=failure_reason(exc))
            else:
                row["n_entries"] = len(parsed.entries)
                row["reason"] = parsed.note
        outcome.file_rows.append(row)
        contents.pop(stat.path, None)  # the bytes are not needed any more
    if time_limit > 0:
        signal.setitimer(signal.ITIMER_REAL, 0)
    outcome.versions = _write_segment(builder.flush(), Path(job.out_dir), job.segment)
    return outcome


def _remove_segment(job: ParseJob) -> None:
    """Whatever a parse job that died wrote of its segment."""
    for table in SEGMENTED:
        Path(job.out_dir, "parquet", table, job.segment).unlink(missing_ok=True)


def retry_parts(job: ParseJob) -> tuple[ParseOutcome, list[ParseJob]]:
    """A parse job whose process died, split for a retry: the outcome of the files it does
    not parse as results (its model_meta.json files, read here, skipped and unreadable files)
    and one job per result file, each in a segment of its own."""
    _remove_segment(job)
    root = Path(job.repo_root)
    contents = dict(job.contents)

    def content(stat: FileStat):
        if stat.path not in contents:
            contents[stat.path] = read_file(root / stat.path, stat, job.max_file_bytes)
        return contents[stat.path]

    files = sorted(job.files, key=lambda f: f.path)
    if job.identities is None:
        identities, meta_rows, meta_errors = read_identities_apart(IdentitiesJob(
            job.repo_root, files, job.max_file_bytes, contents))
    else:
        identities, meta_rows, meta_errors = job.identities, [], {}
    base = ParseOutcome(job.segment, [], meta_rows, [])
    parts = []
    stem = job.segment.removesuffix(".parquet")
    for i, stat in enumerate(files):
        if classify(stat.path) == "result" and stat.skip is None:
            parts.append(ParseJob(f"{stem}-{i:05d}.parquet", job.repo_root, job.out_dir, [stat],
                                  job.max_file_bytes, identities,
                                  {stat.path: contents[stat.path]} if stat.path in contents
                                  else {}))
        else:
            base.file_rows.append(unparsed_row(stat, content(stat)[1], identities, meta_errors))
    return base, parts


def died_outcome(job: ParseJob, reason: str) -> ParseOutcome:
    """The outcome of a one-file parse job whose process died: the file quarantined."""
    _remove_segment(job)
    stat, = job.files
    data, digest = job.contents.get(stat.path) or read_file(
        Path(job.repo_root) / stat.path, stat, job.max_file_bytes)
    row = unparsed_row(stat, digest, job.identities or {}, {})
    if row["status"] == "loaded":
        row.update(status="quarantined", reason=reason)
    return ParseOutcome(job.segment, [row], [], [], parsed=1)


def merged_outcome(base: ParseOutcome, parts: list[ParseOutcome]) -> ParseOutcome:
    """The outcome of a job retried file by file (`retry_parts`)."""
    for part in parts:
        base.file_rows.extend(part.file_rows)
        base.model_meta_rows.extend(part.model_meta_rows)
        base.versions.extend(part.versions)
        base.parsed += part.parsed
    return base


# how etl/workers.py retries a parse job whose process died
PARSE_RETRY = Retry(retry_parts, died_outcome, merged_outcome)


def compact_segment(job: CompactJob) -> list[tuple]:
    """Write the kept rows of the source segments as one segment; returns its map rows."""
    keep = pa.array(sorted(job.keep), pa.int64())
    tables = {}
    for table in SEGMENTED:
        parts = []
        for source in job.sources:
            path = Path(job.prev_dir) / "parquet" / table / source
            if path.exists():
                data = pq.read_table(path)
                mask = pc.is_in(pc.shift_right(data.column("entry_id"), 20), value_set=keep)
                parts.append(data.filter(mask))
        if parts:
            tables[table] = pa.concat_tables(parts)
    return _write_segment(tables, Path(job.out_dir), job.segment)


def _write_segment(tables: dict[str, pa.Table], out_dir: Path, segment: str) -> list[tuple]:
    """Write the non-empty tables; returns the segment map rows of the versions written."""
    counts: dict[int, list[int]] = {}
    for i, table in enumerate(SEGMENTED):
        data = tables.get(table)
        if data is None or not data.num_rows:
            continue
        write_parquet(data.cast(schema.TABLES[table]), out_dir / "parquet" / table / segment)
        ids = pc.value_counts(pc.shift_right(data.column("entry_id"), 20))
        for item in ids.to_pylist():
            counts.setdefault(item["values"], [0] * len(SEGMENTED))[i] = item["counts"]
    return [(segment, fid, *n) for fid, n in sorted(counts.items())]


def read_segment_map(build: Path) -> pa.Table | None:
    path = build / SEGMENT_MAP
    return pq.ParquetFile(path).read() if path.exists() else None


def segment_map_table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in SEGMENT_MAP_SCHEMA]
    return pa.table([pa.array(c, f.type) for c, f in zip(columns, SEGMENT_MAP_SCHEMA)],
                    schema=SEGMENT_MAP_SCHEMA)


def write_segment_map(table: pa.Table, build: Path) -> None:
    pq.write_table(table.sort_by([("segment", "ascending"), ("file_id", "ascending")]),
                   build / SEGMENT_MAP)


_CHECK_SHAPES: dict[str | None, dict] = {}
_CHECK_PROGRAMS: dict[str | None, dict] = {}
CHECK_SHAPES_KEPT = 20_000


class RowsBuilder:
    """Accumulates the rows of consecutive parsed files; `flush()` turns them into Arrow tables
    once per run of files (not per file: per-table overhead dominated the parse otherwise)."""

    SCORE_COLUMNS = [f.name for f in schema.SCORES]

    def __init__(self, main_metrics: dict[str, str] | None = None):
        self.main_metrics = main_metrics or {}
        # main metric -> keys -> CheckShape, shared by the segments a process parses (a shape
        # depends on those two only; 60 random model folders made 931 shapes of ~70 us each
        # when each segment made its own, 199 so), emptied past CHECK_SHAPES_KEPT shapes
        if sum(map(len, _CHECK_SHAPES.values())) > CHECK_SHAPES_KEPT:
            _CHECK_SHAPES.clear()
            _CHECK_PROGRAMS.clear()
        self.check_shapes: dict[str | None, dict] = _CHECK_SHAPES
        # main metric -> keys -> etl.parse_fast.check_program (add_fast), kept with the shapes
        self.check_programs: dict[str | None, dict] = _CHECK_PROGRAMS
        self.positions: dict[tuple, dict] = {}  # keys -> metric name -> index (add_fast)
        self._reset()

    def _reset(self):
        self.cols: dict[str, list] = {name: [] for name in self.SCORE_COLUMNS}
        self.buf = MetricBuffer()
        self.checks: list[tuple] = []   # (entry_id, *etl.parse.entry_checks)

    def mark(self) -> tuple[int, int, int, int, int]:
        """Where the rows end now: `rollback(mark)` drops what a failed `add` left."""
        buf = self.buf
        return len(self.cols["entry_id"]), len(buf.run_ids), len(buf.values), \
            len(buf.array_entry_ids), len(self.checks)

    def rollback(self, mark: tuple[int, int, int, int, int]) -> None:
        entries, runs, values, arrays, checks = mark
        del self.checks[checks:]
        for column in self.cols.values():
            del column[entries:]
        buf = self.buf
        del buf.run_ids[runs:], buf.run_ends[runs:], buf.codes[values:], buf.values[values:]
        while buf.null_positions and buf.null_positions[-1] >= values:
            buf.null_positions.pop()
        for pos in [p for p in buf.texts if p >= values]:
            del buf.texts[pos]
        del buf.array_entry_ids[arrays:], buf.array_metrics[arrays:], buf.array_values[arrays:]

    def _add_file(self, path: str, digest: str, parsed: ParsedResult, file_id: int,
                  identity: tuple[str, str | None]) -> None:
        """The file's own columns of its `scores` rows, one per entry."""
        model, revision, experiment, _ = split_path(path)
        cols = self.cols
        file_values = {
            "file_id": file_id, "model_name": identity[0], "revision": identity[1],
            "model_folder": model,
            "revision_folder": revision, "experiment": experiment, "task_name": parsed.task_name,
            "file_task_name": parsed.file_task_name, "mteb_version": parsed.mteb_version,
            "dataset_revision": parsed.dataset_revision, "evaluation_time": parsed.evaluation_time,
            "kg_co2_emissions": parsed.kg_co2_emissions, "date": parsed.date,
            "file_format": parsed.file_format, "path": path, "content_hash": digest,
        }
        n = len(parsed.entries)
        for name, value in file_values.items():
            cols[name].extend([value] * n)

    def add(self, path: str, digest: str, parsed: ParsedResult, file_id: int,
            identity: tuple[str, str | None]) -> None:
        self._add_file(path, digest, parsed, file_id, identity)
        cols, buf = self.cols, self.buf
        main_metric = self.main_metrics.get(parsed.task_name)
        shapes = self.check_shapes.get(main_metric)
        if shapes is None:
            shapes = self.check_shapes[main_metric] = {}
        for i, entry in enumerate(parsed.entries):
            eid = (file_id << 20) | i
            cols["entry_id"].append(eid)
            cols["entry_no"].append(i)
            cols["split"].append(entry.split)
            cols["subset"].append(entry.subset)
            cols["languages"].append(entry.languages)
            cols["main_score"].append(entry.main_score)
            cols["entry_mteb_version"].append(entry.entry_mteb_version)
            keys, values = emit_metrics_values(buf, eid, entry.metrics)
            checked = entry_checks(entry.metrics, main_metric, shapes, keys,
                                   main_score=entry.main_score, values=values)
            if checked is not None:
                self.checks.append((eid, *checked))

    def takes_fast(self, fast: FastParsed) -> bool:
        """Whether `add_fast` can take a file the compiled parser read (not when its task's main
        metric is a key that is not a metric: `entry_checks` then reads the entry's dict)."""
        return self.main_metrics.get(fast.parsed.task_name) not in ENTRY_KEYS_NOT_METRICS

    def add_fast(self, path: str, digest: str, fast: FastParsed, file_id: int,
                 identity: tuple[str, str | None]) -> None:
        """`add` of a file the compiled parser read (etl/parse_fast.py): its metric codes and
        values are appended at once, the rows are those `add` gives for the same file."""
        parsed = fast.parsed
        self._add_file(path, digest, parsed, file_id, identity)
        cols, buf = self.cols, self.buf
        main_metric = self.main_metrics.get(parsed.task_name)
        shapes = self.check_shapes.get(main_metric)
        if shapes is None:
            shapes = self.check_shapes[main_metric] = {}
        positions = self.positions
        base = len(buf.values)
        buf.codes.frombytes(fast.codes)
        buf.values.frombytes(fast.values)
        view = memoryview(fast.values).cast("d")
        splits, subsets, languages, scores, versions, keys_of, starts, ends, spots_of = \
            fast.columns
        first = file_id << 20
        ids = range(first, first + len(keys_of))  # (file_id << 20) | entry number
        cols["entry_id"].extend(ids)
        cols["entry_no"].extend(range(len(keys_of)))
        cols["split"].extend(splits)
        cols["subset"].extend(subsets)
        cols["languages"].extend(languages)
        cols["main_score"].extend(scores)
        cols["entry_mteb_version"].extend(versions)
        buf.run_ids.extend(ids)
        buf.run_ends.extend([base + end for end in ends])
        arr_entries, arr_names, arr_values = fast.arrays
        if arr_names:
            buf.array_entry_ids.extend([first + i for i in arr_entries])
            buf.array_metrics.extend(arr_names)
            buf.array_values.extend(arr_values)
        checks, entry = self.checks, EntryValues()
        programs = self.check_programs.get(main_metric)
        if programs is None:
            programs = self.check_programs[main_metric] = {}
        # the entries that may have an `entry_checks` row, found in C (a few in a thousand);
        # every entry when the extension cannot (`entry_checks` decides either way)
        found = check_candidates(fast, main_metric, shapes, programs)
        rows = zip(ids, keys_of, scores, starts, ends, spots_of) if found is None else \
            ((first + i, keys_of[i], scores[i], starts[i], ends[i], spots_of[i]) for i in found)
        for eid, keys, score, start, end, spots in rows:
            key = keys if spots is None else Spotted(keys, spots)
            at = positions.get(key)
            if at is None:
                at = positions[key] = metric_positions(keys, spots)
            entry.positions = at
            entry.values = values = view[start:end]
            # the values in key order only when every key holds a number (`values` of
            # entry_checks); otherwise entry_checks reads them by name
            checked = entry_checks(entry, main_metric, shapes, keys, main_score=score,
                                   values=values if spots is None else None)
            if checked is not None:
                checks.append((eid, *checked))

    def flush(self) -> dict[str, pa.Table]:
        if not self.cols["entry_id"]:
            return {}
        scores = pa.Table.from_pydict(self.cols, schema.SCORES)
        tables = {"scores": scores, "metrics": metrics_table(self.buf),
                  "metric_arrays": arrays_table(self.buf),
                  "entry_checks": checks_table(self.checks)}
        self._reset()
        return tables


def metrics_table(buf: MetricBuffer) -> pa.Table:
    n = len(buf)
    run_ids, run_ends, prev = [], [], 0
    for eid, end in zip(buf.run_ids, buf.run_ends):
        if end > prev:  # entries without scalar metrics have an empty run
            run_ids.append(eid)
            run_ends.append(end)
            prev = end
    if n:
        entry_ids = pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(
            pa.array(run_ends, pa.int64()), pa.array(run_ids, pa.int64())))
    else:
        entry_ids = pa.array([], pa.int64())
    names = [None] * len(buf.names)
    for name, code in buf.names.items():
        names[code] = name
    codes = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(buf.codes)])
    metric = pc.take(pa.array(names, pa.string()), codes)
    validity = None
    if buf.null_positions:
        bitmap = bytearray(b"\xff" * ((n + 7) // 8))
        for pos in buf.null_positions:
            bitmap[pos >> 3] &= ~(1 << (pos & 7)) & 0xFF
        validity = pa.py_buffer(bytes(bitmap))
    values = pa.Array.from_buffers(pa.float64(), n, [validity, pa.py_buffer(buf.values)],
                                   null_count=len(buf.null_positions))
    if buf.texts:
        texts = [None] * n
        for pos, text in buf.texts.items():
            texts[pos] = text
        text = pa.array(texts, pa.string())
    else:
        text = pa.nulls(n, pa.string())
    return pa.table({"entry_id": entry_ids, "metric": metric, "value": values, "text": text})


def checks_table(rows: list[tuple]) -> pa.Table:
    """The `entry_checks` rows of (entry_id, *etl.parse.entry_checks) tuples."""
    columns = list(zip(*rows)) if rows else [[] for _ in schema.ENTRY_CHECKS]
    return pa.table([pa.array(c, f.type) for c, f in zip(columns, schema.ENTRY_CHECKS)],
                    schema=schema.ENTRY_CHECKS)


def arrays_table(buf: MetricBuffer) -> pa.Table:
    return pa.table({
        "entry_id": pa.array(buf.array_entry_ids, pa.int64()),
        "metric": pa.array(buf.array_metrics, pa.string()),
        "values": pa.array(buf.array_values, pa.list_(pa.float64())),
    })


def _model_meta_row(path: str, meta: dict) -> dict:
    model, revision_folder, experiment, _ = split_path(path)

    def num(k):
        v = meta.get(k)
        if isinstance(v, list):
            v = max((x for x in v if isinstance(x, (int, float))), default=None)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def strs(k):
        v = meta.get(k)
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return sorted(v)
        if isinstance(v, list):
            return [str(x) for x in v]
        return None

    def text(k):
        v = meta.get(k)
        return None if v is None else str(v)

    def flag(k):
        v = meta.get(k)
        return v if isinstance(v, bool) else None

    memory = meta.get("memory_usage_mb", meta.get("memory_usage"))
    return {
        "path": path, "model_folder": model, "revision_folder": revision_folder,
        "experiment": experiment, "name": meta.get("name"), "revision": text("revision"),
        "release_date": text("release_date"), "n_parameters": num("n_parameters"),
        "memory_usage_mb": float(memory) if isinstance(memory, (int, float)) else None,
        "embed_dim": num("embed_dim"), "max_tokens": num("max_tokens"),
        "license": text("license"), "open_weights": flag("open_weights"),
        "use_instructions": flag("use_instructions"), "framework": strs("framework"),
        "modalities": strs("modalities"), "model_type": strs("model_type"),
        "reference": text("reference"), "training_datasets": strs("training_datasets"),
        "adapted_from": text("adapted_from"),
        "raw_json": json.dumps(_json_safe(meta), sort_keys=True),
    }


def _json_safe(value):
    """NaN and Infinity (valid for Python's json, not for JSON) become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
