"""Every task unticked is a linkable state: ``tasks=none`` (mteb_lb/lbstate.py, the tasks
field's ``none_value``) reads back as "no task is left" on /api/table, `mteb-lb table` and the
page (the page's browser test is in tests/test_browser_walk_gaps.py)."""

from __future__ import annotations

import flask
import pytest

from app import api
from mteb_lb import cli, db, rankings
from mteb_lb import lbstate as st

TINY = "Tiny(v1)"


def test_an_empty_task_selection_encodes_as_none_and_reads_back_empty():
    state = st.LeaderboardState(benchmark=TINY, tasks=())
    assert st.encode(state) == "?benchmark=Tiny%28v1%29&tasks=none"
    assert st.decode("?benchmark=Tiny%28v1%29&tasks=none") == (state, [])
    # an empty value still means every task (old links, a cleared search box)
    assert st.decode("?tasks=")[0].tasks is None
    assert st.decode("?tasks=none&tasks=none") == (st.LeaderboardState(tasks=()), [])


def test_none_with_task_names_keeps_the_names_and_says_so():
    state, problems = st.decode("?tasks=none,TinySTS")
    assert state.tasks == ("TinySTS",)
    assert problems == ["'tasks' lists 'none' (none selected) with names; 'none' was "
                        "ignored."]


@pytest.fixture
def client(lb, monkeypatch):
    monkeypatch.setattr(rankings, "_default", lb)
    monkeypatch.setattr(db, "_current", lb.handle)
    server = flask.Flask(__name__)
    api.register(server)
    return server.test_client()


def test_api_tasks_none_is_an_empty_table(client, lb):
    bench = next(iter(lb.benchmarks()))
    everything = client.get("/api/table", query_string={"benchmark": bench})
    response = client.get("/api/table", query_string={"benchmark": bench, "tasks": "none"})
    assert (everything.status_code, response.status_code) == (200, 200)
    assert everything.get_json()["rows"]            # the fixture has rows when all are ticked
    assert response.get_json()["rows"] == []


def test_cli_tasks_none_is_an_empty_table(env, capsys):
    code = cli.main(["table", "--benchmark", TINY, "--tasks", "none", "--format", "json"])
    out, err = capsys.readouterr()
    assert (code, out.strip()) == (0, "[]")
    assert err == ("note: the table is empty: no task is left: --tasks none, or the task "
                   "filters exclude every task of Tiny(v1).\n")


def test_cli_says_why_a_table_is_empty(env, capsys):
    code = cli.main(["table", "--benchmark", TINY, "--search", "no-such-model", "--format",
                     "csv"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("Rank (Borda),Model,") and len(out.splitlines()) == 1
    assert err == "note: the table is empty: no model matches these filters.\n"
    # a table with rows says nothing
    assert cli.main(["table", "--benchmark", TINY, "--format", "csv"]) == 0
    assert capsys.readouterr().err == ""
