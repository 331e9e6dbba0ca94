"""A fresh process computes its first summary without importing pandas or pyarrow.compute
(docs/PERFORMANCE.md, "Third pass"): pyarrow's conversion of Python values imports pandas,
which costs a fresh process more than the whole first summary; the summary's numbers are built
through numpy buffers instead, with the types pyarrow's conversion gives. The fresh process
itself is checked in tests/test_request_fastpaths.py (its first summary, per-task and view)."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from mteb_lb.rankings import _numbers


@pytest.mark.parametrize("values, kind", [
    ([3, None, 1], pa.int64()),
    ([1, 2], pa.int64()),
    ([0.5, None, 12.25], pa.float64()),
    ([1, 2.5, None], pa.float64()),            # mixed: double, as pa.array infers
    ([None, None], pa.null()),                 # no value: type null
    ([], pa.null()),
    ([float("nan"), 1.0], pa.float64()),       # NaN stays a value, not a null
])
def test_numbers_are_the_arrays_pyarrow_would_build(values, kind):
    got = _numbers(values)
    assert got.type == kind == pa.array(values).type
    assert got.null_count == sum(v is None for v in values)
    expected = [None if v is None else float(v) if kind == pa.float64() else v for v in values]
    as_py = got.to_pylist()
    assert len(as_py) == len(expected)
    for a, b in zip(as_py, expected):
        assert (a is None and b is None) or a == b or (math.isnan(a) and math.isnan(b))
