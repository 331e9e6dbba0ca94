"""A model's distinct scored (subset, split) pairs when its rows repeat one.

A recomputation from rows (a language filter, the "exclude flagged scores" switch) counts a
model's scored rows as its pairs, except on the tasks of benchmark_pair_repeats, where some
model's scored rows repeat a pair (a file with two entries of one subset and split): those are
counted distinct (lb_row_task_means_of). A hand-made build with such a file: d/X scores DupCls's
"en" subset twice and lacks "en2"; d/Y scores both. Under the `eng` filter the task needs
{en, en2} x {test} = 2 pairs: d/X has 1 (no score), d/Y 2; counting rows would give d/X 2 and a
score of (0.8 + 0.6) / 2. A build without the table (older, or a past date) counts every task
distinct, with the same tables."""

from __future__ import annotations

import shutil

import fixtures as fx
import pytest
import refresh_fixtures as rf
from test_stale_build import _age

import queries
from mteb_lb import warehouse
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import REPEATED, REPEATS_TABLE, Filters, Leaderboard

pytestmark = pytest.mark.usefixtures("max_file_bytes")

E, D = "eng-Latn", "deu-Latn"
BENCH = "Dup(v1)"
ENG = Filters(languages=("eng",))
# the language filter with a model filter: lb_task_scores_rows instead of ..._language
ENG_MODELS = Filters(languages=("eng",), models=("d/X", "d/Y"))
TASK_MEANS = ("SELECT model_name, have_pairs, required_pairs, raw_mean FROM "
              "lb_language_task_means('benchmark_task_score_lists', 'benchmark_null_languages', "
              "'benchmark_task_language_sets', $bench, NULL, NULL, ['eng'], false, true) "
              "WHERE task_name = 'DupCls' ORDER BY model_name")


def _dup_file(en_scores):
    entries = [fx.entry("en", [E], s) for s in en_scores] + [fx.entry("de", [D], 0.5)]
    return fx.current("DupCls", {"test": entries})


def _catalog(folder):
    tasks = [fx.make_task("DupCls", "Classification", "accuracy",
                          {"en": [E], "en2": [E], "de": [D]}),
             fx.make_task("OkRet", "Retrieval", "ndcg_at_10", {"default": [E]})]
    return fx.write_catalog(folder, tasks=tasks,
                            benchmarks=[fx.make_benchmark(BENCH, ["DupCls", "OkRet"],
                                                          language_view="all")],
                            models=[fx.make_model(m, fx.SHA_A, training_datasets=[])
                                    for m in ("d/X", "d/Y")])


def _repo(repo):
    fx.write_result(repo, "d/X", fx.SHA_A, "DupCls", _dup_file([0.8, 0.6]))
    fx.write_result(repo, "d/Y", fx.SHA_A, "DupCls", fx.current("DupCls", {"test": [
        fx.entry("en", [E], 0.9), fx.entry("en2", [E], 0.7), fx.entry("de", [D], 0.4)]}))
    for model, score in (("d/X", 0.5), ("d/Y", 0.6)):
        fx.write_result(repo, model, fx.SHA_A, "OkRet", fx.simple_result("OkRet", score))
        fx.write_meta(repo, model, fx.SHA_A, n_parameters=100_000_000)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("pairs")
    _repo(base / "repo")
    cat = _catalog(base / "cat")
    report = rf.run_build(base / "repo", base / "wh", cat)
    assert report.published
    return base, cat


@pytest.fixture
def board(built):
    return Leaderboard(CurrentBuild(built[0] / "wh"))


def _column(table, name):
    return table.column(name).to_pylist()


def test_the_table_lists_the_repeated_pair(board):
    # d/X: scored rows en .8, en .6, de .5 (3), distinct pairs (en, test), (de, test) (2)
    rows = board._query(f"SELECT * FROM {REPEATS_TABLE}").to_pylist()
    assert rows == [{"benchmark": BENCH, "model_name": "d/X", "task_name": "DupCls",
                     "scored_rows": 3, "have_pairs": 2}]
    assert board._repeated_tasks(BENCH) == ["DupCls"]
    # bound for the rows' source (a model filter) only: the score lists keep their own pairs
    assert board._params(BENCH, ENG_MODELS)[REPEATED] == ["DupCls"]
    assert REPEATED not in board._params(BENCH, ENG)


@pytest.mark.parametrize("filters", [ENG, ENG_MODELS], ids=["language", "language+models"])
def test_a_repeated_pair_counts_once(board, filters):
    t = board.per_task(BENCH, filters)
    assert _column(t, "Model") == ["d/Y", "d/X"]
    # d/Y: (.9 + .7) / 2; d/X: 1 pair of 2 -> no score (70.0 if its rows were counted)
    assert _column(t, "DupCls") == [pytest.approx(80.0), None]
    assert _column(t, "OkRet") == pytest.approx([60.0, 50.0])


def test_the_stored_pairs_decide_the_count(board):
    """The score lists keep each row's (subset, split) where the model's rows repeat a pair
    (d/X: en twice), not elsewhere (d/Y); under eng d/X then has 1 distinct pair of the 2 the
    task needs (en, en2 x test), where its 2 kept rows would have counted 2."""
    lists = board._query("SELECT model_name, pairs FROM benchmark_task_score_lists "
                         "WHERE task_name = 'DupCls' ORDER BY model_name").to_pylist()
    assert lists == [
        {"model_name": "d/X", "pairs": [{"subset": "en", "split": "test"},
                                        {"subset": "en", "split": "test"},
                                        {"subset": "de", "split": "test"}]},
        {"model_name": "d/Y", "pairs": None}]
    rows = board._query(TASK_MEANS, {"bench": BENCH}).to_pylist()
    assert [(r["model_name"], r["have_pairs"], r["required_pairs"]) for r in rows] == [
        ("d/X", 1, 2), ("d/Y", 2, 2)]
    assert [r["raw_mean"] for r in rows] == pytest.approx([0.7, 0.8])


@pytest.mark.parametrize("drop, digest", [
    (f"TABLE {REPEATS_TABLE}", None),   # a past date's schema has the macro, not the table
    ("MACRO TABLE lb_repeated_tasks_of", "older")], ids=["no table", "no macro"])
def test_without_the_table_every_task_counts_distinct(built, tmp_path, drop, digest):
    """A build without benchmark_pair_repeats (older, or a past date's schema: it is a
    today-only table) or without the macro reading it (older) binds NULL, with the same
    tables."""
    assert REPEATS_TABLE in warehouse.TODAY_ONLY_TABLES
    with_table = Leaderboard(CurrentBuild(built[0] / "wh"))
    shutil.copytree(built[0] / "wh", tmp_path / "wh", symlinks=True)
    _age(tmp_path / "wh", drop=drop, sql_digest=digest or queries.sql_digest())
    without = Leaderboard(CurrentBuild(tmp_path / "wh"))
    assert without._repeated_tasks(BENCH) is None
    for filters in (ENG, ENG_MODELS, Filters(exclude_flags="warning")):
        if filters != ENG:   # the rows' source (ENG alone reads the score lists)
            assert without._params(BENCH, filters)[REPEATED] is None
        assert without.summary(BENCH, filters).equals(with_table.summary(BENCH, filters))
        assert without.per_task(BENCH, filters).equals(with_table.per_task(BENCH, filters))


def test_an_incremental_build_follows_the_repeat(built, tmp_path):
    """benchmark_pair_repeats is kept per (model, task) by an incremental build: d/X's file
    without the repeat drops its row, and the build equals a full rebuild."""
    base, cat = built
    repo, wh = tmp_path / "repo", tmp_path / "wh"
    _repo(repo)
    first = rf.run_build(repo, wh, cat)
    assert first.published and rf.tables(first.build)[REPEATS_TABLE] != []
    path = fx.write_result(repo, "d/X", fx.SHA_A, "DupCls", _dup_file([0.8]))
    fx.bump_mtime(path, 11)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(report.build), rf.tables(twin)
    assert a[REPEATS_TABLE] == b[REPEATS_TABLE] == []
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"
