"""The status page (path "/status"): what build is served and where its data came from.

The current build's manifest (source, commit, build time, row counts, timings, tool versions),
the files it did not load (quarantined with their reason, or skipped), and the other builds kept
in the warehouse.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import html

from app import grid as gridmod
from app import query
from app.components import build_info, no_build, source_commit_url
from mteb_lb import rankings, warehouse

dash.register_page(__name__, path="/status", name="Status", title="Status · MTEB Leaderboard",
                   order=3)


def layout(**_query):
    info = build_info()
    if info is None:
        try:
            warehouse.current_build()
            message = "The current build has no readable manifest."
        except warehouse.WarehouseError as exc:
            message = str(exc)
        return html.Div(className="lb-pagewrap", children=[
            html.H1("Build status"),
            html.Div(className="lb-notice lb-error", children=[
                html.H2("No published build"), html.P(message)])])
    try:
        build = warehouse.current_build()
        reason = warehouse.check_build(build)
    except warehouse.WarehouseError:
        build, reason = None, None
    damaged = (no_build(warehouse.DamagedBuildError(build, reason))
               if reason is not None else None)
    if damaged is None and build is not None and rankings.made_by_other_sql(build):
        damaged = html.Div(className="lb-notice lb-warning", children=[
            html.H2("Rebuild needed"), html.P(rankings.OTHER_SQL_WARNING)])
    return html.Div(className="lb-pagewrap", children=[
        html.H1("Build status"),
        damaged,
        html.Div(className="lb-two-col", children=[
            html.Div(className="lb-card", children=[html.H3("Current build"), _summary(info)]),
            html.Div(className="lb-card", children=[html.H3("Rows per table"),
                                                    _counts(info.get("row_counts") or {})]),
        ]),
        html.Div(className="lb-card", children=_not_loaded(info)),
        html.Div(className="lb-two-col", children=[
            html.Div(className="lb-card", children=[html.H3("Time per step (seconds)"),
                                                    _timings(info.get("timings") or {})]),
            html.Div(className="lb-card", children=[html.H3("Builds in the warehouse"),
                                                    _builds(info["build_id"])]),
        ]),
    ])


def _summary(info: dict):
    commit = info.get("source_commit")
    url = source_commit_url(info)
    tools = info.get("tool_versions") or {}
    rows = [
        ("Build", html.Code(info["build_id"])),
        ("Built at", str(info.get("built_at") or "?")),
        ("Source", html.Code(str(info.get("source") or "?"))),
        ("Source commit", (html.A(commit, href=url, target="_blank", rel="noopener noreferrer")
                           if url else html.Code(commit)) if commit
         else html.Span("not a git checkout (local folder)", className="lb-hint")),
        ("mteb catalog", str(info.get("catalog_mteb_version") or "?")),
        ("Incremental", f"yes, from {info.get('previous_build')}" if info.get("incremental")
         else "no (full build)"),
        ("Files", f"{info.get('files_seen', '?'):,} seen · {info.get('files_parsed', '?'):,} "
                  f"parsed · {info.get('files_loaded', '?'):,} loaded"
         if isinstance(info.get("files_seen"), int) else "?"),
        ("Quarantined", str(len(info.get("quarantined") or []))),
        ("Tools", ", ".join(f"{k} {v}" for k, v in sorted(tools.items())) or "?"),
    ]
    return html.Dl(className="lb-kv", children=[x for k, v in rows
                                                for x in (html.Dt(k), html.Dd(v))])


def _counts(counts: dict, decimals: int = 0):
    def fmt(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{v:,.{decimals}f}" if decimals else f"{v:,}"
        return str(v)

    return html.Table(className="lb-table", children=[
        html.Tbody([html.Tr([html.Td(k), html.Td(fmt(v), className="num")])
                    for k, v in sorted(counts.items())])])


# The build's steps (manifest "timings", etl/build.py), in the order they run, in words.
TIMING_NAMES = {
    "start_s": "Starting (lock, clean-up of killed runs)",
    "previous_s": "Reading the previous build",
    "scan_s": "Listing the files",
    "parse_s": "Parsing the result files",
    "tables_s": "Writing the Parquet tables",
    "database_s": "Building the DuckDB database",
    "views_s": "Creating the views and checking them",
    "history_s": "Recording the leaderboard history",
    "rank_intervals_s": "Computing the rank intervals",
    "default_summaries_s": "Computing the default leaderboards",
    "validate_s": "Validating before publishing",
}


def timing_name(key: str) -> str:
    """A manifest timing key in words (an unknown key: its words, capitalised)."""
    if key in TIMING_NAMES:
        return TIMING_NAMES[key]
    return key.removesuffix("_s").replace("_", " ").capitalize()


def _timings(timings: dict):
    order = list(TIMING_NAMES)
    keys = sorted(timings, key=lambda k: (order.index(k) if k in order else len(order), k))
    rows = [html.Tr([html.Td(timing_name(k), title=k), html.Td(f"{timings[k]:,.1f}",
                                                               className="num")])
            for k in keys if isinstance(timings[k], (int, float))]
    total = sum(v for v in timings.values() if isinstance(v, (int, float)))
    rows.append(html.Tr([html.Th("Total"), html.Th(f"{total:,.1f}", className="num")]))
    return html.Table(className="lb-table", children=[html.Tbody(rows)])


def _not_loaded(info: dict) -> list:
    quarantined = [{"Path": q.get("path"), "Reason": q.get("reason")}
                   for q in info.get("quarantined") or []]
    try:
            skipped = [{"Path": r["path"], "Kind": r["kind"], "Status": r["status"],
                    "Reason": r["reason"]} for r in query("app_file_status")
                   if r["status"] != "quarantined"]
    except Exception:  # an old build without the files table: the manifest is enough
        skipped = []
    out = [html.H3(f"Quarantined files ({len(quarantined)})")]
    if quarantined:
        out.append(html.P("Malformed result files the build could not read; they are left out "
                          "of every table.", className="lb-hint"))
        out.append(_grid("status-quarantined", quarantined))
    else:
        out.append(html.P("None: every result file was read.", className="lb-hint"))
    out.append(html.Details([
        html.Summary(f"Skipped files ({len(skipped)}): not result or model_meta JSON"),
        _grid("status-skipped", skipped) if skipped else html.P("None.", className="lb-hint"),
    ]))
    return out


def _grid(grid_id: str, records: list[dict]):
    data = gridmod.generic_grid(records, widths={"Path": 560, "Reason": 420, "Kind": 110,
                                                 "Status": 110})
    for col in data.column_defs:
        col["tooltipField"] = col["field"]
        if col["headerName"] == "Reason":
            col.update(flex=1, minWidth=200)
        if col["headerName"] == "Path":   # the informative end (the file name) stays visible
            col.update(cellRenderer="MiddleTruncate", flex=1, minWidth=200)
            col.pop("width", None)
    return dag.AgGrid(id=grid_id, columnDefs=data.column_defs, rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True},
                      dashGridOptions={"tooltipShowDelay": 300, "rowHeight": gridmod.ROW_HEIGHT},
                      style=gridmod.grid_style(len(records), max_height=420))


def _builds(current: str):
    builds = warehouse.list_builds()
    rows = []
    for build in reversed(builds):
        try:
            manifest = warehouse.read_manifest(build)
        except (OSError, ValueError):
            manifest = {}
        rows.append(html.Tr([
            html.Td(html.Code(build.name)),
            html.Td(str(manifest.get("built_at") or "?")),
            html.Td(html.Span("current", className="lb-badge ok") if build.name == current
                    else ""),
        ]))
    return html.Table(className="lb-table", children=[
        html.Thead(html.Tr([html.Th("Build"), html.Th("Built at"), html.Th("")])),
        html.Tbody(rows)])
