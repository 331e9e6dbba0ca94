"""`--sort` / `sort=` orders rows by one column, nulls last, ties in table order, and prints no
library warning (pyarrow >= 25 deprecated the options-wide null placement; the walk saw its
FutureWarning under `mteb-lb table --sort`)."""

from __future__ import annotations

import warnings

import pyarrow as pa

from mteb_lb.rankings import sort_rows


def test_sort_nulls_last_ties_in_order_and_no_warning():
    table = pa.table({"Model": ["a", "b", "c", "d", "e"], "Score": [2.0, None, 3.0, 2.0, 1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        down = sort_rows(table, ("Score", "desc"))
        up = sort_rows(table, ("Score", "asc"))
    assert down.column("Model").to_pylist() == ["c", "a", "d", "e", "b"]
    assert up.column("Model").to_pylist() == ["e", "a", "d", "c", "b"]
