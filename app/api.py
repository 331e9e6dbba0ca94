"""The HTTP API on the Dash app's Flask server: ad-hoc SQL and a health check.

``POST /api/sql`` with JSON ``{"sql": "...", "max_rows": N (optional, capped by the
sql_max_rows setting)}``:

* 200 ``{"columns": [{"name", "type"}], "rows": [[...]], "truncated": bool, "elapsed_ms": x,
  "build": id}`` (plus ``"truncated_by": "rows" | "bytes"`` when truncated: the row cap or the
  sql_max_bytes cap); with ``?format=csv`` the same (capped) result as ``text/csv``, with
  ``X-Truncated`` (and ``X-Truncated-By``) headers and formula cells neutralised;
* 400 ``{"error": "...", "kind": "rejected|syntax|timeout|permission|runtime", "position":
  {"offset", "line", "column", "excerpt"} | null}``;
* 503 ``{"error": "...", "kind": "unavailable"}`` when no build is published, or
  ``"kind": "damaged"`` when the current build is damaged (its database or Parquet unreadable);
* 413 when the body is larger than the ``max_request_bytes`` setting, 415 unless the body is
  ``application/json`` (so a form on another site cannot fire queries), 405 (JSON) for any
  method but POST. A body that is not JSON, or nested too deeply to parse, is a 400.

``GET /api/table?benchmark=B&view=summary|per-task|per-language|tasks&<state>``: a
leaderboard table as ``{"columns": [...], "rows": [[...]], "build": id}``, or ``format=csv`` /
``format=parquet`` (the state's parameters are the dashboard URL's, ``mteb_lb.lbstate``; lists
repeat or take commas; scores unrounded on the 0-100 scale); 400 naming every parameter or value
that is not understood, with the valid ones.

``GET /api/compare?benchmark=B&model=A&model=C&<state>``: 2-4 models head to head on the
state's table (``Leaderboard.pairwise``, what ``mteb-lb compare`` prints): one row per pair,
P(A above B) over the rank intervals' resamples (``resamples``, ``seed``), per-task wins / ties /
losses and the exact sign test; the same formats and errors as ``/api/table``.

``GET /api/robustness?benchmark=B&part=ranks|kendall|friedman|nemenyi&<state>``: the
robustness view of the state's table (``Leaderboard.robustness_table``, what
``mteb-lb robustness`` prints): ``ranks`` (default) per model its rank under Borda, Mean (Task)
and Mean (TaskType), its leave-one-task-out range and whether it has every task; ``kendall``
tau-b between the rankings; ``friedman`` the Friedman test and critical difference;
``nemenyi`` mean ranks and post-hoc p-values; the same formats and errors as ``/api/table``.

``GET /api/health``: 200 ``{"status": "ok", "build": id, "source_commit": ...}`` (plus a
``warning`` when the build was made by another version's SQL: rerun ``mteb-lb etl``), or 503
``{"status": "unavailable" | "damaged", "error": reason}``.

The JSON is strict (NaN and infinities become null, dates ISO strings, lists stay lists).
Nothing here holds a lock while a query runs: each request gets its own cursor and time limit,
so a slow query does not hold up the others (run the server threaded, or gunicorn with threads).
"""

from __future__ import annotations

import json
import time

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mteb_lb import output, rankings, safe_sql, settings, warehouse


def register(server: Flask) -> None:
    server.add_url_rule("/api/sql", "api_sql", sql_endpoint, methods=["POST"])
    # Explicitly, so the dashboard's catch-all page route does not answer GET /api/sql.
    server.add_url_rule("/api/sql", "api_sql_other_methods", _post_only,
                        methods=["GET", "PUT", "PATCH", "DELETE"])
    server.add_url_rule("/api/health", "api_health", health_endpoint, methods=["GET"])
    server.add_url_rule("/api/table", "api_table", table_endpoint, methods=["GET"])
    server.add_url_rule("/api/compare", "api_compare", compare_endpoint, methods=["GET"])
    server.add_url_rule("/api/robustness", "api_robustness", robustness_endpoint,
                        methods=["GET"])
    # Every request body is capped (Werkzeug answers 413 past it), the dashboard's too.
    server.config["MAX_CONTENT_LENGTH"] = int(settings.get("max_request_bytes"))
    server.register_error_handler(405, _api_http_error)
    server.register_error_handler(413, _api_http_error)


def _api_http_error(exc: HTTPException):
    """405 and 413 as JSON under /api/ (the dashboard's pages keep Werkzeug's HTML)."""
    if not request.path.startswith("/api/"):
        return exc
    if exc.code == 413:
        message = (f"the request body is larger than {settings.get('max_request_bytes'):,} "
                   "bytes (the max_request_bytes setting)")
    else:
        allowed = ", ".join(sorted(m for m in (exc.valid_methods or []) if m not in (
            "HEAD", "OPTIONS"))) or "GET"
        message = f"{request.method} is not allowed here; use {allowed}"
    response = _error(message, "rejected", exc.code)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _post_only() -> Response:
    response = _error(f"{request.method} is not allowed here; use POST with a JSON body "
                      '{"sql": "SELECT ..."}', "rejected", 405)
    response.headers["Allow"] = "POST"
    return response


def _json(body: dict, status: int = 200) -> Response:
    try:
        text = json.dumps(body, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (echoed from the request): escape it
        text = json.dumps(body, ensure_ascii=True, allow_nan=False)
    return Response(text, status=status, mimetype="application/json")


def _error(message: str, kind: str, status: int = 400) -> Response:
    return _json({"error": message, "kind": kind, "position": None}, status)


def _json_body():
    """The request's JSON body, or an error Response (415, 413, 400)."""
    if request.mimetype != "application/json":
        return _error('send the query as JSON (Content-Type: application/json) in a body '
                      '{"sql": "SELECT ..."}', "rejected", 415)
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge as exc:
        return _api_http_error(exc)
    try:
        return json.loads(raw)
    except RecursionError:
        return _error("the JSON body is nested too deeply", "rejected")
    except ValueError as exc:  # includes UnicodeDecodeError
        return _error(f"the body is not valid JSON ({exc})", "rejected")


def sql_endpoint() -> Response:
    body = _json_body()
    if isinstance(body, Response):
        return body
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
        return _error(str(exc), _unavailable_kind(exc), 503)
    if fmt == "csv":
        return Response(result.to_csv(), mimetype="text/csv", headers={
            "X-Truncated": "true" if result.truncated else "false",
            **({"X-Truncated-By": result.truncated_by} if result.truncated_by else {}),
            "Content-Disposition": 'attachment; filename="query.csv"',
        })
    payload = result.to_dict()
    payload["build"] = result.build
    return _json(payload)


def _unavailable_kind(exc: Exception) -> str:
    return "damaged" if isinstance(exc, warehouse.DamagedBuildError) else "unavailable"


HEALTH_CHECK_TTL_S = 10.0   # how long a build's check_build verdict is reused
_checked: dict[str, tuple[float, str | None]] = {}


def _build_problem(build) -> str | None:
    key, now = str(build), time.monotonic()
    cached = _checked.get(key)
    if cached is None or now - cached[0] > HEALTH_CHECK_TTL_S:
        cached = _checked[key] = (now, warehouse.check_build(build))
    return cached[1]


def health_endpoint() -> Response:
    try:
        build = warehouse.current_build()
        reason = _build_problem(build)
        if reason is not None:
            raise warehouse.DamagedBuildError(build, reason)
        manifest = warehouse.read_manifest(build)
    except (warehouse.WarehouseError, OSError, ValueError) as exc:
        return _json({"status": _unavailable_kind(exc), "error": str(exc)}, 503)
    payload = {"status": "ok", "build": build.name,
               "source_commit": manifest.get("source_commit")}
    if _other_sql(build):
        payload["warning"] = rankings.OTHER_SQL_WARNING
    return _json(payload)


_other_sql_seen: dict[str, bool] = {}


def _other_sql(build) -> bool:
    """rankings.made_by_other_sql, once per build and process (builds are immutable)."""
    key = str(build)
    if key not in _other_sql_seen:
        _other_sql_seen[key] = rankings.made_by_other_sql(build)
    return _other_sql_seen[key]


TABLE_FORMATS = ("json", "csv", "parquet")


def table_endpoint() -> Response:
    return _state_table(lambda board, state: board.view(state), "leaderboard")


def compare_endpoint() -> Response:
    """The compared models are the state's ``selected`` (``model`` repeated, as on the page)."""
    return _state_table(lambda board, state: board.compare(state), "compare")


def robustness_endpoint() -> Response:
    """The part is a parameter of its own (``part``), not of the state."""
    part = (request.args.getlist("part") or ["ranks"])[-1]
    return _state_table(lambda board, state: board.robustness_table(state, part),
                        "robustness", extra=("part",))


def _state_table(compute, filename: str, extra: tuple[str, ...] = ()) -> Response:
    params = request.args.to_dict(flat=False)
    for name in extra:
        params.pop(name, None)
    fmt = (params.pop("format", None) or ["json"])[-1]
    if fmt not in TABLE_FORMATS:
        return _error(f"unknown format {fmt!r}: use json, csv or parquet", "rejected")
    board = rankings.leaderboard()
    try:
        state, problems = board.read_state(params)
        if problems:
            return _error(" ".join(problems), "rejected")
        table = compute(board, state)
    except rankings.RankingError as exc:
        return _error(str(exc), "rejected")
    except warehouse.WarehouseError as exc:
        return _error(str(exc), _unavailable_kind(exc), 503)
    if fmt != "json":
        name = f"{filename}.{fmt}"
        return Response(output.to_bytes(table, fmt),
                        mimetype="text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    rows = [[output.jsonable(v) for v in row] for row in output.rows(table)]
    return _json({"columns": table.column_names, "rows": rows, "build": board.build_id()})
