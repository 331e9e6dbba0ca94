"""The statistics of a filtered state, and the stored ones of a default state, are computed
without importing pandas or pyarrow.compute: their Arrow columns are read and built through
numpy buffers (mteb_lb/arrow_np.py), as the summary's are
(docs/PERFORMANCE.md §Fifth pass: imports, memory, the statistics)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from warehouses import in_fresh_process

from mteb_lb import arrow_np


def test_a_fresh_process_computes_intervals_without_pandas_or_pyarrow_compute(app_warehouse):
    out = in_fresh_process(
        app_warehouse,
        "tasks = tuple(lb.benchmark(b).task_names[1:]); "
        "full = lb.view(S(benchmark=b)); part = lb.view(S(benchmark=b, tasks=tasks)); "
        "filled = [t.num_rows - t.column('Rank low (95%)').null_count for t in (full, part)]",
        "filled == [full.num_rows, part.num_rows] and part.num_rows > 1")
    assert out == "True []"


def test_a_fresh_process_searches_without_pyarrow_compute(app_warehouse):
    out = in_fresh_process(
        app_warehouse,
        "from mteb_lb.rankings import search_rows; table = lb.summary(b); "
        "names = table.column('Model').to_pylist(); q = names[0].rsplit('-', 1)[-1].upper(); "
        "found = search_rows(table, q).column('Model').to_pylist()",
        "found == [n for n in names if q.lower() in n.lower()] and 0 < len(found) < len(names)")
    assert out == "True []"


def test_rows_where_keeps_the_runs_in_order():
    table = pa.table({"n": [1, 2, 3, 4, 5, 6], "s": ["a", "b", None, "d", "e", "f"]})
    kept = arrow_np.rows_where(table, [True, False, True, True, False, True])
    assert kept.to_pylist() == [{"n": 1, "s": "a"}, {"n": 3, "s": None},
                                {"n": 4, "s": "d"}, {"n": 6, "s": "f"}]
    assert kept.column("n").num_chunks == 3   # one zero-copy slice per run of kept rows
    none = arrow_np.rows_where(table, [False] * 6)
    assert none.num_rows == 0 and none.schema == table.schema
    assert arrow_np.rows_where(table, [True] * 6) is table


def test_map_entries_of_chunked_sliced_maps_with_nulls():
    kind = pa.map_(pa.string(), pa.float64())
    first = pa.array([[("a", 1.0), ("b", None)], None, [("c", 3.0)]], kind)
    second = pa.array([[("x", 9.0)], [("d", 4.0), ("e", 5.0)], []], kind).slice(1)
    rows, keys, values, valid = arrow_np.map_entries(pa.chunked_array([first, second]))
    # rows 0..2 from the first chunk, 3..4 from the sliced second (its "x" is sliced away)
    assert rows.tolist() == [0, 0, 2, 3, 3]
    assert keys == ["a", "b", "c", "d", "e"]
    assert valid.tolist() == [True, False, True, True, True]
    assert values[valid].tolist() == [1.0, 3.0, 4.0, 5.0]


def test_boolean_values_of_a_sliced_column():
    column = pa.array([True, False, None, True, True, False, False, True, True, False]).slice(3)
    assert arrow_np.values(column).tolist() == [True, True, False, False, True, True, False]
    assert arrow_np.valid(pa.array([True, None, False])).tolist() == [True, False, True]
    assert arrow_np.from_numpy(np.array([True, False]), np.array([True, False])).to_pylist() \
        == [True, None]
