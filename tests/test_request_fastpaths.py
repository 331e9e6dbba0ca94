"""The request path's shortcuts give what the general code gave (issue #16, the dashboard's own
work; docs/PERFORMANCE.md, "Fourth pass"): Arrow arrays built from numpy buffers equal
pyarrow's own conversion, the pivots equal tables worked out by hand, the grid's numpy
rounding equals round(), a fresh process's first tables import neither pandas nor
pyarrow.compute, and the build handle follows its pointer and still refuses a damaged build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from warehouses import in_fresh_process

from app.grid import SCORE_DECIMALS, _cell_values, _score_cells
from mteb_lb import warehouse
from mteb_lb.arrow_np import numpy_of
from mteb_lb.arrow_np import typed as _typed
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import _frame_pivot, _pivot

# -- Arrow arrays from Python values -----------------------------------------------------------

@pytest.mark.parametrize("values, kind", [
    (["a", None, "ünïcødé – x", ""], pa.string()),
    ([None, None], pa.string()),
    ([], pa.string()),
    ([3, None, -1], pa.int64()),
    ([0.5, None, float("nan")], pa.float64()),
    ([True, None, False, True], pa.bool_()),
    ([None], pa.float64()),
])
def test_typed_arrays_equal_pyarrows_conversion(values, kind):
    got = _typed(values, kind)
    want = pa.array(values, kind)
    assert got.type == want.type and got.null_count == want.null_count
    assert got.equals(want) or (  # NaN != NaN in equals: compare the Python values
        [v if v == v else "nan" for v in got.to_pylist()]
        == [v if v == v else "nan" for v in want.to_pylist()])


def test_numpy_of_reads_sliced_and_chunked_columns():
    column = pa.chunked_array([pa.array([1.0, None, 3.0]).slice(1), pa.array([None, 5.5])])
    values, valid = numpy_of(column)
    assert valid.tolist() == [False, True, False, True]
    assert values[valid].tolist() == [3.0, 5.5]


# -- pivots --------------------------------------------------------------------------------------

def test_pivot_of_long_rows():
    # row_idx / col_idx are places; a NULL col_idx is a task outside the columns (dropped);
    # column 1 has no cell at all (left out); row 2's only cell is a NULL score
    long = pa.table({
        "model_name": ["b", "a", "a", "b", "c", "a"],
        "score": [0.5, 0.25, None, 0.125, None, 0.75],
        "row_idx": pa.array([1, 0, 0, 1, 2, 0], pa.int64()),
        "col_idx": pa.array([0, 0, 2, 2, 2, None], pa.int32()),
        "column_name": ["T0", "T0", "T2", "T2", "T2", "X"],
    })
    assert _pivot(long).to_pylist() == [
        {"Model": "a", "T0": 25.0, "T2": None},
        {"Model": "b", "T0": 50.0, "T2": 12.5},
        {"Model": "c", "T0": None, "T2": None},
    ]


def test_pivot_of_nothing_is_a_model_column():
    long = pa.table({"model_name": pa.array([], pa.string()), "score": pa.array([], pa.float64()),
                     "row_idx": pa.array([], pa.int64()), "col_idx": pa.array([], pa.int32()),
                     "column_name": pa.array([], pa.string())})
    table = _pivot(long)
    assert table.column_names == ["Model"] and table.num_rows == 0


def test_frame_pivot_orders_rows_by_borda_rank_then_name():
    entry = pa.map_(pa.string(), pa.float64())
    frame = pa.table({
        "model_name": ["m-z", "m-a", "m-null", "m-b", "m-none"],
        "borda_rank": pa.array([1, 2, None, 2, 3], pa.int64()),
        "task_score_map": pa.array([
            [("T2", 0.5), ("T1", 0.25)],
            [("T1", 1.0), ("Other", 0.5)],       # "Other" is not a column of the table
            [("T2", None)],
            [("T1", 0.5), ("T2", 0.75)],
            None,                                # no scores: no row
        ], entry),
    })
    assert _frame_pivot(frame, ["T1", "T2"]).to_pylist() == [
        {"Model": "m-z", "T1": 25.0, "T2": 50.0},
        {"Model": "m-a", "T1": 100.0, "T2": None},
        {"Model": "m-b", "T1": 50.0, "T2": 75.0},
        {"Model": None, "T1": None, "T2": None},   # rank 3's place, no cell in the columns
        {"Model": "m-null", "T1": None, "T2": None},
    ]


# -- the grid's rounding -------------------------------------------------------------------------

def test_score_cells_round_as_round_does():
    halves = [k / 10**SCORE_DECIMALS + 0.5 / 10**SCORE_DECIMALS for k in range(0, 10**6, 997)]
    awkward = [2.675, 1.00005, 0.00015, -0.00005, 99.99995, 5e-324, 1e15 + 0.3, -0.0]
    rng = np.random.default_rng(7)
    values = halves + awkward + rng.uniform(-10, 100, 5000).tolist()
    column = pa.chunked_array([pa.array(values[:100]), pa.array(values[100:] + [None])])
    got = _score_cells(column)
    want = [None if v is None else round(v, SCORE_DECIMALS) for v in values + [None]]
    assert [(x, str(x)) for x in got] == [(x, str(x)) for x in want]


def test_score_cells_blank_what_cell_values_blanks():
    column = pa.array([float("nan"), float("inf"), None, 1.23456])
    assert _score_cells(column) == _cell_values(column.to_pylist(), "score") == [
        None, None, None, 1.2346]


# -- a fresh process -----------------------------------------------------------------------------

def test_first_tables_of_a_process_import_neither_pandas_nor_compute(app_warehouse):
    out = in_fresh_process(
        app_warehouse,
        "s = lb.summary(b); t = lb.per_task(b); v = lb.view(S(benchmark=b, view='per-task')); "
        "w = lb.view(S(benchmark=b), intervals='none')",
        "t.num_rows == s.num_rows > 0, v.column_names[:2], 'Rank (95% interval)' in "
        "w.column_names")
    assert out == "True ['Rank (Borda)', 'Model'] True []"


# -- the build handle ----------------------------------------------------------------------------

def _copy(app_warehouse: Path, tmp_path: Path) -> tuple[Path, Path]:
    copy = tmp_path / "wh"
    shutil.copytree(app_warehouse, copy, symlinks=True)
    return copy, (copy / "current").resolve()


def test_handle_follows_the_pointer(app_warehouse, tmp_path):
    copy, build = _copy(app_warehouse, tmp_path)
    handle = CurrentBuild(copy)
    assert handle.build_id() == build.name
    second = build.parent / (build.name + "-2")
    shutil.copytree(build, second)
    tmp_link = copy / ".current.tmp"
    os.symlink(Path("builds") / second.name, tmp_link)
    os.replace(tmp_link, copy / "current")        # as warehouse.publish flips it
    assert handle.build_id() == second.name
    assert handle.cursor().sql("SELECT 1").fetchall() == [(1,)]


@pytest.mark.parametrize("kind, reason", [
    ("missing-parquet", "Parquet files when published"),
    ("cut-parquet", "Parquet files changed size since it was published"),
    ("zeroed-db", "not a DuckDB database"),
])
def test_a_damaged_build_is_refused(app_warehouse, tmp_path, kind, reason):
    copy, build = _copy(app_warehouse, tmp_path)
    files = sorted((build / "parquet").rglob("*.parquet"))
    if kind == "missing-parquet":
        files[0].unlink()
    elif kind == "cut-parquet":
        files[0].write_bytes(files[0].read_bytes()[:100])
    else:
        db_file = build / warehouse.DB_FILE
        db_file.write_bytes(b"\0" * db_file.stat().st_size)
    with pytest.raises(warehouse.DamagedBuildError, match=reason):
        CurrentBuild(copy).cursor()
