"""Summary frames shared by a server's processes (mteb_lb/frame_store.py, setting
shared_frames_dir): a second Leaderboard (another gunicorn worker) answers a state's statistics
from the frame the first one computed, without running the ranking query, with the values a
single process gives; a corrupt file, another build's entry and a foreign key are misses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pyarrow as pa
import pytest
from warehouses import DEFAULT

from mteb_lb import db, frame_store, rankings
from mteb_lb.db import CurrentBuild
from mteb_lb.lbstate import Filters

# a filtered state: its frame is queried (the default state's is the build's stored table)
FILTERS = Filters(task_types=("Retrieval", "STS"), max_params_b=1.0)


@pytest.fixture
def ranking_queries(monkeypatch) -> list:
    """The ranking queries run (one per computed summary frame), counted in every board."""
    calls: list = []
    real = rankings._summary_sql

    def counted(params):
        calls.append(params["bench"])
        return real(params)
    monkeypatch.setattr(rankings, "_summary_sql", counted)
    return calls


@pytest.fixture
def filter_queries(monkeypatch) -> list:
    """The state's filter queries run (its models, its tasks), in every board."""
    calls: list = []
    real = db.query_arrow

    def counted(cur, sql, *args, **kwargs):
        calls.extend(m for m in ("lb_models", "lb_selected_tasks") if m in sql)
        return real(cur, sql, *args, **kwargs)
    monkeypatch.setattr(db, "query_arrow", counted)
    return calls


@pytest.fixture
def shared(tmp_path, monkeypatch):
    folder = tmp_path / "frames"
    monkeypatch.setenv("MTEB_LB_SHARED_FRAMES_DIR", str(folder))
    return folder


def answers(board: rankings.Leaderboard) -> tuple[pa.Table, pa.Table]:
    """What the deferred statistics request needs: the summary and its rank intervals."""
    return (board.summary(DEFAULT, FILTERS),
            board.rank_intervals(DEFAULT, FILTERS, resamples=300, seed=5))


def single_process(app_warehouse, monkeypatch) -> tuple[pa.Table, pa.Table]:
    monkeypatch.delenv("MTEB_LB_SHARED_FRAMES_DIR", raising=False)
    return answers(rankings.Leaderboard(CurrentBuild(app_warehouse)))


def test_the_other_worker_answers_without_the_ranking_query(app_warehouse, shared,
                                                            ranking_queries, filter_queries,
                                                            monkeypatch):
    first = rankings.Leaderboard(CurrentBuild(app_warehouse))
    first.summary(DEFAULT, FILTERS)                       # the filter click
    assert len(ranking_queries) == 1
    assert filter_queries == ["lb_models"]   # its task types are the catalog's: no query
    assert len(list(shared.glob("*.arrow"))) == 1
    second = rankings.Leaderboard(CurrentBuild(app_warehouse))
    summary, intervals = answers(second)                  # the statistics, on the other one
    assert len(ranking_queries) == 1                      # no ranking query in the second,
    assert len(filter_queries) == 1                       # nor the state's filter queries
    assert intervals.num_rows == summary.num_rows > 0
    alone_summary, alone_intervals = single_process(app_warehouse, monkeypatch)
    assert len(ranking_queries) == 2                      # the single process queried
    assert summary.equals(alone_summary, check_metadata=True)
    assert intervals.equals(alone_intervals, check_metadata=True)


@pytest.mark.parametrize("damage", [b"", b"not an arrow file", "truncated"])
def test_a_corrupt_file_is_a_miss(app_warehouse, shared, ranking_queries, monkeypatch, damage):
    rankings.Leaderboard(CurrentBuild(app_warehouse)).summary(DEFAULT, FILTERS)
    (path,) = shared.glob("*.arrow")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if damage == "truncated" else damage)
    summary, intervals = answers(rankings.Leaderboard(CurrentBuild(app_warehouse)))
    assert len(ranking_queries) == 2                      # queried again
    alone = single_process(app_warehouse, monkeypatch)
    assert summary.equals(alone[0]) and intervals.equals(alone[1])


def test_another_builds_entry_is_never_served(app_warehouse, tmp_path, shared,
                                              ranking_queries):
    rankings.Leaderboard(CurrentBuild(app_warehouse)).summary(DEFAULT, FILTERS)
    other = shutil.copytree(app_warehouse, tmp_path / "other-warehouse", symlinks=True)
    board = rankings.Leaderboard(CurrentBuild(other))
    board.summary(DEFAULT, FILTERS)
    assert len(ranking_queries) == 2                      # the other build queried its own
    assert len(list(shared.glob("*.arrow"))) == 2


def test_a_file_holding_another_key_is_a_miss(shared):
    mine, foreign = ("/builds/a", DEFAULT, ()), ("/builds/b", DEFAULT, ())
    frame = pa.table({"model_name": ["x", "y"], "score": [1.0, 2.0]})
    frame_store.put(foreign, frame)
    (path,) = shared.glob("*.arrow")
    path.rename(shared / frame_store._name(mine))          # a name clash, or a reused folder
    assert frame_store.get(mine) is None
    frame_store.put(mine, frame)
    assert frame_store.get(mine).equals(frame, check_metadata=True)


def test_the_folder_is_bounded_and_off_by_default(shared, monkeypatch):
    monkeypatch.setattr(frame_store, "MAX_ENTRIES", 5)
    frame = pa.table({"score": [1.0]})
    keys = [("/builds/a", DEFAULT, (("max_params_b", i),)) for i in range(8)]
    for i, key in enumerate(keys):
        frame_store.put(key, frame)
        # one write a second (the file system's clock may not tell quick writes apart)
        os.utime(shared / frame_store._name(key), ns=(i * 10**9, i * 10**9))
    assert len(list(shared.glob("*.arrow"))) == 5
    assert [frame_store.get(key) is not None for key in keys] == [False] * 3 + [True] * 5
    assert list(shared.glob(".tmp-*")) == []
    monkeypatch.delenv("MTEB_LB_SHARED_FRAMES_DIR")
    assert frame_store.get(keys[-1]) is None               # off: nothing read


def test_off_the_store_imports_nothing_it_only_needs_to_share(tmp_path):
    """With the setting off (one process: the CLI, the benchmarks), a filtered request's
    frame goes through get and put without importing what sharing needs (logging, tempfile,
    hashlib: 4-10 ms of a process's first filtered request); with it on, put writes the
    frame and get reads it back."""
    script = ("import json, sys, pyarrow as pa\n"
              "from mteb_lb import frame_store\n"
              "key = ('build', 'bench', 'state')\n"
              "frame_store.put(key, pa.table({'x': pa.nulls(2, pa.int64())}))\n"
              "got = frame_store.get(key)\n"
              "print(json.dumps([None if got is None else got.num_rows, "
              "[m for m in ('logging', 'tempfile', 'hashlib') if m in sys.modules]]))")
    env = {k: v for k, v in os.environ.items() if k != "MTEB_LB_SHARED_FRAMES_DIR"}
    off = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert json.loads(off.stdout) == [None, []]
    env["MTEB_LB_SHARED_FRAMES_DIR"] = str(tmp_path / "frames")
    on = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                        text=True, check=True)
    assert json.loads(on.stdout)[0] == 2
