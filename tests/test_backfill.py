"""`mteb-lb backfill` on a git repository the test creates: commits that add, modify, delete and
rename result files, change a model_meta.json, and a merge; the snapshot of each commit written
out by hand; the as-of table of the newest commit against the current table; resuming after a
kill; a plain folder refused in one line.

The catalog (refresh_fixtures.catalog): Hist(v1) ranks HRet1 and HRet2 (Borda: each task gives
n_models - rank points; the means are the plain means of the two scores, 0-100).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import fixtures as fx
import pyarrow.parquet as pq
import pytest
import refresh_fixtures as rf

import queries
from etl import backfill, gitdiff, past_rows
from mteb_lb import asof, db, lbstate, output, rankings, warehouse

approx = pytest.approx
DATES = ["2025-01-06T10:00:00", "2025-01-13T10:00:00", "2025-01-20T10:00:00",
         "2025-01-27T10:00:00", "2025-02-03T10:00:00", "2025-02-10T10:00:00"]


def git(repo: Path, *args: str, when: str = "2025-01-01T00:00:00") -> str:
    env = {**os.environ, **rf.GIT_ENV, "GIT_AUTHOR_DATE": when + "Z",
           "GIT_COMMITTER_DATE": when + "Z", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def commit(repo: Path, when: str) -> str:
    git(repo, "add", "-A", when=when)
    git(repo, "commit", "-q", "-m", when, when=when)
    return git(repo, "rev-parse", "HEAD")


def scores(repo: Path, model: str, hret1: float, hret2: float) -> None:
    fx.write_meta(repo, model, rf.REV)
    for task, score in (("HRet1", hret1), ("HRet2", hret2)):
        rf.write_score(repo, model, task, score)


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory):
    """The repository and its first-parent commits, oldest first."""
    repo = tmp_path_factory.mktemp("hist") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    scores(repo, "h/A", 0.50, 0.40)
    scores(repo, "h/B", 0.60, 0.50)
    scores(repo, "h/C", 0.30, 0.20)
    c1 = commit(repo, DATES[0])                                   # add 9 files
    scores(repo, "h/A", 0.70, 0.55)                               # (model_meta: same bytes)
    c2 = commit(repo, DATES[1])                                   # modify 2
    git(repo, "rm", "-q", "-r", "results/h__C")
    c3 = commit(repo, DATES[2])                                   # delete 3 (h/C gone)
    git(repo, "mv", f"results/h__B/{rf.REV}", f"results/h__B/{fx.SHA_B}")
    c4 = commit(repo, DATES[3])                                   # rename 3 (same scores)
    meta = repo / "results/h__A" / rf.REV / "model_meta.json"
    meta.write_bytes(fx.dumps(fx.model_meta("h/D", rf.REV)))     # h/A's results are h/D's
    c5 = commit(repo, DATES[4])                                   # model_meta name changed
    git(repo, "checkout", "-q", "-b", "side")
    scores(repo, "h/E", 0.10, 0.10)
    side = commit(repo, "2025-02-07T10:00:00")                    # only on the side branch
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side", when=DATES[5])
    merge = git(repo, "rev-parse", "HEAD")                        # the merge brings h/E
    return repo, [c1, c2, c3, c4, c5, merge], side


# Hist(v1) after each commit, by hand: (model, rank, Mean (Task)) and the task scores.
# c1: HRet1 B .6 > A .5 > C .3; HRet2 B .5 > A .4 > C .2: B 4 points, A 2, C 0.
# c2: A .70/.55 now first on both: A, B, C.  c3: C's files deleted.  c4: B's folder renamed:
# nothing moves.  c5: h/A's model_meta names h/D: A leaves, D arrives with its scores.
# merge: E (.1/.1) last.
EXPECTED = [
    [("h/A", 2, 45.0), ("h/B", 1, 55.0), ("h/C", 3, 25.0)],
    [("h/A", 1, 62.5), ("h/B", 2, 55.0), ("h/C", 3, 25.0)],
    [("h/A", 1, 62.5), ("h/B", 2, 55.0)],
    [("h/A", 1, 62.5), ("h/B", 2, 55.0)],
    [("h/B", 2, 55.0), ("h/D", 1, 62.5)],
    [("h/B", 2, 55.0), ("h/D", 1, 62.5), ("h/E", 3, 10.0)],
]
EXPECTED_TASKS = [
    {("h/A", "HRet1"): 50.0, ("h/A", "HRet2"): 40.0, ("h/B", "HRet1"): 60.0,
     ("h/B", "HRet2"): 50.0, ("h/C", "HRet1"): 30.0, ("h/C", "HRet2"): 20.0},
]
FILES = [(9, 0, 0, 0), (0, 2, 0, 0), (0, 0, 3, 0), (0, 0, 0, 3), (0, 1, 0, 0), (3, 0, 0, 0)]


def run_backfill(repo: Path, wh: Path, cat: Path, **kw) -> backfill.BackfillResult:
    return backfill.backfill(str(repo), warehouse_dir=wh, catalog_dir=cat, workers=1, **kw)


def hist_rows(wh: Path, when: str) -> tuple[list, dict]:
    _snap, table = asof.rows_at(wh / "builds" / "none", datetime.fromisoformat(when),
                                "Hist(v1)")
    rows = table.to_pylist()
    models = sorted((r["model_name"], r["rank"], approx(r["score"])) for r in rows
                    if r["key"] == "")
    tasks = {(r["model_name"], r["key"]): approx(r["score"]) for r in rows if r["key"]}
    return models, tasks


def served_copy(repo: Path, cat: Path, wh_done: Path, tmp_path: Path) -> Path:
    """A copy (tmp_path/wh) of the backfilled warehouse, today's build published first when
    the backfill left none: a test may change the copy's store, never the fixture's."""
    if not (wh_done / "current").exists():
        assert rf.run_build(repo, wh_done, cat).published
    wh = tmp_path / "wh"
    subprocess.run(["cp", "-a", str(wh_done), str(wh)], check=True)
    return wh


def without_ranges(store: Path) -> None:
    """The store without the past results of every snapshot in one file (the backfill leaves
    it): a date without its own state is served by an overlay on another snapshot's."""
    shutil.rmtree(store / warehouse.PAST_RANGES_FOLDER, ignore_errors=True)


def served_from_state_6(backfilled, tmp_path: Path, seq: int = 6) -> tuple[Path, Path, Path]:
    """A served copy of the backfilled warehouse (its folder, store, build) whose only state
    file is snapshot 6's (or `seq`'s), without ranges: every other date is served by an
    overlay on it."""
    repo, commits, side, cat, wh_done, result = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    store, build = wh / "history", warehouse.current_build(wh)
    without_ranges(store)
    folder = store / asof.STATE_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    found = warehouse.past_event_files(store, seq)
    asof._write_state(folder / warehouse.past_state_name(seq, found), found, seq, build)
    _forget_stored_schema(build)    # a copy: an earlier test's stored schema `past` not read
    return wh, store, build


@pytest.fixture(scope="module")
def backfilled(history_repo, tmp_path_factory):
    repo, commits, side = history_repo
    base = tmp_path_factory.mktemp("bf")
    cat = rf.catalog(base / "cat")
    wh = base / "wh"
    result = run_backfill(repo, wh, cat)
    return repo, commits, side, cat, wh, result


def test_every_first_parent_commit_gets_its_snapshot(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    assert result.recorded == commits and side not in result.recorded
    snaps = pq.read_table(wh / "history" / "snapshots.parquet").to_pylist()
    assert [s["commit"] for s in snaps] == commits
    assert [s["committed_at"] for s in snaps] == [datetime.fromisoformat(d) for d in DATES]
    assert [(s["files_added"], s["files_modified"], s["files_deleted"], s["files_renamed"])
            for s in snaps] == FILES
    for when, expected in zip(DATES, EXPECTED):
        assert hist_rows(wh, when)[0] == expected, when
    assert hist_rows(wh, DATES[0])[1] == EXPECTED_TASKS[0]
    # the light path: the scratch build of the merge looked at its 3 added files only
    scratch = warehouse.current_build(wh / "history" / "work" / "warehouse")
    assert warehouse.read_manifest(scratch)["listing"] == "3 changed paths given"
    # the scratch builds store no rank intervals (B = 0): a past date computes its own
    assert warehouse.read_manifest(scratch)["rank_intervals"]["rows"] == 0
    # c4 moved no leaderboard row; the day before the first commit has no snapshot
    assert snaps[3]["rows_added"] == 0
    with pytest.raises(asof.AsOfError, match="the history starts on 2025-01-06"):
        hist_rows(wh, "2025-01-05T23:59:59")


def test_the_changed_paths_explain_a_disappearance(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    paths = pq.read_table(wh / "history" / "paths").to_pylist()
    at = {(p["seq"], p["status"], p["path"]) for p in paths}
    assert (3, "D", f"results/h__C/{rf.REV}/HRet1.json") in at
    assert (5, "M", f"results/h__A/{rf.REV}/model_meta.json") in at
    renamed = [p for p in paths if p["status"] == "R"]
    assert {(p["old_path"], p["path"]) for p in renamed} == {
        (f"results/h__B/{rf.REV}/{n}", f"results/h__B/{fx.SHA_B}/{n}")
        for n in ("HRet1.json", "HRet2.json", "model_meta.json")}


def test_rerun_records_nothing_and_storage_is_small(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    # the ranges of every snapshot, missing (a run killed before it made them): made again
    ranges = wh / "history" / warehouse.PAST_RANGES_FOLDER
    name = warehouse.past_state_name(6, warehouse.past_event_files(wh / "history", 6))
    assert [p.name for p in ranges.iterdir()] == [name]
    shutil.rmtree(ranges)
    again = run_backfill(repo, wh, cat)
    assert again.recorded == [] and again.skipped == 6
    assert [p.name for p in ranges.iterdir()] == [name]
    assert backfill.stored_bytes(wh / "history") < 5 * 1024 * 1024 * 6


def test_every_week_and_since(history_repo, tmp_path):
    repo, commits, side = history_repo
    cat = rf.catalog(tmp_path / "cat")
    wh = tmp_path / "wh"
    result = run_backfill(repo, wh, cat, since="2025-01-20", every="month")
    # January from the 20th: c3, c4 -> c4; February: c5, merge -> merge
    assert result.recorded == [commits[3], commits[5]]
    assert hist_rows(wh, DATES[3])[0] == EXPECTED[3]
    assert hist_rows(wh, DATES[5])[0] == EXPECTED[5]


def test_a_plain_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "plain" / "results").mkdir(parents=True)
    with pytest.raises(backfill.BackfillError) as info:
        backfill.backfill(str(tmp_path / "plain"), warehouse_dir=tmp_path / "wh")
    assert "is not a git clone" in str(info.value) and "\n" not in str(info.value)


def _csv(table) -> bytes:
    out = io.BytesIO()
    output.write(table, "csv", out)
    return out.getvalue()


def test_as_of_the_newest_commit_equals_the_current_table(backfilled, tmp_path):
    repo, commits, side, cat, wh, result = backfilled
    report = rf.run_build(repo, wh, cat)          # the live build of HEAD (the merge)
    assert report.published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    for view in ("summary", "per-task"):
        now, problems = lb.read_state({"benchmark": "Hist(v1)", "view": view})
        assert not problems
        then, problems = lb.read_state({"benchmark": "Hist(v1)", "view": view,
                                        "as_of": "2025-02-10"})
        assert not problems and then.as_of == "2025-02-10"
        past = lb.view(then)
        current = lb.view(now)
        # every column (zero-shot, per-type means, rank intervals), byte for byte
        assert past.column_names == current.column_names
        assert _csv(past) == _csv(current), view
    # the day before: the snapshot of c5 (no h/E)
    before = lb.view(lb.read_state({"benchmark": "Hist(v1)", "as_of": "2025-02-09"})[0])
    assert before.column("Model").to_pylist() == ["h/D", "h/B"]
    assert lbstate.decode({"as_of": "yesterday"})[1] == [
        "'as_of=yesterday' is not a date: use YYYY-MM-DD."]
    assert lbstate.decode({"as_of": "20250209"})[1] == [
        "'as_of=20250209' is not a date: use YYYY-MM-DD."]


def test_a_past_date_answers_filtered_states(backfilled):
    """Filters on a past date, from the past results themselves (by hand from the commits):
    c1 (2025-01-06) HRet2 alone: B .50, A .40, C .20; c5 (2025-02-03) HRet1 alone: h/D (h/A's
    results renamed) .70 > h/B .60; the per-task view of c3 (2025-01-20) without h/C."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))

    def table(**params):
        state, problems = lb.read_state({"benchmark": "Hist(v1)", **params})
        assert not problems
        return lb.view(state).to_pylist()

    rows = table(as_of="2025-01-06", tasks="HRet2")
    assert [(r["Model"], r["Rank (Borda)"], approx(r["Mean (Task)"])) for r in rows] == [
        ("h/B", 1, approx(50.0)), ("h/A", 2, approx(40.0)), ("h/C", 3, approx(20.0))]
    rows = table(as_of="2025-02-03", tasks="HRet1")
    assert [(r["Model"], r["Rank (Borda)"], approx(r["Mean (Task)"])) for r in rows] == [
        ("h/D", 1, approx(70.0)), ("h/B", 2, approx(60.0))]
    rows = table(as_of="2025-01-20", view="per-task")
    assert [(r["Model"], approx(r["HRet1"]), approx(r["HRet2"])) for r in rows] == [
        ("h/A", approx(70.0), approx(55.0)), ("h/B", approx(60.0), approx(50.0))]
    # the model search and the sort on a past date, as today
    rows = table(as_of="2025-01-13", search="h/C")
    assert [(r["Model"], r["Rank (Borda)"]) for r in rows] == [("h/C", 3)]


def test_a_past_dates_grid_takes_no_spread_from_todays_results(backfilled):
    """The per-experiment scores behind the per-task grid's spread marks (chosen_results) are
    not recorded per snapshot: a past date sees none (no spread marks), never today's files."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    state, problems = lb.read_state({"benchmark": "Hist(v1)", "view": "per-task",
                                     "as_of": "2025-01-20"})
    assert not problems
    past = lb.as_of_board(state)
    count = "SELECT count(*) FROM chosen_results"
    with lb.handle.cursor() as cur:     # HEAD: h/B, h/D, h/E, two tasks each
        assert cur.execute(count).fetchall() == [(6,)]
    with past.handle.cursor() as cur:
        assert cur.execute(count).fetchall() == [(0,)]
    assert past.task_spread("Hist(v1)", state.filters()).num_rows == 0
    # the grid itself is the date's (c3: h/C's files deleted)
    assert past.per_task("Hist(v1)", state.filters()).column("Model").to_pylist() == [
        "h/A", "h/B"]


def test_the_past_database_is_made_ahead_by_the_prewarm(backfilled, tmp_path, monkeypatch):
    """asof.prewarm (the app's prewarm thread) makes the past database's views and macros: the
    first as-of request after it does not make them, and answers as usual."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    build = db.CurrentBuild(wh).build
    while asof._past:      # a fresh process: no past database yet
        asof._past.popitem()[1].close()
    assert asof.prewarm(tmp_path / "builds" / "none") is False     # no history: nothing
    assert not asof._past
    assert asof.prewarm(build) is True

    def again(self, *parts):
        raise AssertionError("the past schema made twice")

    monkeypatch.setattr(asof._PastDatabase, "_create_past", again)
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    state, problems = lb.read_state({"benchmark": "Hist(v1)", "as_of": "2025-01-06"})
    assert not problems
    rows = lb.view(state).to_pylist()     # c1: B 4 Borda points, A 2, C 0
    assert [(r["Model"], r["Rank (Borda)"]) for r in rows] == [
        ("h/B", 1), ("h/A", 2), ("h/C", 3)]



def _past_of(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    build = warehouse.current_build(wh)
    _forget_stored_schema(build)
    return asof._PastDatabase(build)


def _forget_stored_schema(build) -> None:
    """The schema `past` stored by an earlier test's database removed: this one makes it."""
    for folder in asof._schema_folders(asof._store(build)):
        for path in folder.glob("*.duckdb"):
            path.unlink()


BOARD = ("SELECT model_name FROM default_summaries WHERE benchmark = 'Hist(v1)' "
         "ORDER BY position")
MODELS = "SELECT count(*) FROM models WHERE name IN ('h/A', 'h/B', 'h/C')"


def test_a_statement_waits_only_for_the_part_of_the_past_schema_it_names(
        backfilled, monkeypatch):
    """The schema `past` is made in two parts: a statement naming only stored tables (the
    default board's) runs once their views are made; one naming a queries/ view or macro waits
    for those too, and never runs before they exist."""
    create_views, release = asof.queries.create_views, threading.Event()

    def held(*a, **k):      # the views and macros made only once released
        release.wait(60)
        return create_views(*a, **k)

    monkeypatch.setattr(asof.queries, "create_views", held)
    past = _past_of(backfilled)
    out: dict = {}

    def models():
        cur = past.cursor(1)
        try:
            out["models"] = cur.execute(MODELS).fetchall()
        except Exception as exc:    # noqa: BLE001 - asserted below
            out["models"] = exc
        finally:
            cur.close()

    try:
        cur = past.cursor(1)
        try:     # snapshot 1 (2025-01-06): B 4 Borda points, A 2, C 0
            assert cur.execute(BOARD).fetchall() == [("h/B",), ("h/A",), ("h/C",)]
        finally:
            cur.close()
        assert not past.ready
        thread = threading.Thread(target=models)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not out     # waiting for the views and macros
        release.set()
        thread.join(60)
        assert out["models"] == [(3,)]
        assert past.ready
    finally:
        release.set()
        past.close()


def test_a_later_process_attaches_the_past_schema_a_first_one_stored(backfilled, monkeypatch):
    """The first past database of a build makes the schema `past` and stores it; the next one
    (a later process) attaches that file instead of making the views and macros again, and its
    statements answer the same: snapshot 1's board (B 4 Borda points, A 2, C 0), the three
    models, and Hist(v1)'s two tasks (HRet1, HRet2)."""
    first = _past_of(backfilled)
    try:
        cur = first.cursor(1)
        try:
            answers = [cur.execute(q).fetchall() for q in (BOARD, MODELS, TASKS)]
        finally:
            cur.close()
    finally:
        first.close()      # waits for the schema stored
    assert answers == [[("h/B",), ("h/A",), ("h/C",)], [(3,)], [("HRet1",), ("HRet2",)]]
    stored = [p for f in asof._schema_folders(asof._store(first.build))
              for p in f.glob("*.duckdb")]
    assert len(stored) == 1

    def made(*a, **k):
        raise AssertionError("the schema `past` made again")

    monkeypatch.setattr(asof.queries, "create_views", made)
    later = asof._PastDatabase(first.build)
    try:
        cur = later.cursor(1)
        try:
            assert [cur.execute(q).fetchall() for q in (BOARD, MODELS, TASKS)] == answers
        finally:
            cur.close()
        assert later.ready and later.catalog != "memory"
    finally:
        later.close()


def _views_fail_once(monkeypatch) -> list:
    """The schema `past`'s views and macros part fails the first time it is made ("disk gone"),
    then is made as usual; returns the list of its attempts (one entry each; the schema then
    stored in a file, asof._PastDatabase._store_schema, is not one)."""
    create_views = asof.queries.create_views
    calls: list = []

    def fails_once(con, *a, **k):
        if con.execute("SELECT current_database()").fetchall() == [("memory",)]:
            calls.append(1)
            if len(calls) == 1:
                raise duckdb.IOException("disk gone")
        return create_views(con, *a, **k)

    monkeypatch.setattr(asof.queries, "create_views", fails_once)
    return calls


def test_a_failure_in_making_the_past_schema_reaches_the_statement_and_is_retried(
        backfilled, monkeypatch):
    """An error in either part of the schema `past` is raised to the statement that waits for
    that part; the next statement makes the schema again over the half made (no "already
    exists") and answers."""
    past = _past_of(backfilled)
    try:
        past._prepare()
        names = past.cur_names
        # the tables' part fails half-way: a name today's build does not have, after the others
        monkeypatch.setattr(past, "cur_names", names + ["no_such_table"])
        cur = past.cursor(1)
        try:
            with pytest.raises(duckdb.CatalogException, match="no_such_table"):
                cur.execute(BOARD)
        finally:
            cur.close()
        monkeypatch.setattr(past, "cur_names", names)
        calls = _views_fail_once(monkeypatch)
        cur = past.cursor(1)
        try:
            # the views and macros' part fails: the statement naming one of them gets the error
            with pytest.raises(duckdb.IOException, match="disk gone"):
                cur.execute(MODELS)
            assert cur.execute(MODELS).fetchall() == [(3,)]
            assert cur.execute(BOARD).fetchall() == [("h/B",), ("h/A",), ("h/C",)]
        finally:
            cur.close()
        assert len(calls) == 2 and past.ready
    finally:
        past.close()


TASKS = "SELECT DISTINCT task_name FROM benchmark_tasks WHERE benchmark = 'Hist(v1)' ORDER BY 1"


class _Overlapped:
    """The past database's connection, whose schema thread's cursor runs `during(sql)` beside
    each statement that replaces a view of the schema `past` (the two on different threads)."""

    def __init__(self, con, during):
        self._con, self._during = con, during

    def __getattr__(self, name):
        return getattr(self._con, name)

    def cursor(self):
        cur = self._con.cursor()
        if threading.current_thread().name != "asof-past":
            return cur
        during = self._during

        class Hooked:
            def __getattr__(self, name):
                return getattr(cur, name)

            def execute(self, sql, *args):
                if not sql.startswith("CREATE OR REPLACE VIEW memory.past."):
                    return cur.execute(sql, *args)
                beside = threading.Thread(target=during, args=(sql,))
                beside.start()
                try:
                    return cur.execute(sql, *args)
                finally:
                    beside.join(60)

        return Hooked()


def test_a_statement_running_while_the_past_schema_is_made_again_answers(
        backfilled, monkeypatch):
    """After the views and macros' part failed, the next statement makes the schema `past`
    again, replacing its views of today's and the past results tables. Statements of another
    cursor running meanwhile (past their wait, over those views) answer as before each time:
    snapshot 1's board (B 4 Borda points, A 2, C 0) and the catalog's tasks of Hist(v1)."""
    past = _past_of(backfilled)
    calls, answers = _views_fail_once(monkeypatch), []
    try:
        running = past.cursor(1)
        other = past.cursor(1)
        try:
            # the tables' part made, the views and macros' part failed
            assert running.execute(BOARD).fetchall() == [("h/B",), ("h/A",), ("h/C",)]
            with pytest.raises(duckdb.IOException, match="disk gone"):
                other.execute(MODELS)
            con = running._con      # its temp views made: a statement past its wait

            def board(replacing: str) -> None:
                try:
                    answers.append((replacing, con.execute(BOARD).fetchall(),
                                    con.execute(TASKS).fetchall()))
                except Exception as exc:     # noqa: BLE001 - asserted below
                    answers.append((replacing, exc, None))

            monkeypatch.setattr(past, "con", _Overlapped(past.con, board))
            assert other.execute(MODELS).fetchall() == [(3,)]
        finally:
            running.close()
            other.close()
        assert len(calls) == 2 and past.ready
        replaced = [sql for sql, *_ in answers]
        assert any('"default_summaries"' in sql for sql in replaced)
        assert any('"benchmark_tasks"' in sql for sql in replaced)
        assert all(board == [("h/B",), ("h/A",), ("h/C",)] and tasks == [("HRet1",), ("HRet2",)]
                   for _, board, tasks in answers), answers
    finally:
        past.close()


KILL_SCRIPT = """
import sys
from pathlib import Path
from etl import backfill
backfill.backfill(sys.argv[1], warehouse_dir=Path(sys.argv[2]), catalog_dir=Path(sys.argv[3]),
                  workers=1, log=lambda m: print(m, flush=True))
"""


def _store_content(wh: Path) -> tuple:
    snaps = pq.read_table(wh / "history" / "snapshots.parquet").drop(["seconds"]).to_pylist()
    con = duckdb.connect()
    rows = con.execute(
        "SELECT * FROM read_parquet(?) ORDER BY ALL",
        [str(wh / "history" / "leaderboard_history" / "*.parquet")]).fetchall()
    paths = con.execute("SELECT * FROM read_parquet(?) ORDER BY ALL",
                        [str(wh / "history" / "paths" / "*.parquet")]).fetchall()
    past = {t.name: con.execute("SELECT * FROM read_parquet(?) ORDER BY ALL",
                                [str(t / "*.parquet")]).fetchall()
            for t in sorted((wh / "history" / "past").iterdir())}
    assert past["benchmark_results"]
    # no model of this history repeats a pair: its first snapshot's file, empty, says the
    # table is recorded (warehouse.PAST_LATER)
    assert past["benchmark_pair_repeats"] == []
    return snaps, rows, paths, past


def test_a_killed_backfill_resumes_and_ends_equal(backfilled, tmp_path):
    repo, commits, side, cat, wh_done, result = backfilled
    wh = tmp_path / "wh"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(repo), str(wh), str(cat)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    seen = []
    for line in proc.stdout:       # kill while the third commit is being built
        seen.append(line)
        if line.startswith("[3] ") and "changed paths" in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    recorded = pq.read_table(wh / "history" / "snapshots.parquet").column("commit").to_pylist()
    assert recorded == commits[:2]
    time.sleep(0.01)
    resumed = run_backfill(repo, wh, cat)
    assert resumed.recorded == commits[2:] and resumed.skipped == 2
    assert _store_content(wh) == _store_content(wh_done)


def test_first_parent_commits_match_the_repository(history_repo):
    repo, commits, side = history_repo
    assert [c.commit for c in gitdiff.first_parent_commits(repo)] == commits


NOWHERE = "builds/none"   # no live build: only the backfilled history


def test_changes_between_two_dates_say_why_a_model_left(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    build = wh / NOWHERE

    def gone(d1, d2):
        _a, _b, rows = asof.changes_between(build, datetime.fromisoformat(d1),
                                            datetime.fromisoformat(d2), "Hist(v1)")
        return {(r["change"], r["model_name"]): r["cause"] for r in rows
                if r["change"] in ("removed_model", "new_model")}

    assert gone(DATES[1], DATES[2]) == {
        ("removed_model", "h/C"): f"files removed: results/h__C/{rf.REV}/HRet1.json "
                                  "and 2 more"}
    assert gone(DATES[3], DATES[4]) == {
        ("removed_model", "h/A"): "model_meta.json changed (model name or revision)",
        ("new_model", "h/D"): None}
    # across several snapshots: c1 -> merge
    assert gone(DATES[0], DATES[5]) == {
        ("removed_model", "h/A"): "model_meta.json changed (model name or revision)",
        ("removed_model", "h/C"): f"files removed: results/h__C/{rf.REV}/HRet1.json "
                                  "and 2 more",
        ("new_model", "h/D"): None, ("new_model", "h/E"): None}
    _a, _b, rows = asof.changes_between(build, datetime.fromisoformat(DATES[0]),
                                        datetime.fromisoformat(DATES[1]), "Hist(v1)")
    assert sorted((r["change"], r["model_name"], r["task_name"], r["old_score"],
                   r["new_score"]) for r in rows) == [
        ("changed_result", "h/A", "HRet1", approx(50.0), approx(70.0)),
        ("changed_result", "h/A", "HRet2", approx(40.0), approx(55.0)),
        ("rank_down", "h/B", None, approx(55.0), approx(55.0)),
        ("rank_up", "h/A", None, approx(45.0), approx(62.5))]


def test_a_models_ranks_and_a_benchmarks_leader_through_time(backfilled):
    repo, commits, side, cat, wh, result = backfilled
    build = wh / NOWHERE
    rows = [r for r in asof.model_history(build, "h/A")
            if r["benchmark"] == "Hist(v1)" and r["key"] == ""]
    assert [(r["build_seq"], r["rank"], r["score"] and approx(r["score"]), r["removed"])
            for r in rows] == [(1, 2, approx(45.0), False), (2, 1, approx(62.5), False),
                               (5, None, None, True)]
    task_rows = [(r["build_seq"], r["key"]) for r in asof.model_history(build, "h/A")
                 if r["benchmark"] == "Hist(v1)" and r["key"]]
    assert task_rows == [(1, "HRet1"), (2, "HRet1"), (5, "HRet1"),
                         (1, "HRet2"), (2, "HRet2"), (5, "HRet2")]
    leaders = [(r["build_seq"], r["n_models"], r["leader"])
               for r in asof.benchmark_history(build, "Hist(v1)")]
    assert leaders == [(1, 3, "h/B"), (2, 3, "h/A"), (3, 2, "h/A"), (4, 2, "h/A"),
                       (5, 2, "h/D"), (6, 3, "h/D")]


@pytest.fixture
def live(backfilled, monkeypatch):
    """The backfilled warehouse with a live build of HEAD, served as the current one."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    monkeypatch.setattr(rankings, "_default", lb)
    monkeypatch.setattr(db, "_current", lb.handle)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    return lb


def test_as_of_on_the_api_the_cli_and_the_page(live, dash_app, capsys):
    import flask
    from dash_helpers import find, text_of

    from app import api
    from mteb_lb import cli

    page = sys.modules["app.pages.leaderboard"]

    server = flask.Flask(__name__)
    api.register(server)
    body = server.test_client().get("/api/table", query_string={
        "benchmark": "Hist(v1)", "as_of": "2025-01-20"}).get_json()
    assert [(r[1], r[0]) for r in body["rows"]] == [("h/A", 1), ("h/B", 2)]
    bad = server.test_client().get("/api/table", query_string={"as_of": "2025-13-01"})
    assert bad.status_code == 400

    assert cli.main(["table", "--benchmark", "Hist(v1)", "--as-of", "2025-01-06",
                     "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["1", "h/B"], ["2", "h/A"],
                                                           ["3", "h/C"]]

    layout = page.layout(benchmark="Hist(v1)", as_of="2025-01-06")
    banner = text_of(find(layout, "lb-as-of-banner"))
    assert "The leaderboard as of 2025-01-06" in banner and "Back to today" in banner
    assert find(layout, "lb-as-of-today").href == "/?benchmark=Hist%28v1%29"
    assert find(layout, "lb-as-of").value == "2025-01-06"
    rows = find(layout, page.GRID).rowData
    assert [r["model"] for r in rows][:3] == ["h/B", "h/A", "h/C"]
    # the date picker: a callback with a date gives the past table and the banner
    values = page.state_to_controls(live.read_state({"benchmark": "Hist(v1)"})[0])
    values["as_of"] = "2025-01-20"
    out = page.update_view("Hist(v1)", *(values[k] for k in page.CONTROL_KEYS))
    assert [r["model"] for r in out["grid_rows"]] == ["h/A", "h/B"], out["empty_text"]
    assert "2025-01-20" in text_of(out["as_of_banner"])
    values["as_of"] = ""
    out = page.update_view("Hist(v1)", *(values[k] for k in page.CONTROL_KEYS))
    assert out["as_of_banner"] == [] and len(out["grid_rows"]) == 3


def test_the_model_and_changes_pages_show_the_history(live, dash_app):
    from dash_helpers import find, text_of

    model_page = sys.modules["app.pages.model"]
    changes_page = sys.modules["app.pages.changes"]
    layout = model_page.layout(name="h/B")
    ranks = find(layout, "model-rank-history").figure   # a figure's JSON (dicts)
    hist = [t for t in ranks["data"] if t["name"] == "Hist(v1)"][0]
    # h/B on Hist(v1): rank 1 at c1, 2 from c2 on (backfill); the live build adds a point
    assert list(hist["y"][:2]) == [1, 2] and hist["line"]["shape"] == "hv"
    means = find(layout, "model-mean-history").figure
    diamonds = [t for t in means["data"] if t["name"] == "Hist(v1): results added or changed"]
    # h/B's task scores were added at c1 (its rename at c4 changed no score)
    assert [str(x)[:10] for x in diamonds[0]["x"]][:1] == ["2025-01-06"]

    page = changes_page.layout(benchmark="Hist(v1)", **{"from": "2025-01-13", "to": "2025-01-20"})
    grid = find(page, "between-models")
    field = {c["headerName"]: c["field"] for c in grid.columnDefs}
    assert [(r[field["Model"]], r[field["Change"]], r[field["Cause"]])
            for r in grid.rowData] == [
        ("h/C", "Removed models", f"files removed: results/h__C/{rf.REV}/HRet1.json "
                                  "and 2 more")]
    assert find(page, "changes-benchmark-history") is not None
    bad = changes_page.layout(**{"from": "2024-01-01", "to": "2025-01-20"})
    assert "the history starts on 2025-01-06" in text_of(bad)


def _plotted(figure: dict) -> set[str]:
    """Every model name a figure shows (its points' hover texts and labels)."""
    out = set()
    for trace in figure.get("data", []):
        for key in ("text", "hovertext", "y", "customdata", "name"):
            values = trace.get(key)
            for v in values if isinstance(values, (list, tuple)) else [values]:
                out.update(m for m in ("h/A", "h/B", "h/C", "h/D", "h/E") if m in str(v))
    return out


def test_the_plots_under_a_past_table_show_that_date(live, dash_app):
    """The plots under the table at as_of plot that date's board: at c1 (2025-01-06) h/A, h/B,
    h/C; today h/B, h/D, h/E (the rank intervals too, computed from c1's results)."""
    plots = sys.modules["app.plots"]
    figures = {}
    for when in ("2025-01-06", None):
        for plot in ("size", "time", "intervals"):
            state, problems = live.read_state({"benchmark": "Hist(v1)", "plot": plot,
                                               **({"as_of": when} if when else {})})
            assert not problems
            figures[when, plot] = _plotted(plots.plot_figure(state))
    for plot in ("size", "time", "intervals"):
        assert figures["2025-01-06", plot] == {"h/A", "h/B", "h/C"}, plot
        assert figures[None, plot] == {"h/B", "h/D", "h/E"}, plot


def test_a_past_date_reads_only_its_own_snapshots(backfilled, tmp_path):
    """Lazy per snapshot: the as-of table of c2 reads the past results of snapshots 1-2 only
    (those of the later snapshots are made unreadable in a copy of the warehouse), compacted
    into one state file on disk; its default board is the one the backfill stored (c2 by hand:
    h/A first on both tasks, then h/B, then h/C), made with today's catalog and SQL."""
    repo, commits, side, cat, wh_done, result = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    shutil.rmtree(wh / "history" / asof.STATE_FOLDER, ignore_errors=True)
    without_ranges(wh / "history")
    later = [p for p in (wh / "history" / "past").glob("*/*.parquet")
             if int(p.name.split("-")[0]) > 2]
    assert later
    for path in later:
        path.write_bytes(b"not parquet")
    lb = rankings.Leaderboard(db.CurrentBuild(wh))
    state, problems = lb.read_state({"benchmark": "Hist(v1)", "as_of": "2025-01-13"})
    assert not problems
    rows = lb.view(state).to_pylist()
    assert [(r["Model"], r["Rank (Borda)"], approx(r["Mean (Task)"])) for r in rows] == [
        ("h/A", 1, approx(62.5)), ("h/B", 2, approx(55.0)), ("h/C", 3, approx(25.0))]
    assert [p.name[:7] for p in (wh / "history" / asof.STATE_FOLDER).glob("*.duckdb")] == [
        "000002-"]
    build = warehouse.current_build(wh)
    snap = asof.snapshot_at(build, datetime(2025, 1, 13, 23))
    cur = asof.PastBuild(build, snap).cursor()
    try:
        stored = cur.execute("SELECT model_name FROM default_summaries "
                             "WHERE benchmark = 'Hist(v1)' ORDER BY position").fetchall()
    finally:
        cur.close()
    assert stored == [("h/A",), ("h/B",), ("h/C",)]
    # a date whose snapshot needs the damaged files fails: they are read only for it
    state, problems = lb.read_state({"benchmark": "Hist(v1)", "as_of": "2025-02-10"})
    with pytest.raises(duckdb.Error):
        lb.view(state)


def test_stored_past_boards_of_another_catalog_are_not_served(backfilled):
    """The backfill's stored default boards serve a past date only if they were made with
    today's catalog and SQL (the build's database fingerprint); otherwise the board is computed
    from the past results, with the same table."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    build = warehouse.current_build(wh)
    snap = asof.snapshot_at(build, datetime(2025, 2, 10, 23))
    past = asof._PastDatabase(build)
    try:
        counts = []
        for fingerprint in (past.fingerprint, "another catalog"):
            past.fingerprint = fingerprint
            past.schemas.clear()    # served again, with that fingerprint
            cur = past.cursor(snap.seq)
            try:
                counts.append(cur.execute("SELECT count(*) FROM default_summaries "
                                          "WHERE benchmark = 'Hist(v1)'").fetchall()[0][0])
            finally:
                cur.close()
    finally:
        past.close()
    assert counts == [3, 0]


def test_the_backfill_leaves_the_newest_state_ready(backfilled, tmp_path):
    """The newest snapshot's compacted state, left by the backfill from the rows it keeps,
    equals the one an as-of request compacts from the stored events (every table, every row)."""
    repo, commits, side, cat, wh, result = backfilled
    store = wh / "history"
    found = warehouse.past_event_files(store, 6)
    left = store / asof.STATE_FOLDER / warehouse.past_state_name(6, found)
    assert left.is_file()
    fresh = tmp_path / "fresh.duckdb"
    scratch = warehouse.current_build(store / "work" / "warehouse")
    asof._write_state(fresh, found, 6, scratch)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{left}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{fresh}' AS f (READ_ONLY)")
        names = {d: sorted(r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [d]).fetchall())
            for d in ("a", "f")}
        assert names["a"] == names["f"] and "benchmark_results" in names["a"]
        for table in names["a"]:
            rows = [con.execute(f'SELECT * FROM {d}."{table}" ORDER BY ALL').fetchall()
                    for d in ("a", "f")]
            assert rows[0] == rows[1], table
            # stored by benchmark, as asof's own states (a query of one benchmark, over the
            # state or an overlay on it, reads that benchmark's row groups only)
            columns = [d[0] for d in con.execute(f'FROM a."{table}" LIMIT 0').description]
            if "benchmark" in columns:
                stored = [r[0] for r in con.execute(
                    f'SELECT benchmark FROM a."{table}" ORDER BY rowid').fetchall()]
                assert stored == sorted(stored, key=lambda b: (b is None, b or "")), table
        # benchmark_results, within a benchmark, by task, subset, split and model (its
        # language filter's scan reads runs), in both states
        key = "benchmark, task_name, subset, split, model_name"
        for d in ("a", "f"):
            stored = con.execute(f"SELECT {key} FROM {d}.benchmark_results ORDER BY rowid"
                                 ).fetchall()
            assert len({r[1] for r in stored}) > 1 < len({r[4] for r in stored})
            assert stored == sorted(stored, key=lambda r: [(v is None, v or "") for v in r]), d
        # the merge by hand: h/D .70/.55, h/B .60/.50, h/E .10/.10
        assert con.execute("SELECT model_name FROM a.default_summaries WHERE benchmark = "
                           "'Hist(v1)' ORDER BY position").fetchall() == [
            ("h/D",), ("h/B",), ("h/E",)]
    finally:
        con.close()


def _rows(con, sql: str) -> list[str]:
    return sorted(repr(r) for r in con.execute(sql).fetchall())


def test_a_row_versions_ranges_by_hand():
    """lb_past_ranges on hand-written events: row x added at 1, removed at 3, added again at 4,
    removed at 6; y added at 2, never removed; z twice (occurrences 1 and 2) at 1, the second
    removed at 5. Its ranges, by hand: x [1, 3) and [4, 6), y [2, end), z [1, end) and [1, 5);
    lb_past_at gives, at every snapshot 0-7, the rows lb_past_rows gives."""
    con = duckdb.connect()
    try:
        con.execute(queries.load("lb_past_ranges"))
        con.execute(queries.load("lb_past_at"))
        con.execute(queries.load("lb_past_rows"))
        con.execute("""CREATE TABLE events AS SELECT hash(v) AS _h, * FROM (VALUES
            (1, 1, false, 'x'), (3, 1, true, 'x'), (4, 1, false, 'x'), (6, 1, true, 'x'),
            (2, 1, false, 'y'), (1, 1, false, 'z'), (1, 2, false, 'z'), (5, 2, true, 'z'))
            AS t(_seq, _k, _removed, v)""")
        con.execute("CREATE TABLE r AS FROM lb_past_ranges('events')")
        end = 2147483647
        assert sorted(con.execute("SELECT v, _from, _to FROM r").fetchall()) == [
            ("x", 1, 3), ("x", 4, 6), ("y", 2, end), ("z", 1, 5), ("z", 1, end)]
        for s in range(8):
            assert sorted(con.execute("SELECT v FROM lb_past_at('r', ?)", [s]).fetchall()) \
                == sorted(con.execute("SELECT v FROM lb_past_rows('events', ?)", [s])
                          .fetchall()), s
        assert sorted(con.execute("SELECT v FROM lb_past_at('r', 5)").fetchall()) == [
            ("x",), ("y",), ("z",)]
    finally:
        con.close()


def _served_as_own_states(store: Path, build: Path, tmp_path: Path, seqs,
                          boards: dict | None = None) -> dict:
    """Per date of `seqs`, how a past database served it (ranges, overlay) after checking that
    every past results table of its cursor, the stored default boards included, equals the
    date's own state compacted from its events by lb_past_rows (asof._write_state), row for
    row; `boards` gets each date's Hist(v1) default board (its models in order)."""
    how = {}
    past = asof._PastDatabase(build)
    try:
        for seq in seqs:
            own = tmp_path / f"own-{seq}.duckdb"
            if not own.is_file():
                asof._write_state(own, warehouse.past_event_files(store, seq), seq, build)
            cur = past.cursor(seq)
            try:
                how[seq] = (past.schemas[seq].ranges, past.schemas[seq].overlay)
                cur.execute(f"ATTACH '{own}' AS own (READ_ONLY)")
                for table in warehouse.PAST_TABLES:
                    assert _rows(cur, f'FROM "{table}"') == _rows(
                        cur, f'FROM own."{table}"'), (seq, table)
                served = _rows(cur, "FROM default_summaries")
                assert served == _rows(cur, "SELECT * EXCLUDE (_fingerprint) FROM "
                                            "own.default_summaries") and served, seq
                cur.execute("DETACH own")
                if boards is not None:
                    boards[seq] = [r[0] for r in cur.execute(BOARD).fetchall()]
            finally:
                cur.close()
    finally:
        past.settle()
        past.close()
    return how


def test_the_ranges_serve_every_date_as_its_own_state(backfilled, tmp_path):
    """The backfill leaves the past results of every snapshot in one file (the ranges: each
    row version with the snapshots it is valid in), named after the newest snapshot's event
    files, alone in its folder. With no compacted state on disk at all, every date is served
    from it (no overlay, nothing compacted after), and every past results table equals the
    date's own state, row for row; the boards of c2 (by hand: h/A, h/B, h/C) and of the merge
    (h/D, h/B, h/E) among them."""
    repo, commits, side, cat, wh_done, result = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    store, build = wh / "history", warehouse.current_build(wh)
    folder = store / warehouse.PAST_RANGES_FOLDER
    assert [p.name for p in folder.iterdir()] == [
        warehouse.past_state_name(6, warehouse.past_event_files(store, 6))]
    shutil.rmtree(store / asof.STATE_FOLDER)
    _forget_stored_schema(build)
    boards = {}
    how = _served_as_own_states(store, build, tmp_path, range(1, 7), boards)
    assert how == {seq: (True, None) for seq in range(1, 7)}
    assert boards[2] == ["h/A", "h/B", "h/C"] and boards[6] == ["h/D", "h/B", "h/E"]
    assert not list((store / asof.STATE_FOLDER).glob("*.duckdb"))


def test_ranges_serve_the_dates_up_to_their_snapshot_only(backfilled, tmp_path):
    """Ranges made at snapshot 4 (the later ones' replaced: one file is kept) serve dates 1-4;
    5 is served by an overlay on snapshot 6's state, 6 by its own. Ranges named after other
    event files (a history backfilled again), or that cannot be read (damaged), serve nothing.
    Every date's tables equal its own state either way."""
    wh, store, build = served_from_state_6(backfilled, tmp_path)
    folder = store / warehouse.PAST_RANGES_FOLDER
    made = [past_rows.export_ranges(store, 6), past_rows.export_ranges(store, 4)]
    assert list(folder.iterdir()) == [made[1]]
    how = _served_as_own_states(store, build, tmp_path, range(1, 7))
    assert how == {1: (True, None), 2: (True, None), 3: (True, None), 4: (True, None),
                   5: (False, "d5"), 6: (False, None)}

    def only_state_6() -> None:
        for path in list(folder.iterdir()) + list((store / asof.STATE_FOLDER).glob("*.duckdb")):
            if warehouse.past_file_seq(path.name) != 6:
                path.unlink()

    # another history's ranges: the name's digest is of other event files
    only_state_6()
    past_rows.export_ranges(store, 4).rename(
        folder / warehouse.past_state_name(4, {"benchmark_results": ["x"]}))
    assert _served_as_own_states(store, build, tmp_path, (3,)) == {3: (False, "d3")}
    # damaged: the right name, not a database
    only_state_6()
    past_rows.export_ranges(store, 4).write_bytes(b"not a database")
    assert _served_as_own_states(store, build, tmp_path, (2,)) == {2: (False, "d2")}


def test_a_date_without_its_own_state_is_served_from_another_snapshots(backfilled, tmp_path):
    """The first request for a date whose compacted state is not on disk does not wait for its
    compaction: it is served from the nearest compacted snapshot, earlier or later, with the
    groups that have events in between replaced. Every past results table then equals the
    date's own state, compacted from its events (asof._write_state), row for row, the stored
    default boards included (those of a benchmark changed in between read from the last
    whole-groups file that changed them); two cursors of two dates read their own rows side by
    side. A thread compacts the date's own state meanwhile, which serves it afterwards. Each
    whole-groups file holds the boards its snapshot changed, as the snapshot's own state
    holds them."""
    repo, commits, side, cat, wh_done, result = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    store, build = wh / "history", warehouse.current_build(wh)
    without_ranges(store)
    folder = store / asof.STATE_FOLDER
    seqs = [s.seq for s in asof.snapshots(build) if s.origin == "backfill"]
    assert seqs == [1, 2, 3, 4, 5, 6]
    refs = {}
    con = duckdb.connect()
    for seq in seqs:
        refs[seq] = tmp_path / f"own-{seq}.duckdb"
        asof._write_state(refs[seq], warehouse.past_event_files(store, seq), seq, build)
        for path in warehouse.past_event_files(store, seq)["default_summaries"]:
            if warehouse.past_file_seq(path) == seq:
                con.execute(f"ATTACH '{refs[seq]}' AS own (READ_ONLY)")
                whole = warehouse.past_whole_file(path)
                assert _rows(con, f"SELECT * EXCLUDE (_seq) FROM '{whole}'") == _rows(
                    con, f"FROM own.default_summaries WHERE benchmark IN (SELECT benchmark "
                         f"FROM '{path}')"), seq
                con.execute("DETACH own")
    con.close()
    for base in (1, 6):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        name = warehouse.past_state_name(base, warehouse.past_event_files(store, base))
        shutil.copy(refs[base], folder / name)
        past = asof._PastDatabase(build)
        seen = set()
        try:
            for seq in seqs:
                cur, other = past.cursor(seq), past.cursor(7 - seq)
                try:
                    if seq not in seen:
                        assert (past.schemas[seq].overlay is None) == (seq == base)
                    seen |= {seq, 7 - seq}
                    for c, s in ((cur, seq), (other, 7 - seq)):
                        c.execute(f"ATTACH '{refs[s]}' AS own (READ_ONLY)")
                        for table in warehouse.PAST_TABLES:
                            assert _rows(c, f'FROM "{table}"') == \
                                _rows(c, f'FROM own."{table}"'), (base, s, table)
                        served = _rows(c, "FROM default_summaries")
                        assert served == _rows(c, "SELECT * EXCLUDE (_fingerprint) FROM "
                                                  "own.default_summaries") and served
                        c.execute("DETACH own")
                finally:
                    cur.close()
                    other.close()
            for seq in seqs:     # the stored boards, all of them once the thread has run
                past.cursor(seq).close()
                past.settle()
                cur = past.cursor(seq)
                assert past.schemas[seq].overlay is None
                try:
                    cur.execute(f"ATTACH '{refs[seq]}' AS own (READ_ONLY)")
                    assert _rows(cur, "FROM default_summaries") == _rows(
                        cur, "SELECT * EXCLUDE (_fingerprint) FROM own.default_summaries")
                    cur.execute("DETACH own")
                finally:
                    cur.close()
        finally:
            past.settle()
            past.close()
        assert sorted(p.name for p in folder.iterdir()) == [
            warehouse.past_state_name(s, warehouse.past_event_files(store, s)) for s in seqs]


@pytest.mark.parametrize("listed_max,base", [(2000, 6), (1, 6), (2000, 1)])
def test_an_overlay_found_in_two_scans_equals_the_dates_own_state(backfilled, tmp_path,
                                                                    monkeypatch, listed_max,
                                                                    base):
    """The overlay's events found in two scans (key columns, then the rows found, by their
    row numbers: asof._PastDatabase._events, made for large event files, here for every table)
    or, more rows than listed_max, in one scan after the first: every date served from
    snapshot 6's state (back in time) or snapshot 1's (forward) has every past results table
    equal to its own state, row for row."""
    wh, store, build = served_from_state_6(backfilled, tmp_path, base)
    monkeypatch.setattr(asof, "TWO_SCANS_BYTES", 0)
    monkeypatch.setattr(asof, "LISTED_MAX", listed_max)
    scans = []
    events = asof._PastDatabase._events
    monkeypatch.setattr(asof._PastDatabase, "_events", staticmethod(
        lambda *a: scans.append(events(*a)) or scans[-1]))
    past = asof._PastDatabase(build)
    try:
        for seq in sorted(set(range(1, 7)) - {base}):
            own = tmp_path / f"own-{seq}.duckdb"
            asof._write_state(own, warehouse.past_event_files(store, seq), seq, build)
            cur = past.cursor(seq)
            try:
                assert past.schemas[seq].overlay == f"d{seq}"
                cur.execute(f"ATTACH '{own}' AS own (READ_ONLY)")
                for table in warehouse.PAST_TABLES:
                    assert _rows(cur, f'FROM "{table}"') == _rows(cur, f'FROM own."{table}"'), \
                        (seq, table)
                cur.execute("DETACH own")
            finally:
                cur.close()
    finally:
        past.settle()
        past.close()
    listed = [s for s in scans if "file_row_number IN" in s]
    assert listed if listed_max > 1 else not listed


def test_a_request_waits_only_for_the_tables_its_query_reads(backfilled, tmp_path,
                                                              monkeypatch):
    """A date served by an overlay makes a table's overlay when a statement first reads it:
    the default board of c1 (by hand: h/B 4 Borda points, h/A 2, h/C 0) reads the stored
    boards alone; a table not made yet has no view in the cursor (a query of it fails, never
    reads another date's rows); a later filtered request of the same date makes what it reads
    (c1 HRet2 alone: h/B .50, h/A .40, h/C .20), as does a table handed as a parameter (c2:
    h/A, h/B, h/C; today h/B, h/D, h/E); two cursors reading a table at once make it once
    (c3: h/A, h/B)."""
    wh, store, build = served_from_state_6(backfilled, tmp_path)
    made = []
    table_sql = asof._PastDatabase._table
    monkeypatch.setattr(asof._PastDatabase, "_table", lambda self, con, table, seq, *a: (
        made.append((seq, table)), table_sql(self, con, table, seq, *a))[1])
    monkeypatch.setattr(asof._PastDatabase, "_compact", lambda *a: None)   # not under test
    lb = rankings.Leaderboard(db.CurrentBuild(wh))

    def view(**params):
        state, problems = lb.read_state({"benchmark": "Hist(v1)", **params})
        assert not problems
        return [(r["Model"], r["Rank (Borda)"], approx(r["Mean (Task)"]))
                for r in lb.view(state, intervals="none").to_pylist()]

    assert [r[:2] for r in view(as_of="2025-01-06")] == [("h/B", 1), ("h/A", 2), ("h/C", 3)]
    past = asof._past_database(build)
    assert past.schemas[1].overlay == "d1"
    assert made == [(1, "default_summaries")]
    raw, views = past.schemas[1].idle[-1]
    assert views == {"default_summaries"}
    with pytest.raises(duckdb.CatalogException, match="benchmark_results"):
        raw.execute("SELECT DISTINCT model_name FROM benchmark_results")
    assert view(as_of="2025-01-06", tasks="HRet2") == [
        ("h/B", 1, approx(50.0)), ("h/A", 2, approx(40.0)), ("h/C", 3, approx(20.0))]
    assert len(made) > 1 and len(made) == len(set(made))     # more tables, each once
    cur = past.cursor(2)
    try:
        assert cur.execute("SELECT DISTINCT model_name FROM query_table($t) ORDER BY 1",
                           {"t": "benchmark_results"}).fetchall() == [
            ("h/A",), ("h/B",), ("h/C",)]
    finally:
        cur.close()
    cursors = [past.cursor(3), past.cursor(3)]
    out = [None, None]

    def read(i):
        out[i] = cursors[i].execute(
            "SELECT DISTINCT model_name FROM benchmark_results ORDER BY 1").fetchall()

    threads = [threading.Thread(target=read, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in cursors:
        c.close()
    assert out == [[("h/A",), ("h/B",)]] * 2
    assert made.count((3, "benchmark_results")) == 1


ROW_TABLES = {"benchmark_results", "language_sets", "model_meta", "quality_entry_flags"}
# as Leaderboard._language_cuts_rows sends it on a past date (no task language sets there)
CUT = "SELECT cut FROM lb_language_cuts($sets, 'Hist(v1)', NULL, ['eng'])"
CUT_PARAMS = {"sets": "benchmark_results"}


def _made_by_thread(monkeypatch) -> list:
    """(seq, table, thread name) of each overlay made from now on; the compaction off."""
    made = []
    table_sql = asof._PastDatabase._table
    monkeypatch.setattr(asof._PastDatabase, "_table", lambda self, con, table, seq, *a: (
        made.append((seq, table, threading.current_thread().name)),
        table_sql(self, con, table, seq, *a))[1])
    monkeypatch.setattr(asof._PastDatabase, "_compact", lambda *a: None)   # not under test
    return made


def test_a_language_cut_begins_the_row_rankings_overlays(backfilled, tmp_path, monkeypatch):
    """In a served worker (the schema `past` made ahead), the first statement of a date served
    by an overlay that reads benchmark_results (a language filter's cut) begins the overlays
    of the other tables a board ranked from the rows reads (model_meta, quality_entry_flags)
    in a thread beside its own: the ranking statement after it finds them made, each once.
    The rows are the date's: c1's models h/A, h/B, h/C (the base, snapshot 6, names h/B, h/D,
    h/E)."""
    wh, store, build = served_from_state_6(backfilled, tmp_path)
    made = _made_by_thread(monkeypatch)
    assert asof.prewarm(build)
    past = asof._past_database(build)
    cur = past.cursor(1)
    try:
        assert past.schemas[1].overlay == "d1"
        assert cur.execute(CUT, CUT_PARAMS).fetchall() == [(False,)]     # every result is English
        past.settle()
        assert {t for _, t, _ in made} == ROW_TABLES
        ahead = {t for _, t, name in made if name.startswith("asof-ahead")}
        assert ahead == {"model_meta", "quality_entry_flags"}
        assert cur.execute("SELECT DISTINCT name FROM model_meta ORDER BY 1").fetchall(
        ) == [("h/A",), ("h/B",), ("h/C",)]
        assert cur.execute("SELECT DISTINCT model_name FROM quality_entry_flags WHERE "
                           "model_name IN ('h/D', 'h/E')").fetchall() == []
        assert len(made) == len({(s, t) for s, t, _ in made})     # each made once
    finally:
        cur.close()
        past.close()


def test_a_statement_waiting_for_the_past_schema_begins_the_row_rankings_overlays(
        backfilled, tmp_path, monkeypatch):
    """In a bare process, the first statement naming a queries/ macro (a language filter's
    task selection) waits for the schema `past`: the overlays of the tables a board ranked
    from the rows reads are made meanwhile, in a thread, before the schema is done; the
    statement then answers as before (by hand: c1 has the two tasks of Hist(v1))."""
    wh, store, build = served_from_state_6(backfilled, tmp_path)
    made = _made_by_thread(monkeypatch)
    create_views, release = asof.queries.create_views, threading.Event()

    def held(*a, **k):      # the views and macros made only once released
        release.wait(60)
        return create_views(*a, **k)

    monkeypatch.setattr(asof.queries, "create_views", held)
    past = asof._past_database(build)
    out: dict = {}

    def tasks():
        cur = past.cursor(1)
        try:
            out["tasks"] = cur.execute(
                "SELECT task_name FROM lb_selected_tasks('Hist(v1)', NULL, NULL, ['eng'], "
                "NULL, NULL) ORDER BY position").fetchall()
        finally:
            cur.close()

    thread = threading.Thread(target=tasks)
    try:
        thread.start()
        deadline = time.monotonic() + 20
        while {t for _, t, _ in made} != ROW_TABLES and time.monotonic() < deadline:
            time.sleep(0.05)
        past.settle()      # the overlays begun ahead, done
        assert {t for _, t, _ in made} == ROW_TABLES
        assert all(name.startswith("asof-ahead") for _, _, name in made)
        assert thread.is_alive() and not out and not past.ready   # still waiting
        release.set()
        thread.join(60)
        assert out["tasks"] == [("HRet1",), ("HRet2",)]
    finally:
        release.set()
        thread.join(60)
        past.close()


def test_a_past_date_under_a_language_filter(backfilled):
    """The language filter path (lb_language_cuts) on a past date: every result of the fixture
    is English, so `languages=eng` keeps the whole board of c1 (by hand: h/B 55, h/A 45, h/C
    25) and, on the newest commit, equals today's table under the same filter byte for byte."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))

    def view(**params):
        state, problems = lb.read_state({"benchmark": "Hist(v1)", "languages": "eng",
                                         **params})
        assert not problems
        return lb.view(state)

    rows = view(as_of="2025-01-06").to_pylist()
    assert [(r["Model"], r["Rank (Borda)"], approx(r["Mean (Task)"])) for r in rows] == [
        ("h/B", 1, approx(55.0)), ("h/A", 2, approx(45.0)), ("h/C", 3, approx(25.0))]
    assert _csv(view(as_of="2025-02-10")) == _csv(view())
    assert _csv(view(as_of="2025-02-10", view="per-task")) == _csv(view(view="per-task"))


def test_past_cursors_are_hardened_and_reused_without_leaking(backfilled, tmp_path):
    """A past date's cursors: the configuration of the past database is locked (as db.py's
    connections to today's build); a cursor given back is lent again for the same date (its
    views are not made again) with the variables a query set reset, and a cursor of another
    date reads that date's rows (c1: h/A, h/B, h/C; c3: h/A, h/B, h/C gone)."""
    repo, commits, side, cat, wh_done, result = backfilled
    wh = served_copy(repo, cat, wh_done, tmp_path)
    build = warehouse.current_build(wh)
    past = asof._PastDatabase(build)
    models = "SELECT DISTINCT model_name FROM benchmark_results ORDER BY 1"
    try:
        cur = past.cursor(1)
        with pytest.raises(duckdb.Error, match="locked"):
            cur.execute("SET threads = 1")
        with pytest.raises(duckdb.Error, match="locked"):
            cur.execute("SET memory_limit = '64GB'")
        cur.execute("SET VARIABLE lb_exclude_level = 2")
        assert cur.execute(models).fetchall() == [("h/A",), ("h/B",), ("h/C",)]
        raw = cur._con
        cur.close()
        with pytest.raises(duckdb.Error):
            cur.execute("SELECT 1")
        other = past.cursor(3)
        try:
            assert other.execute(models).fetchall() == [("h/A",), ("h/B",)]
        finally:
            other.close()
        again = past.cursor(1)
        try:
            assert again._con is raw
            assert again.execute("SELECT getvariable('lb_exclude_level')").fetchall() == [
                (None,)]
            assert again.execute(models).fetchall() == [("h/A",), ("h/B",), ("h/C",)]
        finally:
            again.close()
    finally:
        past.settle()
        past.close()


def test_the_today_only_tables_a_past_schema_lacks_are_known_without_a_query(backfilled):
    """asof.PastBuild.lacks (the ranking code answers _has_table from it, no failing query):
    exactly the today-only tables (warehouse.TODAY_ONLY_TABLES) that a past date's cursor
    cannot read; those it can (recorded per snapshot) are probed as before."""
    repo, commits, side, cat, wh, result = backfilled
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    snap = asof.snapshots(warehouse.current_build(wh))[-1]
    handle = asof.PastBuild(warehouse.current_build(wh), snap)
    missing = set()
    for table in warehouse.TODAY_ONLY_TABLES:
        with handle.cursor() as cur:
            try:
                cur.execute(f"SELECT 1 FROM {table} LIMIT 0")
            except duckdb.CatalogException:
                missing.add(table)
    assert missing == set(asof.PastBuild.lacks)
    assert {"default_summaries", "benchmark_pair_repeats"}.isdisjoint(missing)
    lb = rankings.Leaderboard(handle)
    assert not lb._has_table("benchmark_task_language_sets")
    assert lb._has_table("default_summaries")


def test_a_past_date_shows_an_unregistered_models_metadata_of_that_date(tmp_path):
    """`models` is a table of today's build (queries/marts/models.sql); a past date makes it
    again over its own model_meta (warehouse.PAST_RECOMPUTED). An unregistered model whose
    model_meta.json says 1e9 parameters in the first commit and 2e9 in the second shows 1.0 B
    on the first date's board with every model and 2.0 B on today's; on both it ranks last
    (HRet1 .3 and HRet2 .2 below h/A's .5/.4 and h/B's .6/.5)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    scores(repo, "h/A", 0.50, 0.40)
    scores(repo, "h/B", 0.60, 0.50)
    fx.write_meta(repo, "u/X", rf.REV, n_parameters=1_000_000_000)
    for task, score in (("HRet1", 0.30), ("HRet2", 0.20)):
        rf.write_score(repo, "u/X", task, score)
    commit(repo, DATES[0])
    fx.write_meta(repo, "u/X", rf.REV, n_parameters=2_000_000_000)
    commit(repo, DATES[1])
    cat, wh = rf.catalog(tmp_path / "cat"), tmp_path / "wh"
    run_backfill(repo, wh, cat)
    if not (wh / "current").exists():
        assert rf.run_build(repo, wh, cat).published
    lb = rankings.Leaderboard(db.CurrentBuild(wh))

    def board(**params) -> list[tuple]:
        state, problems = lb.read_state({"benchmark": "Hist(v1)", "all_models": "true",
                                         **params})
        assert not problems
        return [(r["Model"], r["Rank (Borda)"], r["Total Parameters (B)"])
                for r in lb.view(state).to_pylist()]

    assert board(as_of="2025-01-06")[2] == ("u/X", 3, 1.0)
    assert board()[2] == ("u/X", 3, 2.0)
    assert [m for m, _r, _p in board(as_of="2025-01-06")] == ["h/B", "h/A", "u/X"]


def _drop_object(repo: Path, spec: str) -> None:
    """Delete the loose object `spec` names, as a partial clone without its remote lacks it."""
    sha = git(repo, "rev-parse", spec)
    assert git(repo, "cat-file", "-t", sha) == "blob"
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def test_a_file_git_cannot_read_is_quarantined_at_each_commit_it_is_part_of(tmp_path):
    """A blob missing from the clone (a partial clone out of reach of its remote) costs that
    file, not the backfill. c1 adds h/A, h/B, h/C, whose HRet1 file git cannot read: the first
    commit's tree is written blob by blob (`git archive` stops at it), without it. c2 changes
    h/A's scores: h/C's HRet1 is still unreadable. c3 rewrites it (a readable blob): it is
    back. c4 rewrites h/B's HRet2 with a blob git cannot read: its earlier content (.5) must not
    stay on the board. c5 deletes h/C's and h/B's HRet1 and adds a file git cannot read, which
    stops `git diff -M` (renames by content): deletions and an addition; h/B leaves the board,
    and /changes gives the deletion as the cause, not h/B's file quarantined since c4. The task
    scores by hand from the files; the Q rows and counts per commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    scores(repo, "h/A", 0.50, 0.40)
    scores(repo, "h/B", 0.60, 0.50)
    scores(repo, "h/C", 0.30, 0.20)
    c1 = commit(repo, DATES[0])
    scores(repo, "h/A", 0.70, 0.55)
    commit(repo, DATES[1])
    rf.write_score(repo, "h/C", "HRet1", 0.35)
    commit(repo, DATES[2])
    rf.write_score(repo, "h/B", "HRet2", 0.90)
    c4 = commit(repo, DATES[3])
    lost_a = f"results/h__A/{rf.REV}/Other.json"
    (repo / lost_a).write_text('{"an": "added file git will not read"}')
    git(repo, "rm", "-q", f"results/h__C/{rf.REV}/HRet1.json",
        f"results/h__B/{rf.REV}/HRet1.json")
    c5 = commit(repo, DATES[4])
    # dropped after the last commit: `git add` writes again the blob of a file it hashes anew
    lost_c, lost_b = f"results/h__C/{rf.REV}/HRet1.json", f"results/h__B/{rf.REV}/HRet2.json"
    _drop_object(repo, f"{c1}:{lost_c}")
    _drop_object(repo, f"{c4}:{lost_b}")
    _drop_object(repo, f"{c5}:{lost_a}")
    with pytest.raises(subprocess.CalledProcessError):   # the archive does stop at it
        git(repo, "archive", "--format=tar", c1, "--", "results")
    with pytest.raises(subprocess.CalledProcessError):   # and c5's renames found by content
        git(repo, "diff", "--name-status", "-M", c4, c5)

    cat, wh = rf.catalog(tmp_path / "cat"), tmp_path / "wh"
    result = run_backfill(repo, wh, cat)
    assert len(result.recorded) == 5
    both = {"HRet1", "HRet2"}
    expected = [
        {("h/A", t): s for t, s in (("HRet1", 50.0), ("HRet2", 40.0))}
        | {("h/B", t): s for t, s in (("HRet1", 60.0), ("HRet2", 50.0))}
        | {("h/C", "HRet2"): 20.0},
        {("h/A", t): s for t, s in (("HRet1", 70.0), ("HRet2", 55.0))}
        | {("h/B", t): s for t, s in (("HRet1", 60.0), ("HRet2", 50.0))}
        | {("h/C", "HRet2"): 20.0},
        {("h/A", t): s for t, s in (("HRet1", 70.0), ("HRet2", 55.0))}
        | {("h/B", t): s for t, s in (("HRet1", 60.0), ("HRet2", 50.0))}
        | {("h/C", t): s for t, s in (("HRet1", 35.0), ("HRet2", 20.0))},
        {("h/A", t): s for t, s in (("HRet1", 70.0), ("HRet2", 55.0))}
        | {("h/B", "HRet1"): 60.0}
        | {("h/C", t): s for t, s in (("HRet1", 35.0), ("HRet2", 20.0))},
        {("h/A", t): s for t, s in (("HRet1", 70.0), ("HRet2", 55.0))}
        | {("h/C", "HRet2"): 20.0},
    ]
    for when, want in zip(DATES, expected):
        _models, tasks = hist_rows(wh, when)
        assert {k: v for k, v in tasks.items() if k[1] in both} == want, when
    store = wh / "history"
    snaps = backfill.read_snapshots(store).to_pylist()
    assert [s["files_quarantined"] for s in snaps] == [1, 1, 0, 1, 2]
    q = pq.read_table(store / "paths").to_pylist()
    assert sorted((r["seq"], r["path"]) for r in q if r["status"] == "Q") == \
        [(1, lost_c), (2, lost_c), (4, lost_b), (5, lost_a), (5, lost_b)]
    assert sorted((r["status"], r["path"]) for r in q if r["seq"] == 5 and r["status"] != "Q") \
        == [("A", lost_a), ("D", f"results/h__B/{rf.REV}/HRet1.json"), ("D", lost_c)]
    assert all(r["reason"] == backfill.UNREADABLE for r in q if r["status"] == "Q")
    assert "missing from the clone" in backfill.UNREADABLE
    # /changes names it as the cause of the score it took away
    _a, _b, rows = asof.changes_between(wh / NOWHERE, datetime.fromisoformat(DATES[2]),
                                        datetime.fromisoformat(DATES[3]), "Hist(v1)")
    assert {r["cause"] for r in rows if (r["model_name"], r["task_name"]) == ("h/B", "HRet2")} \
        == {f"quarantined: {lost_b}: {backfill.UNREADABLE}"}
    # c5: h/B leaves (its HRet1 deleted; its HRet2, unreadable since c4, was gone already): the
    # deletion is the cause, not the file quarantined before
    _a, _b, rows = asof.changes_between(wh / NOWHERE, datetime.fromisoformat(DATES[3]),
                                        datetime.fromisoformat(DATES[4]), "Hist(v1)")
    assert {r["cause"] for r in rows if r["change"] == "removed_model"} == {
        f"files removed: results/h__B/{rf.REV}/HRet1.json"}
    assert {r["model_name"] for r in rows if r["change"] == "removed_model"} == {"h/B"}


def test_a_bare_clone_is_a_source(history_repo, tmp_path):
    """A bare clone (a mirror) holds the history without a work tree: backfilled as the
    repository itself (monthly from the 20th of January: c4 and the merge, EXPECTED by hand);
    a folder inside it is refused like a plain folder."""
    repo, commits, side = history_repo
    bare = tmp_path / "mirror"      # no ".git" suffix: a folder, not taken for a git URL
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    assert gitdiff.is_bare_repo(bare) and not gitdiff.is_bare_repo(repo)
    cat, wh = rf.catalog(tmp_path / "cat"), tmp_path / "wh"
    result = run_backfill(bare, wh, cat, since="2025-01-20", every="month")
    assert result.recorded == [commits[3], commits[5]]
    assert hist_rows(wh, DATES[3])[0] == EXPECTED[3]
    assert hist_rows(wh, DATES[5])[0] == EXPECTED[5]
    with pytest.raises(backfill.BackfillError, match="is not a git clone"):
        backfill.backfill(str(bare / "refs"), warehouse_dir=tmp_path / "wh2")
