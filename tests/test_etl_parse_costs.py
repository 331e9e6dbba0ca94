"""What the full build's parse does to save CPU time must not change what it produces or leave
the process changed: the cyclic garbage collector is paused only while a segment is parsed, and
the Parquet written with dictionaries for its text columns only reads back as the same values.
See docs/PERFORMANCE.md §Fourth pass: the full build (session 7)."""

from __future__ import annotations

import gc
import math

import duckdb
import pyarrow as pa
import pytest

from etl import segments


@pytest.fixture
def gc_state():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("fails", [False, True])
def test_gc_paused_while_a_segment_is_parsed_then_as_before(gc_state, monkeypatch, enabled,
                                                             fails):
    (gc.enable if enabled else gc.disable)()
    seen = []

    def parse(job):
        seen.append(gc.isenabled())
        if fails:
            raise RuntimeError("a bug, not a bad file")
        return "outcome"

    monkeypatch.setattr(segments, "_parse_segment", parse)
    if fails:
        with pytest.raises(RuntimeError, match="a bug"):
            segments.parse_segment(None)
    else:
        assert segments.parse_segment(None) == "outcome"
    assert seen == [False]
    assert gc.isenabled() is enabled


def test_parquet_with_text_dictionaries_reads_back_the_same_values(tmp_path):
    table = pa.table({
        "entry_id": pa.array([1, 2, 3, 4], pa.int64()),
        "metric": pa.array(["ndcg_at_10", "ndcg_at_10", None, "map_at_10"], pa.string()),
        "value": pa.array([0.5, math.nan, None, -math.inf], pa.float64()),
        "languages": pa.array([["eng-Latn"], [], None, ["eng-Latn", "fra-Latn"]],
                              pa.list_(pa.string())),
        "values": pa.array([[0.1, math.nan], None, [], [1.0]], pa.list_(pa.float64())),
    })
    path = tmp_path / "t.parquet"
    segments.write_parquet(table, path)
    rows = duckdb.connect().execute(
        "SELECT entry_id, metric, value, isnan(value), languages, values "
        f"FROM read_parquet('{path}') ORDER BY entry_id").fetchall()
    assert rows[0] == (1, "ndcg_at_10", 0.5, False, ["eng-Latn"], [0.1, rows[0][5][1]])
    assert math.isnan(rows[0][5][1])
    assert rows[1][:4] == (2, "ndcg_at_10", rows[1][2], True) and rows[1][4:] == ([], None)
    assert rows[2] == (3, None, None, None, None, [])
    assert rows[3] == (4, "map_at_10", -math.inf, False, ["eng-Latn", "fra-Latn"], [1.0])
    # the NaN is found by a filter (statistics would hide it: tests/test_etl_nan_statistics.py)
    assert duckdb.connect().execute(
        f"SELECT entry_id FROM read_parquet('{path}') WHERE isnan(value)").fetchall() == [(2,)]
