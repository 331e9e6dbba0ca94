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


def model_figures(name: str) -> tuple[go.Figure, go.Figure, int]:
    """(rank over time, Mean (Task) over time, number of benchmarks) for one model: one step
    line per benchmark, and a marker at each date a task score of it was added or changed."""
    rows = asof.model_history(leaderboard().handle.build, name)
    rank_fig, mean_fig = go.Figure(), go.Figure()
    benches = sorted({r["benchmark"] for r in rows if r["key"] == ""})
    for bench in benches:
        summary = [r for r in rows if r["benchmark"] == bench and r["key"] == ""]
        dates, ranks, means = _steps(summary)
        for fig, values in ((rank_fig, ranks), (mean_fig, means)):
            fig.add_trace(go.Scatter(x=dates, y=values, name=bench, mode="lines+markers",
                                     line_shape="hv", connectgaps=False, legendgroup=bench))
        changed = sorted({r["built_at"] for r in rows
                          if r["benchmark"] == bench and r["key"] and not r["removed"]})
        if changed:
            at = {d: m for d, m in zip(dates, means)}
            mean_fig.add_trace(go.Scatter(
                x=changed, y=[_value_at(at, d) for d in changed], mode="markers",
                marker={"symbol": "diamond-open", "size": 11}, legendgroup=bench,
                name=f"{bench}: results added or changed", showlegend=False,
                hovertemplate="%{x}: results added or changed<extra>" + bench + "</extra>"))
    rank_fig.update_yaxes(autorange="reversed", title="rank")
    mean_fig.update_yaxes(title="Mean (Task)")
    for fig in (rank_fig, mean_fig):
        fig.update_layout(height=340, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                          legend={"orientation": "h", "y": -0.2})
    return rank_fig, mean_fig, len(benches)


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
