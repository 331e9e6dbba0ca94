"""Arrow columns to and from numpy through their buffers, for the request path.

pyarrow's own conversions (``pa.array`` of Python values or of numpy arrays, ``Array.to_numpy``,
``pa.scalar``, ``Table.from_pylist``) import pandas, and its compute functions (``drop_null``,
``cast``, ``fill_null``, ``unique``...) import ``pyarrow.compute``: ~0.1-0.6 s that the first
request of a process would pay. The rankings (``mteb_lb.rankings``) and the statistics
(``mteb_lb.stats``) read and build their Arrow columns with these instead
(docs/PERFORMANCE.md §Fifth pass: imports, memory, the statistics).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc  # imported by pyarrow itself: free


def numpy_of(column) -> tuple[np.ndarray, np.ndarray]:
    """A numeric Arrow column as numpy: its values (null slots hold anything) and which slots
    hold one; without Array.to_numpy (see above)."""
    return values(column), valid(column)


def chunks(column) -> list:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def values(column) -> np.ndarray:
    """A numeric, boolean (or null-typed) Arrow column's values; null slots hold anything."""
    parts = []
    for a in chunks(column):
        if len(a) == 0:
            continue
        if pa.types.is_null(a.type):
            parts.append(np.zeros(len(a)))
            continue
        if pa.types.is_boolean(a.type):
            bits = np.frombuffer(a.buffers()[1], dtype=np.uint8)
            parts.append(np.unpackbits(bits, count=a.offset + len(a),
                                       bitorder="little")[a.offset:].astype(bool))
            continue
        kind = "f" if pa.types.is_floating(a.type) else (
            "i" if pa.types.is_signed_integer(a.type) else "u")
        dtype = np.dtype(f"{kind}{a.type.bit_width // 8}")
        parts.append(np.frombuffer(a.buffers()[1], dtype=dtype,
                                   count=a.offset + len(a))[a.offset:])
    return np.concatenate(parts) if parts else np.zeros(0)


def valid(column) -> np.ndarray:
    """Which slots of an Arrow column hold a value."""
    parts = []
    for a in chunks(column):
        if a.null_count == 0:
            parts.append(np.ones(len(a), dtype=bool))
        elif a.null_count == len(a):
            parts.append(np.zeros(len(a), dtype=bool))
        else:
            bits = np.frombuffer(a.buffers()[0], dtype=np.uint8)
            parts.append(np.unpackbits(bits, count=a.offset + len(a),
                                       bitorder="little")[a.offset:].astype(bool))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def map_entries(column) -> tuple[np.ndarray, list, np.ndarray, np.ndarray]:
    """The entries of a MAP(VARCHAR, number) column (NULL maps have none): per entry the row of
    its map, its key, its value (numpy; null slots hold anything) and whether it has one."""
    rows, keys, vals, ok = [], [], [], []
    start = 0
    for chunk in chunks(column):
        if len(chunk) == 0:
            continue
        offsets = values(chunk.offsets)
        lengths = np.diff(offsets) * valid(chunk)
        firsts = np.repeat(offsets[:-1] - np.concatenate(([0], np.cumsum(lengths)[:-1])),
                           lengths)
        index = firsts + np.arange(int(lengths.sum()))   # the entries of the valid maps
        rows.append(np.repeat(np.arange(start, start + len(chunk)), lengths))
        all_keys = chunk.keys.to_pylist()
        if len(index) == len(all_keys):   # every key is a valid map's (index is 0, 1, ...)
            keys.extend(all_keys)
        else:
            keys.extend([all_keys[i] for i in index.tolist()])
        vals.append(values(chunk.items)[index])
        ok.append(valid(chunk.items)[index])
        start += len(chunk)
    if not rows:
        return np.zeros(0, dtype=np.int64), [], np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(rows), keys, np.concatenate(vals), np.concatenate(ok)


def validity(ok: np.ndarray):
    """A validity buffer (None when every slot holds a value) and the null count."""
    nulls = len(ok) - int(np.count_nonzero(ok))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(ok, bitorder="little")), nulls


def from_numpy(data: np.ndarray, ok: np.ndarray) -> pa.Array:
    """A float64 / int64 / bool array of numpy values, NULL where not `ok`."""
    bitmap, nulls = validity(ok)
    if data.dtype == np.bool_:
        buffer = pa.py_buffer(np.packbits(data, bitorder="little"))
        kind = pa.bool_()
    else:
        kind = pa.int64() if data.dtype == np.int64 else pa.float64()
        buffer = pa.py_buffer(np.ascontiguousarray(data))
    return pa.Array.from_buffers(kind, len(data), [bitmap, buffer], null_count=nulls)


def typed(items: list, kind: pa.DataType) -> pa.Array:
    """Python values (None: NULL) as an Arrow array of type `kind`, as pa.array(items, kind)
    gives it, without pa.array (see above)."""
    n = len(items)
    ok = np.fromiter((v is not None for v in items), dtype=bool, count=n)
    if n and not ok.any():
        return pa.nulls(n, kind)
    if pa.types.is_string(kind):
        encoded = [b"" if v is None else v.encode() for v in items]
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        bitmap, nulls = validity(ok)
        return pa.Array.from_buffers(kind, n, [bitmap, pa.py_buffer(offsets),
                                               pa.py_buffer(b"".join(encoded))],
                                     null_count=nulls)
    dtype = {pa.int64(): np.int64, pa.float64(): np.float64, pa.bool_(): np.bool_}.get(kind)
    if dtype is None:
        return pa.array(items, kind)
    data = np.array([False if v is None else v for v in items] if dtype is np.bool_
                    else [0 if v is None else v for v in items], dtype=dtype)
    return from_numpy(data, ok)


def rows_where(table: pa.Table, keep) -> pa.Table:
    """The rows of `table` where `keep` (one boolean per row) is true, in order, without
    ``Table.filter`` (which imports pyarrow.compute): zero-copy slices of the runs of kept rows,
    one chunk per run. For few runs (a search's matches among a board's few hundred rows); a
    mask of thousands of scattered rows is cheaper through pyarrow.compute."""
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return table
    edges = np.flatnonzero(np.diff(np.concatenate(([False], keep, [False])).astype(np.int8)))
    if not len(edges):
        return table.slice(0, 0)
    return pa.concat_tables([table.slice(start, end - start) for start, end
                             in zip(edges[0::2].tolist(), edges[1::2].tolist())])


def compact(value):
    """`value` with a pyarrow Table's rows in buffers of their own size (other values as they
    are), for a cache that keeps it: a table shaped from a larger one shares its buffers (a
    summary's columns are the summary frame's, a DuckDB result holds buffers sized for more rows),
    and a cached 50 KB summary kept ~1.4 MB alive, so the result cache grew a worker by ~0.7 MB
    per cold state. An Arrow IPC round trip copies exactly the rows (slices included), with the
    schema, its metadata and the chunks; it imports neither pandas nor pyarrow.compute.
    docs/PERFORMANCE.md §Eighth pass: the served app under load."""
    if not isinstance(value, pa.Table):
        return value
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, value.schema) as writer:
        writer.write_table(value)
    return ipc.open_stream(sink.getvalue()).read_all()
