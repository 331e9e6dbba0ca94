"""The leaderboard page's robustness panel: how much the current table's ranking depends on its
rules (``Leaderboard.robustness``, README "Rank intervals and robustness").

A collapsed panel under the plots; opening it (or changing the table while it is open) computes,
for the current benchmark and filters: each model's rank under Borda, Mean (Task) and
Mean (TaskType) and its best / worst rank when one task is left out; Kendall's tau-b between
the three rankings; the Friedman test and the critical-difference diagram (Nemenyi) of up to 20
models with every task.
"""

from __future__ import annotations

import logging

import dash_ag_grid as dag
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from app import grid as gridmod
from mteb_lb import stats
from mteb_lb.rankings import RankingError, leaderboard, search_rows

log = logging.getLogger(__name__)

PANEL = "lb-robust"
SUMMARY = "lb-robust-summary"   # its clicks open and close the panel (odd: open)
CONTENT = "lb-robust-content"
GRID = "lb-robust-grid"
CD_PLOT = "lb-robust-cd"


def panel() -> html.Details:
    return html.Details(id=PANEL, className="lb-card lb-robust", open=False, children=[
        html.Summary("Robustness: how much does this ranking depend on its rules?",
                     id=SUMMARY, n_clicks=0),
        dcc.Loading(html.Div(id=CONTENT), type="dot")])


def ranks_records(r: stats.Robustness, search: str = "") -> list[dict]:
    ranks = search_rows(r.ranks, search)
    out = []
    for row in ranks.to_pylist():
        out.append({"Model": row["Model"], "Rank (Borda)": row["Rank (Borda)"],
                    "Rank (Mean (Task))": row["Rank (Mean (Task))"],
                    "Rank (Mean (TaskType))": row["Rank (Mean (TaskType))"],
                    "Leave one task out": f"{row['loto_best']}–{row['loto_worst']}",
                    "Every task": row["complete"]})
    return out


def kendall_lines(r: stats.Robustness) -> list[str]:
    out = []
    for row in r.kendall.to_pylist():
        tau = "n/a" if row["tau_b"] is None else f"{row['tau_b']:.3f}"
        out.append(f"{row['ranking_a']} vs {row['ranking_b']}: τ-b = {tau} "
                   f"({row['models']} models with every task)")
    return out


def cd_groups(mean_ranks: list[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs (i, j) of the models sorted by mean rank whose mean ranks differ by less
    than the critical difference (the bars of a critical-difference diagram)."""
    groups: list[tuple[int, int]] = []
    n = len(mean_ranks)
    for i in range(n):
        j = i
        while j + 1 < n and mean_ranks[j + 1] - mean_ranks[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in groups):
            groups.append((i, j))
    return groups


def cd_figure(friedman: dict) -> dict:
    """The critical-difference diagram: models on an axis of mean rank (1 = best, left),
    the CD as a segment, thick bars joining models not significantly different."""
    models = sorted(friedman["models"], key=lambda m: (friedman["mean_ranks"][m], m))
    ranks = [friedman["mean_ranks"][m] for m in models]
    cd = friedman["critical_difference"]
    k = len(models)
    traces = [{"type": "scatter", "mode": "markers+text", "x": ranks,
               "y": [-(i % 4) - 1 for i in range(k)],
               "text": [m.split("/")[-1] for m in models],
               "textposition": ["middle right" if r <= (k + 1) / 2 else "middle left"
                                for r in ranks],
               "hovertext": [f"{m}<br>mean rank {r:.2f}" for m, r in zip(models, ranks)],
               "hoverinfo": "text", "marker": {"size": 8, "color": "#1a73e8"},
               "name": "mean rank", "showlegend": False},
              {"type": "scatter", "mode": "lines+text", "x": [1, 1 + cd], "y": [1.2, 1.2],
               "line": {"width": 3, "color": "#202124"}, "text": ["", f"CD = {cd:.2f}"],
               "textposition": "top left", "hoverinfo": "skip", "showlegend": False}]
    for n, (i, j) in enumerate(cd_groups(ranks, cd)):
        y = 0.4 - 0.25 * n
        traces.append({"type": "scatter", "mode": "lines", "x": [ranks[i] - 0.05,
                                                                  ranks[j] + 0.05],
                       "y": [y, y], "line": {"width": 6, "color": "#c5221f"},
                       "hoverinfo": "skip", "showlegend": False})
    title = (f"Critical difference (Nemenyi, α = {friedman['alpha']}), {k} models × "
             f"{friedman['tasks']} tasks; Friedman χ² = {friedman['statistic']:.2f}, "
             f"p = {friedman['p_value']:.3g}")
    return {"data": traces, "layout": {
        "title": {"text": title, "font": {"size": 14}, "x": 0.01},
        "template": "plotly_white", "height": 360, "margin": {"l": 30, "r": 30, "t": 60,
                                                              "b": 40},
        "xaxis": {"title": {"text": "mean rank over tasks (1 = best)"}, "range": [0.5, k + 0.5],
                  "zeroline": False},
        "yaxis": {"visible": False, "range": [-5, 2]}}}


def content(state) -> list:
    """The panel's body for a leaderboard state (summary view, any filters and search)."""
    lb = leaderboard()
    try:
        r = lb.robustness(state.benchmark, state.filters())
    except RankingError as exc:
        return [html.P(str(exc), className="lb-notice lb-error")]
    records = ranks_records(r, state.search)
    if not records:
        return [html.P("No model in this table.", className="lb-hint")]
    data = gridmod.generic_grid(records, pinned=("Model",), widths={"Model": 280})
    out = [
        html.P("Each model's rank under the three rules the leaderboard offers, and its best "
               "and worst Borda rank when any single task is left out. Kendall's τ-b compares "
               "the rankings over the models with a score on every task (1: the same order).",
               className="lb-hint"),
        dag.AgGrid(id=GRID, columnDefs=data.column_defs, rowData=data.row_data,
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"animateRows": False, "rowHeight": gridmod.ROW_HEIGHT},
                   style=gridmod.grid_style(len(records), max_height=420)),
        html.Ul(id="lb-robust-kendall", children=[html.Li(t) for t in kendall_lines(r)]),
    ]
    if r.friedman is None:
        out.append(html.P("The critical-difference diagram needs at least 3 models with a "
                          "score on every task, over at least 2 tasks.", className="lb-hint"))
    else:
        out += [dcc.Graph(id=CD_PLOT, figure=cd_figure(r.friedman),
                          config={"displaylogo": False}),
                html.P(f"The first {len(r.friedman['models'])} models with every task, in "
                       "Borda order. Models joined by a red bar are not significantly different "
                       "(their mean ranks differ by less than the critical difference).",
                       className="lb-hint")]
    return out


def register_callbacks(app, trigger: Input, states: list[State], to_state) -> None:
    """Compute the panel when it is opened and whenever `trigger` (the table) changes while it
    is open; `to_state(*state_values)` gives the page's LeaderboardState."""
    def update(clicks, _trigger, *values):
        if not (clicks or 0) % 2:    # closed (a <details> does not report its open state)
            raise PreventUpdate
        state = to_state(*values)
        if state.view != "summary":
            return [html.P("The robustness panel follows the summary table.",
                           className="lb-hint")]
        try:
            return content(state)
        except Exception as exc:    # a broken build: say so, keep the page usable
            log.exception("robustness failed")
            return [html.P(f"Robustness could not be computed ({type(exc).__name__}).",
                           className="lb-notice lb-error")]

    app.callback(Output(CONTENT, "children"), Input(SUMMARY, "n_clicks"), trigger, *states,
                 prevent_initial_call=True)(update)
