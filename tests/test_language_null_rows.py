"""Under a language filter the summary's task means read the scored rows of the tasks the filter
cuts, and the (model, task)s whose matching rows all lack a score from benchmark_null_languages
(lb_language_task_means): such a (model, task) stays in the frame with a NULL mean, and no row is
read twice. A hand-made build: task Mix declares subsets en (eng), de (deu) and fr (fra); n/A
scores all three, n/B only de (en and fr are placeholders), n/C en and de with a NaN score on de
(a NULL score with the entry's languages) and lacks fr. The expected means, pairs and required
pairs below are worked out by hand from those files; a build without the table (a past date)
reads every row (lb_task_scores_rows) and gives the same tables. Which tasks the filter keeps
whole it learns from benchmark_task_language_sets (the distinct language sets of a task's rows):
a build without that table (older code) reads the rows too."""

from __future__ import annotations

import shutil

import fixtures as fx
import pytest
import refresh_fixtures as rf
from test_stale_build import _age

import queries
from mteb_lb import warehouse
from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import (
    NULL_LANGUAGES,
    NULL_LANGUAGES_TABLE,
    TASK_SETS,
    TASK_SETS_TABLE,
    Filters,
    Leaderboard,
)

pytestmark = pytest.mark.usefixtures("max_file_bytes")

E, D, F = "eng-Latn", "deu-Latn", "fra-Latn"
BENCH = "Mix(v1)"
TASK_MEANS = ("SELECT model_name, raw_mean, have_pairs, required_pairs FROM "
              "lb_language_task_means('benchmark_task_score_lists', 'benchmark_null_languages', "
              "'benchmark_task_language_sets', $bench, NULL, NULL, $langs, false, true) "
              "WHERE task_name = 'Mix' ORDER BY model_name")


def _catalog(folder):
    tasks = [fx.make_task("Mix", "Classification", "accuracy",
                          {"en": [E], "de": [D], "fr": [F]}),
             fx.make_task("EnRet", "Retrieval", "ndcg_at_10", {"default": [E]})]
    return fx.write_catalog(folder, tasks=tasks,
                            benchmarks=[fx.make_benchmark(BENCH, ["Mix", "EnRet"])],
                            models=[fx.make_model(m, fx.SHA_A, training_datasets=[])
                                    for m in ("n/A", "n/B", "n/C")])


def _repo(repo):
    files = {
        "n/A": [fx.entry("en", [E], 0.8), fx.entry("de", [D], 0.6), fx.entry("fr", [F], 0.3)],
        "n/B": [fx.entry("de", [D], 0.5)],
        "n/C": [fx.entry("en", [E], 0.7), fx.entry("de", [D], float("nan"))],
    }
    for model, entries in files.items():
        fx.write_result(repo, model, fx.SHA_A, "Mix", fx.current("Mix", {"test": entries}))
        fx.write_result(repo, model, fx.SHA_A, "EnRet", fx.simple_result("EnRet", 0.4))
        fx.write_meta(repo, model, fx.SHA_A, n_parameters=100_000_000)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("nullrows")
    _repo(base / "repo")
    report = rf.run_build(base / "repo", base / "wh", _catalog(base / "cat"))
    assert report.published
    return base


@pytest.fixture
def board(built):
    return Leaderboard(CurrentBuild(built / "wh"))


def test_the_table_lists_the_codes_of_rows_without_a_score(board):
    rows = board._query(f"SELECT model_name, task_name, null_codes FROM {NULL_LANGUAGES_TABLE} "
                        "ORDER BY model_name").to_pylist()
    # n/A: every row scored; n/B: en and fr placeholders; n/C: de NaN, fr placeholder
    assert rows == [{"model_name": "n/B", "task_name": "Mix", "null_codes": ["eng", "fra"]},
                    {"model_name": "n/C", "task_name": "Mix", "null_codes": ["deu", "fra"]}]


@pytest.mark.parametrize("langs, expected", [
    # eng: the en rows. n/A .8 (1 pair), n/B a placeholder only (kept, no mean), n/C .7;
    # required: the scored subsets {en} x {test}
    (["eng"], [("n/A", 0.8, 1, 1), ("n/B", None, 0, 1), ("n/C", 0.7, 1, 1)]),
    # fra: n/A .3; n/B and n/C have only placeholders of fr (kept once each)
    (["fra"], [("n/A", 0.3, 1, 1), ("n/B", None, 0, 1), ("n/C", None, 0, 1)]),
    # deu + fra: n/A de then fr, added in file order; n/B de .5; n/C a NaN and a placeholder
    (["deu", "fra"], [("n/A", (0.6 + 0.3) / 2, 2, 2), ("n/B", 0.5, 1, 2),
                      ("n/C", None, 0, 2)]),
], ids=["eng", "fra", "deu+fra"])
def test_task_means_keep_every_matching_pair_once(board, langs, expected):
    rows = board._query(TASK_MEANS, {"bench": BENCH, "langs": langs}).to_pylist()
    assert [(r["model_name"], r["raw_mean"], r["have_pairs"], r["required_pairs"])
            for r in rows] == expected


def test_the_request_path_reads_the_table(board):
    params = board._params(BENCH, Filters(languages=("eng",)))
    assert params[NULL_LANGUAGES] == NULL_LANGUAGES_TABLE
    t = board.per_task(BENCH, Filters(languages=("eng",)))
    # n/B has no score under eng on Mix, but its row (and EnRet's) is in the table
    assert dict(zip(t.column("Model").to_pylist(), t.column("Mix").to_pylist())) == {
        "n/A": pytest.approx(80.0), "n/C": pytest.approx(70.0), "n/B": None}


def test_the_task_language_sets_hold_each_language_of_the_rows_once(board):
    # Mix's rows: en, de and fr entries (scored, placeholders and a NaN alike), one set each
    rows = board._query(f"SELECT DISTINCT t.task_name, l.iso_codes FROM {TASK_SETS_TABLE} AS t "
                        "JOIN language_sets AS l USING (language_set) "
                        "WHERE t.benchmark = $bench AND t.task_name = 'Mix' ORDER BY ALL",
                        {"bench": BENCH}).to_pylist()
    assert [r["iso_codes"] for r in rows] == [["deu"], ["eng"], ["fra"]]


@pytest.mark.parametrize("table", [NULL_LANGUAGES_TABLE, TASK_SETS_TABLE])
def test_without_the_table_the_rows_give_the_same_tables(built, tmp_path, table):
    """A past date's schema (or an older build) lacks a today-only table of the language path:
    the request reads every row of the filtered frame instead (lb_task_scores_rows), with the
    same tables."""
    assert table in warehouse.TODAY_ONLY_TABLES
    with_table = Leaderboard(CurrentBuild(built / "wh"))
    assert with_table._params(BENCH, Filters(languages=("eng",)))[TASK_SETS] == TASK_SETS_TABLE
    shutil.copytree(built / "wh", tmp_path / "wh", symlinks=True)
    _age(tmp_path / "wh", drop=f"TABLE {table}", sql_digest=queries.sql_digest())
    without = Leaderboard(CurrentBuild(tmp_path / "wh"))
    for langs in (("eng",), ("fra",), ("deu", "fra")):
        filters = Filters(languages=langs)
        params = without._params(BENCH, filters)
        assert NULL_LANGUAGES not in params and TASK_SETS not in params
        assert without.summary(BENCH, filters).equals(with_table.summary(BENCH, filters))
        assert without.per_task(BENCH, filters).equals(with_table.per_task(BENCH, filters))
