"""The leaderboard's plots: score against size, score against release date, and the radar of
task-type means. Figures are plain plotly dicts computed from the summary table."""

from __future__ import annotations

import logging
import math
import textwrap

import pyarrow as pa

from app import grid as gridmod
from app import intervals
from mteb_lb import lbstate
from mteb_lb.rankings import RankingError, leaderboard, search_rows

log = logging.getLogger(__name__)

RADAR_EXCLUDED_TYPES = ("InstructionRetrieval", "InstructionReranking")
RADAR_TOP = 5
LABEL_POSITIONS = ("top center", "bottom center", "middle left", "top left", "bottom right")


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
    labelled = _labelled(points, metric, selected)
    if labelled:
        data.append({
            "type": "scatter", "mode": "markers+text", "name": "selected" if selected else "top 5",
            "x": [x for x, _ in labelled], "y": [r[metric] for _, r in labelled],
            "text": [r["Model"].split("/")[-1] for _, r in labelled],
            "textposition": [LABEL_POSITIONS[i % len(LABEL_POSITIONS)]
                             for i in range(len(labelled))],
            "hoverinfo": "skip", "textfont": {"size": 11},
            "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                       "line": {"width": 2, "color": "#d93025"}}})
    note = f" ({skipped} without a known size or score not shown)" if skipped else ""
    return {"data": data, "layout": _layout(
        f"{metric} vs model size{note}",
        {"type": "log", "title": {"text": "Active parameters (billions, log scale)"}},
        {"title": {"text": metric}})}


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


def radar_figure(rows: list[dict], types: list[str], title: str) -> dict:
    """One closed polygon per model over the task-type axes."""
    if len(types) < 3:
        return empty_figure("The radar needs at least 3 task types with a score for every "
                             "model shown" + (f" (only: {', '.join(types)})." if types else "."))
    palette = ["#4c8bf5", "#d93025", "#188038", "#f29900", "#a142f4", "#12b5cb"]
    data = []
    for i, r in enumerate(rows):
        values = [r[t] for t in types]
        data.append({"type": "scatterpolar", "name": r["Model"].split("/")[-1],
                     "r": values + values[:1], "theta": types + types[:1], "fill": "toself",
                     "opacity": 0.55, "line": {"color": palette[i % len(palette)]},
                     "hovertemplate": f"<b>{r['Model']}</b><br>%{{theta}}: %{{r:.2f}}"
                                      "<extra></extra>"})
    lo = min(min(r[t] for t in types) for r in rows)
    return {"data": data, "layout": {
        "title": {"text": title, "font": {"size": 15}, "x": 0.01}, "template": "plotly_white",
        "height": 520, "margin": {"l": 70, "r": 70, "t": 60, "b": 40},
        "polar": {"radialaxis": {"range": [max(0, math.floor(lo / 10) * 10 - 5), 100],
                                 "angle": 90, "tickfont": {"size": 10}}},
        "legend": {"orientation": "h", "y": -0.08}}}


def radar_rows(summary_rows: list[dict], bench, selected=()) -> tuple[list[dict], list[str], str]:
    """The radar's models (the selected ones, else the top 5 by rank) and its axes (task types
    with a score for all of them)."""
    all_types = [c for c in summary_rows[0].keys() if c in _type_columns(bench, summary_rows)] \
        if summary_rows else []
    if selected:
        rows = [r for r in summary_rows if r["Model"] in selected]
        title = "Selected models per task type"
    else:
        rows = summary_rows[:RADAR_TOP]
        title = f"Top {len(rows)} models per task type"
    types = [t for t in all_types if t not in RADAR_EXCLUDED_TYPES
             and rows and all(r.get(t) is not None for r in rows)]
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
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    try:
        summary = search_rows(lb.summary(bench.name, state.filters()), state.search)
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
        ivs = search_rows(lb.rank_intervals(bench.name, state.filters(), state.resamples,
                                            state.seed), state.search)
        fig = intervals.figure(ivs, selected)
        return empty_figure(fig) if isinstance(fig, str) else fig
    if state.plot == "radar":
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
