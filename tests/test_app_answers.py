"""A menu board's page answered from the worker's kept answers (app/answers.py): the same bytes
as a fresh render of the same request, never across builds, and only for states whose page
depends on nothing but the build (a filtered state's first render depends on the caches).

The routing request is the one the browser sends when a page opens (POST
/_dash-update-component for ``_pages_content``), through Flask's test client on the app
warehouse (tests/warehouses.py)."""

from __future__ import annotations

import json
import sys
import urllib.parse

import pytest
from warehouses import DEFAULT

ROUTE = "/_dash-update-component"


@pytest.fixture
def served(dash_app, env, monkeypatch):
    """(test client, kept answers emptied, the list of states the page rendered)."""
    page = sys.modules["app.pages.leaderboard"]
    rendered = []
    build_body = page.build_body

    def counting(state, *args, **kwargs):
        rendered.append(state)
        return build_body(state, *args, **kwargs)

    monkeypatch.setattr(page, "build_body", counting)
    answers = dash_app.server.extensions["mteb_lb_answers"]
    answers.clear()
    yield dash_app.server.test_client(), answers, rendered
    answers.clear()


def routing(client, query: dict) -> bytes:
    deps = json.loads(client.get("/_dash-dependencies").data)
    output = next(d["output"] for d in deps if "_pages_content.children" in d["output"])
    search = "?" + urllib.parse.urlencode(query)
    body = {"output": output,
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    response = client.post(ROUTE, json=body)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.data


def test_a_kept_board_answer_is_the_bytes_of_a_fresh_render(served):
    client, answers, rendered = served
    first = routing(client, {"benchmark": DEFAULT})
    assert DEFAULT in first.decode() and len(rendered) == 1
    kept = routing(client, {"benchmark": DEFAULT})
    assert len(rendered) == 1             # answered without rendering the page again
    answers.clear()
    fresh = routing(client, {"benchmark": DEFAULT})
    assert len(rendered) == 2             # rendered again
    assert kept == fresh == first


def test_another_query_is_another_answer(served):
    client, _, rendered = served
    summary = routing(client, {"benchmark": DEFAULT})
    per_task = routing(client, {"benchmark": DEFAULT, "view": "per-task"})
    assert len(rendered) == 2 and per_task != summary
    assert [s.view for s in rendered] == ["summary", "per-task"]
    assert routing(client, {"benchmark": DEFAULT, "view": "per-task"}) == per_task
    assert len(rendered) == 2


def test_a_filtered_state_is_rendered_each_time(served):
    # its first render leaves the rank intervals to a second request unless they are cached:
    # the answer depends on the worker's caches, not only on the build
    client, _, rendered = served
    query = {"benchmark": DEFAULT, "max_params_b": "1"}
    routing(client, query)
    routing(client, query)
    assert len(rendered) == 2


def test_a_published_build_is_not_answered_from_the_previous_one(served, lb, monkeypatch):
    client, _, rendered = served
    before = routing(client, {"benchmark": DEFAULT})
    # another build becomes current (the ranking warehouse: DEFAULT is not one of its boards)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(lb.handle.build.parent.parent))
    after = routing(client, {"benchmark": DEFAULT})
    assert "Unknown benchmark" in after.decode() and "Unknown benchmark" not in before.decode()
    assert len(rendered) == 1             # the unknown benchmark's page has no body


def test_no_build_keeps_nothing(served, no_build):
    client, answers, _ = served
    routing(client, {"benchmark": DEFAULT})
    routing(client, {"benchmark": DEFAULT})
    assert len(answers) == 0
