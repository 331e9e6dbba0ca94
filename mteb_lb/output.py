"""The one table writer: every table the project hands out goes through here.

`mteb-lb table`, `mteb-lb sql`, `/api/table`, `/api/sql?format=csv`, the SQL console's
download and the leaderboard page's CSV download all write with :func:`write`, so a table has
one spelling in each format:

* ``csv``: a header row, then one line per row, fields quoted only when needed (RFC 4180).
  Floats are Python's shortest text that reads back to the same number (``0.1``, ``100.0``,
  ``1e-05``); NaN and infinities are ``nan``, ``inf``, ``-inf``; null is an empty field;
  booleans ``true``/``false``; dates ISO; lists and structs JSON text. Text a spreadsheet would
  run as a formula gets a leading ``'`` (``mteb_lb.csvsafe``); numbers never change.
* ``json``: an array of objects, one per line (streamed). Strict JSON: NaN and infinities are
  null, dates ISO strings, decimals numbers.
* ``parquet``: zstd Parquet, types kept (types Parquet cannot hold become JSON text).
* ``text``: an aligned table for terminals, numbers right-aligned, long cells cut.

Input is a ``pyarrow.Table`` or a ``RecordBatchReader`` (streamed batch by batch, so an export
of millions of rows never sits in memory as Python objects).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import io
import json
import math
import re
import sys
import uuid
from typing import Any, BinaryIO

import pyarrow as pa

from mteb_lb import csvsafe

FORMATS = ("csv", "json", "parquet", "text")
MAX_TEXT_CELL = 60


def write(data: pa.Table | pa.RecordBatchReader, fmt: str, out: BinaryIO, *,
          names: list[str] | None = None, digits: int | None = None) -> int:
    """Write ``data`` to the binary stream ``out`` in ``fmt``; returns the rows written.
    ``names`` renames the columns (e.g. made unique); ``digits`` rounds the floats of the
    ``text`` format for reading (the other formats are never rounded)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if isinstance(data, pa.Table):
        reader = pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
    else:
        reader = data
    names = list(names or reader.schema.names)
    if fmt == "csv":
        return _write_csv(reader, names, out)
    if fmt == "parquet":
        return _write_parquet(reader, names, out)
    if fmt == "json":
        return _write_json(reader, names, out)
    table = reader.read_all()
    out.write(text_table(table.rename_columns(names), digits=digits).encode("utf-8"))
    return table.num_rows


def write_for_cli(table: pa.Table, requested: str | None, path=None, *,
                  round_text: bool = False) -> None:
    """A command's table: in the ``requested`` format, else as an aligned text table on a
    terminal and CSV when piped or written to ``path``; to ``path`` or standard output.
    ``round_text`` rounds the floats of that default terminal table to 2 decimals (an explicit
    ``--format text`` is never rounded)."""
    fmt = requested or ("text" if not path and sys.stdout.isatty() else "csv")
    digits = 2 if round_text and requested is None and fmt == "text" else None
    if path:
        with open(path, "wb") as fh:
            write(table, fmt, fh, digits=digits)
    else:
        write(table, fmt, sys.stdout.buffer, digits=digits)
        sys.stdout.flush()


def to_bytes(table: pa.Table, fmt: str) -> bytes:
    buf = io.BytesIO()
    write(table, fmt, buf)
    return buf.getvalue()


def to_text(table: pa.Table, fmt: str) -> str:
    """csv, json or text output as a string."""
    return to_bytes(table, fmt).decode("utf-8")


# --------------------------------------------------------------------------------------------
# formats

def _write_csv(reader: pa.RecordBatchReader, names: list[str], out: BinaryIO) -> int:
    out.write(_csv_line([csvsafe.cell(name) for name in names]))   # user SQL names columns
    rows = 0
    for batch in reader:
        columns = [column_values(col) for col in batch.columns]
        out.write(b"".join(_csv_line([csv_cell(v) for v in row]) for row in zip(*columns)))
        rows += batch.num_rows
    return rows


def _csv_line(fields: list[str]) -> bytes:
    """One CSV record: a field holding a comma, a quote, CR or LF is quoted (RFC 4180; the csv
    module leaves a lone CR unquoted when lines end in LF); a lone empty field is ``""`` so the
    line is not read as a blank line."""
    if fields == [""]:
        return b'""\n'
    return (",".join('"' + f.replace('"', '""') + '"' if _NEEDS_QUOTES.search(f) else f
                     for f in fields) + "\n").encode("utf-8")


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_cell(value: Any) -> str:
    """One CSV field (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return csvsafe.cell(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(jsonable(value), ensure_ascii=False)
    return _json_text(value)


def _write_parquet(reader: pa.RecordBatchReader, names: list[str], out: BinaryIO) -> int:
    import pyarrow.parquet as pq  # deferred: 12-20 ms of CPU a CSV, JSON or text never needs

    rows = 0
    writer = None
    for batch in reader:
        batch = portable_batch(batch, names, "parquet")
        if writer is None:
            writer = pq.ParquetWriter(out, batch.schema, compression="zstd")
        writer.write_batch(batch)
        rows += batch.num_rows
    if writer is None:
        writer = pq.ParquetWriter(out, portable_schema(reader.schema, names, "parquet"))
    writer.close()
    return rows


def _write_json(reader: pa.RecordBatchReader, names: list[str], out: BinaryIO) -> int:
    rows = 0
    out.write(b"[")
    for batch in reader:
        for row in zip(*(column_values(col) for col in batch.columns)):
            obj = {name: jsonable(value) for name, value in zip(names, row)}
            out.write((b"\n" if rows == 0 else b",\n")
                      + json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8"))
            rows += 1
    out.write(b"\n]\n" if rows else b"]\n")
    return rows


def text_table(table: pa.Table, *, digits: int | None = None) -> str:
    """An aligned text table: numbers right-aligned, NULL for null, cells cut at 60 chars."""
    names = table.column_names
    cells = [[_text_cell(v, digits) for v in row] for row in rows(table)]
    widths = [max([len(name)] + [len(r[i]) for r in cells]) for i, name in enumerate(names)]
    right = [_is_number(t) for t in table.schema.types]

    def line(values) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)]
        return " | ".join(parts).rstrip() + "\n"

    lines = [line(names), "-+-".join("-" * w for w in widths) + "\n"]
    lines.extend(line(r) for r in cells)
    return "".join(lines)


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _text_cell(value, digits: int | None = None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if not math.isfinite(value):
            text = str(value)
        else:
            text = repr(value) if digits is None else f"{value:.{digits}f}"
    elif isinstance(value, (list, tuple, dict)):
        text = json.dumps(jsonable(value), ensure_ascii=False)
    else:
        v = jsonable(value)
        text = v if isinstance(v, str) else str(v)
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_TEXT_CELL else text[: MAX_TEXT_CELL - 1] + "…"


# --------------------------------------------------------------------------------------------
# values

def _needs_text(t: pa.DataType, fmt: str) -> bool:
    if pa.types.is_interval(t) or pa.types.is_union(t) or isinstance(t, pa.ExtensionType):
        return True
    if fmt == "csv":
        return (pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)
                or pa.types.is_fixed_size_binary(t) or pa.types.is_duration(t))
    return pa.types.is_nested(t) and any(_needs_text(t.field(i).type, fmt)
                                         for i in range(t.num_fields))


def portable_schema(schema: pa.Schema, names: list[str], fmt: str) -> pa.Schema:
    return pa.schema([pa.field(n, pa.string() if _needs_text(f.type, fmt) else f.type)
                      for n, f in zip(names, schema)])


def portable_batch(batch: pa.RecordBatch, names: list[str], fmt: str) -> pa.RecordBatch:
    """Columns csv/parquet cannot hold (lists in CSV, intervals, unions) become JSON text."""
    arrays = []
    for col in batch.columns:
        if _needs_text(col.type, fmt):
            values = [None if v is None else _json_text(v) for v in column_values(col)]
            arrays.append(pa.array(values, pa.string()))
        else:
            arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _json_text(value: Any) -> str:
    plain = jsonable(value)
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)


def column_values(col) -> list:
    """Python values of an Arrow column; values Python cannot hold (year 290309 BC) -> text."""
    try:
        return col.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        try:
            return col.cast(pa.string()).to_pylist()
        except (ValueError, pa.ArrowException):
            return [str(v) for v in col]


def rows(table: pa.Table) -> list[tuple]:
    columns = [column_values(col) for col in table.columns]
    return list(zip(*columns)) if columns else [() for _ in range(table.num_rows)]


def jsonable(value: Any) -> Any:
    """A JSON-safe version of a value (NaN/inf -> None, dates -> ISO, maps -> dicts)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, pa.MonthDayNano):
        return _interval_text(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = list(value)
        if items and all(isinstance(i, tuple) and len(i) == 2 for i in items):  # Arrow MAP
            return {str(jsonable(k)): jsonable(v) for k, v in items}
        return [jsonable(v) for v in items]
    return str(value)


def _interval_text(value) -> str:
    """An Arrow month-day-nano interval as DuckDB prints INTERVAL ('1 year 2 days 01:00:00')."""
    months, days, nanos = value.months, value.days, value.nanoseconds
    parts = []
    years, months = divmod(months, 12) if months >= 0 else (-((-months) // 12), -((-months) % 12))
    for n, unit in ((years, "year"), (months, "month"), (days, "day")):
        if n:
            parts.append(f"{n} {unit}{'' if abs(n) == 1 else 's'}")
    if nanos or not parts:
        sign = "-" if nanos < 0 else ""
        micros = abs(nanos) // 1000
        secs, micros = divmod(micros, 1_000_000)
        hours, rest = divmod(secs, 3600)
        minutes, secs = divmod(rest, 60)
        clock = f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"
        parts.append(clock + (f".{micros:06d}" if micros else ""))
    return " ".join(parts)
