"""The served app under concurrent requests: Dash's one-time setup (run by a process's first
request) is not raced by a second request (app/main.py ``_first_request_alone``)."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def fresh_app(env):
    from app.main import create_app

    return create_app(prewarm=False)   # its own app: the session's has run its setup already


def _paused_setup(monkeypatch):
    """Make Dash's setup stop inside ``validate_background_callbacks`` halfway through its walk
    of ``callback_map`` until a second request has been answered (or 2 s have passed), then
    finish the walk: the walk raises "dictionary changed size during iteration" if that request
    changed the map meanwhile, as seen under load."""
    from dash import _validate

    inside, second_answered = threading.Event(), threading.Event()
    original = _validate.validate_background_callbacks

    def paused(callback_map):
        values = iter(callback_map.values())
        next(values)
        inside.set()
        second_answered.wait(timeout=2)
        list(values)
        return original(callback_map)

    monkeypatch.setattr(_validate, "validate_background_callbacks", paused)
    return inside, second_answered


def test_a_request_during_dash_setup_waits_for_it(fresh_app, monkeypatch):
    inside, second_answered = _paused_setup(monkeypatch)
    answers: dict[str, int] = {}
    order: list[str] = []

    def first():
        answers["first"] = fresh_app.server.test_client().get("/_dash-dependencies").status_code
        order.append("first")

    def second():
        inside.wait(timeout=10)
        answers["second"] = fresh_app.server.test_client().get("/api/health").status_code
        order.append("second")
        second_answered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert inside.is_set()
    assert answers == {"first": 200, "second": 200}
    assert order == ["first", "second"]


def test_ready_runs_the_setup_before_any_request(fresh_app, monkeypatch):
    from dash import _validate

    from app.main import ready

    calls = []
    original = _validate.validate_background_callbacks
    monkeypatch.setattr(_validate, "validate_background_callbacks",
                        lambda m: (calls.append(len(m)), original(m))[1])
    ready(fresh_app)
    assert len(calls) == 1
    # the pages router's callback is in place: the next requests change nothing
    routing = [k for k in fresh_app.callback_map if "_pages_content" in k]
    assert routing
    before = dict(fresh_app.callback_map)
    assert fresh_app.server.test_client().get("/api/health").status_code == 200
    assert fresh_app.callback_map == before
    assert len(calls) == 1


def test_model_history_figures_are_plotlys_json_of_the_same_traces(monkeypatch):
    """model_figures builds the figures' JSON without plotly's graph objects: the same JSON as
    go.Figure with go.Scatter traces gives (template included), here built with them."""
    import datetime as dt
    import types

    import plotly.graph_objects as go

    from app import history_plots

    def day(i):
        return dt.datetime(2025, 1, 6) + dt.timedelta(days=7 * i)

    # A: ranked 3 then 2, then removed; its task t1 added at week 1 (t2's removal is no
    # change); B: ranked 1 then 2, no task rows
    rows = [dict(benchmark=b, key=k, built_at=day(i), rank=r, score=s, removed=gone)
            for b, k, i, r, s, gone in [
                ("A", "", 0, 3, 50.0, False), ("A", "", 1, 2, 51.0, False),
                ("A", "", 2, None, None, True), ("A", "t1", 1, None, 60.0, False),
                ("A", "t2", 2, None, 1.0, True),
                ("B", "", 0, 1, 70.0, False), ("B", "", 5, 2, 69.0, False)]]
    monkeypatch.setattr(history_plots.asof, "model_history", lambda build, name: rows)
    monkeypatch.setattr(history_plots, "leaderboard",
                        lambda: types.SimpleNamespace(handle=types.SimpleNamespace(build=None)))
    rank_fig, mean_fig, n = history_plots.model_figures("org/m")

    layout = dict(height=340, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                  legend={"orientation": "h", "y": -0.2})
    want_rank, want_mean = go.Figure(), go.Figure()
    for bench, dates, ranks, means in [("A", [day(0), day(1), day(2)], [3, 2, None],
                                        [50.0, 51.0, None]),
                                       ("B", [day(0), day(5)], [1, 2], [70.0, 69.0])]:
        for fig, ys in ((want_rank, ranks), (want_mean, means)):
            fig.add_trace(go.Scatter(x=dates, y=ys, name=bench, mode="lines+markers",
                                     line_shape="hv", connectgaps=False, legendgroup=bench))
        if bench == "A":   # the diamond: t1's score added at week 1, A's mean then 51
            want_mean.add_trace(go.Scatter(
                x=[day(1)], y=[51.0], mode="markers",
                marker={"symbol": "diamond-open", "size": 11}, legendgroup="A",
                name="A: results added or changed", showlegend=False,
                hovertemplate="%{x}: results added or changed<extra>A</extra>"))
    want_rank.update_yaxes(autorange="reversed", title="rank")
    want_mean.update_yaxes(title="Mean (Task)")
    for fig in (want_rank, want_mean):
        fig.update_layout(**layout)
    assert n == 2
    assert rank_fig == want_rank.to_plotly_json()
    assert mean_fig == want_mean.to_plotly_json()
