"""Rank intervals, pairwise odds and robustness (mteb_lb/stats.py, Leaderboard methods, the
`rank_intervals` warehouse table, `mteb-lb compare`), with values worked out by hand or taken
from scipy / scikit-posthocs, never from the code under test.

Definitions (README, "Rank intervals and robustness"): a resample draws T partitions with
replacement; a model's resampled points are the sum of its Borda points over the drawn
partitions; its rank is 1 + the number of models with strictly more points; the interval is the
sorted ranks' elements at 0-based indices floor(0.025 (B-1)) and ceil(0.975 (B-1)).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mteb_lb import stats
from mteb_lb.rankings import Filters, RankingError

# `lb` (conftest.py) is the ranking fixture: a hand-built build whose Borda points
# test_rankings.py works out

scipy_stats = pytest.importorskip("scipy.stats")
posthocs = pytest.importorskip("scikit_posthocs")


def inputs(points, models=None, in_table=None, partitions=None, tasks=None) -> stats.BordaInputs:
    points = np.asarray(points, dtype=float)
    m, t = points.shape
    models = models or [f"m{i}" for i in range(m)]
    partitions = partitions or [f"t{j}" for j in range(t)]
    return stats.BordaInputs(tuple(models), tuple(partitions), tuple(tasks or partitions), points,
                             np.asarray(in_table if in_table is not None else [True] * m))


# --------------------------------------------------------------------------------------------
# A hand-computed case: 3 models x 4 tasks (n_models = 3, so points per task are 2, 1, 0)
# --------------------------------------------------------------------------------------------
#          t0   t1   t2   t3          (t3: X and Y tie at average rank 2.5 -> 0.5 each)
#   X       2    2    0   0.5    total 4.5 -> Rank (Borda) 1
#   Y       1    1    1   0.5    total 3.5 -> 3
#   Z       0    0    2   2      total 4.0 -> 2
HAND = inputs([[2, 2, 0, 0.5], [1, 1, 1, 0.5], [0, 0, 2, 2]], models=["X", "Y", "Z"])
# resamples (drawn task indices) and the points / ranks they give, worked out by hand:
R1 = [0, 0, 1, 1]   # X 8,   Y 4,   Z 0   -> X 1, Y 2, Z 3
R2 = [2, 2, 3, 3]   # X 1,   Y 3,   Z 8   -> Z 1, Y 2, X 3
R3 = [0, 1, 2, 3]   # X 4.5, Y 3.5, Z 4   -> X 1, Z 2, Y 3  (each task once: the Borda rank)
R4 = [3, 3, 3, 0]   # X 3.5, Y 2.5, Z 6   -> Z 1, X 2, Y 3
R5 = [0, 2, 0, 2]   # X 4,   Y 4,   Z 4   -> all three rank 1 (ties share the best rank)


def test_hand_case_borda_rank():
    assert stats.rank_intervals(HAND, 0).borda_rank.tolist() == [1, 3, 2]


def test_hand_case_five_resamples():
    # B = 5: bounds at sorted indices floor(0.025*4) = 0 and ceil(0.975*4) = 4 (min and max)
    # X ranks 1,3,1,2,1 -> sorted 1,1,1,2,3: [1, 3], median 1, P(rank 1) 3/5
    # Y ranks 2,2,3,3,1 -> sorted 1,2,2,3,3: [1, 3], median 2, P(rank 1) 1/5
    # Z ranks 3,1,2,1,1 -> sorted 1,1,1,2,3: [1, 3], median 1, P(rank 1) 3/5
    iv = stats.rank_intervals(HAND, 5, indices=np.array([R1, R2, R3, R4, R5]))
    assert iv.low.tolist() == [1, 1, 1] and iv.high.tolist() == [3, 3, 3]
    assert iv.median.tolist() == [1.0, 2.0, 1.0]
    assert iv.p_rank1.tolist() == [3 / 5, 1 / 5, 3 / 5]


def test_hand_case_even_b_median_is_the_mean_of_the_middle_two():
    # B = 4 (R1..R4): X 1,3,1,2 -> 1,1,2,3 median 1.5; Y 2,2,3,3 -> 2.5; Z 3,1,2,1 -> 1.5
    # bounds: indices 0 and ceil(0.975*3) = 3: X [1,3], Y [2,3], Z [1,3]
    iv = stats.rank_intervals(HAND, 4, indices=np.array([R1, R2, R3, R4]))
    assert iv.median.tolist() == [1.5, 2.5, 1.5]
    assert iv.low.tolist() == [1, 2, 1] and iv.high.tolist() == [3, 3, 3]
    assert iv.p_rank1.tolist() == [0.5, 0.0, 0.5]


def test_hand_case_the_order_statistics_drop_the_extremes():
    # B = 41: bounds at sorted indices floor(0.025*40) = 1 and ceil(0.975*40) = 39 (of 0..40),
    # so the single best and the single worst rank fall outside. Resamples: R2 once, R4 once,
    # R1 39 times.
    # X: R1 -> 1 (x39), R2 -> 3, R4 -> 2: sorted 1 x39, 2, 3 -> [1, 2]  (3 is dropped)
    # Y: R1 -> 2, R2 -> 2, R4 -> 3: 2 x40, 3 -> [2, 2]
    # Z: R1 -> 3 (x39), R2 -> 1, R4 -> 1: 1, 1, 3 x39 -> [1, 3]  (index 1 is the 2nd one)
    iv = stats.rank_intervals(HAND, 41, indices=np.array([R2, R4] + [R1] * 39))
    assert iv.low.tolist() == [1, 2, 1] and iv.high.tolist() == [2, 2, 3]
    assert iv.p_rank1.tolist() == [39 / 41, 0.0, 2 / 41]
    t = stats.intervals_table(HAND, 41, indices=np.array([R2, R4] + [R1] * 39))
    assert t.to_pylist() == [  # Rank (Borda) order
        {"Model": "X", "Rank (Borda)": 1, "rank_low": 1, "rank_high": 2, "rank_median": 1.0,
         "p_rank1": 39 / 41, "tied_with_leader": True},
        {"Model": "Z", "Rank (Borda)": 2, "rank_low": 1, "rank_high": 3, "rank_median": 3.0,
         "p_rank1": 2 / 41, "tied_with_leader": True},
        {"Model": "Y", "Rank (Borda)": 3, "rank_low": 2, "rank_high": 2, "rank_median": 2.0,
         "p_rank1": 0.0, "tied_with_leader": False}]


def test_hand_case_pairwise_odds():
    # over R1..R5: X above Z in R1 (8 > 0) and R3 (4.5 > 4); Z above X in R2 and R4; R5 ties
    # X above Y in R1, R3, R4; Y above X in R2; R5 ties
    idx = np.array([R1, R2, R3, R4, R5])
    assert stats.p_above(HAND, [(0, 2), (2, 0), (0, 1), (1, 0)], 5, indices=idx) == [
        2 / 5, 2 / 5, 3 / 5, 1 / 5]


def test_order_statistic_indices():
    # 0-based floor(0.025 (B-1)), ceil(0.975 (B-1)): B = 1000 -> the 25th and 976th smallest
    assert stats.order_statistic_indices(1000) == (24, 975)
    assert stats.order_statistic_indices(41) == (1, 39)
    assert stats.order_statistic_indices(1) == (0, 0)
    # numpy's "lower" / "higher" percentile methods pick the same elements
    for b in (1, 2, 40, 41, 999, 1000, 1001, 10_000):
        x = np.arange(b)
        assert stats.order_statistic_indices(b) == (
            int(np.percentile(x, 2.5, method="lower")),
            int(np.percentile(x, 97.5, method="higher")))


# --------------------------------------------------------------------------------------------
# Identity, dominance, determinism, B = 0
# --------------------------------------------------------------------------------------------

def random_inputs(seed=3, m=12, t=9) -> stats.BordaInputs:
    rng = np.random.default_rng(seed)
    # Borda points per task from random scores with ties: n - average rank, as the SQL does
    scores = rng.integers(0, 5, size=(m, t)).astype(float)
    ranks = np.column_stack([scipy_stats.rankdata(-scores[:, j]) for j in range(t)])
    return inputs(m - ranks)


def test_each_task_once_reproduces_the_borda_rank():
    inp = random_inputs()
    t = len(inp.partitions)
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(t) for _ in range(7)])   # every weight 1 in every row
    iv = stats.rank_intervals(inp, 7, indices=perms)
    total = inp.points.sum(axis=1)
    expected = [1 + int((total > v).sum()) for v in total]     # "min" rank of the points
    assert iv.low.tolist() == expected and iv.high.tolist() == expected
    assert iv.borda_rank.tolist() == expected


def _intervals_by_definition(points: np.ndarray, indices: np.ndarray):
    """The intervals of the module docstring, counted in plain Python: each resample's totals
    summed over its drawn partitions, a model's rank 1 + the models with strictly more."""
    m = len(points)
    ranks = []
    for row in indices.tolist():
        totals = [sum(float(points[i][j]) for j in row) for i in range(m)]
        ranks.append([1 + sum(o > v for o in totals) for v in totals])
    ranks = np.array(ranks)
    b = len(indices)
    low, high = stats.order_statistic_indices(b)
    ordered = np.sort(ranks, axis=0)
    return (ordered[low].tolist(), ordered[high].tolist(),
            np.median(ranks, axis=0).tolist(), ((ranks == 1).sum(axis=0) / b).tolist())


@pytest.mark.parametrize("kind", ["half points, many ties", "other points", "one model"])
def test_many_resamples_equal_the_definition(kind):
    # more resamples than the bootstrap ranks at once (stats.RANK_BLOCK), B not a multiple
    # of it; Borda points (multiples of 1/2, ranked as integers) and any other points
    rng = np.random.default_rng(11)
    if kind == "half points, many ties":
        points = rng.integers(0, 6, size=(30, 7)) / 2.0
    elif kind == "other points":
        points = rng.normal(size=(25, 6))
    else:
        points = np.array([[1.5, 0.5, 2.0]])
    indices = stats.draw_indices(points.shape[1], 301, seed=4)
    iv = stats.rank_intervals(inputs(points), 301, indices=indices)
    low, high, median, p1 = _intervals_by_definition(points, indices)
    assert iv.low.tolist() == low and iv.high.tolist() == high
    assert iv.median.tolist() == median and iv.p_rank1.tolist() == p1


def test_a_model_at_least_as_good_on_every_task():
    # A >= B on every task (equal on t0): B never ranks above A, A's interval is no worse;
    # strictly better on every task: P(A above B) = 1
    pts = np.array([[1.5, 2, 1.5, 2], [1.5, 1, 0, 0], [1.5, 0, 1.5, 1], [0, 2, 2, 2]])
    inp = inputs(pts, models=["A", "B", "C", "D"])
    assert stats.p_above(inp, [(1, 0)], 1000, seed=5) == [0.0]
    iv = stats.rank_intervals(inp, 1000, seed=5)
    assert iv.low[0] <= iv.low[1] and iv.high[0] <= iv.high[1] and iv.median[0] <= iv.median[1]
    strict = inputs(np.array([[2.0, 2, 2, 2], [1, 1, 1, 1], [0, 0, 0, 0]]))
    assert stats.p_above(strict, [(0, 1), (1, 2), (1, 0)], 1000, seed=1) == [1.0, 1.0, 0.0]


def test_same_seed_same_output_and_b_zero_is_empty():
    inp = random_inputs()
    a = stats.intervals_table(inp, 500, seed=7)
    b = stats.intervals_table(inp, 500, seed=7)
    assert a.equals(b) and a.schema.metadata == b.schema.metadata
    assert not a.equals(stats.intervals_table(inp, 500, seed=8))
    # the draws are numpy's default_rng(seed).integers(0, T, size=(B, T)): documented, fixed
    assert (stats.draw_indices(9, 500, 7)
            == np.random.default_rng(7).integers(0, 9, size=(500, 9))).all()
    empty = stats.intervals_table(inp, 0)
    assert empty.column("Rank (Borda)").to_pylist() == a.column("Rank (Borda)").to_pylist()
    for col in ("rank_low", "rank_high", "rank_median", "p_rank1", "tied_with_leader"):
        assert empty.column(col).null_count == empty.num_rows


def test_models_outside_the_table_are_ranked_but_not_listed():
    # like Rank (Borda): W (not a row) has more points than V, so V ranks 2 every time
    inp = inputs([[1.0, 1], [2, 2]], models=["V", "W"], in_table=[True, False])
    t = stats.intervals_table(inp, 50)
    assert t.to_pylist() == [{"Model": "V", "Rank (Borda)": 2, "rank_low": 2, "rank_high": 2,
                              "rank_median": 2.0, "p_rank1": 0.0, "tied_with_leader": False}]


def test_leave_one_task_out():
    # HAND without t0: X 2.5, Y 2.5, Z 4 -> X 2, Y 2, Z 1; without t1: same;
    # without t2: X 4.5, Y 2.5, Z 2 -> 1, 2, 3; without t3: X 4, Y 3, Z 2 -> 1, 2, 3
    best, worst = stats.leave_one_task_out(HAND)
    assert best.tolist() == [1, 2, 1] and worst.tolist() == [2, 2, 3]
    # partitions of the same task leave together (HUME: task::subset)
    sub = inputs([[2.0, 0, 1], [0, 2, 1]], partitions=["a::x", "a::y", "b::x"],
                 tasks=["a", "a", "b"])
    best, worst = stats.leave_one_task_out(sub)   # without a: 1 vs 1; without b: 2 vs 2, tied
    assert best.tolist() == [1, 1] and worst.tolist() == [1, 1]


# --------------------------------------------------------------------------------------------
# Tests over tasks: against scipy / scikit-posthocs and published tables
# --------------------------------------------------------------------------------------------

def test_sign_test_exact_values():
    # 7 wins, 1 loss: 2 (C(8,0) + C(8,1)) / 2^8 = 18/256
    assert stats.sign_test(7, 1) == 18 / 256
    assert stats.sign_test(1, 7) == 18 / 256
    assert stats.sign_test(3, 3) == 1.0
    assert stats.sign_test(5, 0) == 2 / 32
    assert stats.sign_test(0, 0) is None
    for n in range(1, 60):
        for w in range(n + 1):
            assert stats.sign_test(w, n - w) == pytest.approx(
                scipy_stats.binomtest(w, n).pvalue, rel=1e-12, abs=1e-300)


def test_kendall_tau_b_equals_scipy():
    rng = np.random.default_rng(4)
    for n in (2, 5, 30, 200):
        x, y = rng.integers(0, 6, n), rng.integers(0, 6, n)
        assert stats.kendall_tau_b(x, y) == pytest.approx(
            scipy_stats.kendalltau(x, y).statistic, abs=1e-12)
    # hand: ranks 1,2,3 vs 1,3,2: 2 concordant, 1 discordant -> 1/3
    assert stats.kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert stats.kendall_tau_b([1], [1]) is None


def test_friedman_and_nemenyi_equal_scipy_and_scikit_posthocs():
    rng = np.random.default_rng(9)
    for n, k in ((41, 20), (10, 3), (16, 7)):
        m = rng.integers(0, 12, size=(n, k)).astype(float)   # ties inside blocks
        stat, p = stats.friedman(m)
        ref = scipy_stats.friedmanchisquare(*m.T)
        assert stat == pytest.approx(ref.statistic, rel=1e-12)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
        _mean_ranks, p_values = stats.nemenyi(m)
        np.testing.assert_allclose(p_values, posthocs.posthoc_nemenyi_friedman(m).to_numpy(),
                                   rtol=0, atol=1e-12)


def test_chi2_survival_equals_scipy():
    for df in range(1, 30):
        for x in (0.05, 1.0, 4.2, 19.0, 80.0):
            assert stats.chi2_sf(x, df) == pytest.approx(scipy_stats.chi2.sf(x, df),
                                                         rel=1e-12, abs=1e-300)


def test_critical_difference():
    # Demsar (2006), table 5(a): q_0.05 for k = 2..10 (studentized range / sqrt 2), to the
    # table's 3 decimals (some rounded, some truncated: 2.3437 is printed 2.343)
    table = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102,
             10: 3.164}
    for k, q in table.items():
        cd = stats.critical_difference(k, 30)
        assert cd / math.sqrt(k * (k + 1) / (6 * 30)) == pytest.approx(q, abs=1e-3)
    for k in (3, 11, 20):
        q = scipy_stats.studentized_range.ppf(0.95, k, np.inf) / math.sqrt(2)
        assert stats.critical_difference(k, 41) == pytest.approx(
            q * math.sqrt(k * (k + 1) / (6 * 41)), rel=1e-9)


# --------------------------------------------------------------------------------------------
# On the ranking fixture build (queries/lb_borda_points.macro.sql through Leaderboard)
# --------------------------------------------------------------------------------------------

def test_borda_points_per_task_on_the_fixture(lb):
    # test_rankings.py's worked example: BRet1 A 1.5, B 1.5, C 0; BRet2 C 2, A 1, B 0;
    # BSts A 2, B 1, C 0 (C has no score: 0)
    inp = lb.borda_inputs("Borda(v1)")
    assert inp.models == ("ex/A", "ex/B", "ex/C")
    assert inp.partitions == ("BRet1", "BRet2", "BSts")
    assert inp.points.tolist() == [[1.5, 1, 2], [1.5, 0, 1], [0, 2, 0]]
    assert inp.in_table.tolist() == [True, True, True]


def test_points_include_models_outside_the_table(lb):
    # Complete(v1) (test_rankings.py): c/R has no complete score (not a row) but is ranked:
    # CCls Q 2, P .5, S .5, R -1; CRet R 2, P 1, Q 0, S -1; CSts P 2, Q 1 (R, S: 0)
    inp = lb.borda_inputs("Complete(v1)")
    assert inp.models == ("c/P", "c/Q", "c/R", "c/S")
    assert inp.points.tolist() == [[0.5, 1, 2], [2, 0, 1], [-1, 2, 0], [0.5, -1, 0]]
    assert inp.in_table.tolist() == [True, True, False, True]
    t = lb.rank_intervals("Complete(v1)", resamples=0)
    assert t.column("Model").to_pylist() == ["c/P", "c/Q", "c/S"]
    assert t.column("Rank (Borda)").to_pylist() == [1, 2, 4]   # R holds rank 3


def test_points_from_task_scores_hand_case():
    # n = 3 in_pivot models (D is not a row). T1: A .9 = B .9 tie for places 1-2 (average
    # 1.5 -> 3 - 1.5 = 1.5 each), C third (0), D null (0). T2: NaN ranks above every number
    # (DuckDB's order): A 1st (2), C .8 2nd (1), B .7 3rd (0), D .1 4th (-1).
    import pyarrow as pa

    rows = pa.table({"model_name": ["D", "C", "B", "A", "A", "B", "C", "D"],
                     "task_name": ["T1", "T1", "T1", "T1", "T2", "T2", "T2", "T2"],
                     "raw_mean": [None, 0.5, 0.9, 0.9, float("nan"), 0.7, 0.8, 0.1],
                     "in_pivot": [False, True, True, True, True, True, True, False]})
    inp = stats.BordaInputs.from_task_scores(rows)
    assert inp.models == ("A", "B", "C", "D") and inp.partitions == ("T1", "T2")
    assert inp.partition_tasks == ("T1", "T2")
    assert inp.points.tolist() == [[1.5, 2], [1.5, 0], [0, 1], [0, -1]]
    assert inp.in_table.tolist() == [True, True, True, False]


def _sql_points(lb, bench, filters):
    params = lb._params(bench, filters)
    return stats.BordaInputs.from_arrow(lb._borda_points(bench, params))


@pytest.mark.parametrize("bench", ["Borda(v1)", "Complete(v1)", "Ties(v1)", "Filters(v1)",
                                   "Revisions(v1)"])
@pytest.mark.parametrize("filters", [Filters(), Filters(all_models=True),
                                     Filters(max_params_b=1.0)])
def test_fast_points_equal_lb_borda_points(lb, bench, filters):
    fast, sql = lb._borda_inputs(bench, filters), _sql_points(lb, bench, filters)
    assert (fast.models, fast.partitions, fast.partition_tasks) == (
        sql.models, sql.partitions, sql.partition_tasks)
    assert fast.points.tolist() == sql.points.tolist()
    assert fast.in_table.tolist() == sql.in_table.tolist()


@pytest.mark.parametrize("bench", ["Borda(v1)", "Complete(v1)", "Ties(v1)", "Filters(v1)",
                                   "Revisions(v1)"])
@pytest.mark.parametrize("filters", [Filters(), Filters(all_models=True),
                                     Filters(max_params_b=1.0)])
def test_summed_points_reproduce_rank_borda(lb, bench, filters):
    summary = lb.summary(bench, filters)
    inp = lb.borda_inputs(bench, filters)
    iv = stats.rank_intervals(inp, 1, indices=np.array([np.arange(len(inp.partitions))]))
    ranks = dict(zip(inp.models, iv.low.tolist()))
    assert {m: ranks[m] for m in summary.column("Model").to_pylist()} == dict(
        zip(summary.column("Model").to_pylist(), summary.column("Rank (Borda)").to_pylist()))
    table = lb.rank_intervals(bench, filters)
    assert sorted(table.column("Model").to_pylist()) == sorted(summary.column("Model").to_pylist())


def test_pairwise_on_the_fixture(lb):
    # Borda(v1): A vs B: BRet1 .9 = .9 tie, BRet2 .7 > .6, BSts .4 > .3 -> 2 wins, 1 tie, 0;
    # sign test 2 (1/4) = 0.5. Points A (1.5, 1, 2) >= B (1.5, 0, 1): B never above A.
    # A vs C: BRet1 win, BRet2 loss, BSts: C has no score -> 1 task each way of 2 compared.
    t = lb.pairwise("Borda(v1)", Filters(), ["ex/A", "ex/B", "ex/C"], resamples=400, seed=3)
    rows = t.to_pylist()
    assert [(r["model_a"], r["model_b"]) for r in rows] == [
        ("ex/A", "ex/B"), ("ex/A", "ex/C"), ("ex/B", "ex/C")]
    ab = rows[0]
    assert (ab["wins_a"], ab["ties"], ab["wins_b"], ab["tasks_compared"]) == (2, 1, 0, 3)
    assert ab["sign_test_p"] == 0.5 and ab["p_b_above_a"] == 0.0
    # A ties B only in the resamples drawing BRet1 three times: (1/3)^3 expected; these
    # 400 draws (seed 3) are counted independently here
    draws = np.random.default_rng(3).integers(0, 3, size=(400, 3))
    assert ab["p_a_above_b"] == float((draws != 0).any(axis=1).mean())
    ac = rows[1]
    assert (ac["wins_a"], ac["ties"], ac["wins_b"], ac["tasks_compared"]) == (1, 0, 1, 2)
    assert ac["sign_test_p"] == 1.0


def test_bad_parameters_are_clear_errors(lb):
    with pytest.raises(RankingError, match="resamples must be an integer from 0 to 10000"):
        lb.rank_intervals("Borda(v1)", resamples=10_001)
    with pytest.raises(RankingError, match="seed must be a non-negative integer"):
        lb.rank_intervals("Borda(v1)", seed=-1)
    with pytest.raises(RankingError, match="2 to 4 different models"):
        lb.pairwise("Borda(v1)", Filters(), ["ex/A"])
    with pytest.raises(RankingError, match="not on the Borda\\(v1\\) table .*: nope/x"):
        lb.pairwise("Borda(v1)", Filters(), ["ex/A", "nope/x"])
    with pytest.raises(RankingError, match="unknown benchmark"):
        lb.rank_intervals("Nope(v1)")


def test_robustness_on_the_fixture(lb):
    # Borda(v1): Borda A 1, B 2, C 3; Mean (Task) A 66.7, B 60, C NULL; Mean (TaskType)
    # A 60, B 52.5, C NULL. Leave out BRet1: A 3, B 1, C 2 -> 1, 3, 2; BRet2: A 3.5, B 2.5,
    # C 0 -> 1, 2, 3; BSts: A 2.5, B 1.5, C 2 -> 1, 3, 2. Complete models: A and B.
    r = lb.robustness("Borda(v1)")
    assert r.ranks.to_pylist() == [
        {"Model": "ex/A", "Rank (Borda)": 1, "Rank (Mean (Task))": 1,
         "Rank (Mean (TaskType))": 1, "loto_best": 1, "loto_worst": 1, "complete": True},
        {"Model": "ex/B", "Rank (Borda)": 2, "Rank (Mean (Task))": 2,
         "Rank (Mean (TaskType))": 2, "loto_best": 2, "loto_worst": 3, "complete": True},
        {"Model": "ex/C", "Rank (Borda)": 3, "Rank (Mean (Task))": None,
         "Rank (Mean (TaskType))": None, "loto_best": 2, "loto_worst": 3, "complete": False}]
    assert r.kendall.column("tau_b").to_pylist() == [1.0, 1.0, 1.0]
    assert r.kendall.column("models").to_pylist() == [2, 2, 2]
    assert r.friedman is None    # fewer than 3 complete models


# --------------------------------------------------------------------------------------------
# The warehouse table and the CLI
# --------------------------------------------------------------------------------------------

def test_rank_intervals_table_equals_the_request_path(lb):
    cur = lb.handle.cursor()
    try:
        rows = cur.execute("SELECT benchmark, model_name, borda_rank, rank_low, rank_high, "
                           "rank_median, p_rank1, tied_with_leader, resamples, seed "
                           "FROM rank_intervals ORDER BY benchmark, borda_rank, model_name"
                           ).fetchall()
    finally:
        cur.close()
    from etl.history import menu_benchmarks

    benches = menu_benchmarks(lb.menu())
    assert {r[0] for r in rows} == set(benches) and len(benches) >= 5
    for bench in benches:
        got = [r[1:8] for r in rows if r[0] == bench]
        computed = stats.intervals_table(lb.borda_inputs(bench), 1000, stats.DEFAULT_SEED)
        want = [tuple(d.values()) for d in computed.to_pylist()]
        assert got == want     # floats compared with ==: the same bits
        # and a request for that state reads them (equal to the computed table)
        assert lb.rank_intervals(bench).schema.metadata[b"stored"] == b"rank_intervals"
        assert lb.rank_intervals(bench).to_pylist() == computed.to_pylist()
    assert {(r[8], r[9]) for r in rows} == {(1000, stats.DEFAULT_SEED)}


def test_compare_cli(lb, capsys, monkeypatch):
    from mteb_lb import cli, rankings

    monkeypatch.setattr(rankings, "leaderboard", lambda: lb)
    assert cli.main(["compare", "--benchmark", "Borda(v1)", "--model", "ex/A", "--model",
                     "ex/B", "--resamples", "400", "--seed", "3", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == lb.pairwise("Borda(v1)", Filters(), ["ex/A", "ex/B"], 400, 3).to_pylist()
    assert (out[0]["wins_a"], out[0]["ties"], out[0]["wins_b"]) == (2, 1, 0)
    assert cli.main(["compare", "--benchmark", "Borda(v1)", "--model", "ex/A", "--model",
                     "ex/B"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("model_a,model_b,p_a_above_b,p_b_above_a,wins_a,ties,wins_b,"
                        "tasks_compared,sign_test_p")
    assert lines[1].startswith("ex/A,ex/B,") and lines[1].endswith(",2,1,0,3,0.5")
    assert cli.main(["compare", "--benchmark", "Borda(v1)", "--model", "ex/A", "--model",
                     "nope/x"]) == 1
    assert "not on the Borda(v1) table" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Real data (MTEB_LB_REAL_RESULTS)
# --------------------------------------------------------------------------------------------

ENG = "MTEB(eng, v2)"


@pytest.mark.realdata
def test_real_summed_points_reproduce_rank_borda_on_every_menu_benchmark(real_leaderboard):
    from etl.history import menu_benchmarks

    lb = real_leaderboard
    states = [(name, Filters()) for name in menu_benchmarks(lb.menu())]
    states += [(ENG, Filters(task_types=("Retrieval", "STS"))), (ENG, Filters(max_params_b=1.0)),
               ("MTEB(Multilingual, v2)", Filters(languages=("eng", "fra"))),
               ("MTEB(Multilingual, v2)", Filters(all_models=True))]
    checked = 0
    for name, filters in states:
        summary = lb.summary(name, filters)
        inp = lb.borda_inputs(name, filters)
        total = inp.points.sum(axis=1)
        rank = {m: 1 + int((total > v).sum()) for m, v in zip(inp.models, total)}
        want = dict(zip(summary.column("Model").to_pylist(),
                        summary.column("Rank (Borda)").to_pylist()))
        assert {m: rank[m] for m in want} == want, name
        assert {m for m, t in zip(inp.models, inp.in_table) if t} == set(want), name
        checked += len(want)
    assert checked > 5000


@pytest.mark.realdata
def test_real_fast_points_equal_lb_borda_points(real_leaderboard):
    # the request's numpy points (lb_task_scores) against the SQL definition (lb_borda_points)
    from etl.history import menu_benchmarks

    lb = real_leaderboard
    states = [(name, Filters()) for name in menu_benchmarks(lb.menu())
              if "mean_subset" not in lb.benchmark(name).aggregations]
    states += [(ENG, Filters(task_types=("Retrieval", "STS"))), (ENG, Filters(max_params_b=1.0)),
               ("MTEB(Multilingual, v2)", Filters(languages=("eng", "fra"))),
               ("MTEB(Multilingual, v2)", Filters(all_models=True)),
               ("MTEB(Multilingual, v2)", Filters(exclude_flags="warning"))]
    for name, filters in states:
        if lb._params(name, filters) is None:
            continue
        fast, sql = lb._borda_inputs(name, filters), _sql_points(lb, name, filters)
        assert (fast.models, fast.partitions) == (sql.models, sql.partitions), name
        assert np.array_equal(fast.points, sql.points), name
        assert np.array_equal(fast.in_table, sql.in_table), name
    assert len(states) > 30


@pytest.mark.realdata
def test_real_eng_v2_intervals(real_leaderboard):
    lb = real_leaderboard
    t = lb.rank_intervals(ENG)
    summary = lb.summary(ENG)
    assert t.column("Model").to_pylist() == summary.column("Model").to_pylist()
    rows = t.to_pylist()
    assert len(rows) == summary.num_rows > 300
    for r in rows:
        assert 1 <= r["rank_low"] <= r["rank_high"] <= len(lb.borda_inputs(ENG).models)
        assert r["rank_low"] <= r["rank_median"] <= r["rank_high"]
        assert r["tied_with_leader"] == (r["rank_low"] == 1)
    assert rows[0]["Rank (Borda)"] == 1 and rows[0]["tied_with_leader"]
    assert sum(r["p_rank1"] for r in rows) >= 1.0   # ties at the top count for each
    # the same state and seed in another process-like object: byte-identical
    from mteb_lb.rankings import Leaderboard

    assert Leaderboard(lb.handle).rank_intervals(ENG).equals(t)
    # every weight 1: the Borda rank
    inp = lb.borda_inputs(ENG)
    ident = stats.rank_intervals(inp, 1, indices=np.arange(len(inp.partitions))[None, :])
    by_model = dict(zip(inp.models, ident.low.tolist()))
    assert [by_model[r["Model"]] for r in rows] == [r["Rank (Borda)"] for r in rows]


@pytest.mark.realdata
def test_real_eng_v2_dominance(real_leaderboard):
    # pairs where A's task score >= B's on every task (both complete): B never ranks above A
    lb = real_leaderboard
    scores = {r["model_name"]: r["task_scores"] for r in lb._table_scores(ENG, Filters())}
    tasks = sorted({t for s in scores.values() for t in s})
    assert len(tasks) == 41
    complete = [m for m, s in scores.items() if all(s.get(t) is not None for t in tasks)]
    pairs = [(a, b) for a in complete[:60] for b in complete
             if a != b and all(scores[a][t] >= scores[b][t] for t in tasks)][:10]
    assert pairs
    iv = {r["Model"]: r for r in lb.rank_intervals(ENG).to_pylist()}
    for a, b in pairs:
        row = lb.pairwise(ENG, Filters(), [a, b]).to_pylist()[0]
        assert row["p_b_above_a"] == 0.0 and row["wins_b"] == 0
        assert iv[a]["rank_low"] <= iv[b]["rank_low"] and iv[a]["rank_high"] <= iv[b]["rank_high"]


@pytest.mark.realdata
def test_real_eng_v2_robustness_equals_scipy(real_leaderboard):
    lb = real_leaderboard
    r = lb.robustness(ENG)
    ranks = r.ranks.to_pylist()
    complete = [x for x in ranks if x["complete"]]
    for row in r.kendall.to_pylist():
        a = [x[row["ranking_a"]] for x in complete]
        b = [x[row["ranking_b"]] for x in complete]
        assert row["tau_b"] == pytest.approx(scipy_stats.kendalltau(a, b).statistic, abs=1e-12)
        assert row["models"] == len(complete)
    f = r.friedman
    assert f["models"] == [x["Model"] for x in complete][:20] and f["tasks"] == 41
    scores = {x["model_name"]: x["task_scores"] for x in lb._table_scores(ENG, Filters())}
    tasks = sorted(scores[f["models"][0]])
    matrix = np.array([[scores[m][t] for m in f["models"]] for t in tasks])
    ref = scipy_stats.friedmanchisquare(*matrix.T)
    assert f["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
    assert f["p_value"] == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)
    nem = posthocs.posthoc_nemenyi_friedman(matrix).to_numpy()
    got = np.array([[row[m] for m in f["models"]] for row in r.nemenyi.to_pylist()])
    np.testing.assert_allclose(got, nem, rtol=0, atol=1e-12)
    k, n = len(f["models"]), len(tasks)
    q = scipy_stats.studentized_range.ppf(0.95, k, np.inf) / math.sqrt(2)
    assert f["critical_difference"] == pytest.approx(q * math.sqrt(k * (k + 1) / (6 * n)),
                                                     rel=1e-9)
    # leave-one-task-out, recounted with plain loops over the per-task points
    inp = lb.borda_inputs(ENG)
    pts = inp.points.tolist()
    for x in ranks[:3] + ranks[150:152]:
        i = inp.models.index(x["Model"])
        seen = []
        for t in range(len(inp.partitions)):
            mine = sum(pts[i]) - pts[i][t]
            seen.append(1 + sum(1 for row in pts if sum(row) - row[t] > mine))
        assert (x["loto_best"], x["loto_worst"]) == (min(seen), max(seen))


@pytest.mark.realdata
def test_real_rank_intervals_table_equals_the_request_path(real_leaderboard):
    from etl.history import menu_benchmarks

    lb = real_leaderboard
    cur = lb.handle.cursor()
    try:
        rows = cur.execute("SELECT benchmark, model_name, borda_rank, rank_low, rank_high, "
                           "rank_median, p_rank1, tied_with_leader FROM rank_intervals "
                           "ORDER BY benchmark, borda_rank, model_name").fetchall()
    finally:
        cur.close()
    names = menu_benchmarks(lb.menu())
    assert {r[0] for r in rows} <= set(names)
    for name in names:
        computed = stats.intervals_table(lb.borda_inputs(name), 1000, stats.DEFAULT_SEED)
        assert [r[1:] for r in rows if r[0] == name] == [
            tuple(d.values()) for d in computed.to_pylist()], name
        assert lb.rank_intervals(name).to_pylist() == computed.to_pylist(), name


def test_rank_intervals_table_is_maintained_by_incremental_builds(tmp_path):
    import duckdb
    import refresh_fixtures as rf

    from etl import build
    from mteb_lb import warehouse
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    def run(repo, cat, wh):
        report = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
        assert report.published, report.message
        return report.build

    def table(build_dir):
        con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
        try:
            return con.execute("SELECT benchmark, model_name, borda_rank, rank_low, rank_high, "
                               "rank_median, p_rank1, tied_with_leader FROM rank_intervals "
                               "ORDER BY ALL").fetchall()
        finally:
            con.close()

    repo, wh = tmp_path / "repo", tmp_path / "wh"
    rf.base_repo(repo)
    cat = rf.catalog(tmp_path / "cat")
    b1 = run(repo, cat, wh)
    assert warehouse.read_manifest(b1)["rank_intervals"]["benchmarks_computed"] == 2
    # h/A .50 .49 .48 .47, h/B +.05, h/C +.10 on every task: each task gives C 2, B 1, A 0,
    # so every resample ranks C 1, B 2, A 3
    hist = [("Hist(v1)", "h/C", 1, 1, 1, 1.0, 1.0, True),
            ("Hist(v1)", "h/B", 2, 2, 2, 2.0, 0.0, False),
            ("Hist(v1)", "h/A", 3, 3, 3, 3.0, 0.0, False)]
    assert [r for r in table(b1) if r[0] == "Hist(v1)"] == sorted(hist)
    rf.write_score(repo, "h/A", "HRet4", 0.99)       # in HistAll(v1) only
    b2 = run(repo, cat, wh)
    assert warehouse.read_manifest(b2)["rank_intervals"]["benchmarks_computed"] == 1
    twin = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=tmp_path / "twin",
                     workers=1).build
    rows = table(b2)
    assert rows == table(twin) and rows != table(b1)
    lb = Leaderboard(CurrentBuild(wh))
    for name in ("Hist(v1)", "HistAll(v1)"):
        assert [r[1:] for r in rows if r[0] == name] == sorted(
            tuple(d.values()) for d in lb.rank_intervals(name).to_pylist())


def test_points_of_a_benchmark_ranked_by_subset(tmp_path):
    """Partitions task::subset (HUME's rule): lb_borda_points per partition, summed, equal
    lb_subset_borda's points and the summary's Rank (Borda)."""
    import fixtures as fx
    import refresh_fixtures as rf

    from etl import build
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    repo = tmp_path / "repo"
    rf.base_repo(repo)
    tasks = [fx.make_task(t, "Retrieval", "ndcg_at_10") for t in rf.TASKS]
    benches = [fx.make_benchmark("Subsets(v1)", ["HRet1", "HRet2"],
                                 aggregations=("mean_task", "mean_subset"))]
    models = [fx.make_model(m, rf.REV, training_datasets=[]) for m in rf.MODELS]
    cat = fx.write_catalog(tmp_path / "cat", tasks=tasks, benchmarks=benches, models=models)
    report = build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=tmp_path / "wh",
                       workers=1)
    assert report.published
    lb = Leaderboard(CurrentBuild(tmp_path / "wh"))
    inp = lb.borda_inputs("Subsets(v1)")
    # h/A .50 .49, h/B .55 .54, h/C .60 .59: each partition gives C 2, B 1, A 0
    assert inp.partitions == ("HRet1::default", "HRet2::default")
    assert inp.partition_tasks == ("HRet1", "HRet2")
    assert inp.models == ("h/A", "h/B", "h/C")
    assert inp.points.tolist() == [[0, 0], [1, 1], [2, 2]]
    cur = lb.handle.cursor()
    try:
        subset_borda = dict(cur.execute(
            "SELECT model_name, borda_points FROM lb_subset_borda('Subsets(v1)', NULL, NULL, "
            "NULL, false, true)").fetchall())
    finally:
        cur.close()
    assert subset_borda == {"h/A": 0, "h/B": 2, "h/C": 4}
    s = lb.summary("Subsets(v1)")
    assert dict(zip(s.column("Model").to_pylist(), s.column("Rank (Borda)").to_pylist())) == {
        "h/C": 1, "h/B": 2, "h/A": 3}
    assert lb.rank_intervals("Subsets(v1)").column("rank_high").to_pylist() == [1, 2, 3]
