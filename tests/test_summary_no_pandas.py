"""A fresh process computes its first summary without importing pandas or pyarrow.compute
(docs/PERFORMANCE.md, "Third pass"): pyarrow's conversion of Python values imports pandas,
which costs a fresh process more than the whole first summary; the summary's numbers are built
through numpy buffers instead, with the types pyarrow's conversion gives."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from mteb_lb.rankings import _numbers

ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_process_summarises_without_pandas_or_pyarrow_compute(app_warehouse):
    script = (
        "import sys; from pathlib import Path; from mteb_lb.db import CurrentBuild; "
        "from mteb_lb.rankings import Leaderboard; "
        "lb = Leaderboard(CurrentBuild(Path(sys.argv[1]))); "
        "t = lb.summary(lb.menu()['default_benchmark']); "
        "print(t.num_rows > 0, 'Rank (Borda)' in t.column_names, "
        "sorted(m for m in ('pandas', 'pyarrow.compute') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script, str(app_warehouse)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "True True []"


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
