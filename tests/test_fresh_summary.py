"""A default summary served from the build's file (warehouse.DEFAULT_SUMMARIES_FILE, written by
etl/default_summaries.write_file): a fresh process gets the table the ranking SQL computes
without importing DuckDB or any module only other requests need; a build without the file
(older code) or with a damaged one serves the same table from its database; an incremental build
writes the changed boards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import fixtures as fx
import pyarrow as pa
import pytest
import warehouses

from mteb_lb import db, warehouse
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (warehouses.DEFAULT, warehouses.OTHER)

# What a fresh process's first default summary does not need (it reads one Arrow file and its
# JSON metadata): DuckDB and what imports it (mteb_lb.asof), the SQL files' package (its digest:
# hashlib), the shared frame store (logging, tempfile), the "did you mean" matcher, the ETL's
# file helpers (shutil, which imports bz2 and lzma; fcntl) and pyarrow's compute and Parquet
# modules. Each costs a fresh process 0.5-3 ms (docs/PERFORMANCE.md, a fresh process's imports).
NOT_NEEDED = ("duckdb", "mteb_lb.asof", "queries", "hashlib", "mteb_lb.frame_store", "logging",
              "tempfile", "difflib", "shutil", "bz2", "lzma", "fcntl", "pyarrow.compute",
              "pyarrow.parquet")

FRESH = """
import json, sys
from pathlib import Path
import pyarrow as pa
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Leaderboard
table = Leaderboard(CurrentBuild(Path(sys.argv[1]))).summary(sys.argv[2])
loaded = [name for name in json.loads(sys.argv[4]) if name in sys.modules]
with pa.OSFile(sys.argv[3], "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
    out.write_table(table)
print(json.dumps(loaded))
"""


def _sql_only(warehouse_dir: Path) -> Leaderboard:
    """The board as on a build without stored default boards: lb_summary runs."""
    lb = Leaderboard(CurrentBuild(warehouse_dir))
    lb._no_default_table = lb.cache_key()
    return lb


def _fresh_summary(warehouse_dir: Path, benchmark: str,
                   tmp_path: Path) -> tuple[pa.Table, list[str]]:
    """A fresh process's first summary of `benchmark`, and which of NOT_NEEDED it imported."""
    out = tmp_path / "table.arrow"
    proc = subprocess.run([sys.executable, "-c", FRESH, str(warehouse_dir), benchmark, str(out),
                           json.dumps(NOT_NEEDED)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return pa.ipc.open_file(pa.memory_map(str(out))).read_all(), json.loads(proc.stdout)


def _copy(app_warehouse: Path, tmp_path: Path) -> tuple[Path, Path]:
    copy = tmp_path / "wh"
    shutil.copytree(app_warehouse, copy, symlinks=True)
    return copy, (copy / "current").resolve()


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_a_fresh_process_serves_the_sql_table_without_duckdb(app_warehouse, tmp_path,
                                                             benchmark):
    table, loaded = _fresh_summary(app_warehouse, benchmark, tmp_path)
    expected = _sql_only(app_warehouse).summary(benchmark)
    assert table.num_rows > 3 and "duckdb" not in loaded
    assert table.equals(expected, check_metadata=True)


def test_a_fresh_process_imports_only_what_the_default_summary_needs(app_warehouse, tmp_path):
    table, loaded = _fresh_summary(app_warehouse, warehouses.DEFAULT, tmp_path)
    assert table.num_rows > 3
    assert loaded == []


CLI_TABLE = """
import io, json, sys
from mteb_lb import cli
out, sys.stdout = sys.stdout, io.TextIOWrapper(io.BytesIO())
code = cli.main(["table", "--benchmark", sys.argv[1]])
sys.stdout.flush()
rows = sys.stdout.buffer.getvalue().decode().splitlines()
print(json.dumps([code, len(rows), "pyarrow.parquet" in sys.modules]), file=out)
"""


def test_the_table_command_imports_no_parquet_writer(app_warehouse):
    """`mteb-lb table` writing CSV (its default when piped) imports no pyarrow.parquet (12-20 ms
    of CPU in a fresh process): only --format parquet writes it (tests/test_cli_commands.py)."""
    proc = subprocess.run([sys.executable, "-c", CLI_TABLE, warehouses.DEFAULT],
                          capture_output=True, text=True, check=True, cwd=ROOT,
                          env={**os.environ, "MTEB_LB_WAREHOUSE": str(app_warehouse)})
    code, lines, parquet = json.loads(proc.stdout)
    rows = _sql_only(app_warehouse).summary(warehouses.DEFAULT).num_rows
    assert (code, lines, parquet) == (0, rows + 1, False)   # a header, one line per model


def test_the_file_holds_the_tables_rows(app_warehouse):
    build = (app_warehouse / "current").resolve()
    reader = pa.ipc.open_file(pa.memory_map(str(build / warehouse.DEFAULT_SUMMARIES_FILE)))
    assert sorted(json.loads(reader.schema.metadata[b"benchmarks"])) == sorted(BENCHMARKS)
    cur = CurrentBuild(app_warehouse).cursor()
    try:
        for i, name in enumerate(json.loads(reader.schema.metadata[b"benchmarks"])):
            batch, meta = reader.get_batch_with_custom_metadata(i)
            rows = db.query_arrow(cur, "SELECT * EXCLUDE (benchmark) FROM default_summaries "
                                  "WHERE benchmark = ? ORDER BY position", [name])
            assert pa.Table.from_batches([batch]).equals(rows), name
            assert json.loads(meta[b"catalog"])["name"] == name
    finally:
        cur.close()


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_build_without_a_readable_file_serves_the_same_table(app_warehouse, tmp_path, damage):
    copy, build = _copy(app_warehouse, tmp_path)
    path = build / warehouse.DEFAULT_SUMMARIES_FILE
    if damage == "missing":   # a build made before the file existed
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:1000])
    lb = Leaderboard(CurrentBuild(copy))
    assert lb._stored_default(warehouses.DEFAULT) is None
    for name in BENCHMARKS:
        assert lb.summary(name).equals(_sql_only(copy).summary(name), check_metadata=True)


def test_other_states_and_unknown_names_do_not_read_the_file(app_warehouse):
    lb = Leaderboard(CurrentBuild(app_warehouse))
    filtered = Filters(task_types=("Retrieval",))
    assert lb.summary(warehouses.DEFAULT, filtered).equals(
        _sql_only(app_warehouse).summary(warehouses.DEFAULT, filtered), check_metadata=True)
    with pytest.raises(ValueError, match="unknown benchmark"):
        lb.summary("Nope(v1)")


def test_an_incremental_build_writes_the_changed_board(tmp_path):
    from etl import build

    wh = warehouses.build_app_warehouse(tmp_path)
    model = next(iter(warehouses.MODELS))
    first = Leaderboard(CurrentBuild(wh)).summary(warehouses.DEFAULT)
    # the model's first task drops to 0.01: its means and rank move
    task = next(iter(warehouses.TASKS))
    fx.write_result(tmp_path / "repo", model, warehouses._sha(1), task,
                    warehouses._result(task, 0.01))
    report = build.run(tmp_path / "repo", source="https://github.com/example/results.git",
                       source_commit="0123456789abcdef0124", catalog_dir=tmp_path / "catalog",
                       warehouse_dir=wh, workers=1)
    assert report.published, report
    served = Leaderboard(CurrentBuild(wh))
    assert served._stored_default(warehouses.DEFAULT) is not None
    table = served.summary(warehouses.DEFAULT)
    assert not table.equals(first)
    assert table.equals(_sql_only(wh).summary(warehouses.DEFAULT), check_metadata=True)


@pytest.mark.realdata
def test_every_stored_board_equals_the_table(real_warehouse):
    handle = CurrentBuild(real_warehouse)
    stored, table = Leaderboard(handle), Leaderboard(handle)
    table._stored = (table.cache_key(), None)   # as on a build without the file
    reader = pa.ipc.open_file(pa.memory_map(str(handle.build / warehouse.DEFAULT_SUMMARIES_FILE)))
    names = json.loads(reader.schema.metadata[b"benchmarks"])
    assert len(set(names)) == len(names) > 50 and "MTEB(Multilingual, v2)" in names
    for name in names:
        assert stored._stored_default(name) is not None
        for view in ("summary", "per_task"):
            assert getattr(stored, view)(name).equals(getattr(table, view)(name),
                                                      check_metadata=True), (name, view)
