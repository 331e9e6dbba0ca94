"""The compare page (path "/compare?model=a&model=b&benchmark=X&<state>"): 2 to 4 models side
by side on one benchmark, per task type and per task, the winner of each row marked.

The page's state is the one leaderboard state (``mteb_lb.lbstate``, decoded by
``app.state.decode_compare``): the compared models are its ``selected`` (``model`` in the URL),
and the tables are the ones the leaderboard, ``/api/compare`` and ``mteb-lb compare`` give for
its benchmark, filters, missing-results mode, resamples and seed (``mteb_lb.rankings``). Models
outside mteb's registry are included (``all_models``) when one of them is compared.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, dcc, html

from app import grid as gridmod
from app import intervals, plots, query
from app import state as st
from app.components import menu_order, no_build, warnings_box
from mteb_lb import lbstate, settings, warehouse
from mteb_lb.rankings import RankingError, leaderboard

dash.register_page(__name__, path="/compare", name="Compare",
                   title="Compare models · MTEB Leaderboard", order=1)

URL = "cmp-url"
BENCH = "cmp-benchmark"
MODELS = "cmp-models"
CONTENT = "cmp-content"
OPTIONS = {"missing": "cmp-missing", "resamples": "cmp-resamples", "seed": "cmp-seed"}
CHIPS = "cmp-chips"
META_ROWS = ("Zero-shot", "Active Parameters (B)", "Total Parameters (B)",
             "Embedding Dimensions", "Max Tokens")


def layout(**query_params):
    state, warnings = st.decode_compare(query_params)
    try:
        lb = leaderboard()
        benchmarks = lb.benchmarks()
        menu = lb.menu()
    except warehouse.WarehouseError as exc:
        return html.Div(className="lb-pagewrap", children=[no_build(exc)])
    state, more = resolve(state, benchmarks, menu)
    warnings += more
    default_b = settings.get("rank_resamples")
    return html.Div(className="lb-pagewrap", children=[
        dcc.Location(id=URL, refresh=False),
        html.H1("Compare models"),
        html.Div(id="cmp-warnings", children=warnings_box(warnings)),
        html.Div(className="lb-card lb-compare-controls", children=[
            html.Div([html.Label("Benchmark", className="lb-field-label"),
                      dcc.Dropdown(id=BENCH, options=benchmark_options(benchmarks, menu),
                                   value=state.benchmark, clearable=False,
                                   className="lb-dropdown")]),
            html.Div([html.Label(f"Models (2 to {st.MAX_COMPARE})", className="lb-field-label"),
                      dcc.Dropdown(id=MODELS,
                                   options=model_options(state.benchmark, state.selected),
                                   value=list(state.selected), multi=True,
                                   placeholder="Type model names…", className="lb-dropdown")]),
        ]),
        html.Details(id="cmp-ranking", className="lb-card lb-filter-section", open=(
            state.resamples, state.seed, state.missing) != (None, None, "official"), children=[
            html.Summary("Ranking options (missing results, resamples, seed)"),
            html.Div(className="lb-filter-grid", children=[
                html.Label(["Missing results: ", dcc.RadioItems(
                    id=OPTIONS["missing"], value=state.missing, inline=True,
                    options=[{"label": intervals.MISSING_LABELS[m], "value": m}
                             for m in lbstate.MISSING])]),
                html.Label(["Resamples ", dcc.Input(
                    id=OPTIONS["resamples"], type="number", min=0, max=lbstate.MAX_RESAMPLES,
                    step=1, value=state.resamples, debounce=True, placeholder=str(default_b),
                    className="lb-number")]),
                html.Label(["Seed ", dcc.Input(
                    id=OPTIONS["seed"], type="number", min=0, step=1, value=state.seed,
                    debounce=True, placeholder="12", className="lb-number")]),
            ])]),
        html.Div(id=CHIPS, className="lb-chips", children=state_line(state)),
        dcc.Loading(html.Div(id=CONTENT, children=comparison(state)), type="dot"),
    ])


def benchmark_options(benchmarks: dict, menu: dict) -> list[dict]:
    on_menu = [b for b in menu_order(menu) if b in benchmarks]
    rest = sorted(set(benchmarks) - set(on_menu))
    return [{"label": f"{benchmarks[b].display_name} — {b}"
             if benchmarks[b].display_name != b else b, "value": b} for b in on_menu + rest]


def model_options(benchmark: str | None, chosen=()) -> list[dict]:
    if not benchmark:
        return [{"label": m, "value": m} for m in chosen]
    rows = query("app_benchmark_models", {"bench": benchmark})
    out = [{"label": f"{r['model_name']} ({r['n_tasks_run']} tasks)"
            + ("" if r["in_registry"] else " · not in registry"), "value": r["model_name"]}
           for r in rows]
    have = {r["model_name"] for r in rows}
    out += [{"label": f"{m} (no result here)", "value": m} for m in chosen if m not in have]
    return out


def resolve(state: lbstate.LeaderboardState, benchmarks: dict, menu: dict
            ) -> tuple[lbstate.LeaderboardState, list[str]]:
    """Check the models exist and pick a benchmark: the one asked for, else the menu benchmark
    on which the compared models cover the largest share of tasks (the default on ties); drop
    the selections the benchmark does not offer; include the models outside mteb's registry
    when one of them is compared (``all_models``)."""
    warnings = []
    registry = {r["name"]: r["in_registry"] for r in query("app_model_links")}
    unknown = [m for m in state.selected if m not in registry]
    if unknown:
        warnings.append("Unknown model(s) ignored: " + ", ".join(unknown) + ".")
        state = replace(state, selected=tuple(m for m in state.selected if m in registry))
    if state.benchmark and state.benchmark not in benchmarks:
        shown = ", ".join(sorted(benchmarks)[:40])
        warnings.append(f"Unknown benchmark “{state.benchmark}”; valid benchmarks: {shown}"
                        + (" …" if len(benchmarks) > 40 else "") + ".")
        state = replace(state, benchmark=None)
    if not state.benchmark:
        state = replace(state, benchmark=best_benchmark(state.selected, benchmarks, menu))
    state, problems = lbstate.check(state, leaderboard().valid_values(state.benchmark))
    if any(not registry[m] for m in state.selected):
        state = replace(state, all_models=True)
    return state, warnings + problems


def best_benchmark(models, benchmarks: dict, menu: dict) -> str:
    default = menu.get("default_benchmark") or sorted(benchmarks)[0]
    if not models:
        return default
    coverage: dict[str, float] = {}
    for i, model in enumerate(models):
        share = {r["benchmark"]: r["n_tasks_run"] / max(r["n_tasks"], 1)
                 for r in query("app_model_benchmarks", {"model": model})}
        coverage = share if i == 0 else {b: min(v, share.get(b, 0)) for b, v in coverage.items()}
    order = [default] + [b for b in menu_order(menu) if b != default]
    order += sorted(b for b in coverage if b not in order)
    for b in order:          # the first benchmark (menu order) all of them (almost) completed
        if coverage.get(b, 0) >= 0.95:
            return b
    covered = [b for b in order if coverage.get(b)]
    return max(covered, key=lambda b: (coverage[b], -order.index(b))) if covered else default


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------

def state_line(state: lbstate.LeaderboardState) -> list:
    """The filters the comparison's table has, a link to them on the leaderboard, and the same
    numbers from the API (``/api/compare``, CSV)."""
    active = st.active_filters(state)
    board = st.leaderboard_href(replace(state, selected=()))
    api = "/api/compare" + st.encode_compare(state)
    api += ("&" if "?" in api else "?") + urlencode([("format", "csv")])
    return [
        html.Span("Compared on:", className="lb-chips-title"),
        *([html.Span([html.B(f"{label}: "), value], className="lb-chip")
           for label, value in active] or [html.Span("the full benchmark, no filter",
                                                     className="lb-chip")]),
        dcc.Link("Change the filters on the leaderboard", id="cmp-board-link", href=board,
                 className="lb-link"),
        html.A("Head to head as CSV (API)", id="cmp-api-link", href=api, className="lb-link")
        if len(state.selected) >= 2 else None,
    ]


def comparison(state: lbstate.LeaderboardState):
    models = list(state.selected)
    if len(models) < 2:
        return html.Div(className="lb-notice lb-empty", children=[
            html.Span(f"Pick 2 to {st.MAX_COMPARE} models to compare them on "
                      f"{state.benchmark}. Tip: tick rows on the leaderboard and use "
                      "“Compare selected”.")])
    lb = leaderboard()
    try:
        bench = lb.benchmark(state.benchmark)
        filters = state.filters()
        summary = lb.summary(bench.name, filters)
        per_task = lb.per_task(bench.name, filters)
    except RankingError as exc:
        return html.Div(str(exc), className="lb-notice lb-error")
    srows = {r["Model"]: r for r in summary.to_pylist() if r["Model"] in models}
    trows = {r["Model"]: r for r in per_task.to_pylist() if r["Model"] in models}
    missing = [m for m in models if m not in srows]
    rows = [srows[m] for m in models if m in srows]
    radar_rows = [dict(r) for r in rows]
    _, types, _ = plots.radar_rows(radar_rows, bench, set(models))
    # too few models or task types: one line saying why instead of half a page of empty radar
    radar = dcc.Graph(figure=plots.radar_figure(radar_rows, types,
                                                f"Per task type on {bench.display_name}"),
                      config={"displaylogo": False}) \
        if len(radar_rows) >= 2 and len(types) >= 3 else html.P(
            plots.radar_too_few(types) if len(radar_rows) >= 2
            else "The radar needs at least 2 models with a result on this benchmark.",
            id="cmp-radar-reason", className="lb-hint")
    present = [m for m in models if m in srows]
    try:   # the head to head of the models on the table: Leaderboard.compare, as the API
        odds = intervals.pairwise_section(lb.compare(replace(state, selected=tuple(present))),
                                          state.resamples) if len(present) >= 2 else None
    except RankingError as exc:
        odds = [html.Div(str(exc), className="lb-notice lb-error")]
    return html.Div([
        html.Div(className="lb-notice lb-warning", children=[
            "No result on this benchmark for: " + ", ".join(missing)
            + ". Pick another benchmark above."]) if missing else None,
        html.Div(className="lb-two-col", children=[
            html.Div(className="lb-card", children=[
                html.H3(f"Summary on {bench.display_name}"),
                summary_table(models, srows, summary.column_names, bench)]),
            html.Div(className="lb-card", children=[radar]),
        ]),
        html.Div(className="lb-card", children=odds) if odds else None,
        html.Div(className="lb-card", children=task_section(models, trows, per_task, bench)),
    ])


def _winner(values: dict[str, float | None], higher_is_better: bool = True) -> set[str]:
    present = {m: v for m, v in values.items() if v is not None}
    if len(present) < 2:
        return set()
    best = max(present.values()) if higher_is_better else min(present.values())
    return {m for m, v in present.items() if v == best}


def summary_table(models, srows, columns, bench):
    score_rows = [c for c in columns if c not in ("Model", "Release Date")
                  and c not in META_ROWS]
    meta_rows = [c for c in META_ROWS if c in columns
                 and (c != "Zero-shot" or bench.show_zero_shot)]
    head = html.Thead(html.Tr([html.Th("")] + [
        html.Th(dcc.Link(m.split("/")[-1], href=st.model_href(m), title=m), className="num")
        for m in models]))
    body = []
    for col in score_rows:
        is_rank = col.startswith("Rank")
        values = {m: srows.get(m, {}).get(col) for m in models}
        wins = _winner(values, higher_is_better=not is_rank)
        body.append(html.Tr([html.Th(col)] + [
            html.Td(_fmt(values[m], col) + (" ★" if m in wins else ""),
                    className="num" + (" lb-win" if m in wins else "")) for m in models]))
    for col in meta_rows:
        body.append(html.Tr([html.Th(col, className="lb-hint")] + [
            html.Td(_fmt(srows.get(m, {}).get(col), col), className="num lb-hint")
            for m in models]))
    return html.Table(className="lb-table", children=[head, html.Tbody(body)])


def _fmt(value, column: str) -> str:
    if value is None:
        return "⚠️ NA" if column == "Zero-shot" else "–"
    if column.startswith("Rank") or column in ("Embedding Dimensions", "Max Tokens"):
        return f"{int(value):,}"
    if column == "Zero-shot":
        return "⚠️ NA" if value < 0 else f"{value}%"
    if column.endswith("Parameters (B)"):
        return f"{value:.1f}" if value >= 1 else f"{value:.3f}"
    return f"{value:.2f}"


def text_width(text: str, least: int) -> int:
    """A grid column's width in pixels that shows ``text`` whole (13 px font, padding, the
    sort and filter icons), at least ``least``, at most 420 (headers wrap beyond)."""
    return int(min(420, max(least, 7.6 * len(text) + 64)))


def task_section(models, trows, per_task, bench) -> list:
    lb = leaderboard()
    tasks = [c for c in per_task.column_names if c != "Model"]
    fields = {m: f"m{i}" for i, m in enumerate(models)}
    rows, wins, ties = [], {m: 0 for m in models}, 0
    for task in tasks:
        meta = lb.task_meta(task) or {}
        values = {m: trows.get(m, {}).get(task) for m in models}
        best = _winner(values)
        row = {"task": task, "type": meta.get("type"), "metric": meta.get("main_score")}
        for m in models:
            if values[m] is not None:
                row[fields[m]] = round(values[m], 4)
        if best:
            row["best"] = round(max(values[m] for m in best), 4)
            if len(best) == 1:
                wins[next(iter(best))] += 1
                row["winner"] = next(iter(best)).split("/")[-1]
            else:
                ties += 1
                row["winner"] = "tie"
        rows.append(row)
    defs = [
        {"field": "task", "headerName": "Task", "pinned": "left", "width": 260,
         "filter": "agTextColumnFilter"},
        {"field": "type", "headerName": "Type", "width": 160, "filter": True},
        {"field": "metric", "headerName": "Metric", "width": 130},
    ] + [
        {"field": fields[m], "headerName": m.split("/")[-1], "headerTooltip": m,
         "width": text_width(m.split("/")[-1], 150), "wrapHeaderText": True,
         "autoHeaderHeight": True, "type": "rightAligned",
         "valueFormatter": {"function": "fmtScore(params)"},
         "comparator": {"function": "nullsLast(valueA, valueB, nodeA, nodeB, isDescending)"},
         "sortingOrder": ["desc", "asc", None],
         "cellClassRules": {"lb-best": "params.value != null && params.value === params.data.best"}}
        for m in models
    ] + [{"field": "winner", "headerName": "Winner", "filter": True,
          "width": text_width(max((r.get("winner") or "" for r in rows), key=len, default=""),
                              170),
          "tooltipField": "winner"}]
    summary = " · ".join(f"{m.split('/')[-1]}: {wins[m]}" for m in models)
    return [
        html.H3(f"Per task ({len(tasks)} tasks)"),
        html.P(f"Tasks won — {summary}" + (f" · ties: {ties}" if ties else "")
               + ". Bold marks the best score of each row.", className="lb-hint"),
        dag.AgGrid(id="cmp-task-grid", columnDefs=defs, rowData=rows,
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"animateRows": False, "tooltipShowDelay": 250,
                                    "rowHeight": gridmod.ROW_HEIGHT,
                                    "suppressColumnVirtualisation": True},   # a few columns
                   style=gridmod.grid_style(len(rows), max_height=600)),
    ]


# --------------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------------

def update(benchmark, models, missing, resamples, seed, search):
    """A control changed: the URL's state (its filters) with the controls' values."""
    state, _ = st.decode_compare(search)
    if state.benchmark and benchmark != state.benchmark:
        state = state.for_benchmark(benchmark)     # task selections belong to a benchmark
    models = list(dict.fromkeys(models or []))
    warnings = []
    if len(models) > st.MAX_COMPARE:
        warnings.append(f"At most {st.MAX_COMPARE} models: the first {st.MAX_COMPARE} are "
                        "compared.")
        models = models[: st.MAX_COMPARE]
    state = replace(state, benchmark=benchmark, selected=tuple(models),
                    missing=missing if missing in lbstate.MISSING else "official",
                    resamples=intervals.control_value(resamples, "resamples"),
                    seed=intervals.control_value(seed, "seed"))
    state, problems = lbstate.check(state, leaderboard().valid_values(benchmark))
    registry = {r["name"]: r["in_registry"] for r in query("app_model_links")}
    if any(not registry.get(m, True) for m in models):
        state = replace(state, all_models=True)
    return (comparison(state), st.encode_compare(state), model_options(benchmark, models),
            models, warnings_box(warnings + problems), state_line(state))


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(CONTENT, "children"), Output(URL, "search"), Output(MODELS, "options"),
        Output(MODELS, "value"), Output("cmp-warnings", "children"), Output(CHIPS, "children"),
        Input(BENCH, "value"), Input(MODELS, "value"),
        *[Input(OPTIONS[k], "value") for k in ("missing", "resamples", "seed")],
        State(URL, "search"),
        prevent_initial_call=True,
    )(update)
