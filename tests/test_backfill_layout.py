"""The layout of the backfill's event files (etl/past_rows.py): sorted by their group key
(warehouse.past_key) in small row groups and marked so; `relayout` brings a store written
before to it (idempotent, a killed run resumes and ends equal, `mteb-lb backfill --relayout`);
and the first request of a past date, served from another snapshot's compacted state, replaces
the groups that changed in between: a model's rows of one task on one benchmark, not all its
rows.

The catalog (refresh_fixtures.catalog): Hist(v1) ranks HRet1 and HRet2, HistAll(v1) all four
tasks HRet1-HRet4.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import refresh_fixtures as rf

from etl import backfill, past_rows
from mteb_lb import asof, db, output, rankings, warehouse

DATES = ["2025-03-03T10:00:00", "2025-03-10T10:00:00", "2025-03-17T10:00:00"]


def _events(rows: list[tuple]) -> pa.Table:
    """Event rows (_seq, _k, _removed, benchmark, model_name, task_name, score)."""
    names = ["_seq", "_k", "_removed", "benchmark", "model_name", "task_name", "score"]
    types = [pa.int32(), pa.int64(), pa.bool_(), pa.string(), pa.string(), pa.string(),
             pa.float64()]
    return pa.table({n: pa.array([r[i] for r in rows], t)
                     for i, (n, t) in enumerate(zip(names, types))})


def test_event_files_are_sorted_by_their_group_in_small_row_groups(tmp_path, monkeypatch):
    """benchmark_results' group is (model_name, benchmark, task_name): the file is sorted by it,
    the events of one group in the order they came (stable), ROW_GROUP rows per row group."""
    monkeypatch.setattr(past_rows, "ROW_GROUP", 2)
    events = _events([(1, 1, False, "B2", "m/b", "T1", 1.0),
                      (1, 1, False, "B1", "m/b", "T1", 2.0),
                      (1, 1, False, "B1", "m/a", "T2", 3.0),
                      (1, 1, False, "B1", "m/a", "T1", 4.0),
                      (1, 1, False, "B2", "m/a", "T1", 5.0)])
    path = tmp_path / "000001-abc.parquet"
    past_rows._write(events, path, "benchmark_results")
    f = pq.ParquetFile(path)
    # (m/a, B1, T1): 4; (m/a, B1, T2): 3; (m/a, B2, T1): 5; (m/b, B1, T1): 2; (m/b, B2, T1): 1
    assert f.read().column("score").to_pylist() == [4.0, 3.0, 5.0, 2.0, 1.0]
    assert [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)] == [2, 2, 1]
    assert f.schema_arrow.metadata[past_rows.LAYOUT_KEY] == \
        b"sorted:model_name,benchmark,task_name;row_group:2"
    assert not list(tmp_path.glob("*.tmp"))


def _old_store(store: Path) -> list[str]:
    """A store whose event files were written before the layout (unsorted, one row group, no
    mark); returns the files' relative paths."""
    old = {
        "benchmark_results/000001-aaa.parquet": _events([
            (1, 1, False, "B1", "m/b", "T1", 1.0), (1, 1, False, "B1", "m/a", "T1", 2.0),
            (1, 1, False, "B2", "m/a", "T1", 3.0), (1, 1, False, "B1", "m/a", "T2", 4.0)]),
        "benchmark_results/000002-bbb.parquet": _events([
            (2, 1, True, "B1", "m/b", "T1", 1.0), (2, 1, False, "B1", "m/b", "T1", 6.0),
            (2, 1, False, "B1", "m/a", "T3", 7.0)]),
        "benchmark_task_means/000001-aaa.parquet": _events([
            (1, 1, False, "B2", "m/c", "T1", 8.0), (1, 1, False, "B1", "m/c", "T1", 9.0)]),
    }
    for name, table in old.items():
        (store / "past" / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, store / "past" / name)
    return list(old)


def _scores(store: Path, name: str) -> list:
    return pq.read_table(store / "past" / name).column("score").to_pylist()


# the files in the layout, by hand: sorted by (model_name, benchmark, task_name) (benchmark_results)
# or (model_name, benchmark), stable within a group
RELAID = {"benchmark_results/000001-aaa.parquet": [2.0, 4.0, 3.0, 1.0],
          "benchmark_results/000002-bbb.parquet": [7.0, 1.0, 6.0],
          "benchmark_task_means/000001-aaa.parquet": [9.0, 8.0]}


def test_relayout_rewrites_a_store_once_and_a_killed_run_resumes_equal(tmp_path, monkeypatch):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    names = _old_store(whole)
    _old_store(killed)
    assert past_rows.relayout(whole) == 3
    for name in names:
        assert _scores(whole, name) == RELAID[name], name
        assert pq.read_schema(whole / "past" / name).metadata[past_rows.LAYOUT_KEY] == \
            past_rows.layout(name.split("/")[0])
    stamps = {n: (whole / "past" / n).stat().st_mtime_ns for n in names}
    assert past_rows.relayout(whole) == 0          # idempotent: nothing rewritten again
    assert {n: (whole / "past" / n).stat().st_mtime_ns for n in names} == stamps

    # killed while writing its second file: the first is rewritten, the second half written
    # to its temporary file only, the third untouched; every file whole and its rows the same
    write, calls = past_rows.write_parquet, []

    def dies(table, path, **kw):
        calls.append(path)
        if len(calls) == 2:
            Path(path).write_bytes(b"PAR1 half")
            raise KeyboardInterrupt
        write(table, path, **kw)

    monkeypatch.setattr(past_rows, "write_parquet", dies)
    with pytest.raises(KeyboardInterrupt):
        past_rows.relayout(killed)
    monkeypatch.setattr(past_rows, "write_parquet", write)
    for name in names:
        assert sorted(_scores(killed, name)) == sorted(RELAID[name])
    assert past_rows.relayout(killed) == 2
    for name in names:
        assert (killed / "past" / name).read_bytes() == (whole / "past" / name).read_bytes()
    assert sorted(p.name for p in (killed / "past").rglob("*")) == sorted(
        p.name for p in (whole / "past").rglob("*"))     # no temporary file left


def git(repo: Path, *args: str, when: str) -> str:
    env = {**os.environ, **rf.GIT_ENV, "GIT_AUTHOR_DATE": when + "Z",
           "GIT_COMMITTER_DATE": when + "Z", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """c1: h/A and h/B on HRet1 and HRet2; c2: h/A's HRet3 (a task of HistAll(v1) only);
    c3: h/C arrives. Backfilled, with a live build of c3."""
    base = tmp_path_factory.mktemp("layout")
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", when=DATES[0])
    rf.write_model(repo, "h/A", {"HRet1": 0.5, "HRet2": 0.4})
    rf.write_model(repo, "h/B", {"HRet1": 0.6, "HRet2": 0.5})
    for when, change in zip(DATES, (None, ("h/A", {"HRet3": 0.3}),
                                    ("h/C", {"HRet1": 0.2, "HRet2": 0.2}))):
        if change:
            rf.write_model(repo, *change)
        git(repo, "add", "-A", when=when)
        git(repo, "commit", "-q", "-m", when, when=when)
    cat = rf.catalog(base / "cat")
    wh = base / "wh"
    result = backfill.backfill(str(repo), warehouse_dir=wh, catalog_dir=cat, workers=1)
    assert len(result.recorded) == 3
    assert rf.run_build(repo, wh, cat).published
    return wh


def _rows(con, sql: str) -> list[str]:
    return sorted(repr(r) for r in con.execute(sql).fetchall())


def test_a_past_date_replaces_only_the_groups_that_changed(backfilled, tmp_path):
    """Snapshot 1 served from snapshot 3's compacted state. benchmark_results' groups with
    events in between are (h/A, HistAll(v1), HRet3) and h/C's HRet1 and HRet2 on both
    benchmarks; none had a row at snapshot 1, so its overlay is empty: h/A's HRet1 and HRet2 are
    the base's, on both benchmarks. benchmark_task_means' groups (a model on a benchmark) are
    (h/A, HistAll(v1)) and h/C's two: its overlay holds h/A's HistAll(v1) rows as of snapshot 1,
    not its Hist(v1) rows. Every past results table equals snapshot 1's own state."""
    wh = tmp_path / "wh"
    shutil.copytree(backfilled, wh, symlinks=True)
    store, build = wh / "history", warehouse.current_build(wh)
    shutil.rmtree(store / warehouse.PAST_RANGES_FOLDER)    # served by an overlay
    folder = store / asof.STATE_FOLDER
    own = tmp_path / "own-1.duckdb"
    asof._write_state(own, warehouse.past_event_files(store, 1), 1, build)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    name3 = warehouse.past_state_name(3, warehouse.past_event_files(store, 3))
    asof._write_state(folder / name3, warehouse.past_event_files(store, 3), 3, build)
    past = asof._PastDatabase(build)
    try:
        cur = past.cursor(1)
        try:
            assert past.schemas[1].overlay == "d1" and past.schemas[1].base_seq == 3
            assert cur.execute(
                "SELECT count(*) FROM memory.d1.benchmark_results").fetchall() == [(0,)]
            assert sorted(cur.execute(
                'SELECT * FROM memory.d1."g_benchmark_results"').fetchall()) == [
                ("h/A", "HistAll(v1)", "HRet3"), ("h/C", "Hist(v1)", "HRet1"),
                ("h/C", "Hist(v1)", "HRet2"), ("h/C", "HistAll(v1)", "HRet1"),
                ("h/C", "HistAll(v1)", "HRet2")]
            assert sorted(cur.execute(
                "SELECT DISTINCT model_name, benchmark FROM memory.d1.benchmark_task_means"
            ).fetchall()) == [("h/A", "HistAll(v1)")]
            cur.execute(f"ATTACH '{own}' AS own (READ_ONLY)")
            for table in warehouse.PAST_TABLES:
                assert _rows(cur, f'FROM "{table}"') == _rows(cur, f'FROM own."{table}"'), table
            cur.execute("DETACH own")
        finally:
            cur.close()
    finally:
        past.settle()
        past.con.close()


def _csv(table) -> bytes:
    out = io.BytesIO()
    output.write(table, "csv", out)
    return out.getvalue()


def test_relayout_command_on_a_store_of_the_old_layout(backfilled, tmp_path, monkeypatch,
                                                       capsys):
    """`mteb-lb backfill --relayout` on a store written before the layout: every event file
    rewritten (no source needed), the whole-groups files of the stored default boards made
    again from the events, with the rows the backfill wrote, and every as-of table the same
    before (the boards of a date served by an overlay computed by the ranking SQL) and
    after (the dates served from the ranges it made, missing before)."""
    from mteb_lb import cli

    wh = tmp_path / "wh"
    shutil.copytree(backfilled, wh, symlinks=True)
    store = wh / "history"
    files = sorted((store / "past").glob("*/*.parquet"))
    for path in files:      # the old layout: no mark, one row group, rows in reverse order
        table = pq.read_table(path)
        table = table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))
        pq.write_table(table.replace_schema_metadata({}), path)
    shutil.rmtree(store / asof.STATE_FOLDER, ignore_errors=True)
    shutil.rmtree(store / warehouse.PAST_RANGES_FOLDER)    # dates served by overlays
    wholes = sorted((store / warehouse.PAST_WHOLE_FOLDER).glob("*/*.parquet"))
    assert wholes
    recorded = {p: _file_rows(p) for p in wholes}
    shutil.rmtree(store / warehouse.PAST_WHOLE_FOLDER)

    def tables() -> list[bytes]:
        asof._past.clear()
        lb = rankings.Leaderboard(db.CurrentBuild(wh))
        out = []
        for when in ("2025-03-03", "2025-03-10", "2025-03-17"):
            for bench in ("Hist(v1)", "HistAll(v1)"):
                state, problems = lb.read_state({"benchmark": bench, "as_of": when})
                assert not problems
                out.append(_csv(lb.view(state)))
        for past in list(asof._past.values()):
            past.settle()
            past.con.close()
        asof._past.clear()
        return out

    before = tables()
    shutil.rmtree(store / asof.STATE_FOLDER, ignore_errors=True)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    assert cli.main(["backfill", "--relayout", "--quiet"]) == 0
    assert (f"wrote {len(files) + len(wholes)} files of the past results in the current "
            "layout and their ranges up to snapshot 3 in") in capsys.readouterr().out
    # the ranges, missing, made as a backfill leaves them: the dates below are served from them
    assert [p.name for p in (store / warehouse.PAST_RANGES_FOLDER).iterdir()] == [
        warehouse.past_state_name(3, warehouse.past_event_files(store, 3))]
    for path in files:
        assert pq.read_schema(path).metadata[past_rows.LAYOUT_KEY] == past_rows.layout(
            path.parent.name)
    assert {p: _file_rows(p) for p in wholes} == recorded
    assert tables() == before
    assert cli.main(["backfill", "--relayout", "--quiet"]) == 0
    assert "wrote 0 files of the past results in the current layout in" in \
        capsys.readouterr().out


def _file_rows(path: Path) -> list[str]:
    return sorted(repr(r) for r in pq.read_table(path).to_pylist())
