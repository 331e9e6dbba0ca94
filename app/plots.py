"""The leaderboard's plots: score against size, score against release date, and the radar of
task-type means. Figures are plain plotly dicts computed from the summary table."""

from __future__ import annotations

import logging
import math
import textwrap
from dataclasses import replace

import pyarrow as pa

from app import grid as gridmod
from app import intervals, label_layout
from mteb_lb import lbstate
from mteb_lb.rankings import RankingError, leaderboard, search_rows

log = logging.getLogger(__name__)

RADAR_EXCLUDED_TYPES = ("InstructionRetrieval", "InstructionReranking")
RADAR_TOP = 5


def primary_metric(bench, summary: pa.Table) -> str | None:
    candidates = [bench.raw.get("summary_primary_metric_column"), *bench.mean_columns]
    for c in candidates:
        if c and c in summary.column_names:
            return c
    return None


def _wrap(text: str, width: int = 64) -> str:
    """Break a long annotation into lines (plotly annotations do not wrap)."""

    return "<br>".join(textwrap.wrap(text, width)) if text else text


def empty_figure(message: str) -> dict:
    message = _wrap(message)
    return {"data": [], "layout": {
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 420,
        "template": "plotly_white", "margin": {"l": 20, "r": 20, "t": 30, "b": 20},
        "annotations": [{"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                         "showarrow": False, "font": {"size": 15, "color": "#5f6368"}}]}}


def _layout(title: str, xaxis: dict, yaxis: dict, **extra) -> dict:
    return {"title": {"text": title, "font": {"size": 15}, "x": 0.01},
            "template": "plotly_white", "height": 480, "hovermode": "closest",
            "margin": {"l": 60, "r": 20, "t": 50, "b": 55}, "xaxis": xaxis, "yaxis": yaxis,
            "legend": {"orientation": "h", "y": -0.18}, **extra}


def _hover(r: dict, metric: str) -> str:
    def p(v):
        return "Unknown" if v is None else (f"{v:.1f}B" if v >= 1 else f"{v * 1000:.0f}M")

    dims = r.get("Embedding Dimensions")
    tokens = r.get("Max Tokens")
    return (f"<b>{r['Model']}</b><br>{metric}: {r[metric]:.2f}"
            f"<br>Active params: {p(r.get('Active Parameters (B)'))}"
            f" · Total: {p(r.get('Total Parameters (B)'))}"
            f"<br>Embedding dim: {dims if dims is not None else 'Unknown'}"
            f" · Max tokens: {tokens if tokens is not None else '—'}"
            + (f"<br>Released: {r['Release Date']}" if r.get("Release Date") else ""))


def size_figure(rows: list[dict], metric: str, selected=()) -> dict:
    """Score vs parameters: log x, bubble size by embedding dimension, colour by max tokens."""
    points, skipped = [], 0
    for r in rows:
        x = r.get("Active Parameters (B)") or r.get("Total Parameters (B)")
        if r.get(metric) is None or not x or x <= 0:
            skipped += 1
            continue
        points.append((x, r))
    if not points:
        return empty_figure("No model here has both a known size and a mean score.")
    sizes = [max(6.0, math.sqrt(min(r.get("Embedding Dimensions") or 256, 4096)) * 0.42)
             for _, r in points]
    colors = [None if not r.get("Max Tokens") else
              min(max(math.log10(r["Max Tokens"]), 2), 5) for _, r in points]
    known = [i for i, c in enumerate(colors) if c is not None]
    unknown = [i for i, c in enumerate(colors) if c is None]
    data = []
    if known:
        data.append({
            "type": "scatter", "mode": "markers", "name": "models",
            "x": [points[i][0] for i in known], "y": [points[i][1][metric] for i in known],
            "text": [_hover(points[i][1], metric) for i in known], "hoverinfo": "text",
            "marker": {"size": [sizes[i] for i in known], "color": [colors[i] for i in known],
                       "colorscale": "Greens", "reversescale": True, "cmin": 2, "cmax": 5,
                       "opacity": 0.85,
                       "line": {"width": 0.6, "color": "#2f4f3f"},
                       "colorbar": {"title": {"text": "Max tokens"}, "tickvals": [2, 3, 4, 5],
                                    "ticktext": ["100", "1K", "10K", "100K"], "thickness": 12}},
            "showlegend": False})
    if unknown:
        data.append({
            "type": "scatter", "mode": "markers", "name": "max tokens unknown",
            "x": [points[i][0] for i in unknown], "y": [points[i][1][metric] for i in unknown],
            "text": [_hover(points[i][1], metric) for i in unknown], "hoverinfo": "text",
            "marker": {"size": [sizes[i] for i in unknown], "color": "#c7c9cc",
                       "line": {"width": 0.6, "color": "#6b6f75"}}})
    labelled = _labelled(points, metric, selected)[:label_layout.MAX_LABELS]
    ys = [r[metric] for _, r in points]
    pad = max((max(ys) - min(ys)) * 0.08, 1.0)
    y_range = [min(ys) - pad, max(ys) + pad]
    xs = [math.log10(x) for x, _ in points]
    x_range = [min(xs) - 0.3, max(xs) + 0.3]
    annotations = size_labels(labelled, metric, x_range, y_range)
    if labelled:
        data.append({
            "type": "scatter", "mode": "markers", "name": "selected" if selected else "top 5",
            "x": [x for x, _ in labelled], "y": [r[metric] for _, r in labelled],
            "hoverinfo": "skip", "showlegend": False,
            "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                       "line": {"width": 2, "color": "#d93025"}}})
    note = f" ({skipped} without a known size or score not shown)" if skipped else ""
    fig = {"data": data, "layout": _layout(
        f"{metric} vs model size{note}",
        {"type": "log", "title": {"text": "Active parameters (billions, log scale)"},
         "range": x_range, "automargin": False},
        {"title": {"text": metric}, "range": y_range, "automargin": False},
        annotations=annotations)}
    # fixed plot-area height (the labels are spread in its pixels): legend inside the plot
    fig["layout"].update(
        height=label_layout.PLOT_H,
        margin={"l": 60, "r": 20, "t": label_layout.MARGIN_T, "b": label_layout.MARGIN_B},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.7)"})
    return fig


def size_labels(labelled, metric: str, x_range, y_range) -> list[dict]:
    """One annotation per labelled model: beside its point (right of it, or left in the right
    third of the plot), moved up or down so that no two labels overlap (app/label_layout.py)."""
    if not labelled:
        return []
    height = label_layout.AREA_H
    span = (y_range[1] - y_range[0]) or 1.0
    points_px = [(y_range[1] - r[metric]) / span * height for _, r in labelled]
    labels_px = label_layout.spread(points_px, height)
    out = []
    for (x, r), point, label in zip(labelled, points_px, labels_px):
        lx = math.log10(x)
        right_side = (lx - x_range[0]) / ((x_range[1] - x_range[0]) or 1.0) > 0.66
        out.append({
            "x": lx, "y": r[metric], "xref": "x", "yref": "y",
            "text": r["Model"].split("/")[-1], "showarrow": True, "arrowhead": 0,
            "arrowwidth": 1, "arrowcolor": "#d93025", "standoff": 7,
            "ax": -34 if right_side else 34, "ay": label - point,
            "xanchor": "right" if right_side else "left", "yanchor": "middle",
            "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.85)", "borderpad": 1})
    return out


def _labelled(points, metric, selected):
    if selected:
        return [(x, r) for x, r in points if r["Model"] in selected]
    best = sorted(points, key=lambda p: -p[1][metric])[:RADAR_TOP]
    return best


def time_figure(rows: list[dict], metric: str, selected=()) -> dict:
    """Score vs release date, with the best-so-far frontier as a step line."""
    points = sorted(((r["Release Date"], r) for r in rows
                     if r.get(metric) is not None and r.get("Release Date")),
                    key=lambda p: p[0])
    skipped = sum(1 for r in rows if r.get(metric) is not None) - len(points)
    if not points:
        return empty_figure("No model here has both a release date and a mean score.")
    frontier_x, frontier_y, frontier_t, best = [], [], [], -math.inf
    for date, r in points:
        if r[metric] > best:
            best = r[metric]
            frontier_x.append(date)
            frontier_y.append(best)
            frontier_t.append(f"<b>{r['Model']}</b><br>new best: {best:.2f}<br>{date}")
    frontier_x.append(points[-1][0])
    frontier_y.append(best)
    frontier_t.append(f"best so far: {best:.2f}")
    data = [
        {"type": "scatter", "mode": "markers", "name": "models", "x": [d for d, _ in points],
         "y": [r[metric] for _, r in points], "text": [_hover(r, metric) for _, r in points],
         "hoverinfo": "text", "marker": {"size": 8, "color": "#4c8bf5", "opacity": 0.7,
                                         "line": {"width": 0.5, "color": "#1a4a9c"}}},
        {"type": "scatter", "mode": "lines+markers", "name": "best so far",
         "x": frontier_x, "y": frontier_y, "text": frontier_t, "hoverinfo": "text",
         "line": {"shape": "hv", "color": "#d93025", "width": 2}, "marker": {"size": 5}},
    ]
    chosen = [(d, r) for d, r in points if r["Model"] in selected]
    if chosen:
        data.append({"type": "scatter", "mode": "markers+text", "name": "selected",
                     "x": [d for d, _ in chosen], "y": [r[metric] for _, r in chosen],
                     "text": [r["Model"].split("/")[-1] for _, r in chosen],
                     "textposition": "top center", "hoverinfo": "skip",
                     "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                                "line": {"width": 2, "color": "#d93025"}}})
    note = f" ({skipped} without a release date not shown)" if skipped else ""
    return {"data": data, "layout": _layout(
        f"{metric} over time{note}", {"type": "date", "title": {"text": "Release date"}},
        {"title": {"text": metric}})}


RADAR_MISSING = ("× marks a task type on which the model has no complete result (its mean is "
                 "blank, as on the official leaderboard)")


def radar_figure(rows: list[dict], types: list[str], title: str) -> dict:
    """One closed polygon per model over every task-type axis; a type a model has no mean on
    is drawn at the centre with a ×, and the title says what the × means."""
    if len(types) < 3:
        return empty_figure(radar_too_few(types))
    palette = ["#4c8bf5", "#d93025", "#188038", "#f29900", "#a142f4", "#12b5cb"]
    present = [r[t] for r in rows for t in types if r.get(t) is not None]
    lo = max(0, math.floor(min(present or [0]) / 10) * 10 - 5)
    data, any_missing = [], False
    for i, r in enumerate(rows):
        missing = [r.get(t) is None for t in types]
        any_missing = any_missing or any(missing)
        values = [lo if m else r[t] for t, m in zip(types, missing)]
        hover = [f"<b>{r['Model']}</b><br>{t}: "
                 + ("missing (no complete result on its tasks)" if m else f"{r[t]:.2f}")
                 for t, m in zip(types, missing)]
        symbols = ["x" if m else "circle" for m in missing]
        data.append({"type": "scatterpolar", "mode": "lines+markers",
                     "name": r["Model"].split("/")[-1],
                     "r": values + values[:1], "theta": types + types[:1], "fill": "toself",
                     "opacity": 0.55, "line": {"color": palette[i % len(palette)]},
                     "marker": {"symbol": symbols + symbols[:1],
                                "size": [11 if m else 5 for m in missing + missing[:1]]},
                     "text": hover + hover[:1], "hovertemplate": "%{text}<extra></extra>"})
    text = title + (f"<br><sup>{RADAR_MISSING}</sup>" if any_missing else "")
    return {"data": data, "layout": {
        "title": {"text": text, "font": {"size": 15}, "x": 0.01}, "template": "plotly_white",
        "height": 520, "margin": {"l": 70, "r": 70, "t": 70, "b": 40},
        "polar": {"radialaxis": {"range": [lo, 100], "angle": 90, "tickfont": {"size": 10}}},
        "legend": {"orientation": "h", "y": -0.08}}}


def radar_too_few(types: list[str]) -> str:
    return ("The radar needs at least 3 task types" + (f"; this view has only "
            f"{', '.join(types)}." if types else "; this view has none."))


def radar_rows(summary_rows: list[dict], bench, selected=()) -> tuple[list[dict], list[str], str]:
    """The radar's models (the selected ones, else the top 5 by rank) and its axes: every task
    type of the view (a model without a mean on one is marked on that axis)."""
    all_types = [c for c in summary_rows[0].keys() if c in _type_columns(bench, summary_rows)] \
        if summary_rows else []
    if selected:
        rows = [r for r in summary_rows if r["Model"] in selected]
        title = "Selected models per task type"
    else:
        rows = summary_rows[:RADAR_TOP]
        title = f"Top {len(rows)} models per task type"
    types = [t for t in all_types if t not in RADAR_EXCLUDED_TYPES]
    return rows, types, title


def _type_columns(bench, summary_rows) -> set[str]:
    if "task_types" not in bench.aggregations or not summary_rows:
        return set()
    known = set(gridmod.META_TOOLTIPS) | {"Model", "Release Date", "Zero-shot",
                                         "Active Parameters (B)", "Total Parameters (B)",
                                         "Embedding Dimensions", "Max Tokens"}
    return {c for c in summary_rows[0] if c not in known and not c.startswith("Rank")
            and not c.startswith("Mean")}


def plot_figure(state: lbstate.LeaderboardState) -> dict:
    """The plot of `state`; with `as_of`, of that date's table: a backfilled date's plots are
    computed from its past results like today's, a date of the builds' history (its default
    board only) plots the as-of summary's columns (no radar, no rank intervals)."""
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    try:
        board = lb.as_of_board(state) if state.as_of else lb
        if board is None:     # the builds' history: the as-of summary itself
            summary = lb.view(replace(state, view="summary", sort=None), intervals="none")
        else:
            summary = search_rows(board.summary(bench.name, state.filters()), state.search)
    except RankingError as exc:
        return empty_figure(str(exc))
    except Exception as exc:
        log.exception("plot failed")
        return empty_figure(f"The plot could not be computed ({type(exc).__name__}).")
    if summary.num_rows == 0:
        return empty_figure("No model matches the filters: nothing to plot.")
    rows = summary.to_pylist()
    selected = set(state.selected)
    if state.plot == "intervals":
        if board is None:
            return empty_figure(f"Rank intervals are not recorded for {state.as_of}: the "
                                "builds' history holds the default board's ranks only.")
        ivs = search_rows(board.rank_intervals(bench.name, state.filters(), state.resamples,
                                            state.seed), state.search)
        fig = intervals.figure(ivs, selected)
        return empty_figure(fig) if isinstance(fig, str) else fig
    if state.plot == "radar":
        if board is None:
            return empty_figure(f"Task-type means are not recorded for {state.as_of}: the "
                                "builds' history holds the default board's means only.")
        chosen, types, title = radar_rows(rows, bench, selected)
        if selected and not chosen:
            return empty_figure("None of the selected models is in the filtered table.")
        if not _type_columns(bench, rows):
            return empty_figure("This benchmark has no per-task-type scores.")
        return radar_figure(chosen, types, title)
    metric = primary_metric(bench, summary)
    if metric is None:
        return empty_figure("This benchmark has no mean score to plot.")
    if state.plot == "time":
        return time_figure(rows, metric, selected)
    return size_figure(rows, metric, selected)
