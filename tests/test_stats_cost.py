"""Issue 12, third pass: the rank intervals' inputs read from the summary's own frame (no second
ranking query), single-flight computation of a state's statistics, and the within-task spread
under the "exclude flagged scores" switch. Expected values are worked out by hand in the
comments, or are the SQL definition's (lb_borda_points)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from mteb_lb import stats
from mteb_lb.lbstate import Filters

# --------------------------------------------------------------------------------------------
# Borda points from the summary's frame
# --------------------------------------------------------------------------------------------


def test_points_from_a_summary_frame_hand_case():
    # The rows of test_stats.py's hand case as lb_model_scores carries them: A, B, C are rows
    # (in_pivot); B's T2 score is incomplete (NULL in task_score_map, raw mean .7 in
    # raw_mean_map); D is not a row (outside_raw_means, on the first row only; T1 NULL).
    # T1: A .9 = B .9 share places 1-2 (3 - 1.5 = 1.5 each), C third (0), D nothing (0).
    # T2: NaN above every number: A 1st (2), C .8 (1), B .7 (0), D .1 4th (3 - 4 = -1).
    maps = pa.map_(pa.string(), pa.float64())
    outside = pa.list_(pa.struct([("model_name", pa.string()), ("raw_means", maps)]))
    frame = pa.table({
        "model_name": ["C", "A", "B"],
        "task_score_map": pa.array([[("T1", 0.5), ("T2", 0.8)],
                                    [("T1", 0.9), ("T2", float("nan"))],
                                    [("T1", 0.9), ("T2", None)]], maps),
        "raw_mean_map": pa.array([None, None, [("T2", 0.7)]], maps),
        "outside_raw_means": pa.array(
            [None, [{"model_name": "D", "raw_means": [("T1", None), ("T2", 0.1)]}], None],
            outside)})
    inp = stats.BordaInputs.from_summary_frame(frame)
    assert inp.models == ("A", "B", "C", "D") and inp.partitions == ("T1", "T2")
    assert inp.points.tolist() == [[1.5, 2], [1.5, 0], [0, 1], [0, -1]]
    assert inp.in_table.tolist() == [True, True, True, False]


def test_a_frame_without_the_columns_takes_the_sql_path():
    # a build made before raw_mean_map (its default_summaries, its macros): None, not a guess
    frame = pa.table({"model_name": ["A"], "task_score_map": pa.array(
        [[("T1", 0.5)]], pa.map_(pa.string(), pa.float64()))})
    assert stats.BordaInputs.from_summary_frame(frame) is None


def _sql_points(lb, bench, filters):
    return stats.BordaInputs.from_arrow(lb._borda_points(bench, lb._params(bench, filters)))


@pytest.mark.parametrize("bench", ["Borda(v1)", "Complete(v1)", "Ties(v1)", "Filters(v1)",
                                   "Revisions(v1)"])
@pytest.mark.parametrize("filters", [Filters(), Filters(all_models=True),
                                     Filters(max_params_b=1.0), Filters(missing="common")])
def test_frame_points_equal_lb_borda_points(lb, bench, filters):
    params = lb._params(bench, filters)
    if params is None:
        pytest.skip("the filters leave nothing")
    frame = lb._summary_frame(bench, filters, {**params, "public_only": False,
                                               "by_subset": False})
    fast, sql = stats.BordaInputs.from_summary_frame(frame), _sql_points(lb, bench, filters)
    assert fast is not None     # the frame path, not the fallback
    assert (fast.models, fast.partitions, fast.partition_tasks) == (
        sql.models, sql.partitions, sql.partition_tasks)
    assert fast.points.tolist() == sql.points.tolist()
    assert fast.in_table.tolist() == sql.in_table.tolist()


def test_intervals_of_a_filtered_state_run_no_ranking_query(lb, monkeypatch):
    # once the summary is computed, its intervals (and robustness) query nothing more
    from mteb_lb.rankings import Leaderboard

    board = Leaderboard(lb.handle)
    filters = Filters(max_params_b=1.0)
    board.summary("Complete(v1)", filters)
    queries = []
    real = board._query
    monkeypatch.setattr(board, "_query", lambda sql, params=None: (
        queries.append(sql), real(sql, params))[1])
    table = board.rank_intervals("Complete(v1)", filters, resamples=200)
    board.robustness("Complete(v1)", filters)
    assert queries == []
    assert table.column("Model").to_pylist() == board.summary(
        "Complete(v1)", filters).column("Model").to_pylist()


@pytest.mark.realdata
def test_real_frame_points_equal_lb_borda_points(real_leaderboard):
    # every menu benchmark ranked by task (its default frame from default_summaries) and a
    # few filtered states (frames from lb_summary): the frame's points are the SQL definition's
    from etl.history import menu_benchmarks

    lb = real_leaderboard
    eng, multi = "MTEB(eng, v2)", "MTEB(Multilingual, v2)"
    states = [(name, Filters()) for name in menu_benchmarks(lb.menu())
              if "mean_subset" not in lb.benchmark(name).aggregations]
    states += [(eng, Filters(task_types=("Retrieval", "STS"))), (eng, Filters(max_params_b=1.0)),
               (multi, Filters(languages=("eng", "fra"))), (multi, Filters(all_models=True)),
               (multi, Filters(exclude_flags="warning")), (multi, Filters(missing="common"))]
    checked = 0
    for name, filters in states:
        params = lb._params(name, filters)
        if params is None:
            continue
        bench = lb.benchmark(name)
        frame = lb._summary_frame(name, filters, {**params, "public_only": bench.public_only,
                                                  "by_subset": False})
        fast, sql = stats.BordaInputs.from_summary_frame(frame), _sql_points(lb, name, filters)
        if frame.num_rows == 0:
            continue
        assert fast is not None, name
        assert (fast.models, fast.partitions) == (sql.models, sql.partitions), name
        assert np.array_equal(fast.points, sql.points), name
        assert np.array_equal(fast.in_table, sql.in_table), name
        checked += 1
    assert checked > 30


# --------------------------------------------------------------------------------------------
# single flight: two simultaneous misses of one state compute it once
# --------------------------------------------------------------------------------------------

def _wait_for_a_waiter(board, seconds=60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with board._lock:
            if any(f.waiters for f in board._flights.values()):
                return True
        time.sleep(0.01)
    return False


def test_two_simultaneous_misses_compute_the_intervals_once(lb, monkeypatch):
    from mteb_lb import rankings
    from mteb_lb.rankings import Leaderboard

    board = Leaderboard(lb.handle)
    filters = Filters(max_params_b=1.0)
    board.summary("Borda(v1)", filters)
    calls, started, release = [], threading.Event(), threading.Event()
    real = stats.intervals_table

    def slow(*args, **kw):
        calls.append(1)
        started.set()
        release.wait(60)
        return real(*args, **kw)
    monkeypatch.setattr(rankings.stats, "intervals_table", slow)
    out = [None, None]

    def ask(i):
        out[i] = board.rank_intervals("Borda(v1)", filters, resamples=100)
    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert started.wait(60)
    second = threading.Thread(target=ask, args=(1,))    # misses while the first computes
    second.start()
    waited = _wait_for_a_waiter(board)
    release.set()
    first.join(60)
    second.join(60)
    assert waited and len(calls) == 1
    assert out[0] is out[1] and out[0].num_rows == 3
    assert board._flights == {}


def test_an_error_reaches_every_waiter_and_is_not_cached(lb, monkeypatch):
    from mteb_lb import rankings
    from mteb_lb.rankings import Leaderboard

    board = Leaderboard(lb.handle)
    filters = Filters(max_params_b=1.0)
    started, release = threading.Event(), threading.Event()
    real = stats.intervals_table

    def failing(*args, **kw):
        started.set()
        release.wait(60)
        raise RuntimeError("boom")
    monkeypatch.setattr(rankings.stats, "intervals_table", failing)
    errors = []

    def ask():
        try:
            board.rank_intervals("Borda(v1)", filters, resamples=100)
        except RuntimeError as exc:
            errors.append(str(exc))
    threads = [threading.Thread(target=ask)]
    threads[0].start()
    assert started.wait(60)
    threads.append(threading.Thread(target=ask))
    threads[1].start()
    waited = _wait_for_a_waiter(board)
    release.set()
    for t in threads:
        t.join(60)
    assert waited and errors == ["boom", "boom"]
    monkeypatch.setattr(rankings.stats, "intervals_table", real)
    assert board.rank_intervals("Borda(v1)", filters, resamples=100).num_rows == 3


# --------------------------------------------------------------------------------------------
# within-task spread under "exclude flagged scores"
# --------------------------------------------------------------------------------------------
# SCls (classification, accuracy; subsets en, de), two experiments per entry:
# s/clean: en .75 [.7, .8], de .55 [.5, .6]: per experiment (.7 + .5) / 2 = .6 and .7: mean .65,
#   sample sd sqrt(2 * .05^2 / 1) = sqrt(.005).
# s/dup: en twice, .7 [.6, .8] and .8 [.7, .9] (conflicting_duplicates, an error flag on each en
#   entry), de .6 [.5, .7]: per experiment (.6 + .7 + .5) / 3 = .6 and .8: mean .7, sd sqrt(.02).
#   Excluding errors drops both en rows: the score is incomplete (s/clean has en and de), so the
#   per-task table shows none and its spread must not be shown either.

@pytest.fixture(scope="module")
def spread_lb(tmp_path_factory):
    import json

    import fixtures as fx

    from etl import build
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    base = tmp_path_factory.mktemp("flagspread")
    repo, cat, wh = base / "repo", base / "catalog", base / "wh"
    tasks = [fx.make_task("SCls", "Classification", "accuracy",
                          {"en": ["eng-Latn"], "de": ["deu-Latn"]})]
    names = ["s/clean", "s/dup"]
    fx.write_catalog(cat, tasks=tasks,
                     models=[fx.make_model(n, fx.SHA_A, training_datasets=[]) for n in names],
                     benchmarks=[fx.make_benchmark("Spread(v1)", ["SCls"])])
    (cat / "menu.json").write_text(json.dumps({
        "default_benchmark": "Spread(v1)", "home": [], "home_benchmarks": [],
        "sidebar_benchmarks": ["Spread(v1)"], "sidebar": []}))

    def row(subset, main, experiments):
        lang = {"en": ["eng-Latn"], "de": ["deu-Latn"]}[subset]
        return fx.entry(subset, lang, main, accuracy=main,
                        scores_per_experiment=[{"accuracy": v} for v in experiments])

    results = {"s/clean": [row("en", 0.75, [0.7, 0.8]), row("de", 0.55, [0.5, 0.6])],
               "s/dup": [row("en", 0.7, [0.6, 0.8]), row("en", 0.8, [0.7, 0.9]),
                         row("de", 0.6, [0.5, 0.7])]}
    for name in names:
        fx.write_result(repo, name, fx.SHA_A, "SCls", fx.current("SCls", {"test": results[name]}))
    report = build.run(repo, source="https://github.com/example/results.git",
                       source_commit="0123456789abcdef0123", catalog_dir=cat,
                       warehouse_dir=wh, workers=1)
    assert report.published, report
    return Leaderboard(CurrentBuild(wh))


def _rows(table):
    return [(r["model_name"], r["task_name"], r["n_experiments"], round(r["mean"], 9),
             round(r["sd"], 9)) for r in table.to_pylist()]


def test_spread_without_exclusion_shows_every_score(spread_lb):
    assert _rows(spread_lb.task_spread("Spread(v1)")) == [
        ("s/clean", "SCls", 2, 65.0, round(100 * 0.005 ** 0.5, 9)),
        ("s/dup", "SCls", 2, 70.0, round(100 * 0.02 ** 0.5, 9))]


@pytest.mark.parametrize("level", ["error", "warning"])
def test_an_excluded_score_has_no_spread(spread_lb, level):
    filters = Filters(exclude_flags=level)
    per_task = spread_lb.per_task("Spread(v1)", filters).to_pylist()
    assert [r["Model"] for r in per_task if r["SCls"] is not None] == ["s/clean"]
    assert _rows(spread_lb.task_spread("Spread(v1)", filters)) == [
        ("s/clean", "SCls", 2, 65.0, round(100 * 0.005 ** 0.5, 9))]
