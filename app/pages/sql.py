"""The SQL console (path "/sql"): read-only DuckDB SQL over the current build.

Every query goes through :mod:`mteb_lb.safe_sql` (the one safe path for user SQL: statement
gate, hardened read-only connection, time limit, row cap). The page:

* a code editor (CodeMirror 6, ``assets/sql_editor.bundle.js`` built by
  ``tools/codemirror/build.sh``: SQL highlighting, bracket matching, completion of the build's
  tables, views and columns) over the query's textarea, with a Run button; Ctrl+Enter /
  Cmd+Enter clicks Run (the plain textarea remains when scripts are off). The bundle (~370 kB)
  is not one of the assets every page loads (``components.EDITOR_BUNDLE_IGNORE``, Dash's
  ``assets_ignore``): this page adds it (``sql_console.loadEditor``) from a versioned URL that
  is cached for a year (``editor_src``, ``_cache_editor_bundle``);
* ``run_query`` runs the query once, capped at one block of rows, which surfaces errors with
  their position in the user's own text, then counts the rows (capped by the ``sql_max_rows``
  setting) and stores the query, its columns and the count in a ``dcc.Store``;
* the results grid uses AG Grid's infinite row model: each block the grid asks for
  (``getRowsRequest``) runs the query again through ``safe_sql.run`` wrapped as
  ``SELECT * FROM (<query>) LIMIT n OFFSET o`` (header-click sorting adds a positional
  ``ORDER BY``), so the browser only ever receives the rows it displays;
* errors (refused, syntax, timeout, …) are shown with their kind, line, column and DuckDB's
  caret excerpt, never as a stack trace;
* a schema browser (every table and view with its columns, types and descriptions, from
  ``safe_sql.schema()``) and the example queries of ``queries/examples/`` (a click loads one
  into the editor and runs it);
* the query lives in the URL (``/sql?q=…``): opening such a link fills the editor and runs it
  while the page is rendered;
* CSV and Parquet downloads of the FULL result (not capped by ``sql_max_rows``) through
  ``safe_sql.export``, still time-limited.

Callbacks are plain functions of their inputs (``tests/test_sql_page.py`` calls them directly)
attached by ``register_callbacks(app)``. Nothing here does I/O at import time.
"""

# No `from __future__ import annotations`: Dash executes page modules before they are in
# sys.modules (see app/pages/leaderboard.py).
import functools
import hashlib
import io
import json
import logging
import math
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import flask
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update

import queries
from app import grid as gridmod
from app.components import EDITOR_BUNDLE
from mteb_lb import output, safe_sql, settings, warehouse
from mteb_lb.safe_sql import tokens

log = logging.getLogger(__name__)

dash.register_page(__name__, path="/sql", name="SQL", title="SQL console · MTEB Leaderboard",
                   order=4, description="Read-only SQL over the MTEB leaderboard's warehouse.")

# --------------------------------------------------------------------------------------------
# ids and constants
# --------------------------------------------------------------------------------------------

URL = "sql-url"
EDITOR = "sql-editor"          # the query's text (a textarea; sql_console.js: Ctrl+Enter)
CODE_EDITOR = "sql-editor-host"   # where the code editor (sql_editor.bundle.js) mounts
EDITOR_SYNC = "sql-editor-sync"
EDITOR_LOADED = "sql-editor-loaded"
EDITOR_CACHE = "public, max-age=31536000, immutable"   # the URL changes with the content
RUN = "sql-run"                # ... and clicks this one
STORE = "sql-result"
GRID = "sql-grid"
RESULTS = "sql-results"
MESSAGE = "sql-message"
BLOCK_ERROR = "sql-block-error"
REFRESHED = "sql-refreshed"
DOWNLOAD = "sql-download"
DOWNLOAD_MESSAGE = "sql-download-message"
CSV_BUTTON = "sql-csv"
PARQUET_BUTTON = "sql-parquet"
EXAMPLE = "sql-example"        # pattern id {"type": EXAMPLE, "index": i}
PREVIEW = "sql-preview"        # pattern id {"type": PREVIEW, "name": table}

BLOCK_SIZE = 100               # rows per infinite-model block (cacheBlockSize)
MAX_URL_SQL = 8000             # longer queries are not put in the address bar
DOWNLOAD_MAX_BYTES = 100 * 1024 * 1024   # sent to the browser base64-encoded, in one message
DOWNLOAD_FORMATS = {CSV_BUTTON: "csv", PARQUET_BUTTON: "parquet"}
MAX_SAFE_INT = 2 ** 53         # larger integers travel as text (JavaScript numbers are doubles)
PLACEHOLDER = "SELECT model_name, task_name, main_score\nFROM scores\nLIMIT 100"

KIND_LABELS = {
    "rejected": "Query not allowed",
    "syntax": "Syntax error",
    "timeout": "Query timed out",
    "permission": "Permission denied",
    "runtime": "Query failed",
    "unavailable": "No data available",
    "damaged": "The leaderboard data is damaged",
    "internal": "Internal error",
}

_NAN_RULE = "['NaN', 'Infinity', '-Infinity'].includes(params.value)"
_NUMERIC = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL)\b")
_NESTED = re.compile(r"\[|\b(STRUCT|MAP|UNION)\b")

# --------------------------------------------------------------------------------------------
# URL state
# --------------------------------------------------------------------------------------------


def encode_url(sql: str | None) -> str:
    """The address-bar query string for ``sql`` (``""`` when empty or too long to share)."""
    if not sql or not sql.strip() or len(sql) > MAX_URL_SQL:
        return ""
    return "?" + urlencode({"q": sql})


def decode_url(q) -> str:
    """The ``q`` parameter as Dash passes it to ``layout`` (a list when repeated) -> SQL."""
    if isinstance(q, (list, tuple)):
        q = q[-1] if q else None
    return "" if q is None else str(q)


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------


def _limits() -> tuple[int, int]:
    return int(settings.get("sql_max_rows")), int(settings.get("sql_time_limit_ms"))


def _pageable(sql: str) -> bool:
    """Whether ``sql`` can be wrapped as a subquery (EXPLAIN cannot); other refusals of the
    wrapped text (file paths checked without the build) do not matter here: the wrapped
    query is checked again, with the build, when it runs."""
    try:
        safe_sql.check(tokens.wrap(sql, suffix=" LIMIT 0"))
    except safe_sql.SqlError as exc:
        return exc.kind != "syntax"
    return True


def _cell(value):
    """A result value as the grid shows it: JSON-safe, nested values as JSON text, integers
    JavaScript cannot hold exactly as text, NaN and infinities as the text NaN, Infinity and
    -Infinity (JSON has no such numbers; null would read as SQL's NULL)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(_nested(value), ensure_ascii=False)
    value = output.jsonable(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INT:
        return str(value)
    return value


def _nested(value):
    """``output.jsonable`` keeping NaN and infinities (json.dumps writes NaN, Infinity)."""
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return {str(k): _nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = list(value)
        if items and all(isinstance(i, tuple) and len(i) == 2 for i in items):  # Arrow MAP
            return {str(output.jsonable(k)): _nested(v) for k, v in items}
        return [_nested(v) for v in items]
    return output.jsonable(value)


def _records(rows) -> list[dict]:
    return [{f"c{i}": _cell(v) for i, v in enumerate(row)} for row in rows]


ROW_NUMBER = {
    "headerName": "#", "colId": "_row", "valueGetter": {"function": "params.node.rowIndex + 1"},
    "pinned": "left", "width": 72, "sortable": False, "resizable": False,
    "cellClass": "sql-rownum", "headerTooltip": "Row number in the result",
}


def column_defs(columns: list[dict], sample_rows=()) -> list[dict]:
    """AG Grid columns: field ``c<i>`` (names may repeat or contain dots), the SQL name as the
    header, the DuckDB type in the header tooltip, a width guessed from the header and the
    first rows, numbers right-aligned, NULL shown as NULL."""
    defs = [ROW_NUMBER] if columns else []
    for i, col in enumerate(columns):
        name, type_ = col["name"], col["type"]
        values = [_cell(row[i]) for row in list(sample_rows)[:BLOCK_SIZE]]
        longest = max([len(name) + 3] + [min(len(str(v)), 60) for v in values if v is not None])
        col_def = {
            "field": f"c{i}", "colId": f"c{i}", "headerName": name,
            "headerTooltip": f"{name} · {type_}",
            "width": int(max(90, min(420, 8 * longest + 34))),
            "sort": None,      # a new result starts unsorted
            "valueFormatter": {"function": "sqlValue(params)"},
            "cellClassRules": {"sql-null": "params.data && params.value == null",
                               "sql-nan": _NAN_RULE if _NUMERIC.match(type_) else "false"},
        }
        if _NUMERIC.match(type_):
            col_def["type"] = "rightAligned"
        if _NESTED.search(type_) or type_ in ("VARCHAR", "JSON"):
            col_def["tooltipValueGetter"] = {"function": "sqlTooltip(params)"}
        defs.append(col_def)
    return defs


def execute(sql: str) -> dict:
    """Run ``sql`` for the grid: its columns, row count (capped by ``sql_max_rows``),
    truncation, elapsed time and a sample of rows. Raises SqlError or WarehouseError."""
    cap, _ = _limits()
    started = time.perf_counter()
    # Without the trailing ";" (safe_sql.run refuses "SELECT 1; -- note"); offsets of
    # errors are unchanged since only the end is cut.
    sql = tokens.strip_terminator(sql)
    first = safe_sql.run(sql, max_rows=min(BLOCK_SIZE, cap))
    pageable = _pageable(sql)
    if not first.truncated:
        count, truncated = len(first.rows), False
    elif cap <= BLOCK_SIZE:
        count, truncated = cap, True
    elif pageable:
        capped = tokens.wrap(sql, "1", f" LIMIT {cap + 1}")
        counted = safe_sql.run(f"SELECT count(*) AS n FROM ({capped}) AS c", max_rows=1)
        n = int(counted.rows[0][0])
        count, truncated = min(n, cap), n > cap
    else:
        full = safe_sql.run(sql, max_rows=cap)
        count, truncated = len(full.rows), full.truncated
    return {
        "sql": sql,
        "columns": [{"name": c.name, "type": c.type} for c in first.columns],
        "count": count,
        "truncated": truncated,
        "truncated_by_bytes": first.truncated_by == "bytes",
        "max_rows": cap,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        "build": first.build,
        "pageable": pageable,
        "ordered": tokens.has_top_level_order(sql),
        "run_id": uuid.uuid4().hex,
        "sample": first.rows,
    }


def order_by(sort_model, n_columns: int, types: list[str]) -> str:
    """A positional ORDER BY from AG Grid's sortModel (colIds ``c<i>`` only, anything else is
    ignored), with the other plain columns as tie-breakers so pages never overlap."""
    keys, used = [], set()
    for item in sort_model or []:
        match = re.fullmatch(r"c(\d+)", str((item or {}).get("colId", "")))
        direction = str((item or {}).get("sort", "")).lower()
        if not match or direction not in ("asc", "desc"):
            continue
        index = int(match.group(1))
        if index >= n_columns or index in used:
            continue
        used.add(index)
        keys.append(f"{index + 1} {direction.upper()} NULLS LAST")
    if not keys:
        return ""
    keys += [str(i + 1) for i in range(n_columns)
             if i not in used and not _NESTED.search(types[i] if i < len(types) else "")]
    return " ORDER BY " + ", ".join(keys)


def fetch_block(store: dict, start: int, end: int, sort_model=None) -> list[dict]:
    """Rows ``start`` to ``end`` (exclusive) of the stored query, as grid records. Only that
    slice is fetched: the query runs through safe_sql with LIMIT/OFFSET.

    The store and the block come from the browser, so neither is trusted: a block holds at
    most BLOCK_SIZE rows (what the grid asks for) and never reaches past the sql_max_rows
    setting, whatever ``end`` and the stored count say."""
    cap, _ = _limits()
    count = min(int(store.get("count") or 0), cap)
    start = max(0, int(start))
    end = min(int(end), count, start + BLOCK_SIZE)
    if end <= start:
        return []
    sql = store["sql"]
    types = [c["type"] for c in store.get("columns") or []]
    order = order_by(sort_model, len(types), types)
    if store.get("pageable", True):
        paged = tokens.wrap(sql, suffix=f"{order} LIMIT {end - start} OFFSET {start}")
        return _records(safe_sql.run(paged, max_rows=end - start).rows)
    # A statement that cannot be a subquery (EXPLAIN): run it capped, keep the slice.
    return _records(safe_sql.run(sql, max_rows=end).rows[start:end])


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _fmt_ms(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def error_dict(exc: BaseException) -> dict:
    """Any failure -> ``{"error", "kind", "position"}`` (never a traceback)."""
    if isinstance(exc, safe_sql.SqlError):
        return exc.to_dict()
    if isinstance(exc, warehouse.WarehouseError):
        kind = "damaged" if isinstance(exc, warehouse.DamagedBuildError) else "unavailable"
        return {"error": str(exc), "kind": kind, "position": None}
    log.exception("SQL console failure", exc_info=exc)
    return {"error": "the query could not be run because of a server error (it is in the "
                     "server log)", "kind": "internal", "position": None}


def error_panel(err: dict):
    """The error box: kind, message, line/column (with a button that puts the editor's caret
    there) and DuckDB's caret excerpt."""
    kind = err.get("kind") or "runtime"
    pos = err.get("position") or {}
    _, limit_ms = _limits()
    hints = {
        "timeout": f"Queries stop after {limit_ms / 1000:g} s. Filter or aggregate earlier, "
                   "or query a smaller table (the schema lists them).",
        "unavailable": "Run `mteb-lb etl` to build and publish the warehouse.",
    }
    where = None
    if pos.get("line") is not None:
        text = f"Line {pos['line']}" + (f", column {pos['column']}"
                                        if pos.get("column") is not None else "")
        where = html.Div(className="sql-where", children=[
            html.Span(text),
            html.Button("Show in editor", className="lb-button sql-goto", n_clicks=0,
                        title="Put the editor's cursor where the error is",
                        **{"data-offset": str(pos.get("offset") or 0)})
            if pos.get("offset") is not None else None,
        ])
    return html.Div(className="lb-notice lb-error sql-error", role="alert", children=[
        html.Div(className="sql-error-title", children=[
            html.Strong(KIND_LABELS.get(kind, "Query failed")),
            html.Code(kind, className="sql-kind", title="Error kind")]),
        html.P(err.get("error") or "", className="sql-error-message"),
        where,
        html.Pre(pos["excerpt"], className="sql-excerpt") if pos.get("excerpt") else None,
        html.P(hints[kind], className="lb-hint") if kind in hints else None,
    ])


def status_bar(store: dict):
    """Row count, columns, elapsed time, and the truncation notice."""
    count, cap = store["count"], store["max_rows"]
    parts = [
        html.Span([html.B(f"{count:,}" + ("+" if store["truncated"] else "")),
                   " row" if count == 1 and not store["truncated"] else " rows"],
                  className="sql-count"),
        html.Span(f"{len(store['columns'])} column" + ("" if len(store["columns"]) == 1
                                                       else "s")),
        html.Span(f"ran in {_fmt_ms(store['elapsed_ms'])}", className="sql-elapsed"),
    ]
    if store.get("build"):
        parts.append(html.Span(["build ", html.Code(store["build"])], className="sql-build"))
    children = [html.Div(className="sql-status", children=parts)]
    if store.get("truncated_by_bytes"):
        limit = int(settings.get("sql_max_bytes"))
        children.append(html.Div(className="lb-notice lb-warning sql-truncated", children=[
            html.Strong("Large values: "),
            f"the first rows hold more than {limit / 2**20:g} MiB of data (the sql_max_bytes "
            "limit of one response); the grid shows the rows that fit. Select fewer or smaller "
            "columns (lists, long texts)."]))
    if store["truncated"]:
        children.append(html.Div(className="lb-notice lb-warning sql-truncated", children=[
            html.Strong("Truncated: "),
            f"the query returns more than {cap:,} rows; the grid shows the first {cap:,} "
            "(the sql_max_rows limit). The CSV and Parquet downloads contain every row."]))
    elif count > BLOCK_SIZE and not store.get("ordered"):
        children.append(html.P(
            f"Rows are fetched {BLOCK_SIZE} at a time as you scroll. Add an ORDER BY to "
            "the query to keep the row order stable between fetches.", className="lb-hint"))
    return children


def _public(store: dict | None) -> dict | None:
    """The store without the sample rows (they only size the columns)."""
    if store is None:
        return None
    return {k: v for k, v in store.items() if k != "sample"}


def run_outputs(sql: str) -> tuple:
    """Everything a run changes: (store, column defs, grid style, message, results class,
    URL search). Never raises."""
    search = encode_url(sql)
    try:
        store = execute(sql)
    except Exception as exc:  # noqa: BLE001 - shown, never raised
        return (None, [], gridmod.grid_style(0), error_panel(error_dict(exc)),
                "sql-results sql-hidden", search)
    return (_public(store), column_defs(store["columns"], store["sample"]),
            gridmod.grid_style(store["count"], max_height=600), status_bar(store),
            "sql-results", search)


# --------------------------------------------------------------------------------------------
# callbacks (plain functions)
# --------------------------------------------------------------------------------------------


def examples() -> list[tuple[str, str, str]]:
    """(title, description, sql) of each example query."""
    out = []
    for title, sql in safe_sql.examples():
        description, _ = queries.parse_header(sql)
        out.append((title, description, sql))
    return out


def run_query(run_clicks, example_clicks, preview_clicks, sql):
    """Run button / Ctrl+Enter, an example, or a table's preview -> (editor text, *outputs)."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == EXAMPLE:
        if not any(example_clicks or []):
            raise dash.exceptions.PreventUpdate
        try:
            sql = examples()[int(trigger["index"])][2]
        except (IndexError, ValueError, OSError):
            raise dash.exceptions.PreventUpdate from None
    elif isinstance(trigger, dict) and trigger.get("type") == PREVIEW:
        if not any(preview_clicks or []):
            raise dash.exceptions.PreventUpdate
        sql = preview_sql(str(trigger.get("name")))
    return (sql or "",) + run_outputs(sql or "")


def preview_sql(table: str) -> str:
    quoted = '"' + table.replace('"', '""') + '"'
    return f"SELECT *\nFROM {quoted}\nLIMIT 100"


def get_rows(request, store):
    """The infinite model's block request -> (``{"rowData", "rowCount"}``, block error)."""
    if not request:
        raise dash.exceptions.PreventUpdate
    if not store:
        return {"rowData": [], "rowCount": 0}, None
    try:
        rows = fetch_block(store, request.get("startRow", 0), request.get("endRow", 0),
                           request.get("sortModel"))
    except Exception as exc:  # noqa: BLE001
        return {"rowData": [], "rowCount": 0}, error_panel(error_dict(exc))
    count = min(int(store.get("count") or 0), _limits()[0])  # the store comes from the browser
    return {"rowData": rows, "rowCount": count}, None


class _CappedBuffer(io.BytesIO):
    """A BytesIO that refuses to grow past DOWNLOAD_MAX_BYTES (a download goes through the
    browser as one base64 message)."""

    def write(self, data) -> int:
        if self.tell() + len(data) > DOWNLOAD_MAX_BYTES:
            raise ValueError(f"the result is larger than {DOWNLOAD_MAX_BYTES // 2**20} MB, too "
                             "large to download from the browser; use `mteb-lb sql` or the "
                             "/api/sql endpoint, or narrow the query")
        return super().write(data)


def export_result(sql: str, fmt: str) -> tuple[bytes, int]:
    """The full result of ``sql`` as csv or parquet bytes, and its row count."""
    buffer = _CappedBuffer()
    rows = safe_sql.export(sql, fmt, buffer)
    return buffer.getvalue(), rows


def download(csv_clicks, parquet_clicks, store, editor_sql, fmt=None):
    """A download button -> (``dcc.Download`` data, message). Exports the query shown in the
    grid (or the editor's, before any run) in full."""
    if fmt is None:
        fmt = DOWNLOAD_FORMATS.get(ctx.triggered_id)
    if fmt not in ("csv", "parquet"):
        raise dash.exceptions.PreventUpdate
    sql = (store or {}).get("sql") or editor_sql or ""
    if not sql.strip():
        return no_update, html.P("Write and run a query first.", className="lb-hint")
    try:
        data, rows = export_result(sql, fmt)
    except Exception as exc:  # noqa: BLE001
        err = error_dict(exc)
        err["error"] = f"download failed: {err['error']}"
        return no_update, error_panel(err)
    filename = f"query.{fmt}"
    note = html.P(f"Downloaded {filename}: {rows:,} rows, {_size(len(data))}.",
                  className="lb-hint sql-download-done")
    return dcc.send_bytes(data, filename), note


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(EDITOR, "value"), Output(STORE, "data"), Output(GRID, "columnDefs"),
        Output(GRID, "style"), Output(MESSAGE, "children"), Output(RESULTS, "className"),
        Output(URL, "search"),
        Input(RUN, "n_clicks"), Input({"type": EXAMPLE, "index": ALL}, "n_clicks"),
        Input({"type": PREVIEW, "name": ALL}, "n_clicks"),
        State(EDITOR, "value"),
        running=[(Output(RUN, "disabled"), True, False),
                 (Output(RUN, "children"), "Running…", "Run")],
        prevent_initial_call=True,
    )(run_query)
    app.callback(
        Output(GRID, "getRowsResponse"), Output(BLOCK_ERROR, "children"),
        Input(GRID, "getRowsRequest"), State(STORE, "data"),
        prevent_initial_call=True,
    )(get_rows)
    app.callback(
        Output(DOWNLOAD, "data"), Output(DOWNLOAD_MESSAGE, "children"),
        Input(CSV_BUTTON, "n_clicks"), Input(PARQUET_BUTTON, "n_clicks"),
        State(STORE, "data"), State(EDITOR, "value"),
        running=[(Output(CSV_BUTTON, "disabled"), True, False),
                 (Output(PARQUET_BUTTON, "disabled"), True, False)],
        prevent_initial_call=True,
    )(download)
    # The code editor's bundle: added to the document once, when this page is shown.
    app.clientside_callback(
        ClientsideFunction(namespace="sql_console", function_name="loadEditor"),
        Output(EDITOR_LOADED, "data"), Input(CODE_EDITOR, "data-src"),
    )
    app.server.after_request(_cache_editor_bundle)
    # A text Dash put in the textarea (an example, a preview): into the code editor too.
    app.clientside_callback(
        "function (value) { return window.mtebSqlEditor ? window.mtebSqlEditor.sync(value)"
        " : window.dash_clientside.no_update; }",
        Output(EDITOR_SYNC, "data"), Input(EDITOR, "value"),
    )
    # A new result: drop the grid's cached blocks so it asks for the new rows.
    app.clientside_callback(
        ClientsideFunction(namespace="sql_console", function_name="refresh"),
        Output(REFRESHED, "data"), Input(STORE, "data"), State(GRID, "id"),
        prevent_initial_call=True,
    )


@functools.cache
def _editor_version() -> str:
    path = Path(__file__).resolve().parents[1] / "assets" / EDITOR_BUNDLE
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def editor_src() -> str:
    """The code editor bundle's URL, versioned by its content (so it can be cached for long)."""
    return dash.get_asset_url(EDITOR_BUNDLE) + "?v=" + _editor_version()


def _cache_editor_bundle(response):
    """The versioned bundle is cached by browsers for a year (other assets: Dash's default)."""
    if (flask.request.path.endswith("/" + EDITOR_BUNDLE) and response.status_code == 200
            and flask.request.args.get("v") == _editor_version()):
        response.headers["Cache-Control"] = EDITOR_CACHE
    return response


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------


def _read_schema():
    """The build's tables and views (``safe_sql.schema()``), or the problem to show instead."""
    try:
        return safe_sql.schema(), None
    except warehouse.WarehouseError as exc:
        return [], str(exc)
    except Exception:  # noqa: BLE001 - the console stays usable without the browser
        log.exception("schema browser failed")
        return [], "The schema could not be read (see the server log)."


def completion_schema(tables: list[dict]) -> str:
    """``{table or view: [columns]}`` as JSON: what the code editor completes."""
    return json.dumps({t["name"]: [c["name"] for c in t["columns"]] for t in tables},
                      ensure_ascii=False, separators=(",", ":"))


def _schema_browser(tables: list[dict], problem: str | None = None):
    if problem is not None:
        return [html.P(problem, className="lb-hint")]
    items = []
    for table in tables:
        cols = table["columns"]
        items.append(html.Details(className="sql-table", children=[
            html.Summary(className="sql-table-summary", children=[
                html.Span(table["name"], className="sql-table-name"),
                html.Span(table["kind"], className=f"sql-table-kind {table['kind']}"),
                html.Span(f"{len(cols)} col" + ("" if len(cols) == 1 else "s"),
                          className="sql-muted"),
            ]),
            html.Div(className="sql-table-body", children=[
                html.P(table["description"], className="sql-table-desc")
                if table["description"] else None,
                html.Button("SELECT * … LIMIT 100", id={"type": PREVIEW, "name": table["name"]},
                            className="sql-preview", n_clicks=0,
                            title=f"Run SELECT * FROM {table['name']} LIMIT 100"),
                html.Ul(className="sql-columns", children=[
                    html.Li(className="sql-column", children=[
                        html.Code(c["name"], className="sql-column-name"),
                        html.Span(c["type"], className="sql-type"),
                        _scale_badge(c["description"]),
                        html.Div(c["description"], className="sql-column-desc")
                        if c["description"] else None,
                    ]) for c in cols]),
            ]),
        ]))
    return [html.P(f"{len(tables)} tables and views; click one for its columns.",
                   className="lb-hint"),
            html.P(["Score columns are marked with their scale: ",
                    html.Span("0–1", className="sql-scale sql-scale-1"),
                    " as mteb's result files hold them (scores, metrics, benchmark_results), ",
                    html.Span("0–100", className="sql-scale sql-scale-100"),
                    " as the leaderboard shows them (leaderboard_history, the lb_* macros, "
                    "changes_since_previous)."], className="lb-hint sql-scale-note")] + items


def scale_of(description: str | None) -> str | None:
    """"0-1" or "0-100" when a column's description names its scale, else None."""
    text = description or ""
    if re.search(r"\b0-100\b", text):
        return "0-100"
    if re.search(r"\b0-1\b(?!\d)", text):
        return "0-1"
    return None


def _scale_badge(description: str | None):
    scale = scale_of(description)
    if scale is None:
        return None
    return html.Span(scale.replace("-", "–"), title=f"a score on the {scale} scale",
                     className=f"sql-scale sql-scale-{scale.split('-')[1]}")


def _examples_list():
    try:
        items = examples()
    except OSError:
        items = []
    if not items:
        return html.P("No example queries found.", className="lb-hint")
    return html.Ul(className="sql-examples", children=[
        html.Li(html.Button(title, id={"type": EXAMPLE, "index": i}, n_clicks=0,
                            className="sql-example", title=description or title))
        for i, (title, description, _) in enumerate(items)])


def layout(q=None, **_query):
    sql = decode_url(q)
    cap, limit_ms = _limits()
    tables, problem = _read_schema()
    if sql.strip():
        store, defs, style, message, results_class, _ = run_outputs(sql)
    else:
        store, defs, style, message, results_class = (
            None, [], gridmod.grid_style(0), html.P(
                "Write a query and press Run (or Ctrl+Enter), or pick an example.",
                className="lb-hint sql-idle"), "sql-results sql-hidden")
    grid = dag.AgGrid(
        id=GRID, rowModelType="infinite", columnDefs=defs,
        defaultColDef={"resizable": True, "sortable": True, "filter": False,
                       "cellDataType": False, "suppressHeaderMenuButton": True},
        dashGridOptions={
            "cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 20, "rowBuffer": 10,
            "maxConcurrentDatasourceRequests": 1, "infiniteInitialRowCount": 1,
            "rowHeight": gridmod.ROW_HEIGHT, "animateRows": False,
            "enableCellTextSelection": True, "tooltipShowDelay": 400,
        },
        className="sql-grid", style=style,
    )
    return html.Div(className="lb-pagewrap sql-page", children=[
        dcc.Location(id=URL, refresh=False),
        dcc.Store(id=STORE, data=store),
        dcc.Store(id=REFRESHED),
        dcc.Store(id=EDITOR_SYNC), dcc.Store(id=EDITOR_LOADED),
        dcc.Download(id=DOWNLOAD),
        html.Div(className="lb-title-row", children=[
            html.H1("SQL console", className="lb-bench-title"),
            html.Span("read-only DuckDB over the current build", className="lb-bench-name"),
        ]),
        html.P([
            "One statement per run: SELECT, WITH … SELECT, FROM …, DESCRIBE, SHOW, SUMMARIZE "
            "or EXPLAIN. The grid shows at most ", html.B(f"{cap:,}"),
            " rows; a query stops after ",
            html.B(f"{limit_ms / 1000:g} s"), ". The link in the address bar reruns the query."],
            className="lb-hint sql-intro"),
        html.Div(className="sql-layout", children=[
            html.Div(className="sql-main", children=[
                html.Div(className="lb-card sql-editor-card", children=[
                    dcc.Textarea(id=EDITOR, value=sql, placeholder=PLACEHOLDER,
                                 className="sql-editor", spellCheck="false", rows=10,
                                 autoFocus="autofocus" if not sql else None),
                    # the code editor (assets/sql_editor.bundle.js) mounts here over the
                    # textarea, completing these names
                    html.Div(id=CODE_EDITOR, className="sql-code",
                             **{"data-schema": completion_schema(tables),
                                "data-src": editor_src()}),
                    html.Div(className="sql-toolbar", children=[
                        html.Button("Run", id=RUN, n_clicks=0, className="lb-button lb-primary",
                                    title="Run the query (Ctrl+Enter or ⌘+Enter)"),
                        html.Span([html.Kbd("Ctrl"), "+", html.Kbd("Enter")],
                                  className="sql-shortcut"),
                        html.Div(className="lb-actions", children=[
                            html.Span("Download all rows:", className="lb-hint"),
                            html.Button("CSV", id=CSV_BUTTON, n_clicks=0, className="lb-button",
                                        title="Download every row of the query as CSV"),
                            html.Button("Parquet", id=PARQUET_BUTTON, n_clicks=0,
                                        className="lb-button",
                                        title="Download every row of the query as Parquet"),
                        ]),
                    ]),
                    dcc.Loading(html.Div(id=DOWNLOAD_MESSAGE), type="dot",
                                className="sql-download-loading"),
                ]),
                dcc.Loading(html.Div(id=MESSAGE, children=message, className="sql-message"),
                            type="dot", delay_show=250),
                html.Div(id=BLOCK_ERROR),
                html.Div(id=RESULTS, className=results_class, children=grid),
            ]),
            html.Aside(className="sql-aside", children=[
                html.Div(className="lb-card", children=[
                    html.H3("Examples", className="sql-aside-title"),
                    html.P("Click one to load it into the editor and run it.",
                           className="lb-hint"),
                    _examples_list()]),
                html.Div(className="lb-card", children=[
                    html.H3("Schema", className="sql-aside-title"),
                    *_schema_browser(tables, problem)]),
            ]),
        ]),
    ])
