"""Rank intervals on every surface (issue 12): the `resamples` and `seed` state fields, the
summary's interval columns, the grid column, the plot; the compare view and the robustness panel.

Expected intervals are recomputed here with numpy from the definition (README "Rank intervals
and robustness"): the same draws, np.percentile's "lower"/"higher" methods, np.median; never by
the code under test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mteb_lb import lbstate
from mteb_lb.lbstate import LeaderboardState

ROOT = Path(__file__).resolve().parent.parent
INTERVAL_COLUMNS = ["Rank (95% interval)", "Rank low (95%)", "Rank high (95%)", "Median rank",
                    "P(rank 1)", "Tied with leader"]

# Borda(v1) of the ranking fixture (tests/warehouses.py, docs/SEMANTICS.md §Borda), 3 models:
# BRet1 A .9, B .9, C .5 -> points 1.5, 1.5, 0; BRet2 A .7, B .6, C .8 -> 1, 0, 2;
# BSts A .4, B .3, C - -> 2, 1, 0. Totals 4.5, 2.5, 2: Rank (Borda) A 1, B 2, C 3.
BORDA_POINTS = np.array([[1.5, 1.0, 2.0], [1.5, 0.0, 1.0], [0.0, 2.0, 0.0]])


def expected_intervals(points: np.ndarray, resamples: int, seed: int) -> list[dict]:
    """Per model (rows of `points`): low, high, median, P(rank 1), by the README's words."""
    t = points.shape[1]
    draws = np.random.default_rng(seed).integers(0, t, size=(resamples, t))
    out = []
    ranks = np.empty((resamples, points.shape[0]), dtype=int)
    for b, draw in enumerate(draws):
        total = points[:, draw].sum(axis=1)
        ranks[b] = [1 + int((total > v).sum()) for v in total]
    for m in range(points.shape[0]):
        r = ranks[:, m]
        out.append({"low": int(np.percentile(r, 2.5, method="lower")),
                    "high": int(np.percentile(r, 97.5, method="higher")),
                    "median": float(np.median(r)), "p1": float((r == 1).mean())})
    return out


# --------------------------------------------------------------------------------------------
# the state fields
# --------------------------------------------------------------------------------------------

def test_resamples_and_seed_decode_encode_and_have_flags():
    state, problems = lbstate.decode("?benchmark=X&resamples=250&seed=7")
    assert problems == [] and (state.resamples, state.seed) == (250, 7)
    assert lbstate.encode(state) == "?benchmark=X&resamples=250&seed=7"
    assert lbstate.decode(lbstate.encode(state))[0] == state
    assert lbstate.decode("?resamples=0")[0].resamples == 0
    assert lbstate.BY_NAME["resamples"].flag == "--resamples"
    assert lbstate.BY_NAME["seed"].flag == "--seed"
    assert lbstate.encode(LeaderboardState(benchmark="X")) == "?benchmark=X"


@pytest.mark.parametrize("query, message", [
    ("?resamples=10001", "'resamples=10001' is not valid: use a whole number from 0 to 10,000."),
    ("?resamples=-1", "'resamples=-1' is not valid: use a whole number from 0 to 10,000."),
    ("?resamples=1e3", "'resamples=1e3' is not valid: use a whole number from 0 to 10,000."),
    ("?seed=x", "'seed=x' is not valid: use a whole number from 0 to 9,223,372,036,854,775,807."),
])
def test_bad_resampling_values_are_problems(query, message):
    state, problems = lbstate.decode(query)
    assert problems == [message]
    assert (state.resamples, state.seed) == (None, None)


# --------------------------------------------------------------------------------------------
# the summary's interval columns (Leaderboard.view, what every surface serves)
# --------------------------------------------------------------------------------------------

def test_summary_view_has_the_interval_columns_after_rank_borda(lb):
    table = lb.view(LeaderboardState(benchmark="Borda(v1)", resamples=400, seed=3))
    names = table.column_names
    assert names[:8] == ["Rank (Borda)", "Model", *INTERVAL_COLUMNS]
    rows = {r["Model"]: r for r in table.to_pylist()}
    want = expected_intervals(BORDA_POINTS, 400, 3)
    for model, w in zip(["ex/A", "ex/B", "ex/C"], want):
        r = rows[model]
        assert r["Rank low (95%)"] == w["low"] and r["Rank high (95%)"] == w["high"]
        assert r["Rank (95% interval)"] == f"{w['low']}–{w['high']}"
        assert r["Median rank"] == w["median"] and r["P(rank 1)"] == w["p1"]
        assert r["Tied with leader"] is (w["low"] == 1)
    # A is at least as good as B on every task: A's interval is never worse than B's
    assert rows["ex/A"]["Rank high (95%)"] <= rows["ex/B"]["Rank high (95%)"]
    assert rows["ex/A"]["Rank low (95%)"] == 1 and rows["ex/A"]["Tied with leader"] is True


def test_b_zero_empties_the_columns_and_changes_nothing_else(lb):
    off = lb.view(LeaderboardState(benchmark="Borda(v1)", resamples=0))
    on = lb.view(LeaderboardState(benchmark="Borda(v1)"))
    assert off.column_names == on.column_names
    for name in INTERVAL_COLUMNS:
        assert off.column(name).null_count == off.num_rows == 3
    official = lb.summary("Borda(v1)")
    assert off.drop_columns(INTERVAL_COLUMNS).equals(official)
    assert on.drop_columns(INTERVAL_COLUMNS).equals(official)


def test_the_default_is_the_setting_and_the_default_seed(lb, monkeypatch):
    monkeypatch.setenv("MTEB_LB_RANK_RESAMPLES", "300")
    default = lb.view(LeaderboardState(benchmark="Borda(v1)"))
    explicit = lb.view(LeaderboardState(benchmark="Borda(v1)", resamples=300, seed=12))
    assert default.equals(explicit)
    want = expected_intervals(BORDA_POINTS, 300, 12)
    assert default.column("Rank low (95%)").to_pylist() == [w["low"] for w in want]


def test_sorting_by_the_interval_sorts_by_low_then_high(lb):
    base = LeaderboardState(benchmark="Borda(v1)", resamples=400, seed=3)
    table = lb.view(base)
    keys = sorted((r["Rank low (95%)"], r["Rank high (95%)"], i)
                  for i, r in enumerate(table.to_pylist()))
    asc = lb.view(LeaderboardState(**{**base.__dict__, "sort": ("Rank (95% interval)", "asc")}))
    assert asc.column("Model").to_pylist() == [table.column("Model")[i].as_py()
                                               for _, _, i in keys]


def test_the_other_views_have_no_interval_columns(lb):
    per_task = lb.view(LeaderboardState(benchmark="Borda(v1)", view="per-task"))
    assert not set(INTERVAL_COLUMNS) & set(per_task.column_names)


def test_api_and_cli_give_the_intervals(lb, monkeypatch, capsysbinary):
    import flask

    from app import api
    from mteb_lb import cli, db, rankings

    monkeypatch.setattr(rankings, "_default", lb)
    monkeypatch.setattr(db, "_current", lb.handle)
    server = flask.Flask(__name__)
    api.register(server)
    response = server.test_client().get(
        "/api/table?benchmark=Borda(v1)&resamples=400&seed=3&format=csv")
    assert response.status_code == 200
    assert cli.main(["table", "--benchmark", "Borda(v1)", "--resamples", "400", "--seed", "3",
                     "--format", "csv"]) == 0
    assert capsysbinary.readouterr().out == response.data
    header = response.data.decode().splitlines()[0]
    assert header.startswith("Rank (Borda),Model,Rank (95% interval),Rank low (95%),"
                             "Rank high (95%),Median rank,P(rank 1),Tied with leader,")
    bad = server.test_client().get("/api/table?benchmark=Borda(v1)&resamples=many")
    assert bad.status_code == 400
    assert "'resamples=many' is not valid" in bad.get_json()["error"]
    json_body = server.test_client().get("/api/table?benchmark=Borda(v1)&resamples=0").get_json()
    at = json_body["columns"].index("Rank (95% interval)")
    assert [row[at] for row in json_body["rows"]] == [None, None, None]
    assert json.dumps(json_body)   # strict JSON


# --------------------------------------------------------------------------------------------
# the dashboard: the grid column and the plot (app/intervals.py)
# --------------------------------------------------------------------------------------------

@pytest.fixture
def app_env(dash_app, env):
    from warehouses import DEFAULT

    return DEFAULT


def test_grid_shows_the_interval_beside_the_ranks_and_hides_its_numbers(app_env):
    from app.leaderboard_view import compute_view
    from mteb_lb.rankings import leaderboard

    state = LeaderboardState(benchmark=app_env, resamples=200, seed=1)
    view = compute_view(state)
    defs = [c for c in view.grid.column_defs if "colId" in c]
    assert [c["colId"] for c in defs][:3] == ["Rank (Borda)", "Model", "Rank (95% interval)"]
    by_id = {c["colId"]: c for c in defs}
    assert all(by_id[c].get("hide") is True for c in INTERVAL_COLUMNS[1:])
    assert "hide" not in by_id["Rank (95% interval)"]
    assert "200 resamples" in by_id["Rank (95% interval)"]["headerTooltip"]
    assert "tied with the leader" in by_id["Rank (95% interval)"]["headerTooltip"]
    table = leaderboard().view(state)
    fid = view.grid.field_of("Rank (95% interval)")
    # the grid sorts the column by (low, high): its value is low * 100000 + high
    assert [r[fid] for r in view.grid.row_data] == [
        lo * 100_000 + hi for lo, hi in zip(table.column("Rank low (95%)").to_pylist(),
                                            table.column("Rank high (95%)").to_pylist())]
    # and every payload value stays a number (or a bool), never a string
    assert all(not isinstance(v, str) for r in view.grid.row_data for k, v in r.items()
               if k not in ("model", "ref"))


def test_grid_with_b_zero_leaves_the_column_empty(app_env):
    from app.leaderboard_view import compute_view

    view = compute_view(LeaderboardState(benchmark=app_env, resamples=0))
    fid = view.grid.field_of("Rank (95% interval)")
    assert view.grid.row_data and all(fid not in r for r in view.grid.row_data)


def test_rank_intervals_plot_draws_one_bar_per_model_in_borda_order(app_env):
    from app import plots
    from mteb_lb.rankings import leaderboard

    state = LeaderboardState(benchmark=app_env, plot="intervals", resamples=200, seed=1)
    figure = plots.plot_figure(state)
    bars, dots = figure["data"]
    table = leaderboard().view(state)
    order = sorted(table.to_pylist(), key=lambda r: (r["Rank (Borda)"], r["Model"]))
    assert bars["y"] == [r["Model"] for r in order] == dots["y"]
    assert bars["base"] == [r["Rank low (95%)"] - 0.4 for r in order]
    assert bars["x"] == [r["Rank high (95%)"] - r["Rank low (95%)"] + 0.8 for r in order]
    assert dots["x"] == [r["Rank (Borda)"] for r in order]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"      # rank 1 on top
    off = plots.plot_figure(LeaderboardState(benchmark=app_env, plot="intervals", resamples=0))
    assert off["data"] == []
    assert "resamples = 0" in off["layout"]["annotations"][0]["text"]


def test_page_controls_carry_resamples_and_seed(app_env):
    import sys

    page = sys.modules["app.pages.leaderboard"]
    state = LeaderboardState(benchmark=app_env, resamples=300, seed=9, plot="intervals")
    controls = page.state_to_controls(state)
    assert (controls["resamples"], controls["seed"]) == (300, 9)
    back = page.controls_to_state(app_env, controls, plot="intervals")
    assert (back.resamples, back.seed, back.plot) == (300, 9, "intervals")
    # a value the input cannot hold falls back to the default instead of failing
    bad = page.controls_to_state(app_env, {**controls, "resamples": 99_999, "seed": -3})
    assert (bad.resamples, bad.seed) == (None, None)


# --------------------------------------------------------------------------------------------
# pairwise odds: the compare page, /api/compare and mteb-lb compare
# --------------------------------------------------------------------------------------------
# Tiny(v1) of the app warehouse (tests/test_app_callbacks.py): big-open scores .10 above cross
# on every task but TinyClustering, where both have .78. Borda points (n = 6): big 5 on five
# tasks and 3.5 on Clustering, cross 3 and 3.5. So big wins 5 tasks, ties 1, loses none: sign
# test p = 2 * (1/2)^5 = 0.0625; big has more points in every resample but those drawing
# TinyClustering (index 1 of the six tasks sorted by name) six times, where they tie.

BIG, CROSS = "org-a/big-open", "org-b/cross"


def test_api_compare_equals_the_cli_byte_for_byte(app_env, capsysbinary):
    import flask

    from app import api
    from mteb_lb import cli

    server = flask.Flask(__name__)
    api.register(server)
    client = server.test_client()
    for extra, resamples, seed in (("", 1000, 12), ("&resamples=300&seed=4", 300, 4)):
        response = client.get(f"/api/compare?benchmark={app_env}&model={BIG}&model={CROSS}"
                              f"{extra}&format=csv")
        assert response.status_code == 200, response.get_data(as_text=True)
        args = ["compare", "--benchmark", app_env, "--model", BIG, "--model", CROSS,
                "--format", "csv"]
        if extra:
            args += ["--resamples", str(resamples), "--seed", str(seed)]
        assert cli.main(args) == 0
        assert capsysbinary.readouterr().out == response.data
        # the models as plain arguments, the natural guess, give the same table
        positional = ["compare", BIG, CROSS, "--benchmark", app_env, *args[7:]]
        assert cli.main(positional) == 0
        assert capsysbinary.readouterr().out == response.data
        body = client.get(f"/api/compare?benchmark={app_env}&model={BIG}&model={CROSS}"
                          f"{extra}").get_json()
        row = dict(zip(body["columns"], body["rows"][0]))
        draws = np.random.default_rng(seed).integers(0, 6, size=(resamples, 6))
        assert row == {"model_a": BIG, "model_b": CROSS,
                       "p_a_above_b": float((draws != 1).any(axis=1).mean()),
                       "p_b_above_a": 0.0, "wins_a": 5, "ties": 1, "wins_b": 0,
                       "tasks_compared": 6, "sign_test_p": 0.0625}
    bad = client.get(f"/api/compare?benchmark={app_env}&model={BIG}")
    assert bad.status_code == 400
    assert "compare takes 2 to 4 different models" in bad.get_json()["error"]


def test_compare_page_shows_the_odds(app_env):
    import sys

    from dash_helpers import find, text_of

    cmp = sys.modules["app.pages.compare"]
    layout = cmp.layout(model=[BIG, CROSS], benchmark=app_env)
    odds = text_of(find(layout, "cmp-odds"))
    assert "P(A ranks above B)" in odds and "5 / 1 / 0" in odds and "0.062" in odds
    assert "1,000 bootstrap resamples" in text_of(layout)


# --------------------------------------------------------------------------------------------
# the robustness panel (app/robustness.py)
# --------------------------------------------------------------------------------------------
# Tiny(v1), x100 (tests/test_app_callbacks.py): Borda 1, 2, 3, 4, 4, 6; Mean (Task) and
# Mean (TaskType) order the five complete models the same way (partial has none). Leaving one
# task out: small and partial both have 8 points (small 1 on Ret/Ret2/STS/Cls, 2 on Clu and PC;
# partial 2 on each of its four tasks): without Ret small 7 > partial 6 (4 and 5), without Clu
# partial 8 > small 6 (4 and 5); the others keep their rank (big >= 23.5 > prop <= 21 ...).
SCORES = {  # task -> big, prop, cross, small, sparse (the five models with every task)
    "TinyRetrieval": [80, 75, 70, 60, 55], "TinyRetrieval2": [82, 77, 72, 62, 57],
    "TinySTS": [81.5, 76.5, 71.5, 61.5, 56.5], "TinyClassification": [86, 81, 76, 66, 61],
    "TinyClustering": [78, 83, 78, 68, 63], "TinyPairClassification": [90, 85, 80, 70, 65]}
COMPLETE = ["org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-a/small-open",
            "org-c/sparse-one"]


def test_robustness_panel_ranks_kendall_and_critical_difference(app_env):
    from dash_helpers import find, text_of
    from scipy import stats as scipy_stats

    from app import robustness

    body = robustness.content(LeaderboardState(benchmark=app_env))
    grid = find(body, robustness.GRID)
    f = {c["headerName"]: c["field"] for c in grid.columnDefs}
    got = [(r[f["Model"]], r[f["Rank (Borda)"]], r.get(f["Rank (Mean (Task))"]),
            r.get(f["Rank (Mean (TaskType))"]), r[f["Leave one task out"]])
           for r in grid.rowData]
    assert got == [("org-a/big-open", 1, 1, 1, "1–1"),
                   ("org-b/proprietary-api", 2, 2, 2, "2–2"),
                   ("org-b/cross", 3, 3, 3, "3–3"),
                   ("org-a/small-open", 4, 4, 4, "4–5"),
                   ("org-c/partial", 4, None, None, "4–5"),
                   ("org-c/sparse-one", 6, 5, 5, "6–6")]
    # Kendall tau-b over the 5 complete models: Borda 1,2,3,4,6 vs means 1,2,3,4,5
    tau = scipy_stats.kendalltau([1, 2, 3, 4, 6], [1, 2, 3, 4, 5]).statistic
    assert tau == pytest.approx(1.0)
    assert "τ-b = 1.000 (5 models with every task)" in text_of(find(body, "lb-robust-kendall"))
    # the critical-difference diagram: Friedman and mean ranks as scipy computes them
    figure = find(body, robustness.CD_PLOT).figure
    matrix = np.array(list(SCORES.values()))
    chi2, p = scipy_stats.friedmanchisquare(*matrix.T)
    assert f"Friedman χ² = {chi2:.2f}, p = {p:.3g}" in figure["layout"]["title"]["text"]
    mean_ranks = scipy_stats.rankdata(-matrix, axis=1).mean(axis=0)   # 1 = best
    points = figure["data"][0]
    want = sorted(zip(mean_ranks, [m.split("/")[-1] for m in COMPLETE]))
    assert points["text"] == [t for _, t in want]   # big 1.25, prop 1.83, cross 2.92, 4, 5
    assert points["x"] == pytest.approx([x for x, _ in want], abs=1e-12)


def test_cd_groups_join_models_closer_than_the_critical_difference():
    from app import robustness

    # mean ranks 1, 1.5, 3, 3.2, 5 with CD 1: {1, 1.5} and {3, 3.2}; 5 alone
    assert robustness.cd_groups([1, 1.5, 3, 3.2, 5], 1.0) == [(0, 1), (2, 3)]
    # CD 2.5 joins 1..3.2 and 3..5 (overlapping groups, each maximal)
    assert robustness.cd_groups([1, 1.5, 3, 3.2, 5], 2.5) == [(0, 3), (2, 4)]


# --------------------------------------------------------------------------------------------
# missing-results modes (the `missing` state field)
# --------------------------------------------------------------------------------------------
# Tiny(v1): partial lacks TinyClustering and TinyPairClassification.
# complete: the five other models, n = 5. Ret, Ret2, STS, Cls: big 4, prop 3, cross 2, small 1,
# sparse 0; Clu: prop 4, big and cross 2.5 (78 each), small 1, sparse 0; PC: 4, 3, 2, 1, 0.
# Totals big 22.5, prop 19, cross 12.5, small 6, sparse 0: ranks 1 to 5.
# common: the four tasks everyone has (Ret, Ret2, STS, Cls), all six models, n = 6: big 5,
# prop 4, cross 3, partial 2, small 1, sparse 0 per task: ranks 1 to 6 with partial fourth;
# partial's Mean (Task) (65 + 67 + 66.5 + 71) / 4 = 67.375, big's (80 + 82 + 81.5 + 86) / 4.

def _rows(table):
    return [(r["Model"], r["Rank (Borda)"], r["Mean (Task)"]) for r in table.to_pylist()]


def test_missing_complete_keeps_models_with_every_task(app_env):
    from mteb_lb.rankings import leaderboard

    table = leaderboard().view(LeaderboardState(benchmark=app_env, missing="complete"))
    got = [(m, rank) for m, rank, _ in _rows(table)]
    assert got == [("org-a/big-open", 1), ("org-b/proprietary-api", 2), ("org-b/cross", 3),
                   ("org-a/small-open", 4), ("org-c/sparse-one", 5)]
    assert all(mean is not None for _, _, mean in _rows(table))


def test_missing_common_keeps_the_tasks_every_model_has(app_env):
    from mteb_lb.rankings import leaderboard

    lb = leaderboard()
    table = lb.view(LeaderboardState(benchmark=app_env, missing="common"))
    rows = _rows(table)
    assert [(m, rank) for m, rank, _ in rows] == [
        ("org-a/big-open", 1), ("org-b/proprietary-api", 2), ("org-b/cross", 3),
        ("org-c/partial", 4), ("org-a/small-open", 5), ("org-c/sparse-one", 6)]
    means = {m: mean for m, _, mean in rows}
    assert means["org-c/partial"] == pytest.approx((65 + 67 + 66.5 + 71) / 4, abs=1e-9)
    assert means["org-a/big-open"] == pytest.approx((80 + 82 + 81.5 + 86) / 4, abs=1e-9)
    per_task = lb.view(LeaderboardState(benchmark=app_env, view="per-task", missing="common"))
    assert per_task.column_names == ["Rank (Borda)", "Model", "TinyRetrieval", "TinyRetrieval2",
                                     "TinySTS", "TinyClassification"]
    # the intervals are computed over the same four tasks: each task once gives Rank (Borda)
    inputs = lb.borda_inputs(app_env, LeaderboardState(benchmark=app_env,
                                                       missing="common").filters())
    assert inputs.partitions == ("TinyClassification", "TinyRetrieval", "TinyRetrieval2",
                                 "TinySTS")


def test_missing_official_is_the_default_and_unchanged(app_env):
    from mteb_lb.rankings import leaderboard

    lb = leaderboard()
    official = lb.view(LeaderboardState(benchmark=app_env, missing="official"))
    assert official.equals(lb.view(LeaderboardState(benchmark=app_env)))
    assert lbstate.encode(LeaderboardState(benchmark=app_env, missing="official")) == \
        lbstate.encode(LeaderboardState(benchmark=app_env))
    state, problems = lbstate.decode("?missing=some")
    assert problems == ["'missing=some' is not valid; valid values: official, complete, "
                        "common."]


def test_the_blank_means_notice_offers_the_modes(app_env):
    import sys

    from app import task_picker
    from app.leaderboard_view import compute_view, counts_text

    page = sys.modules["app.pages.leaderboard"]
    state = LeaderboardState(benchmark=app_env)
    text = counts_text(compute_view(state), state)
    # partial lacks two tasks: its means are blank, the notice names both modes
    assert text == ("6 models · 6 of 6 tasks · 1 model without a score on every task: blank "
                    "means (as on the official leaderboard); “Ranking options” can rank only "
                    "the complete models, or only the tasks every model has (which fills the "
                    "means)")
    common = LeaderboardState(benchmark=app_env, missing="common")
    assert counts_text(compute_view(common), common) == "6 models · 4 of 6 tasks"
    view = page.View(n_models=3, n_models_before_search=3, n_tasks=2, n_tasks_total=2,
                     blank_tasks=("FloresBitextMining",))
    assert counts_text(view, state) == "3 models · 2 of 2 tasks"
    assert task_picker.blank_text(view.blank_tasks).endswith(
        "or pick “Missing results: common tasks only” under “Ranking options” to rank and "
        "average over the tasks every model has.")
    controls = page.state_to_controls(common)
    assert controls["missing"] == "common"
    assert page.controls_to_state(app_env, controls).missing == "common"


# --------------------------------------------------------------------------------------------
# within-task spread (scores_per_experiment)
# --------------------------------------------------------------------------------------------
# SpeCls (classification, accuracy; subsets en, de). one/a: per-experiment accuracies en .70,
# .74, .72 and de .60, .62, .64: task scores per experiment .65, .68, .68 -> mean .67, sample
# sd sqrt((.02^2 + .01^2 + .01^2) / 2) = sqrt(.0003). two/b has them on en only: no spread
# (not every row of its task score has them). SpeRet has none.

@pytest.fixture(scope="module")
def spread_lb(tmp_path_factory):
    import fixtures as fx

    from etl import build
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    base = tmp_path_factory.mktemp("spread")
    repo, cat, wh = base / "repo", base / "catalog", base / "wh"
    tasks = [fx.make_task("SpeCls", "Classification", "accuracy",
                          {"en": ["eng-Latn"], "de": ["deu-Latn"]}),
             fx.make_task("SpeRet", "Retrieval", "ndcg_at_10")]
    sha = ["1" * 40, "2" * 40]
    models = [fx.make_model("one/a", sha[0]), fx.make_model("two/b", sha[1])]
    fx.write_catalog(cat, tasks=tasks, models=models,
                     benchmarks=[fx.make_benchmark("Spread(v1)", ["SpeCls", "SpeRet"])])
    (cat / "menu.json").write_text(json.dumps({
        "default_benchmark": "Spread(v1)", "home": [], "home_benchmarks": [],
        "sidebar_benchmarks": ["Spread(v1)"], "sidebar": []}))

    def spe(values):
        return [{"accuracy": v} for v in values]

    fx.write_result(repo, "one/a", sha[0], "SpeCls", fx.current("SpeCls", {"test": [
        fx.entry("en", ["eng-Latn"], 0.72, accuracy=0.72, scores_per_experiment=spe(
            [0.70, 0.74, 0.72])),
        fx.entry("de", ["deu-Latn"], 0.62, accuracy=0.62, scores_per_experiment=spe(
            [0.60, 0.62, 0.64]))]}))
    fx.write_result(repo, "two/b", sha[1], "SpeCls", fx.current("SpeCls", {"test": [
        fx.entry("en", ["eng-Latn"], 0.5, accuracy=0.5, scores_per_experiment=spe([0.5, 0.5])),
        fx.entry("de", ["deu-Latn"], 0.4, accuracy=0.4)]}))
    for i, model in enumerate(("one/a", "two/b")):
        fx.write_result(repo, model, sha[i], "SpeRet", fx.simple_result("SpeRet", 0.3 + i / 10))
    report = build.run(repo, source="https://github.com/example/results.git",
                       source_commit="0123456789abcdef0123", catalog_dir=cat,
                       warehouse_dir=wh, workers=1)
    assert report.published, report
    return Leaderboard(CurrentBuild(wh))


def test_task_spread_is_mean_and_sample_sd_of_the_experiments(spread_lb):
    rows = spread_lb.task_spread("Spread(v1)").to_pylist()
    assert len(rows) == 1
    row = rows[0]
    assert (row["model_name"], row["task_name"], row["n_experiments"]) == ("one/a", "SpeCls", 3)
    assert row["mean"] == pytest.approx(67.0, abs=1e-9)
    assert row["sd"] == pytest.approx(100 * 0.0003 ** 0.5, abs=1e-9)
    # with the language filter on eng only, the rows are the en ones: one/a .70 .74 .72 (mean
    # .72, sd .02), and two/b now has experiments on every row: .5, .5 (sd 0)
    eng = spread_lb.task_spread("Spread(v1)", lbstate.Filters(languages=("eng",)))
    assert eng.column("model_name").to_pylist() == ["one/a", "two/b"]
    assert eng.column("n_experiments").to_pylist() == [3, 2]
    assert eng.column("mean").to_pylist() == pytest.approx([72.0, 50.0], abs=1e-9)
    assert eng.column("sd").to_pylist() == pytest.approx([2.0, 0.0], abs=1e-9)


def test_per_task_cells_carry_the_spread_tooltip(spread_lb):
    from app import grid as gridmod
    from app import spread

    table = spread_lb.view(LeaderboardState(benchmark="Spread(v1)", view="per-task"))
    data = gridmod.model_grid(table, view="per-task")
    data = spread.decorate(data, spread_lb.task_spread("Spread(v1)"))
    fid = data.field_of("SpeCls")
    rows = {r["model"]: r for r in data.row_data}
    assert rows["one/a"]["spread"][fid][0] == 67.0
    # as the tooltip shows them (toFixed(2)): sd 100 sqrt(.0003) = 1.7320... -> 1.73
    assert rows["one/a"]["spread"][fid][1:] == [1.73, 3]
    assert "spread" not in rows["two/b"]
    cols = {c.get("colId"): c for g in data.column_defs for c in g.get("children", [g])}
    assert "tooltipValueGetter" in cols["SpeCls"]
    assert "tooltipValueGetter" not in cols["SpeRet"]


# The grid's function strings evaluated as dash-ag-grid does: an expression with `params` in
# scope and the functions of app/assets/dashAgGridFunctions.js available by name.
TOOLTIP_HARNESS = r"""
const fs = require("fs");
global.window = {};
eval(fs.readFileSync(process.argv[2], "utf8"));
const funcs = window.dashAgGridFunctions;
const [expr, rows] = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const f = new Function("funcs", "params", "with (funcs) { return (" + expr + "); }");
console.log(JSON.stringify(rows.map(data => f(funcs, {data: data}))));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_spread_tooltip_text_as_the_grid_evaluates_it(spread_lb, tmp_path):
    from app import flags, spread
    from app import grid as gridmod

    table = spread_lb.view(LeaderboardState(benchmark="Spread(v1)", view="per-task"))
    data = gridmod.model_grid(table, view="per-task")
    data = spread.decorate(data, spread_lb.task_spread("Spread(v1)"))
    data = flags.mark_cells(data, pa.table({"model_name": ["two/b"], "task_name": ["SpeCls"],
                                            "severity": ["warning"], "rule": ["r"],
                                            "message": ["m"]}))
    cols = {c.get("colId"): c for g in data.column_defs for c in g.get("children", [g])}
    rows = {r["model"]: r for r in data.row_data}
    script, inputs = tmp_path / "harness.js", tmp_path / "inputs.json"
    script.write_text(TOOLTIP_HARNESS)
    inputs.write_text(json.dumps([cols["SpeCls"]["tooltipValueGetter"]["function"],
                                  [rows["one/a"], rows["two/b"], {}]]))
    out = subprocess.run(["node", str(script), str(ROOT / "app/assets/dashAgGridFunctions.js"),
                          str(inputs)], capture_output=True, text=True, check=True).stdout
    # one/a: mean 67, sd 100 sqrt(.0003) = 1.7320..., 3 experiments (the fixture's comment);
    # two/b: no spread, one flag; a row without either: no tooltip
    assert json.loads(out) == ["Mean 67.00 ± 1.73 (sd over 3 experiments)", "⚑ warning r: m",
                               None]


def test_the_active_filter_strip_names_the_mode():
    from app import state as st

    assert ("Missing results", "common tasks only") in st.active_filters(
        LeaderboardState(benchmark="X", missing="common"))
    assert st.active_filters(LeaderboardState(benchmark="X")) == []


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------

@pytest.mark.realdata
def test_real_missing_modes_fill_the_means(real_leaderboard):
    lb = real_leaderboard
    name = "MTEB(eng, v2)"
    official = lb.view(LeaderboardState(benchmark=name, resamples=0))
    means = dict(zip(official.column("Model").to_pylist(),
                     official.column("Mean (Task)").to_pylist()))
    assert any(v is None for v in means.values())      # some models miss tasks
    complete = lb.view(LeaderboardState(benchmark=name, missing="complete", resamples=0))
    # complete: exactly the official rows with a Mean (Task), ranked among themselves
    assert sorted(complete.column("Model").to_pylist()) == sorted(
        m for m, v in means.items() if v is not None)
    assert complete.column("Rank (Borda)").to_pylist()[0] == 1
    # common: over all 333 models no task is shared by every one: the table is empty and the
    # page says why; over 6 complete models and 2 incomplete ones, the means are filled
    assert lb.view(LeaderboardState(benchmark=name, missing="common", resamples=0)).num_rows == 0
    chosen = tuple(sorted([m for m, v in means.items() if v is not None][:6]
                          + [m for m, v in means.items() if v is None][:2]))
    common_state = LeaderboardState(benchmark=name, missing="common", resamples=0,
                                    models=chosen)
    common = lb.view(common_state)
    assert sorted(common.column("Model").to_pylist()) == sorted(chosen)
    assert common.column("Mean (Task)").null_count == 0
    tasks = lb.ranked_tasks(name, common_state.filters())
    assert 0 < len(tasks) < len(lb.benchmark(name).task_names)
