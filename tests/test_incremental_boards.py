"""etl/default_summaries.py default_frames: the default boards computed as two LATERAL queries
on the two cores (the second on a cursor in a thread, its rows fetched as Arrow) are the rows
of one query over every benchmark, every column and type included."""

from __future__ import annotations

import json

import duckdb
import warehouses

from etl import default_summaries
from etl.history import menu_benchmarks
from mteb_lb import warehouse


def _frames(con, benchmarks, split_from):
    default_summaries.default_frames(con, benchmarks, "frames", split_from=split_from)
    rows = con.execute("SELECT * FROM frames ORDER BY benchmark, position").fetchall()
    types = con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                        "WHERE table_name = 'frames' ORDER BY column_index").fetchall()
    return rows, types


def test_boards_in_two_halves_equal_one_query(tmp_path):
    wh = warehouses.build_ranking_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse.current_build(wh) / warehouse.DB_FILE))
    try:
        menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
        benchmarks = menu_benchmarks(menu)
        plain = [n for n, (_po, by_subset) in
                 default_summaries.default_flags(con, benchmarks).items() if not by_subset]
        assert len(plain) >= 4
        halves = default_summaries._halves(con, plain)
        # every benchmark in one half, both halves used, each in menu order
        assert sorted(halves[0] + halves[1]) == sorted(plain) and all(halves)
        assert all(h == [n for n in plain if n in h] for h in halves)
        whole, whole_types = _frames(con, benchmarks, split_from=len(plain) + 1)
        split, split_types = _frames(con, benchmarks, split_from=2)
    finally:
        con.close()
    assert set(plain) <= {r[0] for r in whole} and len(whole) > len(plain)
    assert split_types == whole_types
    assert split == whole
