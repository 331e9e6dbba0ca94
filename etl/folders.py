"""One model folder (results/<org>__<model>/) -> its Parquet partitions.

The model folder is the unit of storage: each table has one Parquet file per model folder, so an
incremental run hard-links the partitions of untouched folders from the previous build and only
rewrites folders where something changed. Within a changed folder, only files whose bytes changed
are parsed again; rows of unchanged files are copied from the previous partition (rows of one file
are contiguous and in path order, so a full rebuild and an incremental one write identical files).

Runs in worker processes: everything it needs arrives in the `FolderJob`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl import schema
from etl.parse import (
    MetricBuffer, ParsedResult, Quarantine, TaskCatalog, content_hash, emit_metrics, file_id_of,
    parse_result,
)

PARTITIONED = ("scores", "metrics", "metric_arrays")
PARQUET_OPTS = {"compression": "zstd", "compression_level": 3}


def write_parquet(table: pa.Table, path) -> None:
    """zstd Parquet without min/max statistics on floating-point columns: those statistics
    leave NaN out, and DuckDB 2.0.1 then prunes row groups for `isnan(x)` and returns nothing
    (tests/test_etl_nan_statistics.py shows it)."""
    floating = {f.name for f in table.schema
                if pa.types.is_floating(f.type)
                or (pa.types.is_list(f.type) and pa.types.is_floating(f.type.value_type))}
    keep = [name for name in table.column_names if name not in floating]
    pq.write_table(table, path, write_statistics=keep, **PARQUET_OPTS)


@dataclass
class FileStat:
    path: str          # relative to the repository root, e.g. results/org__m/rev/Task.json
    size: int
    mtime_ns: int


@dataclass
class PrevFile:
    """What the previous build recorded of a file."""

    size: int
    mtime_ns: int
    content_hash: str
    row: dict          # its row of the `files` table


@dataclass
class FolderJob:
    model_folder: str
    repo_root: str
    files: list[FileStat]
    out_dir: str                       # staging build directory
    prev: dict[str, PrevFile] = field(default_factory=dict)
    prev_dir: str | None = None        # previous build directory, when incremental
    max_file_bytes: int = 64 << 20


@dataclass
class FolderOutcome:
    model_folder: str
    file_rows: list[dict]
    model_meta_rows: list[dict]
    stats: list[tuple[str, int, int]]  # (path, size, mtime_ns) for the next incremental run
    parsed: int = 0
    unchanged: int = 0
    linked: bool = False
    changed: bool = False          # a file of the folder was added, modified or removed
    rows: dict[str, int] = field(default_factory=dict)


def partition_name(model_folder: str) -> str:
    return f"{file_id_of(model_folder):011x}.parquet"


def split_path(path: str) -> tuple[str, str | None, str | None, str]:
    """results/<model>/<revision>[/experiments/<exp>]/<file> -> (model, revision, experiment, file)."""
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


_CATALOG: TaskCatalog | None = None


def init_worker(catalog: TaskCatalog) -> None:
    global _CATALOG
    _CATALOG = catalog


def process_folder(job: FolderJob) -> FolderOutcome:
    catalog = _CATALOG
    root = Path(job.repo_root)
    outcome = FolderOutcome(job.model_folder, [], [], [])
    files = sorted(job.files, key=lambda f: f.path)
    current: dict[str, tuple[FileStat, bytes | None, str]] = {}
    for stat in files:
        prev = job.prev.get(stat.path)
        if prev is not None and prev.size == stat.size and prev.mtime_ns == stat.mtime_ns:
            current[stat.path] = (stat, None, prev.content_hash)
            continue
        data, digest = _read(root / stat.path, stat, job.max_file_bytes)
        current[stat.path] = (stat, data, digest)
    outcome.stats = [(s.path, s.size, s.mtime_ns) for s in files]

    changed = {p for p, (_s, _d, h) in current.items()
               if p not in job.prev or job.prev[p].content_hash != h}
    removed = {p for p in job.prev if p not in current}
    outcome.changed = bool(changed or removed)
    prev_parts = _prev_partitions(job)
    if not changed and not removed and prev_parts is not None:
        _link_partitions(job, prev_parts)
        outcome.linked = True
        outcome.unchanged = len(files)
        outcome.file_rows = [job.prev[p].row for p in sorted(current)]
        outcome.model_meta_rows = _identities(job, current, root)[1]
        return outcome

    identities, meta_rows, meta_errors = _identities(job, current, root)
    outcome.model_meta_rows = meta_rows
    prev_tables = _read_partitions(prev_parts) if prev_parts else None
    prev_slices = _file_slices(prev_tables) if prev_tables else {}

    pieces: dict[str, list] = {t: [] for t in PARTITIONED}
    builder = RowsBuilder()

    def flush():
        for table, value in builder.flush().items():
            pieces[table].append(value)
    for path in sorted(current):
        stat, data, digest = current[path]
        kind = classify(path)
        model, revision, experiment, _name = split_path(path)
        row = {
            "file_id": file_id_of(path), "path": path, "kind": kind, "model_folder": model,
            "revision_folder": revision, "experiment": experiment, "size": stat.size,
            "content_hash": digest, "status": "loaded", "reason": None, "n_entries": 0,
        }
        if kind == "other":
            row.update(status="skipped", reason="not a result JSON file")
        elif kind == "model_meta":
            if path in meta_errors:
                row.update(status="quarantined", reason=meta_errors[path])
        elif path not in changed and (path in prev_slices
                                      or job.prev[path].row["status"] != "loaded"
                                      or not job.prev[path].row["n_entries"]):
            # unchanged: its rows (none for a quarantined or empty file) come from the previous build
            outcome.unchanged += 1
            row = dict(job.prev[path].row)
            flush()
            for table in PARTITIONED:
                part = prev_slices.get(path, {}).get(table)
                if part is not None:
                    pieces[table].append(part)
        elif data is None and digest.startswith("!"):
            row.update(status="quarantined", reason=digest[1:], content_hash=None)
        else:
            if data is None:  # unchanged per its stat, but the previous build has no rows for it
                data, digest = _read(root / path, stat, job.max_file_bytes)
                row["content_hash"] = None if digest.startswith("!") else digest
            if data is None:
                row.update(status="quarantined", reason=digest[1:])
                outcome.file_rows.append(row)
                continue
            outcome.parsed += 1
            try:
                parsed = parse_result(data, catalog)
            except Quarantine as exc:
                row.update(status="quarantined", reason=str(exc))
            else:
                builder.add(path, digest, parsed, row["file_id"])
                row["n_entries"] = len(parsed.entries)
                row["reason"] = parsed.note
        outcome.file_rows.append(row)
    flush()

    for table in PARTITIONED:
        parts = [p for p in pieces[table] if p.num_rows]
        target = Path(job.out_dir) / "parquet" / table / partition_name(job.model_folder)
        if not parts:
            continue
        combined = pa.concat_tables(parts, promote_options="permissive")
        if table == "scores":
            combined = _apply_identities(combined, identities)
        combined = combined.cast(schema.TABLES[table])
        write_parquet(combined, target)
        outcome.rows[table] = combined.num_rows
    return outcome


def _read(path: Path, stat: FileStat, max_bytes: int) -> tuple[bytes | None, str]:
    """(bytes, content hash), or (None, '!reason') when the file cannot be read."""
    if stat.size > max_bytes:
        return None, f"!absurdly large: {stat.size} bytes (limit {max_bytes}, MTEB_LB_MAX_FILE_BYTES)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"!unreadable: {exc.strerror}"
    return data, content_hash(data)


def _prev_partitions(job: FolderJob) -> dict[str, Path] | None:
    """The previous build's partition files of this folder (absent tables omitted), or None."""
    if job.prev_dir is None or not job.prev:
        return None
    name = partition_name(job.model_folder)
    return {t: p for t in PARTITIONED
            if (p := Path(job.prev_dir) / "parquet" / t / name).exists()}


def _link_partitions(job: FolderJob, prev_parts: dict[str, Path]) -> None:
    for table, source in prev_parts.items():
        os.link(source, Path(job.out_dir) / "parquet" / table / source.name)


def _read_partitions(parts: dict[str, Path]) -> dict[str, pa.Table]:
    return {t: pq.read_table(p) for t, p in parts.items()}


def _file_slices(tables: dict[str, pa.Table]) -> dict[str, dict[str, pa.Table]]:
    """path -> {table: the rows of that file}, using that a file's rows are contiguous."""
    scores = tables.get("scores")
    if scores is None:
        return {}
    path_of = dict(zip(scores.column("file_id").to_pylist(), scores.column("path").to_pylist()))
    out: dict[str, dict[str, pa.Table]] = {p: {} for p in path_of.values()}
    for table_name, table in tables.items():
        file_ids = pc.shift_right(table.column("entry_id"), 20).combine_chunks()
        runs = pc.run_end_encode(file_ids)
        start = 0
        for end, fid in zip(runs.run_ends.to_pylist(), runs.values.to_pylist()):
            out[path_of[fid]][table_name] = table.slice(start, end - start)
            start = end
    return out


def _model_meta_paths(current) -> dict[tuple[str, str | None], str]:
    out = {}
    for path in current:
        _m, revision, experiment, name = split_path(path)
        if name == "model_meta.json" and revision is not None:
            out[(revision, experiment)] = path
    return out


def _identities(job: FolderJob, current, root: Path):
    """(revision folder, experiment) -> (model name, revision), with model_meta rows and errors."""
    identities: dict[tuple[str, str | None], tuple[str, str]] = {}
    rows, errors = [], {}
    for key, path in sorted(_model_meta_paths(current).items(), key=lambda kv: kv[1]):
        stat, data, _digest = current[path]
        if data is None:
            data, _ = _read(root / path, stat, job.max_file_bytes)
        try:
            meta = json.loads(data) if data is not None else None
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                raise ValueError("wrong shape: no string `name`")
        except (ValueError, UnicodeDecodeError) as exc:
            errors[path] = f"model_meta.json not loadable: {exc}"
            continue
        revision = meta.get("revision")
        identities[key] = (meta["name"], str(revision) if revision is not None else key[0])
        rows.append(_model_meta_row(path, key, meta))
    return identities, rows, errors


def _apply_identities(scores: pa.Table, identities) -> pa.Table:
    """Recompute model_name/revision of every row from the folder's current model_meta files."""
    names, revisions = [], []
    folder = scores.column("model_folder")[0].as_py()
    fallback_name = folder.replace("__", "/")
    for rev, exp in zip(scores.column("revision_folder").to_pylist(),
                        scores.column("experiment").to_pylist()):
        name, revision = identities.get((rev, exp), (fallback_name, rev))
        names.append(name)
        revisions.append(revision)
    idx = scores.schema.get_field_index("model_name")
    scores = scores.set_column(idx, schema.SCORES.field("model_name"), pa.array(names, pa.string()))
    idx = scores.schema.get_field_index("revision")
    return scores.set_column(idx, schema.SCORES.field("revision"), pa.array(revisions, pa.string()))


class RowsBuilder:
    """Accumulates the rows of consecutive parsed files; `flush()` turns them into Arrow tables
    once per run of files (not per file: per-table overhead dominated the parse otherwise)."""

    SCORE_COLUMNS = [f.name for f in schema.SCORES]

    def __init__(self):
        self._reset()

    def _reset(self):
        self.cols: dict[str, list] = {name: [] for name in self.SCORE_COLUMNS}
        self.buf = MetricBuffer()

    def add(self, path: str, digest: str, parsed: ParsedResult, file_id: int) -> None:
        model, revision, experiment, _ = split_path(path)
        cols, buf = self.cols, self.buf
        file_values = {
            "file_id": file_id, "model_name": None, "revision": None, "model_folder": model,
            "revision_folder": revision, "experiment": experiment, "task_name": parsed.task_name,
            "file_task_name": parsed.file_task_name, "mteb_version": parsed.mteb_version,
            "dataset_revision": parsed.dataset_revision, "evaluation_time": parsed.evaluation_time,
            "kg_co2_emissions": parsed.kg_co2_emissions, "date": parsed.date,
            "file_format": parsed.file_format, "path": path, "content_hash": digest,
        }
        n = len(parsed.entries)
        for name, value in file_values.items():
            cols[name].extend([value] * n)
        for i, entry in enumerate(parsed.entries):
            eid = (file_id << 20) | i
            cols["entry_id"].append(eid)
            cols["entry_no"].append(i)
            cols["split"].append(entry.split)
            cols["subset"].append(entry.subset)
            cols["languages"].append(entry.languages)
            cols["main_score"].append(entry.main_score)
            cols["entry_mteb_version"].append(entry.entry_mteb_version)
            emit_metrics(buf, eid, entry.metrics)

    def flush(self) -> dict[str, pa.Table]:
        if not self.cols["entry_id"]:
            return {}
        scores = pa.Table.from_pydict(self.cols, schema.SCORES)
        tables = {"scores": scores, "metrics": metrics_table(self.buf),
                  "metric_arrays": arrays_table(self.buf)}
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


def arrays_table(buf: MetricBuffer) -> pa.Table:
    return pa.table({
        "entry_id": pa.array(buf.array_entry_ids, pa.int64()),
        "metric": pa.array(buf.array_metrics, pa.string()),
        "values": pa.array(buf.array_values, pa.list_(pa.float64())),
    })


def _model_meta_row(path: str, key, meta: dict) -> dict:
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
