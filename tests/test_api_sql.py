"""app.api: POST /api/sql and GET /api/health on a bare Flask app."""

from __future__ import annotations

import json
import threading
import time

import flask
import pytest
from sqlfixture import BUILD_ID

from app import api
from mteb_lb import rankings


@pytest.fixture
def server():
    app = flask.Flask(__name__)
    api.register(app)
    return app


@pytest.fixture
def client(server):
    return server.test_client()


def strict(response):
    """The body parsed as strict JSON (a bare NaN or Infinity fails the test)."""
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True),
                      parse_constant=lambda c: pytest.fail(f"invalid JSON constant {c}"))


def test_sql_ok(sql_env, client):
    resp = client.post("/api/sql", json={
        "sql": "select name, n_parameters, open_weights from model_registry order by name"})
    assert resp.status_code == 200
    body = strict(resp)
    assert body["columns"] == [{"name": "name", "type": "VARCHAR"},
                               {"name": "n_parameters", "type": "BIGINT"},
                               {"name": "open_weights", "type": "BOOLEAN"}]
    assert body["rows"] == [["intfloat/multilingual-e5-small", 117700000, True],
                            ["org/big-de", 1200000000, True],
                            ["org/closed-de", 100000000, False],
                            ["org/small-de", 300000000, True]]
    assert body["truncated"] is False
    assert body["build"] == BUILD_ID
    assert body["elapsed_ms"] >= 0


def test_json_is_valid_for_nan_dates_and_lists(sql_env, client):
    resp = client.post("/api/sql", json={"sql": (
        "select m.value, s.languages, date '2024-01-02' as d, "
        "timestamptz '2024-01-02 03:04:05+00' as ts, 'inf'::double as inf, "
        "[1.0, 'nan'::double] as l "
        "from metrics m join scores s using (entry_id) where m.metric = 'f1'")})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "NaN" not in text and "Infinity" not in text
    assert strict(resp)["rows"] == [[None, ["eng-Latn"], "2024-01-02",
                                     "2024-01-02T03:04:05+00:00", None, [1.0, None]]]


def test_truncated_with_max_rows(sql_env, client):
    body = strict(client.post("/api/sql", json={"sql": "select * from range(10)",
                                                 "max_rows": 3}))
    assert body["rows"] == [[0], [1], [2]] and body["truncated"] is True


def test_max_rows_cannot_exceed_the_setting(sql_env, client, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "5")
    body = strict(client.post("/api/sql", json={"sql": "select * from range(100)",
                                                 "max_rows": 1000}))
    assert len(body["rows"]) == 5 and body["truncated"] is True


def test_csv_format(sql_env, client):
    resp = client.post("/api/sql?format=csv", json={
        "sql": "select task_name, subset, main_score, languages from scores "
               "where model_name = 'org/small-de' order by entry_id"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["X-Truncated"] == "false"
    assert resp.get_data(as_text=True) == (
        "task_name,subset,main_score,languages\n"
        "GermanQuAD-Retrieval,default,0.6,\"[\"\"deu-Latn\"\"]\"\n"
        "XMarket,de,0.3,\"[\"\"deu-Latn\"\"]\"\n"
        "XMarket,en,0.4,\"[\"\"eng-Latn\"\"]\"\n")


def test_csv_is_row_capped(sql_env, client):
    resp = client.post("/api/sql?format=csv", json={"sql": "select * from range(10)",
                                                     "max_rows": 4})
    assert resp.headers["X-Truncated"] == "true"
    assert resp.get_data(as_text=True).splitlines() == ["range", "0", "1", "2", "3"]


@pytest.mark.parametrize("sql, kind, message", [
    ("drop table scores", "rejected", "DROP statements are not allowed"),
    ("select 1; select 2", "rejected", "only one SELECT statement per request; found 2"),
    ("select * from read_csv('/etc/passwd')", "rejected", "may not read '/etc/passwd'"),
    ("select current_setting('threads')", "rejected", "current_setting() is not allowed"),
    ("select * from nope", "runtime", "Table with name nope does not exist"),
])
def test_errors_are_400(sql_env, client, sql, kind, message):
    resp = client.post("/api/sql", json={"sql": sql})
    assert resp.status_code == 400
    body = strict(resp)
    assert body["kind"] == kind and message in body["error"]
    assert set(body) == {"error", "kind", "position"}


def test_syntax_error_position(sql_env, client):
    body = strict(client.post("/api/sql", json={"sql": "select *\nfrom scores\nwhere"}))
    assert body["kind"] == "syntax"
    assert body["position"]["line"] == 3
    assert body["position"]["column"] == 1
    assert body["position"]["offset"] == 21
    assert body["position"]["excerpt"].startswith("LINE 3: where")


def test_timeout_is_400(sql_env, client, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_TIME_LIMIT_MS", "1000")
    started = time.perf_counter()
    resp = client.post("/api/sql", json={"sql": "select sleep_ms(5000)"})
    assert time.perf_counter() - started < 2.0  # interrupted before twice its limit
    assert resp.status_code == 400
    assert strict(resp) == {"error": "query exceeded the 1 s limit", "kind": "timeout",
                            "position": None}


@pytest.mark.parametrize("kwargs", [
    {"data": "not json", "content_type": "application/json"},
    {"json": ["select 1"]},
    {"json": {"query": "select 1"}},
    {"json": {"sql": 42}},
    {"json": {"sql": "select 1", "max_rows": -1}},
    {"json": {"sql": "select 1", "max_rows": "10"}},
])
def test_bad_requests_are_400(sql_env, client, kwargs):
    resp = client.post("/api/sql", **kwargs)
    assert resp.status_code == 400
    assert strict(resp)["kind"] == "rejected"


@pytest.mark.parametrize("kwargs", [
    {"data": json.dumps({"sql": "select 1 as one"})},                      # no content type
    {"data": {"sql": "select 1 as one"}},                                  # a plain form post
    {"data": json.dumps({"sql": "select 1"}), "content_type": "text/plain"},
])
def test_only_json_bodies_are_accepted(sql_env, client, kwargs):
    resp = client.post("/api/sql", **kwargs)
    assert resp.status_code == 415
    body = strict(resp)
    assert body["kind"] == "rejected" and "application/json" in body["error"]


def test_unknown_format_is_400(sql_env, client):
    resp = client.post("/api/sql?format=xml", json={"sql": "select 1"})
    assert resp.status_code == 400


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_405_in_json(sql_env, client, method):
    resp = getattr(client, method)("/api/sql")
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]
    body = strict(resp)
    assert body["kind"] == "rejected" and "use POST" in body["error"]


def test_health(sql_env, client):
    resp = client.get("/api/health")
    assert resp.status_code == 200
    # the fixture build is made from its own queries/ (tests/sqlfixture.py), not this code's
    assert strict(resp) == {"status": "ok", "build": BUILD_ID, "source_commit": "fixture",
                            "warning": rankings.OTHER_SQL_WARNING}


def test_no_build_is_503(no_build, client):
    resp = client.get("/api/health")
    assert resp.status_code == 503 and strict(resp)["status"] == "unavailable"
    resp = client.post("/api/sql", json={"sql": "select 1"})
    assert resp.status_code == 503
    body = strict(resp)
    assert body["kind"] == "unavailable" and "mteb-lb etl" in body["error"]


def test_slow_query_does_not_block_other_requests(sql_env, server, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_TIME_LIMIT_MS", "2000")
    slow_result = {}

    def slow():
        resp = server.test_client().post("/api/sql", json={"sql": "select sleep_ms(3000)"})
        slow_result["status"] = resp.status_code
        slow_result["kind"] = strict(resp)["kind"]
        slow_result["at"] = time.perf_counter()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)  # (had the slow one not started yet, the assertions would still hold)
    resp = server.test_client().post("/api/sql", json={"sql": "select count(*) from scores"})
    quick_done = time.perf_counter()
    health = server.test_client().get("/api/health")
    assert resp.status_code == 200 and strict(resp)["rows"] == [[10]]
    assert health.status_code == 200
    assert "at" not in slow_result, "the quick request waited for the slow one"
    thread.join(10)
    assert slow_result["status"] == 400 and slow_result["kind"] == "timeout"
    assert slow_result["at"] > quick_done
