"""GET /api/table serves the same tables as `mteb-lb table` and the dashboard."""

from __future__ import annotations

import flask
import pytest

from app import api
from mteb_lb import db, rankings


@pytest.fixture
def client(lb, monkeypatch):
    monkeypatch.setattr(rankings, "_default", lb)
    monkeypatch.setattr(db, "_current", lb.handle)
    server = flask.Flask(__name__)
    api.register(server)
    return server.test_client()


def test_summary_equals_the_rankings_function(client, lb):
    bench = next(iter(lb.benchmarks()))
    response = client.get("/api/table", query_string={"benchmark": bench})
    assert response.status_code == 200
    body = response.get_json()
    # the summary plus its rank-interval columns (README "Rank intervals and robustness")
    expected = lb.view(rankings.LeaderboardState(benchmark=bench))
    assert expected.drop_columns(list(rankings.INTERVAL_COLUMNS)).equals(lb.summary(bench))
    assert body["columns"] == expected.column_names
    assert body["rows"] == [list(r.values()) for r in expected.to_pylist()]
    assert body["build"] == lb.build_id()


def test_filters_from_the_query_string(client, lb):
    bench = next(iter(lb.benchmarks()))
    task = lb.benchmark(bench).task_names[0]
    response = client.get("/api/table", query_string={
        "benchmark": bench, "view": "per-task", "tasks": task, "zero_shot": "allow_all"})
    assert response.status_code == 200
    expected = lb.per_task(bench, rankings.Filters(tasks=(task,)))
    assert expected.column_names == ["Model", task]
    # the per-task view carries the summary's Borda rank in front, as on the dashboard
    assert response.get_json()["columns"] == ["Rank (Borda)", "Model", task]


@pytest.mark.parametrize("query,message", [
    ({"benchmark": "nope"}, "unknown benchmark 'nope'; valid benchmarks:"),
    ({"view": "pivot"}, "'view=pivot' is not valid; valid values: summary, per-task, "
                        "per-language, tasks."),
    ({"open_weights": "maybe"}, "'open_weights=maybe' is not valid; valid values: yes, no."),
    ({"colour": "red"}, "Unknown parameter 'colour'; known parameters: benchmark, view,"),
])
def test_bad_requests_say_what_is_valid(client, query, message):
    response = client.get("/api/table", query_string=query)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
