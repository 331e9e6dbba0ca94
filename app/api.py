"""The HTTP API on the Dash app's Flask server: ad-hoc SQL and a health check.

``POST /api/sql`` with JSON ``{"sql": "...", "max_rows": N (optional, capped by the
sql_max_rows setting)}``:

* 200 ``{"columns": [{"name", "type"}], "rows": [[...]], "truncated": bool, "elapsed_ms": x,
  "build": id}``; with ``?format=csv`` the same (row-capped) result as ``text/csv``, with an
  ``X-Truncated`` header;
* 400 ``{"error": "...", "kind": "rejected|syntax|timeout|permission|runtime", "position":
  {"offset", "line", "column", "excerpt"} | null}``;
* 503 ``{"error": "...", "kind": "unavailable"}`` when no build is published.

``GET /api/table?benchmark=B&view=summary|per-task|per-language|tasks&<state>``: a
leaderboard table as ``{"columns": [...], "rows": [[...]], "build": id}``, or ``format=csv`` /
``format=parquet`` (the state's parameters are the dashboard URL's, ``mteb_lb.lbstate``; lists
repeat or take commas; scores unrounded on the 0-100 scale); 400 naming every parameter or value
that is not understood, with the valid ones.

``GET /api/health``: 200 ``{"status": "ok", "build": id, "source_commit": ...}`` or 503.

The JSON is strict (NaN and infinities become null, dates ISO strings, lists stay lists).
Nothing here holds a lock while a query runs: each request gets its own cursor and time limit,
so a slow query does not hold up the others (run the server threaded, or gunicorn with threads).
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

from mteb_lb import lbstate, output, rankings, safe_sql, settings, warehouse


def register(server: Flask) -> None:
    server.add_url_rule("/api/sql", "api_sql", sql_endpoint, methods=["POST"])
    server.add_url_rule("/api/health", "api_health", health_endpoint, methods=["GET"])
    server.add_url_rule("/api/table", "api_table", table_endpoint, methods=["GET"])


def _json(body: dict, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    return Response(text, status=status, mimetype="application/json")


def _error(message: str, kind: str, status: int = 400) -> Response:
    return _json({"error": message, "kind": kind, "position": None}, status)


def sql_endpoint() -> Response:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
        return _error('send a JSON body {"sql": "SELECT ..."}', "rejected")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        return _error(f"unknown format {fmt!r}: use json or csv", "rejected")
    cap = settings.get("sql_max_rows")
    max_rows = body.get("max_rows", cap)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0:
        return _error("max_rows must be a non-negative integer", "rejected")
    try:
        result = safe_sql.run(body["sql"], max_rows=min(max_rows, cap))
    except safe_sql.SqlError as exc:
        return _json(exc.to_dict(), 400)
    except warehouse.WarehouseError as exc:
        return _error(str(exc), "unavailable", 503)
    if fmt == "csv":
        return Response(result.to_csv(), mimetype="text/csv", headers={
            "X-Truncated": "true" if result.truncated else "false",
            "Content-Disposition": 'attachment; filename="query.csv"',
        })
    payload = result.to_dict()
    payload["build"] = result.build
    return _json(payload)


def health_endpoint() -> Response:
    try:
        build = warehouse.current_build()
        manifest = warehouse.read_manifest(build)
    except (warehouse.WarehouseError, OSError, ValueError) as exc:
        return _json({"status": "unavailable", "error": str(exc)}, 503)
    return _json({"status": "ok", "build": build.name,
                  "source_commit": manifest.get("source_commit")})


TABLE_FORMATS = ("json", "csv", "parquet")


def table_endpoint() -> Response:
    params = request.args.to_dict(flat=False)
    fmt = (params.pop("format", None) or ["json"])[-1]
    if fmt not in TABLE_FORMATS:
        return _error(f"unknown format {fmt!r}: use json, csv or parquet", "rejected")
    state, problems = lbstate.decode(params)
    board = rankings.leaderboard()
    try:
        if not problems:
            state, problems = board.resolve(state)
        if problems:
            return _error(" ".join(problems), "rejected")
        table = board.view(state)
    except rankings.RankingError as exc:
        return _error(str(exc), "rejected")
    except warehouse.WarehouseError as exc:
        return _error(str(exc), "unavailable", 503)
    if fmt != "json":
        name = f"leaderboard.{fmt}"
        return Response(output.to_bytes(table, fmt),
                        mimetype="text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    rows = [[_finite(v) for v in row.values()] for row in table.to_pylist()]
    return _json({"columns": table.column_names, "rows": rows, "build": board.build_id()})


def _finite(value):
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value
