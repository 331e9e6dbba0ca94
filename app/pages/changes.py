"""The changes page (path "/changes"): what changed on the leaderboards since the previous build.

Reads the `changes_since_previous` view (queries/changes_since_previous.sql): models new to or
gone from a benchmark's leaderboard, new / changed / removed task scores (old and new), and rank
movers; and `quality_new_flags` (validity flags new since the previous build, docs/QUALITY.md).
`?benchmark=<name>` narrows it to one benchmark. Everything is rendered server side by
`layout(**query)` (no callbacks); the grids sort and filter client side. Nothing is read at
import time.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
from dash import dcc, html

from app import grid as gridmod
from app import history_plots, query
from app.flags import flags_grid
from mteb_lb import asof, status, warehouse
from mteb_lb.rankings import leaderboard

dash.register_page(__name__, path="/changes", name="Changes",
                   title="Changes · MTEB Leaderboard", order=4,
                   description="What changed on the leaderboards since the previous build.")

KIND_LABELS = {
    "new_model": "New models", "removed_model": "Removed models",
    "new_result": "New results", "changed_result": "Changed results",
    "removed_result": "Removed results", "rank_up": "Moved up", "rank_down": "Moved down",
}
SECTIONS = (
    ("Models", ("new_model", "removed_model"),
     ["Benchmark", "Model", "Change", "Rank", "Mean (Task)"]),
    ("Results", ("new_result", "changed_result", "removed_result"),
     ["Benchmark", "Model", "Task", "Change", "Old score", "New score", "Δ score"]),
    ("Rank movers", ("rank_up", "rank_down"),
     ["Benchmark", "Model", "Change", "Old rank", "New rank", "Δ rank", "Old mean", "New mean"]),
)


def load_changes() -> tuple[list[dict], str | None]:
    """(rows of changes_since_previous, error message or None)."""
    try:
            return query("changes_since_previous"), None
    except Exception as exc:  # no build yet, or a build made before the history existed
        return [], f"{type(exc).__name__}: {exc}"


def _score(v):
    return None if v is None else round(v, 4)


def _record(kind_group: tuple[str, ...], r: dict) -> dict:
    label = KIND_LABELS.get(r["change"], r["change"])
    if kind_group[0] == "new_model":
        gone = r["change"] == "removed_model"
        return {"Benchmark": r["benchmark"], "Model": r["model_name"], "Change": label,
                "Rank": r["old_rank"] if gone else r["new_rank"],
                "Mean (Task)": _score(r["old_score"] if gone else r["new_score"])}
    if kind_group[0] == "new_result":
        delta = (r["new_score"] - r["old_score"]
                 if r["new_score"] is not None and r["old_score"] is not None else None)
        return {"Benchmark": r["benchmark"], "Model": r["model_name"], "Task": r["task_name"],
                "Change": label, "Old score": _score(r["old_score"]),
                "New score": _score(r["new_score"]), "Δ score": _score(delta)}
    return {"Benchmark": r["benchmark"], "Model": r["model_name"], "Change": label,
            "Old rank": r["old_rank"], "New rank": r["new_rank"], "Δ rank": r["rank_delta"],
            "Old mean": _score(r["old_score"]), "New mean": _score(r["new_score"])}


def _grid(grid_id: str, records: list[dict], columns: list[str]):
    for rec in records:
        for c in columns:
            rec.setdefault(c, None)
    records = [{c: rec[c] for c in columns} for rec in records]
    data = gridmod.generic_grid(records, widths={"Benchmark": 200, "Model": 300, "Task": 260,
                                                 "Change": 150})
    return dag.AgGrid(
        id=grid_id, columnDefs=data.column_defs, rowData=data.row_data,
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"rowHeight": gridmod.ROW_HEIGHT, "pagination": len(records) > 500,
                         "paginationPageSize": 500},
        csvExportParams={"fileName": f"{grid_id}.csv"},
        style=gridmod.grid_style(len(records), max_height=520))


def layout(benchmark: str | None = None, **query_params):
    date_from, date_to = query_params.get("from"), query_params.get("to")
    if date_from or date_to:
        return between_layout(date_from, date_to, benchmark)
    rows, error = load_changes()
    page = [html.H1("Changes since the previous build"), dates_form(None, None, benchmark)]
    if error is not None:
        page.append(html.Div(className="lb-notice lb-error", children=[
            html.H2("No history to compare"),
            html.P("The current build has no leaderboard history (run `mteb-lb refresh`)."),
            html.P(error, className="lb-hint")]))
        return html.Div(className="lb-pagewrap", children=page)
    if not rows and history_builds() <= 1:
        page.append(first_build_notice())
        return html.Div(className="lb-pagewrap", children=page)
    page.append(_header(rows))
    benchmarks = sorted({r["benchmark"] for r in rows})
    if benchmarks:
        page.append(_benchmark_links(benchmarks, benchmark))
    if benchmark:
        rows = [r for r in rows if r["benchmark"] == benchmark]
    if not rows:
        page.append(html.P("Nothing changed on the leaderboards between the two builds."
                           if not benchmark else f"Nothing changed on {benchmark}.",
                           className="lb-hint"))
    for title, kinds, columns in SECTIONS:
        records = [_record(kinds, r) for r in rows if r["change"] in kinds]
        if not records:
            continue
        counts = ", ".join(f"{sum(r['change'] == k for r in rows)} {KIND_LABELS[k].lower()}"
                           for k in kinds)
        page.append(html.Div(className="lb-card", children=[
            html.H3(f"{title} ({counts})"),
            _grid(f"changes-{title.lower().replace(' ', '-')}", records, columns)]))
    page.append(new_flags_card())
    return html.Div(className="lb-pagewrap", children=page)


def new_flags_card():
    """The validity flags new since the previous build (quality_new_flags), with their rule,
    model, task, values and the links to the model page and the score's file."""
    try:
        flags = query("quality_new_flags", sql=(
            "SELECT * FROM quality_new_flags ORDER BY level, rule, model_name, task_name, "
            "split, subset, path, message"))
    except Exception as exc:  # noqa: BLE001 - a build made before the flags were compared
        return html.Div(className="lb-card", id="changes-new-flags", children=[
            html.H3("New validity flags"),
            html.P(f"Not recorded by this build ({type(exc).__name__}).", className="lb-hint")])
    counts = ", ".join(f"{n} {sev}" for sev in ("error", "warning", "info")
                       if (n := sum(f["severity"] == sev for f in flags)))
    return html.Div(className="lb-card", id="changes-new-flags", children=[
        html.H3(f"New validity flags ({len(flags)})"),
        html.P(["Flags this build raises that the previous one did not"
                + (f": {counts}. " if flags else ": none. "),
                dcc.Link("Every flag, the rules and their explanations", href="/quality"),
                "."], className="lb-hint"),
        flags_grid(flags, "changes-new-flags-grid") if flags else None])


def history_builds() -> int:
    """Builds recorded in the leaderboard history (1 on the first build)."""
    try:
        return query("leaderboard_history_builds",
                     sql="SELECT count(*) AS n FROM leaderboard_history_builds")[0]["n"]
    except Exception:  # a build made before the history existed: nothing to compare either
        return 0


def first_build_notice():
    """The first build has nothing to be compared with: say so, and what the next build adds."""
    fresh = status.freshness()
    return html.Div(className="lb-notice lb-first-build", children=[
        html.H2("This is the first build"),
        html.P(["Build ", html.Code(fresh.get("build_id") or "?"),
                " is the first one recorded, so there is no earlier build to compare it with."]),
        html.P(["After the next build (", html.Code("mteb-lb refresh"), " or ",
                html.Code("mteb-lb etl"), " when the results repository has moved), this page "
                "lists, per benchmark: models new to or gone from the leaderboard, new, changed "
                "and removed task scores with their old and new values, and the models whose "
                "rank moved."])])


def _header(rows: list[dict]):
    fresh = status.freshness()
    build = (rows[0]["build_id"] if rows else None) or fresh.get("build_id")
    previous = rows[0]["previous_build_id"] if rows else None
    items = [html.Span(["Current build ", html.Code(build or "?")])]
    if previous:
        items.append(html.Span([" compared with ", html.Code(previous)]))
    if fresh.get("built_at"):
        items.append(html.Span(f" · built {fresh['built_at']} ({fresh.get('age')} ago)"))
    summary = ", ".join(f"{n} {KIND_LABELS[k].lower()}" for k in KIND_LABELS
                        if (n := sum(r["change"] == k for r in rows)))
    return html.Div(className="lb-card", children=[
        html.P(items), html.P(summary or "No change.", className="lb-hint"),
        html.P(["Scores on the 0-100 scale, default filters, registered models. Older states: ",
                html.Code("SELECT * FROM leaderboard_as_of(TIMESTAMP '2026-01-01')"),
                " in the SQL console."], className="lb-hint")])


def _benchmark_links(benchmarks: list[str], selected: str | None):
    links = [dcc.Link("All", href="/changes",
                      className="lb-bench-btn" + ("" if selected else " active"))]
    links += [dcc.Link(b, href="/changes?" + urlencode({"benchmark": b}),
                       className="lb-bench-btn" + (" active" if b == selected else ""))
              for b in benchmarks]
    return html.Div(className="lb-changes-benchmarks", children=links,
                    style={"display": "flex", "flexWrap": "wrap", "gap": "4px",
                           "margin": "8px 0 12px"})


# --------------------------------------------------------------------------------------------
# between any two dates (?from=YYYY-MM-DD&to=YYYY-MM-DD), with why models disappeared
# --------------------------------------------------------------------------------------------

def dates_form(date_from: str | None, date_to: str | None, benchmark: str | None):
    """A plain GET form: two dates (and the benchmark) -> /changes?from=..&to=.."""
    fields = [html.Label("From ", htmlFor="changes-from"),
              dcc.Input(id="changes-from", name="from", type="date", value=date_from or ""),
              html.Label(" to ", htmlFor="changes-to"),
              dcc.Input(id="changes-to", name="to", type="date", value=date_to or "")]
    if benchmark:
        fields.append(dcc.Input(type="hidden", name="benchmark", value=benchmark))
    fields.append(html.Button("Compare", type="submit", className="lb-button"))
    return html.Form(action="/changes", method="get", className="lb-card", children=[
        html.P("Compare the leaderboards of any two dates (the history's snapshots; "
               "today's catalog on the results known then):", className="lb-hint"),
        *fields])


def between_layout(date_from: str | None, date_to: str | None, benchmark: str | None):
    page = [html.H1("Changes between two dates"), dates_form(date_from, date_to, benchmark)]
    try:
        start, end = asof.parse_date(date_from or ""), asof.parse_date(date_to or "")
        snap_from, snap_to, rows = asof.changes_between(
            leaderboard().handle.build, start, end, benchmark)
    except (asof.AsOfError, warehouse.WarehouseError) as exc:
        page.append(html.Div(className="lb-notice lb-error", children=[
            html.H2("Cannot compare these dates"), html.P(str(exc))]))
        return html.Div(className="lb-pagewrap", children=page)
    page.append(html.Div(className="lb-card", children=[html.P([
        "From ", html.Code(snap_from.snapshot_id), f" ({snap_from.taken_at:%Y-%m-%d %H:%M}) to ",
        html.Code(snap_to.snapshot_id), f" ({snap_to.taken_at:%Y-%m-%d %H:%M}), UTC: ",
        ", ".join(f"{n} {KIND_LABELS[k].lower()}" for k in KIND_LABELS
                  if (n := sum(r["change"] == k for r in rows))) or "no change", "."])]))
    if benchmark:
        page.append(_benchmark_through_time(benchmark))
    for title, kinds, columns in SECTIONS:
        records = []
        for r in rows:
            if r["change"] in kinds:
                rec = _record(kinds, r)
                rec["Cause"] = r.get("cause")
                records.append(rec)
        if not records:
            continue
        cols = columns + (["Cause"] if kinds[0] in ("new_model", "new_result") else [])
        page.append(html.Div(className="lb-card", children=[
            html.H3(f"{title} ({len(records)})"),
            _grid(f"between-{title.lower().replace(' ', '-')}", records, cols)]))
    return html.Div(className="lb-pagewrap", children=page)


def _benchmark_through_time(benchmark: str):
    try:
        fig, rows = history_plots.benchmark_figure(benchmark)
    except Exception as exc:  # noqa: BLE001 - no history store: the table above still stands
        return html.P(f"No history of {benchmark}: {exc}", className="lb-hint")
    return html.Div(className="lb-card", id="changes-benchmark-history", children=[
        html.H3(f"{benchmark} through time: models and leader"),
        dcc.Graph(figure=fig, config={"displaylogo": False}),
        html.P(f"Leader now: {rows[-1]['leader']}" if rows else "No snapshot.",
               className="lb-hint")])
