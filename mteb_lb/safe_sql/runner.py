"""Layer 4 of the safe path (see the package's docstring): a checked query run on a fresh cursor
of the hardened connection under time, row, byte and memory limits that cover the whole
request, returned as a capped :class:`Result` or streamed to a file by :func:`export`."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable

import duckdb
import pyarrow as pa

from mteb_lb import db, output, settings, warehouse
from mteb_lb.safe_sql import gate
from mteb_lb.safe_sql.errors import Position, SqlError, without_setting_advice
from mteb_lb.safe_sql.gate import (
    _excerpt_position,
    _parse_error_position,
    _position,
    _strip_excerpt,
    _strip_prefix,
)
from mteb_lb.safe_sql.tokens import byte_to_char

EXPORT_FORMATS = ("csv", "parquet", "json")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB's spelling, e.g. "VARCHAR[]", "DECIMAL(18,3)"


@dataclass
class Result:
    """A capped query result: DuckDB column types, rows, truncation and timing."""

    columns: list[Column]
    table: pa.Table
    truncated: bool
    elapsed_ms: float
    build: str | None = None  # id of the build the query ran on
    _rows: list[tuple] | None = field(default=None, repr=False)
    #: why the result is truncated: "rows" (the row cap) or "bytes" (the sql_max_bytes cap)
    truncated_by: str | None = None

    @property
    def rows(self) -> list[tuple]:
        if self._rows is None:
            self._rows = output.rows(self.table)
        return self._rows

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_dict(self) -> dict:
        """A JSON-safe dict: NaN/inf -> None, dates -> ISO strings, lists stay lists."""
        return {
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "rows": [[output.jsonable(v) for v in row] for row in self.rows],
            "truncated": self.truncated,
            **({"truncated_by": self.truncated_by} if self.truncated_by else {}),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

    def to_csv(self) -> str:
        return output.to_text(self.table, "csv")


class _Deadline:
    """Interrupt ``cursor`` after ``limit_ms``; ``fired`` tells a timeout from other interrupts."""

    def __init__(self, cursor, limit_ms: int):
        self.cursor = cursor
        self.limit_ms = limit_ms
        self.fired = False
        self.ends_at = time.monotonic() + limit_ms / 1000.0
        self._timer = threading.Timer(limit_ms / 1000.0, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        try:
            self.cursor.interrupt()
        except Exception:  # the cursor may be closed already
            pass

    def check(self) -> None:
        """Raise the timeout error once the limit has passed (work done in Python between two
        DuckDB calls cannot be interrupted by the timer)."""
        if self.fired or time.monotonic() >= self.ends_at:
            self.fired = True
            raise SqlError(f"query exceeded the {_seconds(self.limit_ms)} limit", "timeout")

    def __enter__(self):
        self.ends_at = time.monotonic() + self.limit_ms / 1000.0
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _plan_error_position(cursor, sql: str) -> Position | None:
    """Where a binder or catalog error is. The relation API (``cursor.sql``) drops DuckDB's
    ``LINE n:`` excerpt for these, but ``json_serialize_plan`` binds without executing and
    reports the byte offset."""
    try:
        raw = cursor.execute("SELECT json_serialize_plan(?)", [sql]).fetchall()[0][0]
        info = json.loads(raw)
    except Exception:  # noqa: BLE001 - a position is a nicety
        return None
    if not info.get("error") or info.get("position") in (None, ""):
        return None
    return _position(sql, byte_to_char(sql, int(info["position"])))

_IO_ERRORS = ("IO Error", "Invalid Input Error", "Serialization Error", "INTERNAL Error",
              "Invalid Error", "FATAL Error")


def _classify(exc: BaseException, sql: str, deadline: _Deadline | None,
              cursor=None, build_dir: str | None = None) -> Exception:
    """The SqlError a failure means for the user, or a DamagedBuildError when reading the
    build failed because the build itself is damaged (not the query's fault)."""
    text = str(exc)
    if isinstance(exc, (SqlError, warehouse.WarehouseError)):
        return exc
    if build_dir is not None and text.startswith(_IO_ERRORS):
        reason = warehouse.check_build(Path(build_dir))
        if reason is not None:
            return warehouse.DamagedBuildError(Path(build_dir), reason)
    if isinstance(exc, duckdb.InterruptException) or text.startswith("INTERRUPT Error"):
        if deadline is not None and deadline.fired:
            return SqlError(f"query exceeded the {_seconds(deadline.limit_ms)} limit", "timeout")
        return SqlError("query was interrupted", "timeout")
    message = without_setting_advice(_strip_excerpt(_strip_prefix(text)))
    if isinstance(exc, duckdb.ParserException) or text.startswith("Parser Error"):
        return SqlError(message, "syntax", _parse_error_position(sql, text))
    position = _excerpt_position(sql, text)
    if position is None and cursor is not None and re.match(r"^(Binder|Catalog) Error", text):
        position = _plan_error_position(cursor, sql)
    if (isinstance(exc, duckdb.PermissionException) or text.startswith("Permission Error")
            or "read-only mode" in text or "configuration has been locked" in text):
        return SqlError(message, "permission", position)
    if isinstance(exc, duckdb.OutOfMemoryException) or text.startswith("Out of Memory"):
        return SqlError(f"{message} (the query needs more memory than this server allows; "
                        "aggregate or filter earlier)", "runtime", position)
    return SqlError(message, "runtime", position)


def _limits(max_rows, time_limit_ms) -> tuple[int | None, int]:
    limit = settings.get("sql_time_limit_ms") if time_limit_ms is None else int(time_limit_ms)
    if limit <= 0:
        raise ValueError("time_limit_ms must be positive")
    if max_rows is not None and int(max_rows) < 0:
        raise ValueError("max_rows must be >= 0")
    return (None if max_rows is None else int(max_rows)), limit


def _build_dir(cursor) -> str | None:
    rows = cursor.sql("SELECT path FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchall()
    if not rows or not rows[0][0]:
        return None
    return str(Path(rows[0][0]).resolve().parent)


class _Cursor:
    """A cursor for one request: the caller's, or a fresh one on the current build (closed
    after)."""

    def __init__(self, cursor):
        self.own = cursor is None
        self.cursor = cursor

    def __enter__(self):
        if self.own:
            self.cursor = db.current().cursor()
        return self.cursor

    def __exit__(self, *exc) -> None:
        if self.own and self.cursor is not None:
            try:
                self.cursor.close()
            except Exception:
                pass


def run(sql: str, *, max_rows: int | None = None, time_limit_ms: int | None = None,
        cursor=None, max_bytes: int | None = None) -> Result:
    """Check and run ``sql``: at most ``max_rows`` rows and ``max_bytes`` bytes of result data
    (``truncated`` says if there were more, ``truncated_by`` which cap), interrupted after
    ``time_limit_ms`` (fetching and converting the rows included). Defaults come from settings."""
    max_rows, limit_ms = _limits(max_rows, time_limit_ms)
    if max_rows is None:
        max_rows = settings.get("sql_max_rows")
    if max_bytes is None:
        max_bytes = int(settings.get("sql_max_bytes"))
    started = time.perf_counter()
    with _statement(sql, cursor, limit_ms) as (rel, deadline, build_dir):
        columns = [Column(n, str(t)) for n, t in zip(rel.columns, rel.types)]
        table, rows, truncated_by = _fetch(rel.limit(max_rows + 1), max_rows, max_bytes,
                                           deadline)
    return Result(columns, table, truncated_by is not None,
                  (time.perf_counter() - started) * 1000,
                  Path(build_dir).name if build_dir else None, rows, truncated_by)


#: Rows per Arrow record batch fetched from DuckDB; the caps and the deadline are checked
#: between two batches.
FETCH_BATCH_ROWS = 1024


def _fetch(rel, max_rows: int, max_bytes: int, deadline: _Deadline
           ) -> tuple[pa.Table, list[tuple], str | None]:
    """Up to ``max_rows`` rows of ``rel`` (which may hold one more, to detect truncation) and
    at most ``max_bytes`` of Arrow data, converted to Python batch by batch under ``deadline``.
    Never materialises more than one batch beyond the caps."""
    reader = rel.to_arrow_reader(FETCH_BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    rows: list[tuple] = []
    n_bytes, truncated_by = 0, None
    try:
        while True:
            deadline.check()
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            deadline.check()
            if len(rows) + batch.num_rows > max_rows:
                batch = batch.slice(0, max_rows - len(rows))
                truncated_by = "rows"
            size = result_bytes(batch)
            if n_bytes + size > max_bytes:
                batch = batch.slice(0, _rows_within(batch, max_bytes - n_bytes))
                size, truncated_by = result_bytes(batch), "bytes"
            n_bytes += size
            batches.append(batch)
            rows.extend(output.rows(batch))
            if truncated_by is not None:
                break
    finally:
        reader.close()
    deadline.check()
    return pa.Table.from_batches(batches, schema=reader.schema), rows, truncated_by


#: What one value inside a list, struct or map adds to a result's size beyond its Arrow bytes:
#: converted to Python it becomes an object of its own (a dict per struct), ~10x its Arrow size.
NESTED_VALUE_BYTES = 64


def result_bytes(batch: pa.RecordBatch) -> int:
    """The size a batch counts against ``sql_max_bytes``: its Arrow bytes (``nbytes`` of a
    slice counts only the buffer ranges it references) plus NESTED_VALUE_BYTES per value
    nested inside a list, struct or map."""
    return batch.nbytes + NESTED_VALUE_BYTES * sum(_nested_values(c) for c in batch.columns)


def _nested_values(arr) -> int:
    t = arr.type
    if pa.types.is_map(t):  # no flatten() for maps: the entries between the slice's offsets
        if len(arr) == 0:
            return 0
        start, end = arr.offsets[0].as_py(), arr.offsets[-1].as_py()
        child = arr.values.slice(start, end - start)
        return len(child) + _nested_values(child)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) \
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        child = arr.flatten()
        return len(child) + _nested_values(child)
    if pa.types.is_struct(t):
        return sum(len(c) + _nested_values(c) for c in arr.flatten())
    return 0


def _rows_within(batch: pa.RecordBatch, budget: int) -> int:
    """The most leading rows of ``batch`` whose :func:`result_bytes` fit in ``budget``."""
    lo, hi = 0, batch.num_rows  # invariant: lo rows fit; hi + 1 rows do not (or hi = all)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if result_bytes(batch.slice(0, mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def export(sql: str, fmt: str, out: str | Path | BinaryIO, *, max_rows: int | None = None,
           time_limit_ms: int | None = None, cursor=None, batch_size: int = 65536) -> int:
    """Stream the whole result of ``sql`` (no row cap unless ``max_rows``) to ``out`` as
    csv, parquet or json (an array of objects). Still gated and time-limited. Returns rows written.

    ``out`` is a path or a binary file object; nothing is written to a path when the query fails.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    max_rows, limit_ms = _limits(max_rows, time_limit_ms)
    with _statement(sql, cursor, limit_ms) as (rel, deadline, _build):
        if max_rows is not None:
            rel = rel.limit(max_rows)
        if fmt == "csv":
            rel = _csv_friendly(rel)
        names = _unique_names(rel.columns)
        reader = _Bounded(rel.to_arrow_reader(batch_size), deadline,
                          int(settings.get("sql_max_bytes")))
        if isinstance(out, (str, Path)):
            return _export_to_path(reader, names, fmt, Path(out))
        return output.write(reader, fmt, out, names=names)


@contextlib.contextmanager
def _statement(sql: str, cursor, limit_ms: int):
    """The checked statement as a relation on a fresh cursor (or ``cursor``), with the deadline
    running; any failure inside the block becomes a :class:`SqlError` (a reader that went away,
    ``mteb-lb sql ... | head``, is left to the caller)."""
    with _Cursor(cursor) as cur:
        build_dir = _build_dir(cur)
        statement = gate.check(sql, build_dir=build_dir)
        deadline = _Deadline(cur, limit_ms)
        try:
            with deadline:
                rel = cur.sql(statement)
                if rel is None:
                    raise SqlError("the statement returned no result", "rejected")
                yield rel, deadline, build_dir
        except BrokenPipeError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a SqlError
            raise _classify(exc, sql, deadline, cur, build_dir) from None


_JSON_TEXT_TYPES = frozenset({"list", "struct", "map", "array", "union"})
_PLAIN_TEXT_TYPES = frozenset({"interval", "blob", "bit", "bignum"})


def _csv_friendly(rel):
    """Columns CSV cannot hold turned into text by DuckDB (lists and structs as JSON): ~4x faster
    than converting them in Python. Duplicate column names keep the Python fallback."""
    names = rel.columns
    ids = [t.id for t in rel.types]
    if len(set(names)) != len(names) or not any(
            i in _JSON_TEXT_TYPES or i in _PLAIN_TEXT_TYPES for i in ids):
        return rel
    exprs = []
    for name, type_id in zip(names, ids):
        quoted = '"' + name.replace('"', '""') + '"'
        if type_id in _JSON_TEXT_TYPES:
            exprs.append(f"to_json({quoted}) AS {quoted}")
        elif type_id in _PLAIN_TEXT_TYPES:
            exprs.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
        else:
            exprs.append(quoted)
    return rel.project(", ".join(exprs))


class _Bounded:
    """An export's record batches under the request's limits: the deadline is checked between
    batches (converting to text or JSON is Python work the timer cannot interrupt), and each
    batch is cut into slices of at most ``max_bytes`` of Arrow data before it is converted, so
    memory stays bounded however wide the rows are; a single row larger than that is refused."""

    def __init__(self, reader: pa.RecordBatchReader, deadline: _Deadline, max_bytes: int):
        self.reader, self.deadline, self.max_bytes = reader, deadline, max_bytes
        self.schema = reader.schema

    def __iter__(self):
        for batch in self.reader:
            self.deadline.check()
            while batch.num_rows:
                n = batch.num_rows if result_bytes(batch) <= self.max_bytes else _rows_within(
                    batch, self.max_bytes)
                if n == 0:
                    raise SqlError(f"a row of the result holds more than "
                                   f"{_megabytes(self.max_bytes)} of data (the sql_max_bytes "
                                   "limit); select smaller values", "runtime")
                yield batch.slice(0, n)
                batch = batch.slice(n)
                self.deadline.check()


def _megabytes(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _export_to_path(reader, names, fmt: str, path: Path) -> int:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            n = output.write(reader, fmt, fh, names=names)
        os.replace(tmp, path)
        return n
    finally:
        if tmp.exists():
            tmp.unlink()


def _unique_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out
