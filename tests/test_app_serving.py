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
