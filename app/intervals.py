"""Rank intervals on the leaderboard page: the resampling controls, the grid's
"Rank (95% interval)" column and the "Rank intervals" plot.

The numbers come from ``Leaderboard.view`` (the summary's INTERVAL_COLUMNS, mteb_lb/rankings.py)
and ``Leaderboard.rank_intervals``, the same for the page, ``/api/table`` and ``mteb-lb table``;
this module only lays them out (README "Rank intervals and robustness").
"""

from __future__ import annotations

import logging
from dataclasses import replace

from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from app import grid as gridmod
from app import spread
from mteb_lb import lbstate, settings
from mteb_lb.rankings import INTERVAL_COLUMNS, leaderboard

log = logging.getLogger(__name__)

INTERVAL = "Rank (95% interval)"
LOW, HIGH, MEDIAN, P_RANK1, TIED = list(INTERVAL_COLUMNS)[1:]
HIDDEN = (LOW, HIGH, MEDIAN, P_RANK1, TIED)   # in the downloads; the grid has them hidden
CONTROL_IDS = {"resamples": "lb-resamples", "seed": "lb-seed", "missing": "lb-missing",
               "exclude_flags": "lb-exclude-flags"}
RESET = "lb-reset-ranking"   # sets these back ("Reset all filters" keeps them)
MISSING_LABELS = {"official": "as the official leaderboard",
                  "complete": "complete models only (a score on every task)",
                  "common": "common tasks only (the tasks every model has)"}
EXCLUDE_LABELS = {"none": "keep every score (as the official leaderboard)",
                  "error": "exclude scores with an error flag",
                  "warning": "exclude scores with an error or warning flag"}
def blank_rows_hint(n: int) -> str:
    return (f" · {n} model{'s' if n > 1 else ''} without a score on every task: blank means "
            "(as on the official leaderboard); “Ranking options” can rank only the complete "
            "models, or only the tasks every model has (which fills the means)")


MISSING_HINT = ("or pick “Missing results: common tasks only” under “Ranking options” to rank "
                "and average over the tasks every model has")
PLOT_TOP = 60   # models in the plot when no row is selected
TOOLTIP = ("95% rank interval: the tasks are resampled with replacement (bootstrap, "
           "{b} resamples) and the models re-ranked by Borda points each time; the interval "
           "holds the middle 95% of a model's ranks. ≈1 marks a model tied with the leader "
           "(its interval includes rank 1). Hover a cell for the median rank and P(rank 1).")


# -- controls ----------------------------------------------------------------------------------

def control_value(value, field: str):
    """A control's value -> the state's value (the field's default when empty or invalid)."""
    default = lbstate.BY_NAME[field].default
    if value in (None, ""):
        return default
    state, problems = lbstate.decode({field: str(value).strip()})
    return default if problems else getattr(state, field)


def controls(state: lbstate.LeaderboardState) -> html.Details:
    """The ranking options: missing results (they change the ranking) and the resampling (it
    changes only the interval columns and plot)."""
    default_b = settings.get("rank_resamples")
    return html.Details(className="lb-card lb-filter-section lb-intervals-options",
                        open=(state.resamples, state.seed, state.missing,
                              state.exclude_flags) != (None, None, "official", "none"),
                        children=[
        html.Summary("Ranking options (missing results, flagged scores, rank intervals)"),
        html.Div(className="lb-filter-grid", children=[
            html.Label(["Missing results: ", dcc.RadioItems(
                id=CONTROL_IDS["missing"], value=state.missing, inline=True,
                options=[{"label": MISSING_LABELS[m], "value": m} for m in lbstate.MISSING])]),
            html.Label(["Flagged scores (validity flags, /quality): ", dcc.RadioItems(
                id=CONTROL_IDS["exclude_flags"], value=state.exclude_flags, inline=True,
                options=[{"label": EXCLUDE_LABELS[m], "value": m}
                         for m in lbstate.EXCLUDE_FLAGS])]),
            html.Label(["Resamples ", dcc.Input(
                id=CONTROL_IDS["resamples"], type="number", min=0,
                max=lbstate.MAX_RESAMPLES, step=1, value=state.resamples, debounce=True,
                placeholder=str(default_b), className="lb-number")]),
            html.Label(["Seed ", dcc.Input(
                id=CONTROL_IDS["seed"], type="number", min=0, step=1, value=state.seed,
                debounce=True, placeholder="12", className="lb-number")]),
            html.Span("0 resamples: no intervals. The same resamples and seed give the same "
                      "intervals on every surface (URL, /api/table, mteb-lb table).",
                      className="lb-hint"),
            html.Button("Reset ranking options", id=RESET, className="lb-button",
                        title="Missing results as the official leaderboard, every flagged "
                              "score kept, the default resamples and seed (“Reset all "
                              "filters” keeps these)"),
        ])])


# -- the grid ----------------------------------------------------------------------------------

def decorate(data: gridmod.GridData, resamples: int | None) -> gridmod.GridData:
    """The summary grid with the interval column shown as "low–high" (sorted by low, then
    high; ≈1 on models tied with the leader; tooltip: median and P(rank 1)) and its number
    columns hidden. Other views and tables without the columns are returned unchanged."""
    fid = data.field_of(INTERVAL)
    if fid is None:
        return data
    f = {name: data.field_of(name) for name in HIDDEN}
    for row in data.row_data:
        row.pop(fid, None)
        low, high = row.get(f[LOW]), row.get(f[HIGH])
        if low is not None and high is not None:
            row[fid] = low * 100_000 + high          # the sort key: low, then high
    b = settings.get("rank_resamples") if resamples is None else resamples
    for col in data.column_defs:
        if col.get("colId") == INTERVAL:
            text = f"params.data.{f[LOW]} + '–' + params.data.{f[HIGH]}"
            tied = f"params.data && params.data.{f[TIED]} === true"
            col.update(
                headerTooltip=TOOLTIP.format(b=f"{b:,}"), initialWidth=132,
                sortingOrder=["asc", "desc", None],
                valueFormatter={"function": f"params.value == null ? '' : {text} + "
                                            f"(params.data.{f[TIED]} ? ' ≈1' : '')"},
                tooltipValueGetter={"function": (
                    f"params.value == null ? null : 'Median resampled rank ' + "
                    f"params.data.{f[MEDIAN]} + ' · P(rank 1) ' + "
                    f"(100 * params.data.{f[P_RANK1]}).toFixed(1) + '%' + "
                    f"(params.data.{f[TIED]} ? ' · tied with the leader (the interval "
                    f"includes rank 1)' : '')")},
                cellClassRules={"lb-tied-leader": tied})
            col.pop("cellStyle", None)
        elif col.get("colId") in HIDDEN:
            col["hide"] = True
    return data


# -- filled after the table ----------------------------------------------------------------------
# A filter change answers with the table first (the interval column empty unless this state's
# intervals are cached: Leaderboard.view(intervals="cached"); on the per-task tab the spread
# tooltips, app/spread.py, likewise); the page's view key then asks for them (this callback),
# and a clientside function merges their cells into the grid's rows if the grid still shows
# that state (assets/intervals.js).

STORE = "lb-intervals-data"
# a page rendered for a filtered state (a link, a benchmark switch keeping filters) answers
# with the table like a filter change: its view key here asks for the statistics once the page
# is on screen (the fill callback fires when the store appears)
PENDING = "lb-intervals-pending"


def store() -> dcc.Store:
    return dcc.Store(id=STORE)


def pending_store(key: str | None) -> dcc.Store:
    return dcc.Store(id=PENDING, data=key)


def deferred(state: lbstate.LeaderboardState) -> bool:
    """Whether a page rendered for `state` leaves its statistics to the second request: a
    summary or per-task state with a filter or a non-default resampling, whose intervals or
    cells are not cached (an unfiltered state's are the build's tables: read inline)."""
    if state.view not in ("summary", "per-task") or state.as_of:
        return False
    lb = leaderboard()
    filters = state.filters()
    if state.view == "summary":
        b = settings.get("rank_resamples") if state.resamples is None else state.resamples
        if b == 0 or state.build_statistics():
            return False
        return lb.rank_intervals(state.benchmark, filters, state.resamples, state.seed,
                                 compute=False) is None
    if filters == lbstate.Filters():
        return False
    return (lb.task_spread(state.benchmark, filters, compute=False) is None
            or lb.task_flags(state.benchmark, filters, compute=False) is None)


def cells(state: lbstate.LeaderboardState) -> dict[str, dict] | None:
    """Per model of the summary, its interval cells keyed by the page grid's field ids (the
    values ``decorate`` gives the grid when the table comes with its intervals); None when the
    state shows no interval column."""
    lb = leaderboard()
    b = settings.get("rank_resamples") if state.resamples is None else state.resamples
    if state.view != "summary" or state.as_of or b == 0:
        return None
    bench = lb.benchmark(state.benchmark)
    table = lb.view(replace(state, search="", sort=None), intervals="compute")
    if INTERVAL not in table.column_names:
        return None
    real = gridmod.field_ids(gridmod.visible_columns(table, show_zero_shot=bench.show_zero_shot))
    names = ["Model", *INTERVAL_COLUMNS]
    mini = decorate(gridmod.model_grid(table.select(names), view="summary"), state.resamples)
    fids = {name: (mini.field_of(name), real.get(name)) for name in INTERVAL_COLUMNS}
    out = {}
    for row in mini.row_data:
        out[row["model"]] = {dst: row.get(src) for src, dst in fids.values() if dst}
    return out


def register_callbacks(app, trigger: Input, states: list[State], to_state, grid: str) -> None:
    """`trigger`: the page's view key (a new table); `to_state(*state_values)` gives the
    page's LeaderboardState; `grid`: the summary grid's id."""
    def fill(key, pending, *values):
        # the page's view key after a filter change; on a page just rendered (view key 0) the
        # state it left the statistics of (pending_store), if any
        initial = not key
        key = key or pending
        if not key:
            raise PreventUpdate
        try:
            state = to_state(*values)
            found = cells(state) if state.view == "summary" else spread.cells(state)
        except Exception:  # noqa: BLE001 - the table itself reports a failing state
            log.exception("rank intervals failed for %s", key)
            raise PreventUpdate from None
        if found is None:
            raise PreventUpdate
        if state.view != "summary":
            return {"key": key, "initial": initial, **spread.packed(found)}
        return {"key": key, "initial": initial, "cells": found}

    # initial call on: a page rendered with a pending state asks as soon as it is shown
    app.callback(Output(STORE, "data"), trigger, Input(PENDING, "data"), *states,
                 prevent_initial_call=False)(fill)
    app.clientside_callback(
        ClientsideFunction(namespace="lbIntervals", function_name="fill"),
        Output(grid, "rowData", allow_duplicate=True),
        Input(STORE, "data"), State(grid, "rowData"), State(trigger.component_id, "data"),
        prevent_initial_call=True)


# -- the plot ----------------------------------------------------------------------------------

def figure(table, selected=()) -> dict | str:
    """Each model's interval as a horizontal bar (a dot at its Rank (Borda)), models in Borda
    order top down: the selected rows, or the first PLOT_TOP. `table`: rank_intervals rows.
    A string when there is nothing to draw (the message to show instead)."""
    rows = table.to_pylist()
    if selected:
        rows = [r for r in rows if r["Model"] in set(selected)] or rows
    if not rows:
        return "No model matches the filters: nothing to plot."
    if rows[0]["rank_low"] is None:
        return "Rank intervals are off (resamples = 0)."
    shown = rows[:PLOT_TOP]
    names = [r["Model"] for r in shown]
    hover = [f"<b>{r['Model']}</b><br>Rank (Borda) {r['Rank (Borda)']}<br>95% interval "
             f"{r['rank_low']}–{r['rank_high']}<br>median {r['rank_median']:g} · P(rank 1) "
             f"{100 * r['p_rank1']:.1f}%" for r in shown]
    bars = {"type": "bar", "orientation": "h", "y": names, "name": "95% rank interval",
            "base": [r["rank_low"] - 0.4 for r in shown],
            "x": [r["rank_high"] - r["rank_low"] + 0.8 for r in shown],
            "marker": {"color": ["#1a7f4b" if r["tied_with_leader"] else "#8ab4f8"
                                 for r in shown]},
            "hovertext": hover, "hoverinfo": "text"}
    dots = {"type": "scatter", "mode": "markers", "y": names, "name": "Rank (Borda)",
            "x": [r["Rank (Borda)"] for r in shown], "hovertext": hover, "hoverinfo": "text",
            "marker": {"color": "#202124", "size": 7}}
    title = (f"95% rank intervals, {len(shown)} of {len(rows)} models in Borda order"
             " (green: tied with the leader)")
    layout = {"title": {"text": title, "font": {"size": 15}, "x": 0.01},
              "template": "plotly_white", "hovermode": "closest", "barmode": "overlay",
              "height": max(360, 90 + 16 * len(shown)),
              "margin": {"l": 60, "r": 20, "t": 50, "b": 55},
              "xaxis": {"title": {"text": "rank (1 = best)"}, "rangemode": "tozero"},
              "yaxis": {"autorange": "reversed", "automargin": True, "tickfont": {"size": 10}},
              "legend": {"orientation": "h", "y": -0.12}}
    return {"data": [bars, dots], "layout": layout}


# -- the compare page: pairwise odds -------------------------------------------------------------

def _p(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}" if value < 0.001 else f"{value:.3f}"


def pairwise_section(table, resamples: int | None = None) -> list:
    """The head-to-head card of the compare page: one row per pair of compared models
    (``Leaderboard.pairwise``, what /api/compare and mteb-lb compare give)."""
    b = settings.get("rank_resamples") if resamples is None else resamples
    head = html.Thead(html.Tr([html.Th(h) for h in (
        "Model A", "Model B", "P(A ranks above B)", "P(B ranks above A)",
        "Tasks: A wins / ties / B wins", "Sign test p")]))
    body = []
    for r in table.to_pylist():
        body.append(html.Tr([
            html.Td(r["model_a"]), html.Td(r["model_b"]),
            html.Td(_p(r["p_a_above_b"]), className="num"),
            html.Td(_p(r["p_b_above_a"]), className="num"),
            html.Td(f"{r['wins_a']} / {r['ties']} / {r['wins_b']}", className="num"),
            html.Td(_p(r["sign_test_p"]), className="num")]))
    return [
        html.H3("Head to head"),
        html.P(f"P(A ranks above B): the share of {b:,} bootstrap resamples of the tasks in "
               "which A gets more Borda points than B (the rank intervals' resamples). Wins, "
               "ties and losses count the tasks both have a score on; the sign test is exact "
               "and two-sided, ties dropped (a small p: the split is unlikely by chance).",
               className="lb-hint"),
        html.Table(id="cmp-odds", className="lb-table", children=[head, html.Tbody(body)]),
    ]
