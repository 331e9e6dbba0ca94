"""Issue 12, the remaining surfaces: the compare page on the one leaderboard state, the
robustness numbers on /api/robustness and `mteb-lb robustness`, the task list of the "common"
missing-results mode, the reset buttons, the clustering spread (v_measures).

The fixture is the app warehouse's Tiny(v1) (tests/test_app_callbacks.py); expected values are
worked out by hand in the comments, or with scipy / scikit-posthocs.
"""

from __future__ import annotations

import pytest

from mteb_lb.lbstate import LeaderboardState


@pytest.fixture
def app_env(dash_app, env):
    from warehouses import DEFAULT

    return DEFAULT


# --------------------------------------------------------------------------------------------
# the task list of the "common" mode
# --------------------------------------------------------------------------------------------
# Tiny(v1): org-c/partial lacks TinyClustering and TinyPairClassification, so "common" keeps
# the four tasks every model has, in the benchmark's order.

COMMON_TASKS = ["TinyRetrieval", "TinyRetrieval2", "TinySTS", "TinyClassification"]


def test_task_information_shows_the_tasks_the_common_mode_keeps(app_env):
    from app.leaderboard_view import compute_view
    from mteb_lb.rankings import leaderboard

    lb = leaderboard()
    official = lb.view(LeaderboardState(benchmark=app_env, view="tasks"))
    assert len(official.column("Task Name")) == 6
    common = LeaderboardState(benchmark=app_env, view="tasks", missing="common")
    assert lb.view(common).column("Task Name").to_pylist() == COMMON_TASKS
    view = compute_view(common)
    assert [r[view.task_grid.field_of("Task Name")] for r in view.task_grid.row_data] == \
        COMMON_TASKS
    assert view.n_tasks == 4
    # "complete" keeps every task (it narrows the models)
    complete = LeaderboardState(benchmark=app_env, view="tasks", missing="complete")
    assert lb.view(complete).num_rows == 6


# --------------------------------------------------------------------------------------------
# within-task spread of clustering tasks (v_measures)
# --------------------------------------------------------------------------------------------
# CluT (clustering, v_measure; subsets en, de). mteb writes the per-experiment v-measures as
# `v_measures`: a list (legacy clustering, the main score their mean) or {"Level i": list}
# (fast clustering: the main score the mean of every level's values, taken as one list).
# one/a, lists: en .40 .44 .42 (main .42), de .30 .32 .34 (main .32): per experiment .35 .38
# .38 -> mean .37, sample sd sqrt((.02^2 + .01^2 + .01^2) / 2) = sqrt(.0003).
# two/b, levels: en {L0: .6 .7, L1: .2 .3} -> .6 .7 .2 .3 (main .45); de written L1 first,
# {L1: .4 .5, L0: .8 .9} -> in level order .8 .9 .4 .5 (main .65): per experiment .7 .8 .3 .4
# -> mean .55, deviations .15 .25 -.25 -.15, sample sd sqrt(.17 / 3). (In file order de would
# be .4 .5 .8 .9, per experiment .5 .6 .5 .6: another sd.)
# three/c: v_measures on en only: no spread (not every row has them).

@pytest.fixture(scope="module")
def cluster_lb(tmp_path_factory):
    import json

    import fixtures as fx

    from etl import build
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import Leaderboard

    base = tmp_path_factory.mktemp("cluspread")
    repo, cat, wh = base / "repo", base / "catalog", base / "wh"
    tasks = [fx.make_task("CluT", "Clustering", "v_measure",
                          {"en": ["eng-Latn"], "de": ["deu-Latn"]})]
    sha = ["1" * 40, "2" * 40, "3" * 40]
    names = ["one/a", "two/b", "three/c"]
    fx.write_catalog(cat, tasks=tasks, models=[fx.make_model(n, s) for n, s in zip(names, sha)],
                     benchmarks=[fx.make_benchmark("Clu(v1)", ["CluT"])])
    (cat / "menu.json").write_text(json.dumps({
        "default_benchmark": "Clu(v1)", "home": [], "home_benchmarks": [],
        "sidebar_benchmarks": ["Clu(v1)"], "sidebar": []}))

    def row(subset, lang, main, vm=None):
        extra = {} if vm is None else {"v_measures": vm}
        return fx.entry(subset, [lang], main, v_measure=main, **extra)

    results = {
        "one/a": [row("en", "eng-Latn", 0.42, [0.40, 0.44, 0.42]),
                  row("de", "deu-Latn", 0.32, [0.30, 0.32, 0.34])],
        "two/b": [row("en", "eng-Latn", 0.45, {"Level 0": [0.6, 0.7], "Level 1": [0.2, 0.3]}),
                  row("de", "deu-Latn", 0.65, {"Level 1": [0.4, 0.5], "Level 0": [0.8, 0.9]})],
        "three/c": [row("en", "eng-Latn", 0.5, [0.5, 0.5]), row("de", "deu-Latn", 0.4)],
    }
    for name, s in zip(names, sha):
        fx.write_result(repo, name, s, "CluT", fx.current("CluT", {"test": results[name]}))
    report = build.run(repo, source="https://github.com/example/results.git",
                       source_commit="0123456789abcdef0123", catalog_dir=cat,
                       warehouse_dir=wh, workers=1)
    assert report.published, report
    return Leaderboard(CurrentBuild(wh))


def test_clustering_spread_comes_from_v_measures(cluster_lb):
    rows = {r["model_name"]: r for r in cluster_lb.task_spread("Clu(v1)").to_pylist()}
    assert sorted(rows) == ["one/a", "two/b"]
    assert rows["one/a"]["n_experiments"] == 3
    assert rows["one/a"]["mean"] == pytest.approx(37.0, abs=1e-9)
    assert rows["one/a"]["sd"] == pytest.approx(100 * 0.0003 ** 0.5, abs=1e-9)
    assert rows["two/b"]["n_experiments"] == 4
    assert rows["two/b"]["mean"] == pytest.approx(55.0, abs=1e-9)
    assert rows["two/b"]["sd"] == pytest.approx(100 * (0.17 / 3) ** 0.5, abs=1e-9)
    # the mean of the experiments is the task score of the table
    per_task = cluster_lb.view(LeaderboardState(benchmark="Clu(v1)", view="per-task"))
    scores = dict(zip(per_task.column("Model").to_pylist(), per_task.column("CluT").to_pylist()))
    assert scores["one/a"] == pytest.approx(37.0, abs=1e-9)
    assert scores["two/b"] == pytest.approx(55.0, abs=1e-9)


def test_clustering_cells_carry_the_spread_tooltip(cluster_lb):
    from app import grid as gridmod
    from app import spread

    table = cluster_lb.view(LeaderboardState(benchmark="Clu(v1)", view="per-task"))
    data = spread.decorate(gridmod.model_grid(table, view="per-task"),
                           cluster_lb.task_spread("Clu(v1)"))
    fid = data.field_of("CluT")
    rows = {r["model"]: r for r in data.row_data}
    # as the tooltip shows them (toFixed(2)): sd 100 sqrt(.17 / 3) = 23.8047... -> 23.8
    assert rows["two/b"]["spread"][fid] == [55.0, 23.8, 4]
    assert "spread" not in rows["three/c"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["MTEB(eng, v2)", "MTEB(Multilingual, v2)"])
def test_real_clustering_spread_mean_is_the_task_score(real_leaderboard, name):
    """On the real results, the mean of the per-experiment v-measures is the stored task score
    (to the rounding of the files: mteb writes the scores with 7 digits in places)."""
    lb = real_leaderboard
    clustering = {t for t in lb.benchmark(name).task_names
                  if (lb.task_meta(t) or {}).get("type") == "Clustering"}
    per_task = lb.per_task(name).to_pylist()
    scores = {(r["Model"], t): r[t] for r in per_task for t in clustering}
    rows = [r for r in lb.task_spread(name).to_pylist() if r["task_name"] in clustering]
    assert len({r["task_name"] for r in rows}) == len(clustering)   # every clustering task
    assert len(rows) > 10 * len(clustering)
    compared = [(r, scores[(r["model_name"], r["task_name"])]) for r in rows
                if scores.get((r["model_name"], r["task_name"])) is not None]
    assert len(compared) > 10 * len(clustering)
    off = {(r["model_name"], r["task_name"]) for r, score in compared
           if abs(r["mean"] - score) >= 1e-3}                       # 0-100 scale
    # but one submission: KiteFishAI/Nano-Em1-0.6B-v2.1's files (mteb 2.18.6) carry a main
    # score 2-3 points above the mean of their own v_measures (StackExchangeClustering.v2:
    # v_measure 0.762617, its ten v_measures average 0.7294716); the spread shows the latter
    assert {m for m, _ in off} <= {"KiteFishAI/Nano-Em1-0.6B-v2.1"}
    assert len(off) <= 8
    assert all(r["n_experiments"] >= 1 for r, _ in compared)


# --------------------------------------------------------------------------------------------
# the compare page on the one leaderboard state
# --------------------------------------------------------------------------------------------
# Tiny(v1), missing=common: the four tasks everyone has, six models, n = 6: per task big-open
# 5 points, cross 3, partial 2 (test_stats_surfaces.py). So big beats cross and cross beats
# partial on each of the 4 tasks: wins 4 / 0 / 0, sign test p = 2 (1/2)^4 = 0.125, and A has
# more points than B in every resample: P(A above B) = 1, P(B above A) = 0.

BIG, CROSS, PARTIAL = "org-a/big-open", "org-b/cross", "org-c/partial"


def _odds_cells(layout) -> list[list[str]]:
    from dash_helpers import find, text_of

    table = find(layout, "cmp-odds")
    body = table.children[1].children
    return [[text_of(td) for td in tr.children] for tr in body]


def test_compare_page_api_and_cli_give_the_same_head_to_head(app_env, capsysbinary):
    import sys

    import flask
    from dash_helpers import find

    from app import api, intervals
    from app import state as st
    from mteb_lb import cli

    cmp = sys.modules["app.pages.compare"]
    query = {"model": [BIG, CROSS, PARTIAL], "benchmark": app_env, "missing": "common",
             "resamples": "300", "seed": "4"}
    layout = cmp.layout(**query)
    server = flask.Flask(__name__)
    api.register(server)
    client = server.test_client()
    # the page links the API query of its own state: the same rows as mteb-lb compare
    api_link = find(layout, "cmp-api-link").href
    assert api_link == ("/api/compare?model=org-a%2Fbig-open&model=org-b%2Fcross&model=org-c"
                        "%2Fpartial&benchmark=Tiny%28v1%29&resamples=300&seed=4&missing=common"
                        "&format=csv")
    csv = client.get(api_link)
    assert csv.status_code == 200, csv.get_data(as_text=True)
    assert cli.main(["compare", "--benchmark", app_env, "--model", BIG, "--model", CROSS,
                     "--model", PARTIAL, "--missing", "common", "--resamples", "300",
                     "--seed", "4", "--format", "csv"]) == 0
    assert capsysbinary.readouterr().out == csv.data
    body = client.get(api_link.replace("&format=csv", "")).get_json()
    rows = [dict(zip(body["columns"], r)) for r in body["rows"]]
    by_pair = {(r["model_a"], r["model_b"]): r for r in rows}
    for a, b in ((BIG, CROSS), (CROSS, PARTIAL), (BIG, PARTIAL)):
        r = by_pair[(a, b)]
        assert (r["p_a_above_b"], r["p_b_above_a"]) == (1.0, 0.0)
        assert (r["wins_a"], r["ties"], r["wins_b"], r["tasks_compared"]) == (4, 0, 0, 4)
        assert r["sign_test_p"] == 0.125
    # the page's card shows exactly those rows
    assert _odds_cells(layout) == [
        [r["model_a"], r["model_b"], intervals._p(r["p_a_above_b"]),
         intervals._p(r["p_b_above_a"]), f"{r['wins_a']} / {r['ties']} / {r['wins_b']}",
         intervals._p(r["sign_test_p"])] for r in rows]
    # the official table differs (six tasks: big and cross tie on TinyClustering)
    official = _odds_cells(cmp.layout(model=[BIG, CROSS], benchmark=app_env))
    assert official[0][4] == "5 / 1 / 0"
    past = client.get(api_link + "&as_of=2025-01-01")
    assert past.status_code == 400 and "current results" in past.get_json()["error"]
    assert st.decode_compare(api_link.split("?", 1)[1].replace("&format=csv", ""))[0] == \
        LeaderboardState(benchmark=app_env, selected=(BIG, CROSS, PARTIAL), missing="common",
                         resamples=300, seed=4)


def test_compare_page_keeps_the_urls_filters_when_a_control_changes(app_env):
    import sys

    from dash_helpers import text_of

    cmp = sys.modules["app.pages.compare"]
    search = f"?model={BIG}&model={CROSS}&benchmark={app_env}&task_types=Retrieval"
    content, url, _options, models, _warnings, chips = cmp.update(
        app_env, [BIG, CROSS], "complete", 200, 3, search)
    assert url == ("?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Tiny%28v1%29"
                   "&task_types=Retrieval&resamples=200&seed=3&missing=complete")
    assert models == [BIG, CROSS]
    assert "Task types: Retrieval" in " ".join(text_of(chips).split())
    # Retrieval is TinyRetrieval and TinyRetrieval2: big wins both
    assert "2 / 0 / 0" in text_of(content)
    # another benchmark: the task selection belongs to the old one and is dropped
    _content, url, *_ = cmp.update("Other(v1)", [BIG, CROSS], "official", None, None, search)
    assert url == "?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Other%28v1%29"


def test_compare_page_names_every_ranking_choice_it_compares_on():
    from app import state as st

    state, warnings = st.decode_compare("?model=a/x&model=b/y&benchmark=B&exclude_flags=warning"
                                        "&missing=complete")
    assert warnings == [] and state.exclude_flags == "warning"
    assert st.active_filters(state) == [("Missing results", "complete models only"),
                                        ("Flagged scores", "errors and warnings dropped")]


def test_compare_page_includes_models_outside_the_registry(app_env):
    import sys

    from app import state as st
    from mteb_lb.rankings import leaderboard

    cmp = sys.modules["app.pages.compare"]
    lb = leaderboard()
    outside = [r["name"] for r in cmp.query("app_model_links") if not r["in_registry"]]
    assert outside
    state, warnings = cmp.resolve(
        st.decode_compare({"model": [BIG, outside[0]], "benchmark": app_env})[0],
        lb.benchmarks(), lb.menu())
    assert state.all_models and warnings == []


# --------------------------------------------------------------------------------------------
# /api/robustness and mteb-lb robustness
# --------------------------------------------------------------------------------------------
# Tiny(v1): the ranks as the panel test works them out (test_stats_surfaces.py); Kendall,
# Friedman and Nemenyi over the five complete models' task scores (SCORES, rows the tasks
# sorted by name) from scipy and scikit-posthocs.

RANKS = [("org-a/big-open", 1, 1, 1, 1, 1, True),
         ("org-b/proprietary-api", 2, 2, 2, 2, 2, True),
         ("org-b/cross", 3, 3, 3, 3, 3, True),
         ("org-a/small-open", 4, 4, 4, 4, 5, True),
         ("org-c/partial", 4, None, None, 4, 5, False),
         ("org-c/sparse-one", 6, 5, 5, 6, 6, True)]


def _api_client():
    import flask

    from app import api

    server = flask.Flask(__name__)
    api.register(server)
    return server.test_client()


def _json_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return [dict(zip(body["columns"], r)) for r in body["rows"]]


def test_api_robustness_numbers_equal_scipy_and_scikit_posthocs(app_env):
    import numpy as np
    import scikit_posthocs as sp
    from scipy import stats as scipy_stats
    from test_stats_surfaces import COMPLETE, SCORES

    client = _api_client()
    url = f"/api/robustness?benchmark={app_env}"
    ranks = _json_rows(client.get(url))
    assert [tuple(r.values()) for r in ranks] == RANKS
    assert list(ranks[0]) == ["Model", "Rank (Borda)", "Rank (Mean (Task))",
                              "Rank (Mean (TaskType))", "loto_best", "loto_worst", "complete"]
    kendall = _json_rows(client.get(url + "&part=kendall"))
    complete = [r for r in RANKS if r[6]]
    columns = {"Rank (Borda)": [r[1] for r in complete],
               "Rank (Mean (Task))": [r[2] for r in complete],
               "Rank (Mean (TaskType))": [r[3] for r in complete]}
    assert [(r["ranking_a"], r["ranking_b"]) for r in kendall] == [
        ("Rank (Borda)", "Rank (Mean (Task))"), ("Rank (Borda)", "Rank (Mean (TaskType))"),
        ("Rank (Mean (Task))", "Rank (Mean (TaskType))")]
    for r in kendall:
        want = scipy_stats.kendalltau(columns[r["ranking_a"]], columns[r["ranking_b"]])
        assert r["tau_b"] == pytest.approx(want.statistic, abs=1e-12)
        assert r["models"] == 5
    tasks = sorted(SCORES)
    matrix = np.array([SCORES[t] for t in tasks])
    (friedman,) = _json_rows(client.get(url + "&part=friedman"))
    chi2, p = scipy_stats.friedmanchisquare(*matrix.T)
    k, n = 5, 6
    q = scipy_stats.studentized_range.ppf(0.95, k, np.inf)
    assert friedman == pytest.approx({
        "statistic": chi2, "p_value": p, "models": k, "tasks": n, "alpha": 0.05,
        "critical_difference": q / np.sqrt(2) * np.sqrt(k * (k + 1) / (6 * n))}, rel=1e-6)
    nemenyi = _json_rows(client.get(url + "&part=nemenyi"))
    assert [r["Model"] for r in nemenyi] == COMPLETE
    mean_ranks = scipy_stats.rankdata(-matrix, axis=1).mean(axis=0)
    assert [r["mean_rank"] for r in nemenyi] == pytest.approx(mean_ranks, abs=1e-12)
    want = sp.posthoc_nemenyi_friedman(matrix).to_numpy()
    got = np.array([[r[m] for m in COMPLETE] for r in nemenyi])
    assert got == pytest.approx(want, abs=1e-6)


def test_robustness_follows_the_state_and_the_cli_prints_the_same(app_env, capsysbinary):
    from mteb_lb import cli

    client = _api_client()
    # missing=complete: partial is left out, the five others are ranked 1 to 5 by every rule
    rows = _json_rows(client.get(f"/api/robustness?benchmark={app_env}&missing=complete"))
    assert [(r["Model"], r["Rank (Borda)"], r["Rank (Mean (Task))"]) for r in rows] == [
        (m, i + 1, i + 1) for i, m in enumerate(
            ["org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-a/small-open",
             "org-c/sparse-one"])]
    # the search narrows the ranks' rows, not the ranking
    rows = _json_rows(client.get(f"/api/robustness?benchmark={app_env}&search=org-c"))
    assert [tuple(r.values()) for r in rows] == [r for r in RANKS if r[0].startswith("org-c")]
    for part in ("ranks", "kendall", "friedman", "nemenyi"):
        query = f"benchmark={app_env}&task_types=Retrieval,STS,Clustering&seed=3&part={part}"
        csv = client.get(f"/api/robustness?{query}&format=csv")
        assert csv.status_code == 200
        assert cli.main(["robustness", "--benchmark", app_env, "--task-types",
                         "Retrieval,STS,Clustering", "--seed", "3", "--part", part,
                         "--format", "csv"]) == 0
        assert capsysbinary.readouterr().out == csv.data
    bad = client.get(f"/api/robustness?benchmark={app_env}&part=all")
    assert bad.status_code == 400
    assert bad.get_json()["error"] == ("unknown robustness part 'all'; valid parts: ranks, "
                                       "kendall, friedman, nemenyi")
    past = client.get(f"/api/robustness?benchmark={app_env}&as_of=2025-01-01")
    assert past.status_code == 400 and "current results" in past.get_json()["error"]
    assert client.get("/api/robustness?benchmark=Nope").status_code == 400
    assert cli.main(["robustness", "--benchmark", app_env, "--as-of", "2025-01-01"]) == 1


def test_friedman_and_nemenyi_are_empty_with_fewer_than_three_complete_models(app_env):
    client = _api_client()
    query = (f"/api/robustness?benchmark={app_env}&models=org-a/big-open&models=org-b/cross"
             "&part=")
    assert _json_rows(client.get(query + "friedman")) == []
    assert _json_rows(client.get(query + "nemenyi")) == []
    csv = client.get(query + "friedman&format=csv")
    assert csv.data == b"statistic,p_value,models,tasks,alpha,critical_difference\n"


# --------------------------------------------------------------------------------------------
# "Reset all filters" and "Reset ranking options"
# --------------------------------------------------------------------------------------------

def _reset(page, button: str, benchmark: str) -> dict:
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    token = context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": f"{button}.n_clicks", "value": 1}]))
    try:
        out = page.reset_filters(1, None, None, benchmark)
    finally:
        context_value.reset(token)
    return dict(zip([k for k in page.CONTROL_KEYS if k != "view"], out))


def test_reset_all_filters_keeps_the_ranking_options_and_a_second_button_resets_them(app_env):
    import sys

    from dash import no_update

    page = sys.modules["app.pages.leaderboard"]
    state = LeaderboardState(benchmark=app_env, task_types=("Retrieval",), search="org",
                             open_weights="yes", missing="common", resamples=300, seed=4,
                             exclude_flags="error")
    before = page.state_to_controls(state)
    assert page.controls_to_state(app_env, before) == state   # every option has its control
    for button in ("lb-reset", "lb-reset-empty"):
        out = _reset(page, button, app_env)
        kept = {k: before[k] if v is no_update else v for k, v in out.items()}
        assert page.controls_to_state(app_env, kept) == LeaderboardState(
            benchmark=app_env, missing="common", resamples=300, seed=4, exclude_flags="error")
    out = _reset(page, "lb-reset-ranking", app_env)
    assert {k for k, v in out.items() if v is not no_update} == {
        "resamples", "seed", "missing", "exclude_flags"}
    kept = {k: before[k] if v is no_update else v for k, v in out.items()}
    assert page.controls_to_state(app_env, kept) == LeaderboardState(
        benchmark=app_env, task_types=("Retrieval",), search="org", open_weights="yes")
