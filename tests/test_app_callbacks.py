"""The dashboard's callbacks and page layouts, called as plain functions (no browser).

They run against the app warehouse (`warehouses.build_app_warehouse`, built once per session by
the `app_warehouse` fixture of conftest.py, also served to tests/test_browser.py): two benchmarks
in a grouped menu, one with a per-language view, six registry models with varied metadata (sizes,
open/proprietary, instructions, frameworks, model types, known/unknown training data, one with
missing tasks) and one model outside the registry.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace

import fixtures as fx
import pytest
from dash_helpers import find, text_of
from warehouses import DEFAULT, OTHER, TASKS, UNREGISTERED

from app import plots
from app import state as st
from mteb_lb import lbstate


@pytest.fixture
def lbpage(dash_app, env):
    return sys.modules["app.pages.leaderboard"]


# The app warehouse by hand (tests/warehouses.py): a model's score on a task is its base score
# plus the task's offset (Ret +0, Ret2 +.02, STS +.04, Cls +.06, Clu +.08, PC +.10); big-open
# is .10 lower on Clu, partial lacks Clu and PC; TinySTS is the mean of en (value) and de
# (value - .05). x100:
#
#     model                 Ret  Ret2  STS   Cls  Clu  PC   Mean (Task)
#     org-a/big-open        80   82    81.5  86   78   90   497.5 / 6 = 82.92
#     org-b/proprietary-api 75   77    76.5  81   83   85   477.5 / 6 = 79.58
#     org-b/cross           70   72    71.5  76   78   80   447.5 / 6 = 74.58
#     org-c/partial         65   67    66.5  71   -    -    blank (two tasks missing)
#     org-a/small-open      60   62    61.5  66   68   70   387.5 / 6 = 64.58
#     org-c/sparse-one      55   57    56.5  61   63   65   357.5 / 6 = 59.58
#
# Borda (n = 6): Ret, Ret2, STS, Cls give big 5, prop 4, cross 3, partial 2, small 1, sparse 0;
# Clu prop 5, big/cross 3.5, small 2, sparse 1, partial 0; PC big 5, prop 4, cross 3, small 2,
# sparse 1, partial 0. Totals 28.5, 25, 18.5, 8, 8, 2: ranks 1, 2, 3, 4, 4, 6 (ties by name).
# The filtered tables re-rank the remaining models the same way (derivations:
# tests/test_cli_commands.py, whose FILTER_CASES use the same filters).
BIG, PROP, CROSS, PARTIAL, SMALL, SPARSE = (
    "org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-c/partial",
    "org-a/small-open", "org-c/sparse-one")
DEFAULT_RANKS = [(BIG, 1), (PROP, 2), (CROSS, 3), (SMALL, 4), (PARTIAL, 4), (SPARSE, 6)]
MEAN_TASK = {BIG: 497.5 / 6, PROP: 477.5 / 6, CROSS: 447.5 / 6, SMALL: 387.5 / 6,
             SPARSE: 357.5 / 6}


def ranks_of(out) -> list[tuple[str, int]]:
    rank_field = out["defs"][0]["field"]
    return [(r["model"], r[rank_field]) for r in out["rows"]]


def page(name: str):
    return sys.modules[f"app.pages.{name}"]


def controls(lbpage, state: lbstate.LeaderboardState) -> list:
    values = lbpage.state_to_controls(state)
    return [values[k] for k in lbpage.CONTROL_KEYS]


def models_of(row_data) -> list[str]:
    return [r["model"] for r in row_data]


# --------------------------------------------------------------------------------------------
# app factory and shell
# --------------------------------------------------------------------------------------------

def test_create_app_registers_pages_and_callbacks(dash_app, env):
    import dash

    paths = {p["path"] for p in dash.page_registry.values()}
    assert {"/", "/model", "/compare", "/status"} <= paths
    client = dash_app.server.test_client()
    assert client.get("/").status_code == 200
    deps = client.get("/_dash-dependencies").get_json()
    outputs = " ".join(d["output"] for d in deps)
    for needle in ("lb-grid.rowData", "lb-plot.figure", "lb-url.search", "lb-download.data",
                   "model-ranks.children", "cmp-content.children"):
        assert needle in outputs
    assert len(deps) == len({d["output"] for d in deps}), "duplicate callbacks"


def test_two_apps_in_one_process_have_the_same_callbacks(env):
    from app.main import create_app

    a, b = create_app(prewarm=False), create_app(prewarm=False)
    da = a.server.test_client().get("/_dash-dependencies").get_json()
    db_ = b.server.test_client().get("/_dash-dependencies").get_json()
    assert sorted(d["output"] for d in da) == sorted(d["output"] for d in db_)


def test_shell_footer_names_the_build_and_links_status(dash_app, env):
    from app.main import footer, shell

    text = text_of(footer())
    assert "0123456789ab" in text and "build" in text and "Build status" in text
    for href in ("/", "/compare", "/sql", "/status"):
        assert find(shell(), {"type": "nav-link", "href": href}) is not None


def test_footer_without_build(dash_app, monkeypatch, tmp_path):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "empty"))
    from app.main import footer

    assert "No build is published" in text_of(footer())


def test_api_is_registered(dash_app):
    rules = {r.rule for r in dash_app.server.url_map.iter_rules()}
    assert {"/api/health", "/api/table", "/api/sql"} <= rules


def test_cli_serve_registers_defaults():
    import argparse

    from app import cli

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli.register(sub)
    args = parser.parse_args(["serve"])
    assert args.host is None and args.port is None and args.debug is False
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--debug"])
    assert (args.host, args.port, args.debug) == ("0.0.0.0", 9000, True)
    assert args.func is cli.serve


def test_cli_serve_runs_with_settings(monkeypatch, env):
    import waitress

    import app.main as main
    from app import cli

    calls = {}

    class Fake:
        server = object()

        def run(self, **kw):
            calls.update(kw, server="dash development server")

    readied = []   # Dash's one-time setup runs before waitress serves (app.main.ready)
    monkeypatch.setattr(main, "create_app", lambda **kw: Fake())
    monkeypatch.setattr(main, "ready", lambda app: readied.append(app))
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **kw: calls.update(kw, app=wsgi))
    monkeypatch.setenv("MTEB_LB_PORT", "8123")
    ns = type("NS", (), {"host": None, "port": None, "debug": False, "no_prewarm": True,
                         "access_log": False})()
    assert cli.serve(ns) == 0
    assert calls == {"host": "127.0.0.1", "port": 8123, "threads": cli.THREADS,
                     "ident": "mteb-lb", "app": Fake.server}
    assert [type(a) for a in readied] == [Fake]
    calls.clear()
    ns.debug = True   # --debug: Dash's development server (hot reload, dev tools)
    assert cli.serve(ns) == 0
    assert calls == {"host": "127.0.0.1", "port": 8123, "debug": True,
                     "server": "dash development server"}


# --------------------------------------------------------------------------------------------
# leaderboard layout
# --------------------------------------------------------------------------------------------

def test_default_layout_has_menu_grid_and_data(lbpage):
    layout = lbpage.layout()
    grid = find(layout, lbpage.GRID)
    assert grid is not None
    assert models_of(grid.rowData) == [m for m, _ in DEFAULT_RANKS]  # registry models only
    headers = [c.get("colId") for c in grid.columnDefs]
    assert headers[:2] == ["Rank (Borda)", "Model"]
    assert grid.columnDefs[0]["pinned"] == "left" and grid.columnDefs[1]["pinned"] == "left"
    assert "Release Date" not in headers
    # the menu: grouped as the official one, the current benchmark highlighted
    button = find(layout, {"type": lbpage.MENU_BTN, "name": DEFAULT})
    assert "active" in button.className
    assert find(layout, {"type": lbpage.MENU_BTN, "name": OTHER}) is not None
    assert "General Purpose" in text_of(find_sidebar(layout))
    assert find(layout, lbpage.BENCH).data == DEFAULT
    assert "Tiny benchmark" in text_of(layout)


def find_sidebar(layout):
    for child in layout.children:
        if getattr(child, "className", "") == "lb-sidebar":
            return child
    return None


def test_grid_payload_numbers_not_strings(lbpage):
    grid = find(lbpage.layout(), lbpage.GRID)
    row = grid.rowData[0]
    fields = {c["colId"]: c["field"] for c in grid.columnDefs if "colId" in c}
    mean = row[fields["Mean (Task)"]]
    assert isinstance(mean, float)
    assert row[fields["Zero-shot"]] == 100
    assert all(not isinstance(v, str) for k, v in row.items() if k not in ("model", "ref"))


def test_zero_shot_unknown_and_size_unknown_are_marked(lbpage):
    grid = find(lbpage.layout(), lbpage.GRID)
    fields = {c["colId"]: c for c in grid.columnDefs if "colId" in c}
    api = next(r for r in grid.rowData if r["model"] == "org-b/proprietary-api")
    assert api[fields["Zero-shot"]["field"]] == -1
    assert fields["Zero-shot"]["valueFormatter"]["function"].startswith("fmtZeroShot")
    assert fields["Total Parameters (B)"]["field"] not in api   # unknown size: no value
    assert "lb-unknown" in fields["Total Parameters (B)"]["cellClassRules"]


def test_score_columns_heat_best_and_tooltips(lbpage):
    grid = find(lbpage.layout(), lbpage.GRID)
    cols = {c["colId"]: c for c in grid.columnDefs if "colId" in c}
    retrieval = cols["Retrieval"]
    assert retrieval["cellStyle"]["function"].startswith("heatStyle(params,")
    assert "lb-best" in retrieval["cellClassRules"]
    assert "ndcg_at_10" in retrieval["headerTooltip"]
    assert retrieval["valueFormatter"]["function"] == "fmtScore(params)"
    assert cols["Rank (Borda)"]["cellClassRules"] == {"lb-best": "params.value === 1"}
    assert all(c.get("sortable", True) for c in grid.columnDefs)
    assert find(lbpage.layout(), lbpage.GRID).defaultColDef["sortable"] is True


def test_model_links_in_grid(lbpage):
    grid = find(lbpage.layout(), lbpage.GRID)
    model_col = next(c for c in grid.columnDefs if c.get("colId") == "Model")
    assert model_col["cellRenderer"] == "ModelLink"
    assert model_col["cellRendererParams"]["hrefBase"].endswith("/model")
    row = next(r for r in grid.rowData if r["model"] == "org-a/big-open")
    assert row["ref"] == "https://huggingface.co/org-a/big-open"


def test_unknown_benchmark_lists_valid_ones(lbpage):
    layout = lbpage.layout(benchmark="Nope(v9)")
    text = text_of(layout)
    assert "Unknown benchmark “Nope(v9)”" in text
    assert DEFAULT in text and OTHER in text
    assert find(layout, lbpage.GRID) is None


def test_did_you_mean_puts_the_closest_benchmark_first(lbpage):
    """A mistyped name, case ignored: the page offers the closest names first (difflib ratio:
    'tiny(v2)' is 7/8 like 'tiny(v1)', 'other(v1)' shares only '(v1)'), as /api/table does."""
    from mteb_lb.rankings import close_names

    assert close_names("tiny(v2)", [OTHER, DEFAULT]) == [DEFAULT]
    assert close_names("MTEB(eng,v9)", ["MTEB(Europe, v1)", "MTEB(eng, v2)", "MTEB(deu, v1)"]
                       ) == ["MTEB(eng, v2)", "MTEB(deu, v1)", "MTEB(Europe, v1)"]
    text = text_of(lbpage.layout(benchmark="tiny(v2)"))
    offered = text[text.index("Did you mean"):text.index("Valid benchmarks")]
    assert DEFAULT in offered and OTHER not in offered


def test_malformed_parameters_warn_and_fall_back(lbpage):
    layout = lbpage.layout(benchmark=DEFAULT, zs="sometimes", min_params_b="abc", view="nope",
                           types=["Retrieval", "Bogus"], colour="red")
    warnings = text_of(find(layout, "lb-warnings"))
    assert "zero_shot=sometimes" in warnings and "min_params_b=abc" in warnings
    assert "view=nope" in warnings
    assert "Bogus" in warnings and "colour" in warnings
    assert find(layout, lbpage.CONTROLS["zero_shot"]).value == "allow_all"
    assert find(layout, lbpage.CONTROLS["task_types"]).value == ["Retrieval"]
    # still a table: Ret and Ret2 only, every model has both -> the base-score order
    assert models_of(find(layout, lbpage.GRID).rowData) == [BIG, PROP, CROSS, PARTIAL, SMALL,
                                                            SPARSE]


def test_zero_shot_column_and_filter_hidden_when_the_benchmark_says_so(lbpage):
    layout = lbpage.layout(benchmark=OTHER)
    cols = [c.get("colId") for c in find(layout, lbpage.GRID).columnDefs]
    assert "Zero-shot" not in cols and "Mean (Task)" in cols
    zs_field = find_parent(layout, lbpage.CONTROLS["zero_shot"])
    assert zs_field.style == {"display": "none"}
    out = lbpage.download_csv(1, None, OTHER, *controls(lbpage, lbstate.LeaderboardState(
        benchmark=OTHER)))
    # the download keeps every column of the official table (mteb's includes Zero-shot here too)
    assert "Zero-shot" in out["content"].splitlines()[0]
    layout = lbpage.layout(benchmark=DEFAULT)
    assert find_parent(layout, lbpage.CONTROLS["zero_shot"]).style is None


def find_parent(component, child_id, parent=None):
    if getattr(component, "id", None) == child_id:
        return parent
    children = getattr(component, "children", None)
    if isinstance(component, (list, tuple)):
        children, component = component, parent
    if isinstance(children, (list, tuple)):
        for child in children:
            found = find_parent(child, child_id, component)
            if found is not None:
                return found
    elif children is not None and not isinstance(children, (str, int, float)):
        return find_parent(children, child_id, component)
    return None


def test_per_language_tab_only_when_the_benchmark_has_one(lbpage):
    tabs = find(lbpage.layout(benchmark=DEFAULT), lbpage.CONTROLS["view"])
    assert "per-language" in [t.value for t in tabs.children]
    layout = lbpage.layout(benchmark=OTHER, view="per-language")
    tabs = find(layout, lbpage.CONTROLS["view"])
    assert "per-language" not in [t.value for t in tabs.children]
    assert tabs.value == "summary"
    assert "no 'Performance per language' view" in text_of(find(layout, "lb-warnings"))


def test_layout_restores_every_control_from_the_url(lbpage):
    state = lbstate.LeaderboardState(
        benchmark=DEFAULT, view="per-task", search="org-a", min_params_b=0.05, max_params_b=1.0,
        keep_unknown_size=False, open_weights="yes", instructions="no",
        sentence_transformers=True, model_types=("dense",), zero_shot="remove_unknown",
        all_models=True, task_types=("Retrieval", "STS"), domains=("Medical", "Web"),
        languages=("eng",), tasks=("TinyRetrieval", "TinySTS"), selected=("org-a/small-open",),
        plot="time", sort=("TinyRetrieval", "asc"))
    layout = lbpage.layout(**st.parse_search(lbstate.encode(state)))
    values = {k: find(layout, cid).value for k, cid in lbpage.CONTROLS.items()}
    back = lbpage.controls_to_state(DEFAULT, values, selected=state.selected,
                                    plot=find(layout, lbpage.PLOT_TABS).value, sort=state.sort)
    assert back == state
    grid = find(layout, lbpage.GRID)
    assert grid.selectedRows == {"ids": ["org-a/small-open"]}
    sorted_col = [c for c in _leaves(grid.columnDefs) if c.get("sort")]
    assert [(c["colId"], c["sort"]) for c in sorted_col] == [("TinyRetrieval", "asc")]


def _leaves(defs):
    for d in defs:
        if "children" in d:
            yield from _leaves(d["children"])
        else:
            yield d


# --------------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------------

def view(lbpage, state):
    out = lbpage.update_view(state.benchmark, *controls(lbpage, state))
    return {**out, "defs": out["grid_defs"], "rows": out["grid_rows"],
            "empty_style": out["empty_shown"]}


def test_update_view_filters(lbpage):
    base = lbstate.LeaderboardState(benchmark=DEFAULT)
    cases = {  # (state, [(model, rank)]): derivations in tests/test_cli_commands.py
        "open": (replace(base, open_weights="yes"),
                 [(BIG, 1), (CROSS, 2), (SMALL, 3), (PARTIAL, 3), (SPARSE, 5)]),
        "proprietary": (replace(base, open_weights="no"), [(PROP, 1)]),
        "instructions": (replace(base, instructions="yes"), [(BIG, 1), (PROP, 2)]),
        "st": (replace(base, sentence_transformers=True),
               [(BIG, 1), (SMALL, 2), (PARTIAL, 2), (SPARSE, 4)]),
        "mtypes": (replace(base, model_types=("sparse",)), [(SPARSE, 1)]),
        "zs-unknown": (replace(base, zero_shot="remove_unknown"),
                       [(BIG, 1), (CROSS, 2), (SMALL, 3), (PARTIAL, 3), (SPARSE, 5)]),
        "zs-only": (replace(base, zero_shot="only_zero_shot"),
                    [(BIG, 1), (CROSS, 2), (PARTIAL, 3), (SPARSE, 4)]),
        "size": (replace(base, min_params_b=0.2, max_params_b=1.0, keep_unknown_size=False),
                 [(CROSS, 1), (PARTIAL, 2)]),
        "size+unknown": (replace(base, min_params_b=0.2, max_params_b=1.0, keep_unknown_size=True),
                         [(PROP, 1), (CROSS, 2), (PARTIAL, 3)]),
        # search only hides rows: the ranks stay those of the whole table
        "search": (replace(base, search="org-c"), [(PARTIAL, 4), (SPARSE, 6)]),
        "search-several": (replace(base, search="SPARSE; big"), [(BIG, 1), (SPARSE, 6)]),
    }
    for name, (state, expected) in cases.items():
        out = view(lbpage, state)
        assert ranks_of(out) == expected, name
        assert out["empty_style"] == {"display": "none"}, name


def test_all_models_adds_the_unregistered_model(lbpage):
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, all_models=True))
    # n = 7, the unregistered model .90 everywhere (STS .875): unreg 35.5, big 29 (ties unreg
    # on PC), prop 25, cross 18.5, partial 8, small 8, sparse 2
    assert ranks_of(out) == [(UNREGISTERED, 1), (BIG, 2), (PROP, 3), (CROSS, 4), (SMALL, 5),
                             (PARTIAL, 5), (SPARSE, 7)]


def test_task_filters_recompute_the_columns(lbpage):
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, task_types=("Retrieval",)))
    cols = [c["colId"] for c in out["defs"]]
    assert "Retrieval" in cols and "STS" not in cols
    assert "2 of 6 tasks" in out["counts"]
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, view="per-task",
                                           tasks=("TinySTS", "TinyClustering")))
    leaves = [c["colId"] for c in _leaves(out["defs"])]
    assert leaves == ["Rank (Borda)", "Model", "TinySTS", "TinyClustering"]
    groups = [c["groupId"] for c in out["defs"] if "children" in c]
    assert groups == ["type:STS", "type:Clustering"]


def test_search_keeps_the_original_ranks(lbpage):
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, search="sparse"))
    assert ranks_of(out) == [(SPARSE, 6)]          # its rank in the whole table
    assert out["counts"] == "1 of 6 models · 6 of 6 tasks"


def test_filters_that_leave_nothing_say_so_and_reset(lbpage):
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, task_types=()))
    assert out["rows"] == [] and out["empty_style"] == {}
    assert out["empty_text"] == (
        "No task is left: the task type, domain, modality, language and task filters exclude "
        "every task of this benchmark.")
    assert out["counts"] == "0 models · 0 of 6 tasks"
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT,
                                                model_types=("late-interaction",)))
    assert out["rows"] == [] and out["empty_style"] == {}
    assert out["empty_text"] == "No model matches the model filters."
    out = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, search="zzz-no-such"))
    assert out["rows"] == [] and out["empty_text"].startswith(
        "No model name matches “zzz-no-such” (6 models match the filters).")
    assert [c.get("colId") for c in out["defs"]][:2] == ["Rank (Borda)", "Model"]  # columns stay
    from dash import no_update
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    token = context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": "lb-reset.n_clicks", "value": 1}]))
    try:
        reset = lbpage.reset_filters(1, None, None, DEFAULT)
    finally:
        context_value.reset(token)
    keys = [k for k in lbpage.CONTROL_KEYS if k != "view"]
    values = dict(zip(keys, reset))
    values["view"] = "summary"
    # the ranking options are kept (tests/test_stats_surfaces2.py): here at their defaults
    assert all(values[k] is no_update for k in ("resamples", "seed", "missing", "exclude_flags"))
    values.update(resamples=None, seed=None, missing="official", exclude_flags="none")
    assert lbpage.controls_to_state(DEFAULT, values) == lbstate.LeaderboardState(benchmark=DEFAULT)


def test_tabs(lbpage):
    per_task = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, view="per-task"))
    # one group per task type, in the benchmark's task order, with its task count
    assert [(c["headerName"], [x["colId"] for x in c["children"]])
            for c in per_task["defs"] if "children" in c] == [
        ("Retrieval (2)", ["TinyRetrieval", "TinyRetrieval2"]), ("STS (1)", ["TinySTS"]),
        ("Classification (1)", ["TinyClassification"]), ("Clustering (1)", ["TinyClustering"]),
        ("Pair\u200bClassification (1)", ["TinyPairClassification"])]
    assert models_of(per_task["rows"]) == [m for m, _ in DEFAULT_RANKS]
    per_lang = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, view="per-language"))
    # the language columns sorted by code; rows by the Borda rank over the two languages
    # (deu: big 79, prop 74, cross 69, partial 64, small 59, sparse 54; eng 83.3, 80, 75, 68,
    # 65, 60: the same order in both)
    assert [c["colId"] for c in per_lang["defs"]] == ["Model", "deu-Latn", "eng-Latn"]
    assert models_of(per_lang["rows"]) == [BIG, PROP, CROSS, PARTIAL, SMALL, SPARSE]
    tasks = view(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT, view="tasks"))
    assert len(tasks["task_rows"]) == len(TASKS)
    assert tasks["grid_shown"] == {"display": "none"} and tasks["task_grid_shown"] == {}
    assert tasks["plots_shown"] == {"display": "none"}


def test_sync_url_round_trips(lbpage):
    state = lbstate.LeaderboardState(benchmark=DEFAULT, open_weights="yes", search="org",
                                task_types=("Retrieval", "STS"))
    selected = [{"model": "org-a/big-open"}, {"model": "org-b/cross"}]
    column_state = [{"colId": "Model", "sort": None}, {"colId": "Retrieval", "sort": "desc",
                                                      "sortIndex": 0}]
    search, href, style, label = lbpage.sync_url("radar", selected, column_state, DEFAULT,
                                                 *controls(lbpage, state))
    decoded, warnings = lbstate.decode(search)
    assert warnings == []
    assert decoded == replace(state, selected=("org-a/big-open", "org-b/cross"), plot="radar",
                              sort=("Retrieval", "desc"))
    # the compare page gets the leaderboard's state: the same table, the selected models
    assert href == ("/compare?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Tiny%28v1%29"
                    "&open_weights=yes&task_types=Retrieval&task_types=STS")
    assert style == {} and label == "Compare selected (2)"


def test_switch_benchmark_keeps_model_filters(lbpage):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    state = lbstate.LeaderboardState(benchmark=DEFAULT, open_weights="yes", search="org",
                                task_types=("Retrieval",), view="per-language")
    ids = [{"type": lbpage.MENU_BTN, "name": DEFAULT}, {"type": lbpage.MENU_BTN, "name": OTHER}]
    token = context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": json.dumps(ids[1], separators=(",", ":")) + ".n_clicks", "value": 1}]))
    try:
        body, classes, search = lbpage.switch_benchmark(
            [None, 1], ids, DEFAULT, "size", [{"model": "org-a/big-open"}],
            [{"colId": "Retrieval", "sort": "asc", "sortIndex": 0}], *controls(lbpage, state))
    finally:
        context_value.reset(token)
    decoded, _ = lbstate.decode(search)
    # what applies is kept (Other(v1) has Retrieval); it has no per-language view: dropped, said
    assert decoded == lbstate.LeaderboardState(benchmark=OTHER, open_weights="yes", search="org",
                                          task_types=("Retrieval",),
                                          selected=("org-a/big-open",),
                                          sort=("Retrieval", "asc"))   # a column it shows
    assert text_of(find(body, "lb-switch-notice")) == (
        "Switched to Other benchmark; dropped what it does not have: the 'Performance per "
        "language' view (not offered). Every other filter was kept.")
    assert classes == ["lb-bench-btn", "lb-bench-btn active"]
    grid = find(body, lbpage.GRID)
    # Other(v1) on TinyRetrieval only (all models have it), open weights, "org" matches every
    # name: big, cross, partial, small, sparse in base-score order -> 1..5
    assert [(r["model"], r[grid.columnDefs[0]["field"]]) for r in grid.rowData] == [
        (BIG, 1), (CROSS, 2), (PARTIAL, 3), (SMALL, 4), (SPARSE, 5)]
    assert find(body, lbpage.BENCH).data == OTHER


def test_switch_benchmark_drops_a_sort_on_a_column_the_new_benchmark_lacks(lbpage):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    ids = [{"type": lbpage.MENU_BTN, "name": DEFAULT}, {"type": lbpage.MENU_BTN, "name": OTHER}]
    token = context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": json.dumps(ids[1], separators=(",", ":")) + ".n_clicks", "value": 1}]))
    state = lbstate.LeaderboardState(benchmark=DEFAULT)
    try:
        # Clustering: a task type of Tiny(v1) only; Mean (Subset): no such column here
        # (by-subset benchmarks such as HUME(v1) have it)
        outs = [lbpage.switch_benchmark(
            [None, 1], ids, DEFAULT, "size", [], [{"colId": column, "sort": "desc"}],
            *controls(lbpage, state)) for column in ("Clustering", "Mean (Subset)")]
    finally:
        context_value.reset(token)
    for (body, _, search), column in zip(outs, ("Clustering", "Mean (Subset)")):
        assert lbstate.decode(search) == (lbstate.LeaderboardState(benchmark=OTHER), [])
        assert text_of(find(body, "lb-switch-notice")) == (
            f"Switched to Other benchmark; dropped what it does not have: the sort on {column}. "
            "Every other filter was kept.")


def test_plot_figures(lbpage):
    for plot, n_traces in (("size", 2), ("time", 2), ("radar", 5)):
        fig = lbpage.update_plot("k", plot, [], DEFAULT,
                                 *controls(lbpage, lbstate.LeaderboardState(benchmark=DEFAULT)))
        assert len(fig["data"]) == n_traces, plot
    size = plots.plot_figure(lbstate.LeaderboardState(benchmark=DEFAULT))
    assert size["layout"]["xaxis"]["type"] == "log"
    # every model with a size and a Mean (Task): not prop (size unknown), not partial (blank
    # mean); by mean, descending
    models = next(t for t in size["data"] if t["name"] == "models")
    assert models["x"] == [7.0, 0.3, 0.1, 0.05]
    assert models["y"] == pytest.approx([MEAN_TASK[m] for m in (BIG, CROSS, SMALL, SPARSE)])
    assert size["layout"]["title"]["text"] == (
        "Mean (Task) vs model size (2 without a known size or score not shown)")
    time_fig = plots.plot_figure(lbstate.LeaderboardState(benchmark=DEFAULT, plot="time"))
    frontier = next(t for t in time_fig["data"] if t["name"] == "best so far")
    assert frontier["line"]["shape"] == "hv"
    # by release date: sparse 2022-05 59.58 (a best), small 2023-01 64.58 (a best), prop
    # 2024-03 79.58 (a best), cross 2024-09 74.58 (not), big 2025-06 82.92 (a best); the line
    # ends at the latest release date
    assert frontier["x"] == ["2022-05-01", "2023-01-01", "2024-03-01", "2025-06-01",
                             "2025-06-01"]
    assert frontier["y"] == pytest.approx([MEAN_TASK[SPARSE], MEAN_TASK[SMALL], MEAN_TASK[PROP],
                                           MEAN_TASK[BIG], MEAN_TASK[BIG]])
    radar = plots.plot_figure(lbstate.LeaderboardState(benchmark=DEFAULT, plot="radar"))
    # the five best ranked (partial ties small at 4; sparse is sixth)
    assert [t["name"] for t in radar["data"]] == ["big-open", "proprietary-api", "cross",
                                                   "small-open", "partial"]
    assert all(t["type"] == "scatterpolar" for t in radar["data"])
    chosen = plots.plot_figure(lbstate.LeaderboardState(
        benchmark=DEFAULT, plot="radar", selected=("org-c/sparse-one", "org-b/cross")))
    assert [t["name"] for t in chosen["data"]] == ["cross", "sparse-one"]


def test_plots_follow_filters(lbpage):
    fig = plots.plot_figure(lbstate.LeaderboardState(benchmark=DEFAULT, open_weights="no"))
    assert "known size" in json.dumps(fig)          # the only proprietary model has no size
    empty = plots.plot_figure(lbstate.LeaderboardState(benchmark=DEFAULT, search="nothing-matches"))
    assert empty["data"] == [] and "nothing to plot" in empty["layout"]["annotations"][0]["text"]


def test_download_csv_current_view(lbpage):
    state = lbstate.LeaderboardState(benchmark=DEFAULT, open_weights="yes")
    out = lbpage.download_csv(1, [{"colId": "Mean (Task)", "sort": "asc"}], DEFAULT,
                              *controls(lbpage, state))
    assert out["filename"] == "Tiny_v1_summary.csv"
    rows = list(csv.DictReader(io.StringIO(out["content"])))
    assert rows[0].keys() >= {"Rank (Borda)", "Model", "Zero-shot", "Mean (Task)"}
    assert "Release Date" in rows[0]   # every official column, as /api/table and the CLI
    # open weights (no prop), sorted by Mean (Task) ascending as the grid's column state says
    means = [(r["Model"], r["Mean (Task)"]) for r in rows]
    assert [m for m, _ in means] == [SPARSE, SMALL, CROSS, BIG, PARTIAL]   # blank last
    assert means[-1][1] == ""
    # unrounded values, not the 2 decimals on screen
    assert [float(v) for _, v in means[:-1]] == pytest.approx(
        [MEAN_TASK[m] for m in (SPARSE, SMALL, CROSS, BIG)], abs=1e-9)


def test_download_per_task_with_search(lbpage):
    state = lbstate.LeaderboardState(benchmark=DEFAULT, view="per-task", search="org-a")
    out = lbpage.download_csv(1, None, DEFAULT, *controls(lbpage, state))
    rows = list(csv.reader(io.StringIO(out["content"])))
    assert rows[0] == ["Rank (Borda)", "Model", "TinyRetrieval", "TinyRetrieval2", "TinySTS",
                       "TinyClassification", "TinyClustering", "TinyPairClassification"]
    # the search hides rows, ranks stay those of the whole table
    assert [r[:2] for r in rows[1:]] == [["1", BIG], ["4", SMALL]]
    assert [float(v) for v in rows[2][2:]] == [60.0, 62.0, 61.5, 66.0, 68.0, 70.0]


# --------------------------------------------------------------------------------------------
# model, compare, status pages
# --------------------------------------------------------------------------------------------

def test_model_page(dash_app, env):
    model = page("model")
    layout = model.layout(name="org-a/small-open")
    text = text_of(layout)
    assert "small-open" in text and "Open weights" in text and "100M total" in text
    grid = find(layout, "model-results")
    fields = {c["headerName"]: c["field"] for c in grid.columnDefs}
    # one row per task, by name; small-open is the second registry model: revision "2" x 40
    assert [(r[fields["Task"]], r[fields["Score"]]) for r in grid.rowData] == [
        ("TinyClassification", 66.0), ("TinyClustering", 68.0),
        ("TinyPairClassification", 70.0), ("TinyRetrieval", 60.0), ("TinyRetrieval2", 62.0),
        ("TinySTS", 61.5)]
    row = grid.rowData[0]
    source = "results/org-a__small-open/" + "2" * 40 + "/TinyClassification.json"
    assert [row[fields[c]] for c in ("Revision folder", "mteb version", "Dataset revision",
                                     "Source file")] == ["2" * 40, "1.14.0", fx.DATASET_REV,
                                                         source]
    assert row["url"] == ("https://github.com/example/results/blob/0123456789abcdef0123/"
                          + source)
    # Tiny(v1): rank 4 of 6 (the default table); Other(v1) (Ret, STS, Cls, all six models):
    # base-score order, small fifth; its mean (60 + 61.5 + 66) / 3 = 62.5
    ranks = {r["benchmark"]: (r["rank"], r["of"], r["tasks_run"], r["tasks"])
             for r in model.model_ranks("org-a/small-open")}
    assert ranks == {DEFAULT: (4, 6, 6, 6), OTHER: (5, 6, 3, 3)}
    assert "4 / 6" in text_of(model.show_ranks("org-a/small-open"))
    assert "5 / 6" in text_of(model.show_ranks("org-a/small-open"))


def test_model_page_unknown_and_unregistered(dash_app, env):
    model = page("model")
    text = text_of(model.layout(name="org-a/nope"))
    assert "Unknown model “org-a/nope”" in text
    assert "No model of the current build has this name" in text
    text = text_of(model.layout(name=UNREGISTERED))
    assert "Not in mteb's registry" in text
    # with every model (.90 everywhere): first of 7 on both benchmarks
    ranks = {r["benchmark"]: (r["rank"], r["of"]) for r in model.model_ranks(UNREGISTERED)}
    assert ranks == {DEFAULT: (1, 7), OTHER: (1, 7)}
    assert "Pick a model" in text_of(model.layout())
    assert model.open_model("org-b/cross") == "/model?name=org-b%2Fcross"


def test_compare_page(dash_app, env):
    cmp = page("compare")
    layout = cmp.layout(model=["org-a/big-open", "org-b/cross"], benchmark=DEFAULT)
    text = text_of(layout)
    assert "Summary on Tiny benchmark" in text and "★" in text
    grid = find(layout, "cmp-task-grid")
    # big-open .10 ahead on every task but TinyClustering, where both have .78
    assert [(r["task"], r["m0"], r["m1"], r["winner"]) for r in grid.rowData] == [
        ("TinyRetrieval", 80.0, 70.0, "big-open"), ("TinyRetrieval2", 82.0, 72.0, "big-open"),
        ("TinySTS", 81.5, 71.5, "big-open"), ("TinyClassification", 86.0, 76.0, "big-open"),
        ("TinyClustering", 78.0, 78.0, "tie"),
        ("TinyPairClassification", 90.0, 80.0, "big-open")]
    # the controls: benchmark, models, missing results, resamples, seed; the URL's state
    content, search, options, value, warnings, _chips = cmp.update(
        DEFAULT, ["org-a/big-open", "org-b/cross"], "official", None, None, "")
    assert search == "?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Tiny%28v1%29"
    assert value == ["org-a/big-open", "org-b/cross"] and warnings is None
    content, search, options, value, warnings, _chips = cmp.update(
        OTHER, ["org-a/big-open", "org-b/cross", "org-c/sparse-one", "org-c/partial",
                "org-a/small-open"], "official", None, None, search)
    assert value == ["org-a/big-open", "org-b/cross", "org-c/sparse-one", "org-c/partial"]
    assert "At most 4" in text_of(warnings)


def test_compare_page_bad_link(dash_app, env):
    cmp = page("compare")
    text = text_of(cmp.layout(model=["org-a/big-open", "nobody/none"], benchmark="Nope"))
    assert "Unknown model(s) ignored: nobody/none" in text
    assert "Unknown benchmark “Nope”" in text and DEFAULT in text
    assert "Pick 2 to 4 models" in text


def test_compare_picks_a_covered_benchmark(dash_app, env):
    cmp = page("compare")
    layout = cmp.layout(model=["org-a/big-open", "org-c/partial"])
    assert find(layout, cmp.BENCH).value == OTHER     # partial misses tasks of Tiny(v1)


def test_status_page(dash_app, env):
    status = page("status")
    text = text_of(status.layout())
    assert "0123456789abcdef0123" in text and "https://github.com/example/results.git" in text
    assert "Quarantined files (1)" in text and "scores" in text
    grid = find(status.layout(), "status-quarantined")
    assert len(grid.rowData) == 1
    path_field = next(c["field"] for c in grid.columnDefs if c["headerName"] == "Path")
    reason_field = next(c["field"] for c in grid.columnDefs if c["headerName"] == "Reason")
    # the fixture's truncated file '{"task_name": "TinyBr'
    assert grid.rowData[0][path_field] == \
        "results/org-x__unregistered/" + "f" * 40 + "/TinyBroken.json"
    assert grid.rowData[0][reason_field] == \
        "not valid JSON: Unterminated string starting at at line 1 column 15"


def test_status_page_without_build(dash_app, monkeypatch, tmp_path):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "empty"))
    assert "No published build" in text_of(page("status").layout())
    assert "No leaderboard data yet" in text_of(page("leaderboard").layout())


def test_blank_means_get_a_notice_of_their_own(lbpage):
    """A task no model completed blanks every Mean (Task): a notice names it (with a button
    that drops it, tests/test_browser_walk.py); the toolbar's counts stay short."""
    from app import task_picker

    page = lbpage
    view = page.View(n_models=3, n_models_before_search=3, n_tasks=2, n_tasks_total=2,
                     blank_tasks=("FloresBitextMining",))
    state, _ = lbstate.decode({"benchmark": "x"})
    assert page.counts_text(view, state) == "3 models · 2 of 2 tasks"
    assert task_picker.blank_text(["FloresBitextMining"]) == (
        "No model has a complete result on FloresBitextMining, so the means over all tasks are "
        "blank (as on the official leaderboard). Drop this task to compare means, or pick “Missing "
        "results: common tasks only” under “Ranking options” to rank and average over the tasks "
        "every model has.")
    assert page.blank_tasks_of(lbstate.encode(lbstate.LeaderboardState(benchmark=DEFAULT))) == []


def test_per_task_cells_mark_tasks_the_model_was_trained_on():
    """The official per-task ⚠: a score on a task the model was trained on is marked."""
    import pyarrow as pa

    from app import grid

    table = pa.table({"Model": ["a/m", "b/n"], "STS12": [80.0, 70.0], "SciFact": [60.0, 50.0]})
    data = grid.model_grid(table, view="per-task", trained={"a/m": frozenset({"SciFact"})})
    fields = data.fields
    assert data.row_data[0]["trained"] == [fields["SciFact"]]
    assert "trained" not in data.row_data[1]
    rules = {c["colId"]: c.get("cellClassRules", {}) for g in data.column_defs
             for c in g.get("children", [])}
    assert rules["SciFact"]["lb-trained"] == (
        f"params.data.trained && params.data.trained.includes('{fields['SciFact']}')")


def test_a_benchmark_name_in_another_case_opens_that_benchmark(lbpage):
    layout = lbpage.layout(benchmark="tiny(V1)")
    assert find(layout, lbpage.GRID) is not None
    assert find(layout, lbpage.BENCH).data == DEFAULT
