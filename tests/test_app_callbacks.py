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

import pytest

from app import state as st
from dash_helpers import find, text_of
from warehouses import DEFAULT, MODELS, OTHER, TASKS, UNREGISTERED


@pytest.fixture
def lbpage(dash_app, env):
    return sys.modules["app.pages.leaderboard"]


def page(name: str):
    return sys.modules[f"app.pages.{name}"]


def controls(lbpage, state: st.LeaderboardState) -> list:
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
    from app import cli
    import app.main as main

    calls = {}

    class Fake:
        def run(self, **kw):
            calls.update(kw)

    monkeypatch.setattr(main, "create_app", lambda **kw: Fake())
    monkeypatch.setenv("MTEB_LB_PORT", "8123")
    ns = type("NS", (), {"host": None, "port": None, "debug": False, "no_prewarm": True})()
    assert cli.serve(ns) == 0
    assert calls == {"host": "127.0.0.1", "port": 8123, "debug": False}


# --------------------------------------------------------------------------------------------
# leaderboard layout
# --------------------------------------------------------------------------------------------

def test_default_layout_has_menu_grid_and_data(lbpage):
    layout = lbpage.layout()
    grid = find(layout, lbpage.GRID)
    assert grid is not None
    assert models_of(grid.rowData)[0] == "org-a/big-open"
    assert len(grid.rowData) == len(MODELS)            # registry models only
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


def test_malformed_parameters_warn_and_fall_back(lbpage):
    layout = lbpage.layout(benchmark=DEFAULT, zs="sometimes", min_b="abc", tab="nope",
                           types=["Retrieval", "Bogus"], colour="red")
    warnings = text_of(find(layout, "lb-warnings"))
    assert "zs=sometimes" in warnings and "min_b=abc" in warnings and "tab=nope" in warnings
    assert "Bogus" in warnings and "colour" in warnings
    assert find(layout, lbpage.CONTROLS["zs"]).value == "allow_all"
    assert find(layout, lbpage.CONTROLS["types"]).value == ["Retrieval"]
    assert find(layout, lbpage.GRID).rowData   # still a table


def test_zero_shot_column_and_filter_hidden_when_the_benchmark_says_so(lbpage):
    layout = lbpage.layout(benchmark=OTHER)
    cols = [c.get("colId") for c in find(layout, lbpage.GRID).columnDefs]
    assert "Zero-shot" not in cols and "Mean (Task)" in cols
    zs_field = find_parent(layout, lbpage.CONTROLS["zs"])
    assert zs_field.style == {"display": "none"}
    out = lbpage.download_csv(1, None, OTHER, *controls(lbpage, st.LeaderboardState(
        benchmark=OTHER)))
    assert "Zero-shot" not in out["content"].splitlines()[0]
    layout = lbpage.layout(benchmark=DEFAULT)
    assert find_parent(layout, lbpage.CONTROLS["zs"]).style is None


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
    tabs = find(lbpage.layout(benchmark=DEFAULT), lbpage.CONTROLS["tab"])
    assert "per-language" in [t.value for t in tabs.children]
    layout = lbpage.layout(benchmark=OTHER, tab="per-language")
    tabs = find(layout, lbpage.CONTROLS["tab"])
    assert "per-language" not in [t.value for t in tabs.children]
    assert tabs.value == "summary"
    assert "no 'Performance per language' tab" in text_of(find(layout, "lb-warnings"))


def test_layout_restores_every_control_from_the_url(lbpage):
    state = st.LeaderboardState(
        benchmark=DEFAULT, tab="per-task", query="org-a", min_b=0.05, max_b=1.0,
        unknown_size=False, availability="open", instructions="no",
        sentence_transformers=True, model_types=("dense",), zero_shot="remove_unknown",
        all_models=True, task_types=("Retrieval", "STS"), domains=("Medical", "Web"),
        languages=("eng",), tasks=("TinyRetrieval", "TinySTS"), models=("org-a/small-open",),
        plot="time", sort=("TinyRetrieval", "asc"))
    layout = lbpage.layout(**st.parse_search(st.encode_leaderboard(state)))
    values = {k: find(layout, cid).value for k, cid in lbpage.CONTROLS.items()}
    back = lbpage.controls_to_state(DEFAULT, values, models=state.models,
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
    keys = ("defs", "rows", "style", "task_defs", "task_rows", "task_grid_style", "grid_style",
            "task_style", "plots_style",
            "counts", "empty_style", "empty_text", "chips", "key")
    return dict(zip(keys, out))


def test_update_view_filters(lbpage):
    base = st.LeaderboardState(benchmark=DEFAULT)
    cases = {
        "open": (replace(base, availability="open"), lambda m: m != "org-b/proprietary-api"),
        "proprietary": (replace(base, availability="proprietary"),
                        lambda m: m == "org-b/proprietary-api"),
        "instructions": (replace(base, instructions="yes"),
                         lambda m: m in ("org-a/big-open", "org-b/proprietary-api")),
        "st": (replace(base, sentence_transformers=True),
               lambda m: m not in ("org-b/proprietary-api", "org-b/cross")),
        "mtypes": (replace(base, model_types=("sparse",)), lambda m: m == "org-c/sparse-one"),
        "zs-unknown": (replace(base, zero_shot="remove_unknown"),
                       lambda m: m != "org-b/proprietary-api"),
        "zs-only": (replace(base, zero_shot="only_zero_shot"),
                    lambda m: m not in ("org-b/proprietary-api", "org-a/small-open")),
        "size": (replace(base, min_b=0.2, max_b=1.0, unknown_size=False),
                 lambda m: m in ("org-b/cross", "org-c/partial")),
        "size+unknown": (replace(base, min_b=0.2, max_b=1.0, unknown_size=True),
                         lambda m: m in ("org-b/cross", "org-c/partial",
                                         "org-b/proprietary-api")),
        "search": (replace(base, query="org-c"), lambda m: m.startswith("org-c/")),
        "search-several": (replace(base, query="SPARSE; big"),
                           lambda m: m in ("org-c/sparse-one", "org-a/big-open")),
    }
    for name, (state, keep) in cases.items():
        out = view(lbpage, state)
        expected = sorted(m for m in MODELS if keep(m))
        assert sorted(models_of(out["rows"])) == expected, name
        assert out["empty_style"] == {"display": "none"}, name


def test_all_models_adds_the_unregistered_model(lbpage):
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, all_models=True))
    assert models_of(out["rows"])[0] == UNREGISTERED


def test_task_filters_recompute_the_columns(lbpage):
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, task_types=("Retrieval",)))
    cols = [c["colId"] for c in out["defs"]]
    assert "Retrieval" in cols and "STS" not in cols
    assert "2 of 6 tasks" in out["counts"]
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, tab="per-task",
                                           tasks=("TinySTS", "TinyClustering")))
    leaves = [c["colId"] for c in _leaves(out["defs"])]
    assert leaves == ["Rank (Borda)", "Model", "TinySTS", "TinyClustering"]
    groups = [c["groupId"] for c in out["defs"] if "children" in c]
    assert groups == ["STS", "Clustering"]


def test_search_keeps_the_original_ranks(lbpage):
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, query="sparse"))
    rank_field = out["defs"][0]["field"]
    full = view(lbpage, st.LeaderboardState(benchmark=DEFAULT))
    full_rank = {r["model"]: r[rank_field] for r in full["rows"]}
    assert out["rows"][0][rank_field] == full_rank["org-c/sparse-one"] > 1
    assert "1 of 6 models" in out["counts"]


def test_filters_that_leave_nothing_say_so_and_reset(lbpage):
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, task_types=()))
    assert out["rows"] == [] and out["empty_style"] == {}
    assert "No task is left" in out["empty_text"]
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, model_types=("late-interaction",)))
    assert "No model matches the model filters" in out["empty_text"] or out["rows"] == []
    out = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, query="zzz-no-such"))
    assert out["rows"] == [] and "No model name matches" in out["empty_text"]
    assert out["defs"], "the columns stay"
    reset = lbpage.reset_filters(1, None, DEFAULT)
    keys = [k for k in lbpage.CONTROL_KEYS if k != "tab"]
    values = dict(zip(keys, reset))
    values["tab"] = "summary"
    assert lbpage.controls_to_state(DEFAULT, values) == st.LeaderboardState(benchmark=DEFAULT)


def test_tabs(lbpage):
    per_task = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, tab="per-task"))
    assert [c["headerName"] for c in per_task["defs"] if "children" in c]
    per_lang = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, tab="per-language"))
    assert [c["colId"] for c in per_lang["defs"]][-2:] == ["eng-Latn", "deu-Latn"] or \
        {"eng-Latn", "deu-Latn"} <= {c["colId"] for c in per_lang["defs"]}
    tasks = view(lbpage, st.LeaderboardState(benchmark=DEFAULT, tab="tasks"))
    assert len(tasks["task_rows"]) == len(TASKS)
    assert tasks["grid_style"] == {"display": "none"} and tasks["task_style"] == {}
    assert tasks["plots_style"] == {"display": "none"}


def test_sync_url_round_trips(lbpage):
    state = st.LeaderboardState(benchmark=DEFAULT, availability="open", query="org",
                                task_types=("Retrieval", "STS"))
    selected = [{"model": "org-a/big-open"}, {"model": "org-b/cross"}]
    column_state = [{"colId": "Model", "sort": None}, {"colId": "Retrieval", "sort": "desc",
                                                      "sortIndex": 0}]
    search, href, style, label = lbpage.sync_url("radar", selected, column_state, DEFAULT,
                                                 *controls(lbpage, state))
    decoded, warnings = st.decode_leaderboard(search)
    assert warnings == []
    assert decoded == replace(state, models=("org-a/big-open", "org-b/cross"), plot="radar",
                              sort=("Retrieval", "desc"))
    assert href == "/compare?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Tiny%28v1%29"
    assert style == {} and label == "Compare selected (2)"


def test_switch_benchmark_keeps_model_filters(lbpage):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    state = st.LeaderboardState(benchmark=DEFAULT, availability="open", query="org",
                                task_types=("Retrieval",), tab="per-language")
    ids = [{"type": lbpage.MENU_BTN, "name": DEFAULT}, {"type": lbpage.MENU_BTN, "name": OTHER}]
    token = context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": json.dumps(ids[1], separators=(",", ":")) + ".n_clicks", "value": 1}]))
    try:
        body, classes, search = lbpage.switch_benchmark(
            [None, 1], ids, DEFAULT, "size", [{"model": "org-a/big-open"}],
            *controls(lbpage, state))
    finally:
        context_value.reset(token)
    decoded, _ = st.decode_leaderboard(search)
    assert decoded == st.LeaderboardState(benchmark=OTHER, availability="open", query="org",
                                          models=("org-a/big-open",))
    assert classes == ["lb-bench-btn", "lb-bench-btn active"]
    grid = find(body, lbpage.GRID)
    assert "org-b/proprietary-api" not in models_of(grid.rowData)
    assert find(body, lbpage.BENCH).data == OTHER


def test_plot_figures(lbpage):
    for plot in ("size", "time", "radar"):
        fig = lbpage.update_plot("k", plot, [], DEFAULT,
                                 *controls(lbpage, st.LeaderboardState(benchmark=DEFAULT)))
        assert fig["data"], plot
    size = lbpage.plot_figure(st.LeaderboardState(benchmark=DEFAULT))
    assert size["layout"]["xaxis"]["type"] == "log"
    xs = [x for trace in size["data"][:2] for x in trace["x"]]
    assert 7.0 in xs and all(x > 0 for x in xs)            # unknown size left out
    assert "without a known size" in size["layout"]["title"]["text"]
    time_fig = lbpage.plot_figure(st.LeaderboardState(benchmark=DEFAULT, plot="time"))
    frontier = next(t for t in time_fig["data"] if t["name"] == "best so far")
    assert frontier["line"]["shape"] == "hv"
    assert frontier["y"] == sorted(frontier["y"])
    radar = lbpage.plot_figure(st.LeaderboardState(benchmark=DEFAULT, plot="radar"))
    assert len(radar["data"]) == 5 and all(t["type"] == "scatterpolar" for t in radar["data"])
    chosen = lbpage.plot_figure(st.LeaderboardState(
        benchmark=DEFAULT, plot="radar", models=("org-c/sparse-one", "org-b/cross")))
    assert [t["name"] for t in chosen["data"]] == ["cross", "sparse-one"]


def test_plots_follow_filters(lbpage):
    fig = lbpage.plot_figure(st.LeaderboardState(benchmark=DEFAULT, availability="proprietary"))
    assert "known size" in json.dumps(fig)          # the only proprietary model has no size
    empty = lbpage.plot_figure(st.LeaderboardState(benchmark=DEFAULT, query="nothing-matches"))
    assert empty["data"] == [] and "nothing to plot" in empty["layout"]["annotations"][0]["text"]


def test_download_csv_current_view(lbpage):
    state = st.LeaderboardState(benchmark=DEFAULT, availability="open")
    out = lbpage.download_csv(1, [{"colId": "Mean (Task)", "sort": "asc"}], DEFAULT,
                              *controls(lbpage, state))
    assert out["filename"] == "Tiny_v1_summary.csv"
    rows = list(csv.DictReader(io.StringIO(out["content"])))
    assert rows[0].keys() >= {"Rank (Borda)", "Model", "Zero-shot", "Mean (Task)"}
    assert "Release Date" not in rows[0]
    assert "org-b/proprietary-api" not in [r["Model"] for r in rows]
    means = [float(r["Mean (Task)"]) for r in rows if r["Mean (Task)"]]
    assert means == sorted(means)
    # unrounded values: what the rankings return, not the 2 decimals on screen
    from mteb_lb.rankings import leaderboard

    table = leaderboard().summary(DEFAULT, state.filters()).to_pylist()
    exact = {r["Model"]: r["Mean (Task)"] for r in table}
    for r in rows:
        if r["Mean (Task)"]:
            assert float(r["Mean (Task)"]) == exact[r["Model"]]


def test_download_per_task_with_search(lbpage):
    state = st.LeaderboardState(benchmark=DEFAULT, tab="per-task", query="org-a")
    out = lbpage.download_csv(1, None, DEFAULT, *controls(lbpage, state))
    rows = list(csv.reader(io.StringIO(out["content"])))
    assert rows[0][:3] == ["Rank (Borda)", "Model", "TinyRetrieval"]
    assert sorted(r[1] for r in rows[1:]) == ["org-a/big-open", "org-a/small-open"]


# --------------------------------------------------------------------------------------------
# model, compare, status pages
# --------------------------------------------------------------------------------------------

def test_model_page(dash_app, env):
    model = page("model")
    layout = model.layout(name="org-a/small-open")
    text = text_of(layout)
    assert "small-open" in text and "Open weights" in text and "100M total" in text
    grid = find(layout, "model-results")
    assert len(grid.rowData) == len(TASKS)
    fields = {c["headerName"]: c["field"] for c in grid.columnDefs}
    row = grid.rowData[0]
    for col in ("Revision folder", "mteb version", "Dataset revision", "Source file"):
        assert row[fields[col]], col
    assert row["url"].startswith("https://github.com/example/results/blob/0123456789abcdef0123/")
    ranks = model.model_ranks("org-a/small-open")
    assert {r["benchmark"] for r in ranks} == {DEFAULT, OTHER}
    tiny = next(r for r in ranks if r["benchmark"] == DEFAULT)
    assert tiny["rank"] >= 1 and tiny["of"] == len(MODELS)
    assert "/ 6" in text_of(model.show_ranks("org-a/small-open"))


def test_model_page_unknown_and_unregistered(dash_app, env):
    model = page("model")
    text = text_of(model.layout(name="org-a/nope"))
    assert "Unknown model" in text
    assert "Did you mean" not in text or "org-a/" in text
    text = text_of(model.layout(name=UNREGISTERED))
    assert "Not in mteb's registry" in text
    ranks = model.model_ranks(UNREGISTERED)
    assert next(r for r in ranks if r["benchmark"] == DEFAULT)["rank"] == 1
    assert "Pick a model" in text_of(model.layout())
    assert model.open_model("org-b/cross") == "/model?name=org-b%2Fcross"


def test_compare_page(dash_app, env):
    cmp = page("compare")
    layout = cmp.layout(model=["org-a/big-open", "org-b/cross"], benchmark=DEFAULT)
    text = text_of(layout)
    assert "Summary on Tiny benchmark" in text and "★" in text
    grid = find(layout, "cmp-task-grid")
    assert len(grid.rowData) == len(TASKS)
    assert all(r["winner"] in ("big-open", "cross", "tie") for r in grid.rowData)
    content, search, options, value, warnings = cmp.update(DEFAULT, ["org-a/big-open",
                                                                     "org-b/cross"])
    assert search == "?model=org-a%2Fbig-open&model=org-b%2Fcross&benchmark=Tiny%28v1%29"
    assert value == ["org-a/big-open", "org-b/cross"] and warnings is None
    content, search, options, value, warnings = cmp.update(
        OTHER, ["org-a/big-open", "org-b/cross", "org-c/sparse-one", "org-c/partial",
                "org-a/small-open"])
    assert len(value) == 4 and "At most 4" in text_of(warnings)


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
    assert grid.rowData[0][path_field].endswith("TinyBroken.json")
    assert grid.rowData[0][reason_field]


def test_status_page_without_build(dash_app, monkeypatch, tmp_path):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "empty"))
    assert "No published build" in text_of(page("status").layout())
    assert "No leaderboard data yet" in text_of(page("leaderboard").layout())


def test_counts_explain_blank_means(lbpage):
    """A task no model completed blanks every Mean (Task); the page says which task."""
    page = lbpage
    view = page.View(n_models=3, n_models_before_search=3, n_tasks=2, n_tasks_total=2,
                     blank_tasks=("FloresBitextMining",))
    state, _ = st.decode_leaderboard({"benchmark": "x"})
    text = page.counts_text(view, state)
    assert text.startswith("3 models · 2 of 2 tasks · no model has a complete result on "
                           "FloresBitextMining, so the means over all tasks are blank")


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
