"""Issue 15's page details without a browser: unknown paths answer 404, /changes on the first
build, NaN in the SQL console's cells, the score scales of the schema browser, the status page's
timing names. The browser tests (tests/test_browser_pages.py) check what is shown."""

from __future__ import annotations

import sys

import pytest
from dash_helpers import text_of


@pytest.fixture
def client(env, dash_app):
    return dash_app.server.test_client()


def test_unknown_paths_answer_404_with_the_app_shell(client):
    for path in ("/nope", "/model/extra", "/leaderboard", "/not_found_404"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b'id="react-entry-point"' in response.data    # the app, which draws the page
    for path in ("/", "/sql", "/compare", "/changes", "/status", "/model", "/api/health",
                 "/_dash-layout", "/assets/style.css"):
        assert client.get(path).status_code == 200, path
    assert client.post("/nope").status_code == 405          # not a page request: Flask's answer


def test_the_404_page_lists_every_page_of_the_nav(dash_app):
    from app.main import NAV

    text = text_of(sys.modules["app.pages.not_found_404"].layout())
    assert [path for _, path in NAV if f"{path} : " not in text] == []   # "<link> : what"


def test_changes_on_the_first_build(env, dash_app):
    page = sys.modules["app.pages.changes"]
    text = text_of(page.layout())
    assert "This is the first build" in text
    assert "no earlier build to compare it with" in text
    assert "Nothing changed" not in text


def test_nan_and_infinities_are_not_null(dash_app):
    sql = sys.modules["app.pages.sql"]
    nan, inf = float("nan"), float("inf")
    assert [sql._cell(v) for v in (nan, inf, -inf, None, 1.5)] == [
        "NaN", "Infinity", "-Infinity", None, 1.5]
    assert sql._cell([1.0, nan, None]) == "[1.0, NaN, null]"
    assert sql._cell({"a": -inf}) == '{"a": -Infinity}'


@pytest.mark.parametrize("description,scale", [
    ("The task's main score, 0-1 scale. NaN is kept as NaN here", "0-1"),
    ("Summary row: Mean (TaskType) (0-100).", "0-100"),
    ("Main score (0-1); NULL for a placeholder or a NaN score.", "0-1"),
    ("Share of the resamples in which the model ranks 1 (ties included).", None),
    ("Counts 0-10 of something", None),
    ("", None),
])
def test_scale_of_a_column_description(dash_app, description, scale):
    assert sys.modules["app.pages.sql"].scale_of(description) == scale


def test_timing_names_are_words(dash_app):
    status = sys.modules["app.pages.status"]
    assert status.timing_name("parse_s") == "Parsing the result files"
    assert status.timing_name("rank_intervals_s") == "Computing the rank intervals"
    assert status.timing_name("new_step_s") == "New step"
