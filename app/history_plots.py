"""Plots of the leaderboard through time (mteb_lb/asof.py: the backfilled history and the
builds' own): a model's rank and mean per benchmark as step plots, with the dates its results
were added or changed; a benchmark's leader and number of models per snapshot."""

from __future__ import annotations

import plotly.graph_objects as go

from mteb_lb import asof
from mteb_lb.rankings import leaderboard


def _steps(rows: list[dict]) -> tuple[list, list, list]:
    """(dates, ranks, means) of a delta-encoded series; a removal is a gap (None)."""
    dates, ranks, means = [], [], []
    for r in rows:
        dates.append(r["built_at"])
        ranks.append(None if r["removed"] else r["rank"])
        means.append(None if r["removed"] else r["score"])
    return dates, ranks, means


def model_figures(name: str) -> tuple[dict, dict, int]:
    """(rank over time, Mean (Task) over time, number of benchmarks) for one model: one step
    line per benchmark, and a marker at each date a task score of it was added or changed.

    The figures are plain dicts, the JSON plotly.py's ``go.Figure`` of the same traces gives
    (its default template included: the same look), built without ``graph_objects``: its
    validation of ~50 traces per figure took ~90 ms of CPU per model page, a cached page
    included (docs/PERFORMANCE.md §Seventh pass: the served app)."""
    rows = asof.model_history(leaderboard().handle.build, name)
    rank_data, mean_data = [], []
    benches = sorted({r["benchmark"] for r in rows if r["key"] == ""})
    for bench in benches:
        summary = [r for r in rows if r["benchmark"] == bench and r["key"] == ""]
        dates, ranks, means = _steps(summary)
        for data, values in ((rank_data, ranks), (mean_data, means)):
            data.append({"type": "scatter", "x": dates, "y": values, "name": bench,
                         "mode": "lines+markers", "line": {"shape": "hv"},
                         "connectgaps": False, "legendgroup": bench})
        changed = sorted({r["built_at"] for r in rows
                          if r["benchmark"] == bench and r["key"] and not r["removed"]})
        if changed:
            at = {d: m for d, m in zip(dates, means)}
            mean_data.append({
                "type": "scatter", "x": changed, "y": [_value_at(at, d) for d in changed],
                "mode": "markers", "marker": {"symbol": "diamond-open", "size": 11},
                "legendgroup": bench, "name": f"{bench}: results added or changed",
                "showlegend": False,
                "hovertemplate": "%{x}: results added or changed<extra>" + bench + "</extra>"})
    return (_figure(rank_data, {"autorange": "reversed", "title": {"text": "rank"}}),
            _figure(mean_data, {"title": {"text": "Mean (Task)"}}), len(benches))


_TEMPLATE: list = []


def _figure(data: list[dict], yaxis: dict) -> dict:
    """A figure as ``go.Figure(data).to_plotly_json()`` gives it, with the history plots'
    layout."""
    if not _TEMPLATE:   # plotly.py's default template, as go.Figure() embeds it (read once)
        import plotly.io as pio

        _TEMPLATE.append(pio.templates[pio.templates.default].to_plotly_json())
    return {"data": data, "layout": {
        "template": _TEMPLATE[0], "yaxis": yaxis, "height": 340,
        "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
        "legend": {"orientation": "h", "y": -0.2}}}


def _value_at(series: dict, when):
    before = [d for d in series if d <= when]
    return series[max(before)] if before else None


def benchmark_figure(benchmark: str) -> tuple[go.Figure, list[dict]]:
    """(number of models and the leader's Mean (Task) over time, the rows: date, models,
    leader) of one benchmark."""
    rows = asof.benchmark_history(leaderboard().handle.build, benchmark)
    fig = go.Figure()
    dates = [r["built_at"] for r in rows]
    fig.add_trace(go.Scatter(x=dates, y=[r["n_models"] for r in rows], name="models",
                             line_shape="hv", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=dates, y=[r["leader_score"] for r in rows], yaxis="y2",
                             name="leader's Mean (Task)", line_shape="hv", mode="lines+markers",
                             text=[r["leader"] for r in rows],
                             hovertemplate="%{x}: %{text} (%{y:.2f})<extra></extra>"))
    fig.update_layout(height=320, margin={"l": 50, "r": 50, "t": 10, "b": 40},
                      yaxis={"title": "models"},
                      yaxis2={"title": "leader's Mean (Task)", "overlaying": "y",
                              "side": "right"},
                      legend={"orientation": "h", "y": -0.2})
    return fig, rows
