"""Leaderboard tables on a hand-built catalog and results repository, with exact values.

The catalog (tasks, benchmarks, registry models) comes from `fixtures.ranking_catalog`; the
scores are `warehouses.RANKING_RESULTS` (the `lb` fixture of conftest.py builds them once); each
test carries the arithmetic its expected values are derived from. All scores are
main scores on the 0-1 scale; the tables show them x100. Borda (docs/SEMANTICS.md §Borda): per task,
rank the raw per-task means descending with ties averaged; a model earns n_models - rank per task
it has (0 for a missing task), n_models = number of rows of the table (models with >= 1 non-null
task score); the final rank is the "min" rank of the points.
"""

from __future__ import annotations

import fixtures as fx
import pytest
from warehouses import RANKING_RESULTS

from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard, RankingError

NAN = float("nan")
A, B = fx.SHA_A, fx.SHA_B

def rows(table) -> list[dict]:
    return table.to_pylist()


def column(table, name) -> list:
    return table.column(name).to_pylist()


def approx_rows(actual: list[dict], expected: list[dict], keys) -> None:
    assert [r["Model"] for r in actual] == [r["Model"] for r in expected]
    for got, want in zip(actual, expected):
        for k in keys:
            if want[k] is None:
                assert got[k] is None, (got["Model"], k, got[k])
            else:
                assert got[k] == pytest.approx(want[k], abs=1e-9), (got["Model"], k, got[k])


def borda_points(lb: Leaderboard, bench: str) -> dict[str, float]:
    cur = lb.handle.cursor()
    try:
        out = cur.sql("SELECT model_name, borda_points FROM "
                      "lb_model_scores($b, NULL, NULL, NULL, false, true, false)",
                      params={"b": bench}).fetchall()
    finally:
        cur.close()
    return dict(out)


# --------------------------------------------------------------------------------------------
# Borda: the verified worked example, ties, missing tasks
# --------------------------------------------------------------------------------------------

def test_borda_worked_example_summary(lb):
    t = lb.summary("Borda(v1)")
    assert t.column_names[:2] == ["Rank (Borda)", "Model"]
    assert {"Zero-shot", "Mean (Task)", "Mean (TaskType)", "Retrieval", "STS",
            "Release Date"} <= set(t.column_names)
    # t1 = BRet1: A .9, B .9 tie -> average rank 1.5 each, C rank 3; n = 3
    #   points: A 3-1.5 = 1.5, B 1.5, C 0
    # t2 = BRet2: C .8 r1, A .7 r2, B .6 r3 -> C 2, A 1, B 0
    # t3 = BSts: A .4 r1, B .3 r2, C missing -> A 2, B 1, C 0 (the experiment's .99 is ignored)
    # totals: A 1.5+1+2 = 4.5, B 1.5+0+1 = 2.5, C 0+2+0 = 2.0 -> ranks 1, 2, 3
    approx_rows(rows(t), [
        # Mean (Task): A (.9+.7+.4)/3 = .6667, B (.9+.6+.3)/3 = .6, C: BSts missing -> NULL
        # Retrieval: A (.9+.7)/2 = .8, B (.9+.6)/2 = .75, C (.5+.8)/2 = .65; STS: .4, .3, NULL
        # Mean (TaskType): A (.8+.4)/2 = .6, B (.75+.3)/2 = .525, C NULL (STS NULL)
        {"Model": "ex/A", "Rank (Borda)": 1, "Mean (Task)": 200 / 3, "Retrieval": 80.0,
         "STS": 40.0, "Mean (TaskType)": 60.0, "Zero-shot": 100},
        {"Model": "ex/B", "Rank (Borda)": 2, "Mean (Task)": 60.0, "Retrieval": 75.0,
         "STS": 30.0, "Mean (TaskType)": 52.5, "Zero-shot": 100},
        {"Model": "ex/C", "Rank (Borda)": 3, "Mean (Task)": None, "Retrieval": 65.0,
         "STS": None, "Mean (TaskType)": None, "Zero-shot": 100},
    ], ["Rank (Borda)", "Mean (Task)", "Retrieval", "STS", "Mean (TaskType)", "Zero-shot"])


def test_borda_worked_example_points(lb):
    points = borda_points(lb, "Borda(v1)")
    assert points == {"ex/A": pytest.approx(4.5), "ex/B": pytest.approx(2.5),
                      "ex/C": pytest.approx(2.0)}


def test_borda_worked_example_per_task(lb):
    t = lb.per_task("Borda(v1)")
    assert t.column_names == ["Model", "BRet1", "BRet2", "BSts"]
    assert column(t, "Model") == ["ex/A", "ex/B", "ex/C"]  # Borda order
    assert column(t, "BRet1") == pytest.approx([90.0, 90.0, 50.0])
    assert column(t, "BRet2") == pytest.approx([70.0, 60.0, 80.0])
    assert column(t, "BSts")[:2] == pytest.approx([40.0, 30.0]) and column(t, "BSts")[2] is None


def test_per_language_single_language_sorted_by_score(lb):
    # language_view "all"; every row is eng-Latn -> one column, rows by that score descending:
    # A (.9+.7+.4)/3 = .6667, C (.5+.8)/2 = .65, B (.9+.6+.3)/3 = .6
    t = lb.per_language("Borda(v1)")
    assert t.column_names == ["Model", "eng-Latn"]
    assert column(t, "Model") == ["ex/A", "ex/C", "ex/B"]
    assert column(t, "eng-Latn") == pytest.approx([200 / 3, 65.0, 60.0])


def test_tied_borda_points_share_the_best_rank(lb):
    # TX: a .9 r1 -> 2, b .8 r2 -> 1, c .1 r3 -> 0;  TY: b .9 -> 2, a .8 -> 1, c -> 0
    # a 3, b 3, c 0 -> "min" ranks 1, 1, 3 (rank 2 skipped); ties listed by name
    t = lb.summary("Ties(v1)")
    assert column(t, "Model") == ["t/a", "t/b", "t/c"]
    assert column(t, "Rank (Borda)") == [1, 1, 3]
    assert column(t, "Mean (Task)") == pytest.approx([85.0, 85.0, 10.0])


# --------------------------------------------------------------------------------------------
# completeness: missing subsets / splits, tasks only some models ran, NaN
# --------------------------------------------------------------------------------------------

def test_incomplete_tasks_summary(lb):
    # Required (subset, split) pairs, from the scored rows of all models:
    #   CCls {en, de} x {test} = 2; CRet {default} x {validation, test} = 2; CSts 1.
    # Raw per-task means (NULL/NaN rows ignored) and completeness:
    #   CCls: P (.8+.6)/2 = .7 ok; Q .9 (de missing) NULL; R: en NaN -> NULL, raw .5, NULL;
    #         S .7 ok
    #   CRet: P (.5+.7)/2 = .6; Q (.6+.4)/2 = .5; R raw .8 (validation missing) NULL; S .3
    #   CSts: P .9; Q .7; R and S never ran it
    # R has no non-null task score -> not a row of the table; n_models = 3 (P, Q, S).
    # Borda on raw means, R included (mteb ranks every model of the frame):
    #   CCls: Q .9 r1, P .7 / S .7 r2.5, R .5 r4 -> Q 2, P .5, S .5, R -1
    #   CRet: R .8 r1, P .6 r2, Q .5 r3, S .3 r4 -> R 2, P 1, Q 0, S -1
    #   CSts: P .9 r1, Q .7 r2 -> P 2, Q 1
    #   P 3.5, Q 3, R 1, S -0.5 -> ranks P 1, Q 2, R 3, S 4
    t = lb.summary("Complete(v1)")
    approx_rows(rows(t), [
        # Mean (Task): P (.7+.6+.9)/3; Q and S have a NULL task -> NULL
        # Mean (TaskType): P (70+60+90)/3; Q: Classification NULL; S: STS missing -> NULL
        {"Model": "c/P", "Rank (Borda)": 1, "Mean (Task)": 220 / 3, "Classification": 70.0,
         "Retrieval": 60.0, "STS": 90.0, "Mean (TaskType)": 220 / 3},
        {"Model": "c/Q", "Rank (Borda)": 2, "Mean (Task)": None, "Classification": None,
         "Retrieval": 50.0, "STS": 70.0, "Mean (TaskType)": None},
        {"Model": "c/S", "Rank (Borda)": 4, "Mean (Task)": None, "Classification": 70.0,
         "Retrieval": 30.0, "STS": None, "Mean (TaskType)": None},
    ], ["Rank (Borda)", "Mean (Task)", "Classification", "Retrieval", "STS", "Mean (TaskType)"])


def test_incomplete_tasks_points(lb):
    points = borda_points(lb, "Complete(v1)")
    assert {m: points[m] for m in ("c/P", "c/Q", "c/S")} == {
        "c/P": pytest.approx(3.5), "c/Q": pytest.approx(3.0), "c/S": pytest.approx(-0.5)}


def test_incomplete_tasks_per_task(lb):
    t = lb.per_task("Complete(v1)")
    assert column(t, "Model") == ["c/P", "c/Q", "c/S"]
    assert column(t, "CCls") == [pytest.approx(70.0), None, pytest.approx(70.0)]
    assert column(t, "CRet") == pytest.approx([60.0, 50.0, 30.0])
    assert column(t, "CSts") == [pytest.approx(90.0), pytest.approx(70.0), None]


def test_per_language_two_languages_borda_order(lb):
    # language_view [eng-Latn, deu-Latn]; every row counts for each of its languages;
    # placeholders (missing triples) and NaN are NULL:
    #   eng: P (.8+.5+.7+.9)/4 = .725, Q (.9+.6+.4+.7)/4 = .65, R .8 (NaN, placeholder ignored),
    #        S (.7+.3+.3)/3 = .4333
    #   deu: P .6, Q NULL (placeholder), R .5, S .7
    # all four have a non-null language score -> 4 rows, n = 4
    # Borda: eng R 3, P 2, Q 1, S 0; deu S 3, P 2, R 1, Q 0 -> P 4, R 4, S 3, Q 1
    t = lb.per_language("Complete(v1)")
    assert set(t.column_names) == {"Model", "eng-Latn", "deu-Latn"}
    assert column(t, "Model") == ["c/P", "c/R", "c/S", "c/Q"]
    assert column(t, "eng-Latn") == pytest.approx([72.5, 80.0, 130 / 3, 65.0])
    assert column(t, "deu-Latn")[:3] == pytest.approx([60.0, 50.0, 70.0])
    assert column(t, "deu-Latn")[3] is None


def test_per_language_language_filter_keeps_the_selected_language_whole(lb):
    # languages deu: the tasks with deu (CCls) and the rows whose languages hold deu (the de
    # subset): deu P .6, Q NULL (placeholder), R .5, S .7; no eng row holds deu -> no eng column.
    # Q has no non-null score -> not a row; one language -> rows by score: S, P, R
    t = lb.per_language("Complete(v1)", Filters(languages=("deu",)))
    assert t.column_names == ["Model", "deu-Latn"]
    assert column(t, "Model") == ["c/S", "c/P", "c/R"]
    assert column(t, "deu-Latn") == pytest.approx([70.0, 60.0, 50.0])


def test_per_language_language_and_task_filter(lb):
    # languages eng, tasks CCls + CRet: the eng rows of those tasks (CSts dropped); P and Q lose
    # their CSts row, R and S keep all their eng rows (the unfiltered means):
    #   eng P (.8+.5+.7)/3 = .6667, Q (.9+.6+.4)/3 = .6333, R .8 (NaN ignored),
    #   S (.7+.3+.3)/3 = .4333; no deu row holds eng -> one column, rows by score: R, P, Q, S
    t = lb.per_language("Complete(v1)", Filters(languages=("eng",), tasks=("CCls", "CRet")))
    assert t.column_names == ["Model", "eng-Latn"]
    assert column(t, "Model") == ["c/R", "c/P", "c/Q", "c/S"]
    assert column(t, "eng-Latn") == pytest.approx([80.0, 200 / 3, 190 / 3, 130 / 3])


# --------------------------------------------------------------------------------------------
# revision choice
# --------------------------------------------------------------------------------------------

def test_revision_choice(lb):
    # RvRet per model (join_revisions priority: main revision +1000, parsed version +100,
    # real revision +10; then newest version):
    #   rv/main: A (main rev, 1.12.0) 1110 beats B (2.0.0) 110          -> .3
    #   rv/newest: A 1.12.0 (110) vs B 1.14.0 (110) vs external (0)     -> B .5
    #   rv/range: A "2.10.0-2.18.7" (10, range unparsed) vs B 1.12.0 (110) -> .6
    #   rv/real: external (0) vs `1` (10), both without version         -> .25
    # RvSts: rv/main has it only in B -> .8 (the choice is per task)
    # Borda (n = 4): RvRet range 3, newest 2, main 1, real 0; RvSts main 3
    #   -> main 4, range 3, newest 2, real 0
    t = lb.per_task("Revisions(v1)")
    assert column(t, "Model") == ["rv/main", "rv/range", "rv/newest", "rv/real"]
    assert column(t, "RvRet") == pytest.approx([30.0, 60.0, 50.0, 25.0])
    assert column(t, "RvSts") == [pytest.approx(80.0), None, None, None]
    s = lb.summary("Revisions(v1)")
    assert column(s, "Rank (Borda)") == [1, 2, 3, 4]
    assert column(s, "Mean (Task)") == [pytest.approx(55.0), None, None, None]  # (.3+.8)/2


def test_legacy_files_rank_under_the_new_task_name(lb):
    # lg/old: legacy PPC.json -> PpcPC, main score = max_ap .75
    # lg/new: legacy .6 (priority 100) vs current SHA folder .65 (110) -> .65
    # n = 2: old 1 point, new 0 -> ranks 1, 2
    t = lb.per_task("Legacy(v1)")
    assert t.column_names == ["Model", "PpcPC"]
    assert column(t, "Model") == ["lg/old", "lg/new"]
    assert column(t, "PpcPC") == pytest.approx([75.0, 65.0])


def test_revision_choice_rows(lb):
    cur = lb.handle.cursor()
    try:
        got = cur.sql("SELECT model_name, task_name, revision, priority FROM chosen_results "
                      "WHERE model_name LIKE 'rv/%' ORDER BY 1, 2").fetchall()
    finally:
        cur.close()
    assert got == [("rv/main", "RvRet", A, 1110), ("rv/main", "RvSts", B, 110),
                   ("rv/newest", "RvRet", B, 110), ("rv/range", "RvRet", B, 110),
                   ("rv/real", "RvRet", "1", 10)]


# --------------------------------------------------------------------------------------------
# Filters(v1): zero-shot and every filter
# --------------------------------------------------------------------------------------------
# Scores (ZRet, ZCls, ZSts): trained (.8, .6, .7), unknown (.5, .9, .4), clean (.6, .5, .8),
# closed (.9, .7, .6); unreg (.1, .1, .1) is not in the registry.
# Default Borda, n = 4:
#   ZRet closed 3, trained 2, clean 1, unknown 0; ZCls unknown 3, closed 2, trained 1, clean 0;
#   ZSts clean 3, trained 2, closed 1, unknown 0 -> closed 6, trained 5, clean 4, unknown 3


def models_of(table) -> list[str]:
    return column(table, "Model") if "Model" in table.column_names else []


def test_filters_default_with_zero_shot_and_metadata(lb):
    t = lb.summary("Filters(v1)")
    approx_rows(rows(t), [
        # Zero-shot = int(100 - 100 |T & D| / |T|), T = {ZRet, ZCls, ZSts}:
        #   closed D = {ZStsOld, ZSts, ZCls}: 100 - 66.67 = 33.3 -> 33
        #   trained D = {ZRet}: 100 - 33.33 = 66.67 -> 66 (truncated, not rounded to 67)
        #   clean D = {} -> 100; unknown: training data unknown -> -1
        {"Model": "z/closed", "Rank (Borda)": 1, "Mean (Task)": 220 / 3, "Zero-shot": 33},
        {"Model": "z/trained", "Rank (Borda)": 2, "Mean (Task)": 70.0, "Zero-shot": 66},
        {"Model": "z/clean", "Rank (Borda)": 3, "Mean (Task)": 190 / 3, "Zero-shot": 100},
        {"Model": "z/unknown", "Rank (Borda)": 4, "Mean (Task)": 60.0, "Zero-shot": -1},
    ], ["Rank (Borda)", "Mean (Task)", "Zero-shot"])
    by = {r["Model"]: r for r in rows(t)}
    assert by["z/trained"]["Total Parameters (B)"] == pytest.approx(0.1)
    assert by["z/closed"]["Total Parameters (B)"] == pytest.approx(7.0)
    assert by["z/unknown"]["Total Parameters (B)"] is None
    assert (by["z/trained"]["Embedding Dimensions"], by["z/trained"]["Max Tokens"]) == (384, 512)
    assert str(by["z/trained"]["Release Date"]) == "2023-03-01"
    assert "z/unreg" not in by  # the official leaderboard shows registry models only


@pytest.mark.parametrize("filters,expected", [
    # size 0.2-1.0 B: only clean (0.5); n = 1, every rank 1 -> 0 points -> rank 1
    (Filters(min_params_b=0.2, max_params_b=1.0), [("z/clean", 1)]),
    # + unknown sizes: clean, unknown; n = 2: ZRet clean 1, ZCls unknown 1, ZSts clean 1
    #   -> clean 2, unknown 1
    (Filters(min_params_b=0.2, max_params_b=1.0, keep_unknown_size=True),
     [("z/clean", 1), ("z/unknown", 2)]),
    # <= 1 B: trained (0.1), clean (0.5); ZRet trained 1, ZCls trained 1, ZSts clean 1
    (Filters(max_params_b=1.0), [("z/trained", 1), ("z/clean", 2)]),
    # >= 1 B: closed only
    (Filters(min_params_b=1.0), [("z/closed", 1)]),
    # open weights: trained, unknown, clean; n = 3:
    #   ZRet trained 2, clean 1, unknown 0; ZCls unknown 2, trained 1, clean 0;
    #   ZSts clean 2, trained 1, unknown 0 -> trained 4, clean 3, unknown 2
    (Filters(open_weights=True), [("z/trained", 1), ("z/clean", 2), ("z/unknown", 3)]),
    (Filters(open_weights=False), [("z/closed", 1)]),
    # instructions: unknown uses them; closed's is unknown (None) and matches neither
    (Filters(instructions=True), [("z/unknown", 1)]),
    (Filters(instructions=False), [("z/trained", 1), ("z/clean", 2)]),
    (Filters(sentence_transformers=True), [("z/trained", 1), ("z/clean", 2)]),
    (Filters(model_types=("late-interaction",)), [("z/closed", 1)]),
    (Filters(model_types=("dense",)), [("z/trained", 1), ("z/clean", 2), ("z/unknown", 3)]),
    # zero-shot only: clean (trained and closed overlap, unknown is unknown)
    (Filters(zero_shot="only_zero_shot"), [("z/clean", 1)]),
    # remove unknown: closed, trained, clean; n = 3:
    #   ZRet closed 2, trained 1, clean 0; ZCls closed 2, trained 1, clean 0;
    #   ZSts clean 2, trained 1, closed 0 -> closed 4, trained 3, clean 2
    (Filters(zero_shot="remove_unknown"), [("z/closed", 1), ("z/trained", 2), ("z/clean", 3)]),
])
def test_model_filters(lb, filters, expected):
    t = lb.summary("Filters(v1)", filters)
    assert list(zip(models_of(t), column(t, "Rank (Borda)"))) == expected


def test_zero_shot_against_the_selected_tasks(lb):
    # tasks = {ZCls}: trained (D = {ZRet}) is zero-shot on it, closed (D has ZCls) is not,
    # unknown is unknown -> trained .6, clean .5; n = 2 -> trained 1, clean 0
    t = lb.summary("Filters(v1)", Filters(tasks=("ZCls",), zero_shot="only_zero_shot"))
    approx_rows(rows(t), [
        {"Model": "z/trained", "Rank (Borda)": 1, "Mean (Task)": 60.0, "Zero-shot": 100},
        {"Model": "z/clean", "Rank (Borda)": 2, "Mean (Task)": 50.0, "Zero-shot": 100},
    ], ["Rank (Borda)", "Mean (Task)", "Zero-shot"])


def test_task_type_filter(lb):
    # Retrieval only: T = {ZRet}; Borda closed .9 3, trained .8 2, clean .6 1, unknown .5 0
    # Zero-shot: trained 100 - 100 = 0, closed 100 (no ZRet), clean 100, unknown -1
    t = lb.summary("Filters(v1)", Filters(task_types=("Retrieval",)))
    assert "Retrieval" in t.column_names
    assert "Classification" not in t.column_names and "STS" not in t.column_names
    approx_rows(rows(t), [
        {"Model": "z/closed", "Rank (Borda)": 1, "Mean (Task)": 90.0, "Retrieval": 90.0,
         "Mean (TaskType)": 90.0, "Zero-shot": 100},
        {"Model": "z/trained", "Rank (Borda)": 2, "Mean (Task)": 80.0, "Retrieval": 80.0,
         "Mean (TaskType)": 80.0, "Zero-shot": 0},
        {"Model": "z/clean", "Rank (Borda)": 3, "Mean (Task)": 60.0, "Retrieval": 60.0,
         "Mean (TaskType)": 60.0, "Zero-shot": 100},
        {"Model": "z/unknown", "Rank (Borda)": 4, "Mean (Task)": 50.0, "Retrieval": 50.0,
         "Mean (TaskType)": 50.0, "Zero-shot": -1},
    ], ["Rank (Borda)", "Mean (Task)", "Retrieval", "Mean (TaskType)", "Zero-shot"])
    assert lb.per_task("Filters(v1)", Filters(task_types=("Retrieval",))).column_names == [
        "Model", "ZRet"]


@pytest.mark.parametrize("filters", [
    Filters(domains=("Web",)),                 # ZRet (Web) and ZSts (News, Web)
    Filters(tasks=("ZRet", "ZSts")),
    Filters(task_types=("Retrieval", "STS")),
])
def test_two_task_selection(lb, filters):
    # T = {ZRet, ZSts}; n = 4: ZRet closed 3, trained 2, clean 1, unknown 0;
    # ZSts clean 3, trained 2, closed 1, unknown 0 -> closed 4, trained 4, clean 4, unknown 0
    # -> ranks 1, 1, 1, 4 (ties by name). Means: closed (.9+.6)/2, trained (.8+.7)/2,
    # clean (.6+.8)/2, unknown (.5+.4)/2. Zero-shot: trained {ZRet} -> 50, closed {ZSts} -> 50.
    t = lb.summary("Filters(v1)", filters)
    approx_rows(rows(t), [
        {"Model": "z/clean", "Rank (Borda)": 1, "Mean (Task)": 70.0, "Zero-shot": 100},
        {"Model": "z/closed", "Rank (Borda)": 1, "Mean (Task)": 75.0, "Zero-shot": 50},
        {"Model": "z/trained", "Rank (Borda)": 1, "Mean (Task)": 75.0, "Zero-shot": 50},
        {"Model": "z/unknown", "Rank (Borda)": 4, "Mean (Task)": 45.0, "Zero-shot": -1},
    ], ["Rank (Borda)", "Mean (Task)", "Zero-shot"])
    assert lb.per_task("Filters(v1)", filters).column_names == ["Model", "ZRet", "ZSts"]


@pytest.mark.parametrize("filters", [Filters(domains=("Reviews",)), Filters(languages=("deu",)),
                                     Filters(task_types=("Classification",))])
def test_single_task_selection(lb, filters):
    # ZCls only: unknown .9, closed .7, trained .6, clean .5 -> ranks 1..4
    t = lb.summary("Filters(v1)", filters)
    assert models_of(t) == ["z/unknown", "z/closed", "z/trained", "z/clean"]
    assert column(t, "Rank (Borda)") == [1, 2, 3, 4]
    assert column(t, "Mean (Task)") == pytest.approx([90.0, 70.0, 60.0, 50.0])
    assert lb.per_task("Filters(v1)", filters).column_names == ["Model", "ZCls"]


def test_all_languages_selected_is_no_filter(lb):
    assert rows(lb.summary("Filters(v1)", Filters(languages=("deu", "eng")))) == \
        rows(lb.summary("Filters(v1)"))


def test_all_models_includes_unregistered(lb):
    # n = 5: ZRet closed 4, trained 3, clean 2, unknown 1, unreg 0; ZCls unknown 4, closed 3,
    # trained 2, clean 1, unreg 0; ZSts clean 4, trained 3, closed 2, unknown 1, unreg 0
    # -> closed 9, trained 8, clean 7, unknown 6, unreg 0. unreg: zero-shot unknown (-1),
    # size from its model_meta.json (1e8 -> 0.1 B)
    t = lb.summary("Filters(v1)", Filters(all_models=True))
    assert models_of(t) == ["z/closed", "z/trained", "z/clean", "z/unknown", "z/unreg"]
    assert column(t, "Rank (Borda)") == [1, 2, 3, 4, 5]
    unreg = rows(t)[-1]
    assert unreg["Zero-shot"] == -1 and unreg["Mean (Task)"] == pytest.approx(10.0)
    assert unreg["Total Parameters (B)"] == pytest.approx(0.1)


@pytest.mark.parametrize("filters", [
    Filters(max_params_b=0.01),
    Filters(tasks=()),
    Filters(model_types=("cross-encoder",)),
    Filters(instructions=True, sentence_transformers=True),
])
def test_filters_leaving_nothing_give_empty_tables(lb, filters):
    for view in ("summary", "per-task"):
        t = lb.table("Filters(v1)", view, filters)
        assert t.num_rows == 0 and "Model" in t.column_names


def test_options(lb):
    o = lb.options("Filters(v1)")
    assert o.task_types == ["Classification", "Retrieval", "STS"]
    assert o.domains == ["News", "Reviews", "Web"]
    assert o.languages == ["deu", "eng"]
    assert o.tasks == ["ZCls", "ZRet", "ZSts"]
    assert set(o.model_types) == {"dense", "late-interaction"}


def test_task_list_keeps_the_benchmark_order(lb):
    # Filters(v1) lists ZRet, ZCls, ZSts: a task list alone (answered without a query) and the
    # same list with a task type (lb_selected_tasks) keep that order, whatever the list's
    assert lb.selected_tasks("Filters(v1)", Filters(tasks=("ZSts", "ZRet"))) == ["ZRet", "ZSts"]
    assert lb.selected_tasks("Filters(v1)", Filters(
        tasks=("ZSts", "ZRet"), task_types=("Retrieval", "STS"))) == ["ZRet", "ZSts"]
    assert lb.selected_tasks("Filters(v1)", Filters(tasks=("ZCls",))) == ["ZCls"]


def test_task_types_select_from_the_catalog_without_a_query(lb, monkeypatch):
    # Filters(v1) lists ZRet (Retrieval), ZCls (Classification), ZSts (STS): task types alone
    # or with a task list (the dashboard's type filters) are answered from the catalog's task
    # types, in the benchmark's order, without the lb_selected_tasks query; the macro itself
    # gives the same tasks
    from mteb_lb import db

    cases = {(("STS", "Retrieval"), None): ["ZRet", "ZSts"],
             (("Classification",), None): ["ZCls"],
             (("Retrieval", "Classification"), None): ["ZRet", "ZCls"],
             (("STS", "Retrieval"), ("ZSts", "ZCls")): ["ZSts"],
             ((), None): []}
    cur = lb.handle.cursor()
    try:
        for (types, tasks), expected in cases.items():
            assert [r[0] for r in cur.execute(
                "SELECT task_name FROM lb_selected_tasks('Filters(v1)', ?::VARCHAR[], NULL, "
                "NULL, NULL, ?::VARCHAR[]) ORDER BY position",
                [list(types), None if tasks is None else list(tasks)]).fetchall()] == expected
    finally:
        cur.close()
    queries: list[str] = []
    real = db.query_arrow

    def counted(con, sql, *args, **kwargs):
        queries.append(sql)
        return real(con, sql, *args, **kwargs)
    monkeypatch.setattr(db, "query_arrow", counted)
    for (types, tasks), expected in cases.items():
        assert lb.selected_tasks("Filters(v1)", Filters(task_types=types, tasks=tasks)) == expected
    assert not [q for q in queries if "lb_selected_tasks" in q]


# --------------------------------------------------------------------------------------------
# errors list the valid values
# --------------------------------------------------------------------------------------------

def test_unknown_benchmark(lb):
    with pytest.raises(RankingError) as exc:
        lb.summary("MTEB(nope)")
    msg = str(exc.value)
    assert "MTEB(nope)" in msg
    for name in ("Borda(v1)", "Complete(v1)", "Filters(v1)", "Legacy(v1)", "Revisions(v1)",
                 "Ties(v1)"):
        assert name in msg


@pytest.mark.parametrize("filters,listed", [
    (Filters(task_types=("Clustering",)), "Classification, Retrieval, STS"),
    (Filters(domains=("Space",)), "News, Reviews, Web"),
    (Filters(languages=("fra",)), "deu, eng"),
    (Filters(tasks=("BRet1",)), "ZCls, ZRet, ZSts"),
    (Filters(zero_shot="sometimes"), "allow_all, remove_unknown, only_zero_shot"),
])
def test_unknown_filter_values(lb, filters, listed):
    for view in ("summary", "per-task"):
        with pytest.raises(RankingError) as exc:
            lb.table("Filters(v1)", view, filters)
        assert listed in str(exc.value)


def test_unknown_view_and_missing_language_view(lb):
    with pytest.raises(RankingError, match="summary, per-task, per-language, tasks"):
        lb.table("Filters(v1)", "nope")
    with pytest.raises(RankingError, match=r"Filters\(v1\) has no per-language view.*Borda\(v1\)"):
        lb.per_language("Filters(v1)")


def test_language_filter_drops_rows_of_other_languages(lb):
    # eng only on Complete(v1): every task has an eng subset, but the CCls `de` rows go, so
    # CCls needs {en} x {test} = 1 pair and Q's CCls (.9) becomes complete; R's only en row is
    # NaN -> its CCls is NULL, CRet (validation missing) NULL -> R not a row; n = 3.
    #   CCls: Q .9 2, P .8 1, S .7 0;  CRet: R .8 2, P .6 1, Q .5 0, S .3 -1;  CSts: P 2, Q 1
    #   P 4, Q 3, R 2, S -1 -> ranks P 1, Q 2, (R 3), S 4
    # Mean (Task): P (.8+.6+.9)/3, Q (.9+.5+.7)/3, S NULL (no CSts)
    t = lb.summary("Complete(v1)", Filters(languages=("eng",)))
    approx_rows(rows(t), [
        {"Model": "c/P", "Rank (Borda)": 1, "Mean (Task)": 230 / 3, "Classification": 80.0},
        {"Model": "c/Q", "Rank (Borda)": 2, "Mean (Task)": 70.0, "Classification": 90.0},
        {"Model": "c/S", "Rank (Borda)": 4, "Mean (Task)": None, "Classification": 70.0},
    ], ["Rank (Borda)", "Mean (Task)", "Classification"])


def test_a_new_build_is_picked_up(tmp_path, monkeypatch):
    """The same Leaderboard follows `current`: results are cached per build, not forever."""
    from etl import build

    repo, cat, wh = tmp_path / "repo", fx.ranking_catalog(tmp_path / "cat"), tmp_path / "wh"
    for model, rev, version, task, entries in RANKING_RESULTS[:8]:  # the Borda(v1) example
        split, subset, langs, score = entries[0]
        fx.write_result(repo, model, rev, task, fx.simple_result(task, score, split=split,
                                                                 mteb_version=version))
    build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    board = Leaderboard(CurrentBuild(wh))
    first = board.summary("Borda(v1)")
    assert column(first, "Mean (Task)")[2] is None  # ex/C lacks BSts
    # ex/C gets BSts .95: BSts C 2, A 1, B 0 -> A 1.5+1+1 = 3.5, B 1.5+0+0 = 1.5,
    # C 0+2+2 = 4 -> C, A, B; Mean (Task) C (.5+.8+.95)/3 = .75
    fx.write_result(repo, "ex/C", A, "BSts", fx.simple_result("BSts", 0.95))
    report = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    assert report.published
    second = board.summary("Borda(v1)")
    assert column(second, "Model") == ["ex/C", "ex/A", "ex/B"]
    assert column(second, "Mean (Task)")[0] == pytest.approx(75.0)
    assert board.build_id() == report.build.name
