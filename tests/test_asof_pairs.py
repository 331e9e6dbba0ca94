"""benchmark_pair_repeats per backfilled snapshot: a past date under a language filter counts
the distinct (subset, split) pairs of the tasks its own snapshot lists, as today's board does.

The history (a git repository the test creates, test_language_pairs' catalog): in c1, d/X's
DupCls file scores the "en" subset twice (a repeated pair) and lacks "en2"; d/Y scores en, en2
and de. In c2 d/X's file holds one "en" entry. Under `eng`, DupCls needs {en, en2} x {test}:
d/X has one pair of two in both commits (no score), d/Y both ((.9 + .7) / 2 = 80.0); counting
d/X's rows of c1 as its pairs would give it 2 and (.8 + .6) / 2 = 70.0. A store backfilled by
older code has no such table: a past date then counts every task's pairs distinct (the same
tables), never reads an empty table as "no repeats".
"""

from __future__ import annotations

import shutil
import subprocess

import fixtures as fx
import pyarrow.parquet as pq
import pytest
import refresh_fixtures as rf
from test_backfill import commit, git, served_copy
from test_language_pairs import BENCH, _catalog, _dup_file, _repo

from mteb_lb import asof, db, rankings, warehouse
from mteb_lb.rankings import REPEATS_TABLE

C1, C2 = "2025-01-06T10:00:00", "2025-01-13T10:00:00"
ENG = {"languages": "eng"}


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    base = tmp_path_factory.mktemp("pairs_bf")
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    _repo(repo)
    commit(repo, C1)
    fx.write_result(repo, "d/X", fx.SHA_A, "DupCls", _dup_file([0.8]))
    commit(repo, C2)
    cat = _catalog(base / "cat")
    wh = base / "wh"
    rf.run_build(repo, wh, cat)     # today's build (c2), published
    from etl import backfill
    backfill.backfill(str(repo), warehouse_dir=wh, catalog_dir=cat, workers=1)
    return repo, cat, wh


def _board(wh, when: str, **params):
    """(the past date's Leaderboard, its per-task table) under `params`."""
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    state, problems = lb.read_state({"benchmark": BENCH, "view": "per-task", "as_of": when,
                                     **params})
    assert not problems
    table = lb.view(state)
    return lb._past_board(asof.snapshot_at(lb.handle.build, asof.parse_date(when))), table


def _scores(table) -> dict:
    return dict(zip(table.column("Model").to_pylist(), table.column("DupCls").to_pylist()))


def _settle(wh) -> None:
    for past in list(asof._past.values()):
        past.settle()
        past.close()
    asof._past.clear()


def test_the_backfill_records_the_repeats_and_a_past_date_reads_its_own(backfilled, tmp_path):
    repo, cat, wh_done = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    events = pq.read_table(wh / "history" / warehouse.PAST_FOLDER / REPEATS_TABLE).to_pylist()
    assert [(e["_seq"], e["_removed"], e["model_name"], e["task_name"], e["scored_rows"],
             e["have_pairs"]) for e in events] == [
        (1, False, "d/X", "DupCls", 3, 2), (2, True, "d/X", "DupCls", 3, 2)]
    # c1 is served from c2's state (an overlay), then from its own once compacted
    for _ in range(2):
        board, table = _board(wh, "2025-01-06", **ENG)
        assert board._repeated_tasks(BENCH) == ["DupCls"]
        assert _scores(table) == {"d/Y": pytest.approx(80.0), "d/X": None}
        _settle(wh)
    board, table = _board(wh, "2025-01-13", **ENG)
    assert board._repeated_tasks(BENCH) == []
    assert _scores(table) == {"d/Y": pytest.approx(80.0), "d/X": None}
    today = rankings.Leaderboard(db.CurrentBuild(wh))
    for view in ("summary", "per-task"):
        state, _ = today.read_state({"benchmark": BENCH, "view": view, **ENG})
        past, _ = today.read_state({"benchmark": BENCH, "view": view, "as_of": "2025-01-13",
                                    **ENG})
        assert today.view(past).equals(today.view(state))
    _settle(wh)


def _drop_states(wh) -> None:
    """No compacted state, no ranges: a date is served by an overlay, then its own state."""
    shutil.rmtree(wh / "history" / warehouse.PAST_STATE_FOLDER, ignore_errors=True)
    shutil.rmtree(wh / "history" / warehouse.PAST_RANGES_FOLDER, ignore_errors=True)


@pytest.mark.parametrize("since", [None, 2], ids=["older store", "recorded from c2 on"])
def test_a_store_without_the_table_counts_every_pair_distinct(backfilled, tmp_path, since):
    """A store backfilled by older code (no event file of the table), or continued by this
    code from c2 on (its first file, c2's, holds the table whole: empty): a date before the
    first file binds NULL (every pair distinct), with the same tables; c1's d/X keeps no score
    (an empty table read as "no repeats" would give it 70.0)."""
    repo, cat, wh_done = backfilled
    (tmp_path / "full").mkdir()
    full = served_copy(repo, cat, wh_done, tmp_path / "full")
    wh = tmp_path / "wh"
    subprocess.run(["cp", "-a", str(full), str(wh)], check=True)
    folder = wh / "history" / warehouse.PAST_FOLDER / REPEATS_TABLE
    files = sorted(folder.glob("*.parquet"))
    if since is None:
        shutil.rmtree(folder)
    else:
        first = pq.read_table(files[0])
        files[0].unlink()
        pq.write_table(first.slice(0, 0), files[1])      # c2's table whole: no row
    _drop_states(wh)
    for _ in range(2):   # its own state compacted (no overlay), then c1 over c2's
        for when, listed in (("2025-01-06", None), ("2025-01-13", None if since is None
                                                     else [])):
            board, table = _board(wh, when, **ENG)
            assert board._repeated_tasks(BENCH) == listed
            assert _scores(table) == {"d/Y": pytest.approx(80.0), "d/X": None}
            for view in ("summary", "per-task"):
                _, with_table = _board(full, when, view=view, **ENG)
                _, without = _board(wh, when, view=view, **ENG)
                assert without.equals(with_table)
        _settle(wh)
        _drop_states(wh)
        _board(wh, "2025-01-13")     # c2's state first: c1 is then an overlay on it
        _settle(wh)
