"""The model page (path "/model?name=org/model"): one model's metadata, its rank on every
benchmark it has results for, and every result file with its provenance.

The metadata and the results come from the named SQL in ``queries/app_model_*.macro.sql``; the
ranks from ``mteb_lb.rankings`` (the same tables as the leaderboard, default filters; for a model
outside mteb's registry, with those models included), computed after the first paint.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import Input, Output, dcc, html

from app import cached_query, history_plots
from app import grid as gridmod
from app import state as st
from app.components import (
    build_info,
    did_you_mean,
    menu_order,
    no_build,
    source_file_url,
    warnings_box,
)
from app.flags import flags_grid
from mteb_lb import warehouse
from mteb_lb.lbstate import LeaderboardState
from mteb_lb.rankings import Filters, RankingError, leaderboard

dash.register_page(__name__, path="/model", name="Model", title="Model · MTEB Leaderboard",
                   order=5)

NAME_STORE = "model-name"
RANKS = "model-ranks"
PICKER = "model-picker"
NAV = "model-nav"


def query(name: str, params: dict | None = None) -> list[dict]:
    """The page's rows of a view or macro: app.cached_query, remembered per build (the page is
    rendered again on every visit; its rows are shared: read them, never modify them)."""
    return cached_query(name, params)


def layout(**query_params):
    name, warnings = st.decode_model(query_params)
    try:
        names = _all_models()
    except warehouse.WarehouseError as exc:
        return html.Div(className="lb-pagewrap", children=[no_build(exc)])
    header = [dcc.Location(id=NAV, refresh="callback-nav"), warnings_box(warnings)]
    if not name:
        return html.Div(className="lb-pagewrap", children=header + [
            html.H1("Models"), html.P("Pick a model to see its metadata, ranks and results."),
            picker(names, None)])
    card = query("app_model_card", {"model": name})
    if not card:
        close = [n for n in names if name.lower() in n.lower()][:12]
        return html.Div(className="lb-pagewrap", children=header + [
            html.Div(className="lb-notice lb-error", children=[
                html.H2(f"Unknown model “{name}”"),
                html.P("No model of the current build has this name (names look like "
                       "org/model)."),
                did_you_mean([dcc.Link(n, href=st.model_href(n)) for n in close])]),
            picker(names, None)])
    meta = card[0]
    results = query("app_model_results", {"model": name})
    return html.Div(className="lb-pagewrap", children=header + [
        dcc.Store(id=NAME_STORE, data=name),
        html.Div(className="lb-title-row", children=[
            html.H1(name.split("/")[-1], className="lb-bench-title"),
            html.Code(name, className="lb-bench-name"),
            html.A("Model card ↗", href=gridmod.external_url(meta.get("reference")),
                   target="_blank", rel="noopener noreferrer")
            if gridmod.external_url(meta.get("reference")) else None,
            dcc.Link("← Leaderboard", href="/", className="lb-button"),
        ]),
        html.Div(className="lb-stats", children=_badges(meta)),
        html.Div(className="lb-two-col", children=[
            html.Div(className="lb-card", children=[html.H3("Metadata"), _metadata(meta)]),
            html.Div(className="lb-card", children=[
                html.H3("Rank on each benchmark"),
                html.P("Default filters; the rank among the models of the official table"
                       + ("" if meta.get("in_registry") else
                          " (this model is not in mteb's registry, so these ranks include the "
                          "other models outside it)") + ".", className="lb-hint"),
                dcc.Loading(html.Div(id=RANKS, children=html.P("Computing ranks…",
                                                               className="lb-hint")),
                            type="dot")]),
        ]),
        history_card(name),
        _flags_card(name),
        html.Div(className="lb-card", children=[
            html.H3(f"Results ({len(results)} files)"),
            html.P("One row per result file (a task in a revision folder). “Used” marks the "
                   "file the leaderboards take for the task; the score is the mean main score "
                   "over all of the file's splits and subsets (× 100).", className="lb-hint"),
            _results_grid(results),
        ]),
        picker(names, name),
    ])


def history_card(name: str):
    """Rank and Mean (Task) through time on each benchmark (docs/HISTORY.md)."""
    try:
        rank_fig, mean_fig, n = history_plots.model_figures(name)
    except Exception as exc:  # noqa: BLE001 - no history yet or a damaged store: say so
        return html.Div(className="lb-card", children=[
            html.H3("Through time"), html.P(f"No history: {exc}", className="lb-hint")])
    if not n:
        return html.Div(className="lb-card", children=[
            html.H3("Through time"),
            html.P("No leaderboard history of this model (it is not on a default board, or "
                   "no history was recorded: `mteb-lb backfill`).", className="lb-hint")])
    return html.Div(className="lb-card", id="model-history", children=[
        html.H3("Through time"),
        html.P("Rank and Mean (Task) on each benchmark at every snapshot of the history "
               "(default filters; today's catalog on the results known then); diamonds mark "
               "the dates its results were added or changed.", className="lb-hint"),
        html.Div(className="lb-two-col", children=[
            dcc.Graph(id="model-rank-history", figure=rank_fig,
                      config={"displaylogo": False}),
            dcc.Graph(id="model-mean-history", figure=mean_fig,
                      config={"displaylogo": False})]),
    ])
def _flags_card(name: str):
    """The model's validity flags (docs/QUALITY.md), per result file."""
    flags = query("quality_flags", {"rule_name": None, "model": name, "max_level": None})
    return html.Div(className="lb-card", id="model-flags", children=[
        html.H3(f"Validity flags ({len(flags)})"),
        html.P(["Suspicious values found in this model's results and metadata ",
                dcc.Link("(all flags, rules)", href="/quality"), "."], className="lb-hint"),
        flags_grid(flags, "model-flags-grid", page_size=20)])


def _all_models() -> list[str]:
    leaderboard().build_id()          # raises WarehouseError when nothing is published
    return sorted(r["name"] for r in query("app_model_links"))


def picker(names: list[str], current: str | None):
    return html.Div(className="lb-card", children=[
        html.Label("Open another model", className="lb-field-label"),
        dcc.Dropdown(id=PICKER, options=names, value=current, placeholder="Type a model name…",
                     className="lb-dropdown", clearable=False)])


def _badges(meta: dict) -> list:
    def badge(text, kind=""):
        return html.Span(text, className=f"lb-badge {kind}".strip())

    out = [badge("Open weights", "ok") if meta.get("open_weights") else
           badge("Proprietary" if meta.get("open_weights") is False else "Weights: unknown"),
           badge("In mteb's registry", "ok") if meta.get("in_registry") else
           badge("Not in mteb's registry (from model_meta.json)", "no")]
    if meta.get("use_instructions"):
        out.append(badge("Instruction-tuned"))
    if "Sentence Transformers" in (meta.get("framework") or []):
        out.append(badge("Sentence-transformers"))
    for t in meta.get("model_type") or []:
        out.append(badge(t))
    if meta.get("training_known") is False:
        out.append(badge("Training data unknown (zero-shot: ⚠️ NA)", "no"))
    return out


def _fmt_params(b):
    return "Unknown" if b is None else (f"{b:.1f}B" if b >= 1 else f"{b * 1000:.0f}M")


def _metadata(meta: dict):
    def listing(v):
        return ", ".join(v) if v else "—"

    rows = [
        ("Release date", meta.get("release_date") or "Unknown"),
        ("Parameters", f"{_fmt_params(meta.get('total_params_b'))} total · "
                       f"{_fmt_params(meta.get('active_params_b'))} active"),
        ("Embedding dimensions", f"{meta['embed_dim']:,}" if meta.get("embed_dim") else "Unknown"),
        ("Max tokens", f"{meta['max_tokens']:,}" if meta.get("max_tokens")
         else "— (unlimited or unknown)"),
        ("License", meta.get("license") or "Unknown"),
        ("Frameworks", listing(meta.get("framework"))),
        ("Modalities", listing(meta.get("modalities"))),
        ("Adapted from", meta.get("adapted_from") or "—"),
        ("Revision", html.Code(meta.get("revision") or "—")),
        ("Metadata source", meta.get("source") or "—"),
        ("Results", f"{meta.get('n_files', 0):,} files on {meta.get('n_tasks', 0):,} tasks in "
                    f"{meta.get('n_revisions', 0)} revision folder(s)"),
        ("Training data", html.Details([
            html.Summary(f"{len(meta.get('training_datasets') or [])} declared datasets"),
            html.P(listing(meta.get("training_datasets")), className="lb-hint")])
         if meta.get("training_datasets") else
         ("Unknown" if meta.get("training_known") is False else "None declared")),
    ]
    return html.Dl(className="lb-kv", children=[x for k, v in rows
                                                for x in (html.Dt(k), html.Dd(v))])


def _results_grid(results: list[dict]):
    info = build_info()
    records = []
    for r in results:
        records.append({
            "Task": r["task_name"], "Type": r["task_type"], "Metric": r["metric"],
            "Score": r["score"], "Used": bool(r["used_by_leaderboard"]),
            "Splits": r["splits"], "Subsets": r["n_subsets"], "Entries": r["n_entries"],
            "Revision folder": r["revision_folder"], "mteb version": r["mteb_version"],
            "Dataset revision": r["dataset_revision"],
            "Evaluated": str(r["date"])[:10] if r.get("date") else None,
            "Source file": r["path"], "_url": source_file_url(r["path"], info),
        })
    if not records:
        return html.P("No result file.", className="lb-hint")
    data = gridmod.generic_grid(
        [{k: v for k, v in rec.items() if k != "_url"} for rec in records],
        numeric_decimals={"Score": 2}, pinned=("Task",),
        widths={"Task": 240, "Type": 150, "Metric": 140, "Score": 100, "Used": 92,
                "Splits": 130, "Subsets": 110, "Entries": 106, "Revision folder": 180,
                "mteb version": 136, "Dataset revision": 180, "Evaluated": 120,
                "Source file": 520})
    url_field = "url"
    for row, rec in zip(data.row_data, records):
        if rec["_url"]:
            row[url_field] = rec["_url"]
    for col in data.column_defs:
        if col["headerName"] in ("Revision folder", "Dataset revision", "Source file"):
            col["tooltipField"] = col["field"]
        if col["headerName"] == "Source file":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": url_field})
        if col["headerName"] == "Used":
            col["cellClassRules"] = {"lb-best": "params.value === true"}
    return dag.AgGrid(id="model-results", columnDefs=data.column_defs, rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                                       "rowHeight": gridmod.ROW_HEIGHT},
                      style=gridmod.grid_style(len(records), max_height=600))


# --------------------------------------------------------------------------------------------
# ranks
# --------------------------------------------------------------------------------------------

def model_ranks(name: str) -> list[dict]:
    """For each benchmark the model has results on: its rank, the number of models ranked,
    the benchmark's main mean, and the share of tasks it ran (menu order first)."""
    lb = leaderboard()
    card = query("app_model_card", {"model": name})
    if not card:
        return []
    filters = Filters(all_models=not card[0].get("in_registry"))
    order = {b: i for i, b in enumerate(menu_order(lb.menu()))}
    covered = sorted(query("app_model_benchmarks", {"model": name}),   # shared rows
                     key=lambda r: (order.get(r["benchmark"], len(order)), r["benchmark"]))
    out = []
    for c in covered:
        try:
            bench = lb.benchmark(c["benchmark"])
            table = lb.summary(bench.name, filters)
        except RankingError:
            continue
        rows = table.to_pylist()
        row = next((r for r in rows if r["Model"] == name), None)
        metric = next((m for m in [bench.raw.get("summary_primary_metric_column"),
                                   *bench.mean_columns] if m and m in table.column_names), None)
        out.append({
            "benchmark": bench.name, "label": bench.display_name,
            "on_menu": bench.name in order,
            "rank": row.get(bench.rank_column) if row else None, "of": len(rows),
            "rank_column": bench.rank_column, "metric": metric,
            "score": row.get(metric) if row and metric else None,
            "tasks_run": c["n_tasks_run"], "tasks": c["n_tasks"],
        })
    return out


def ranks_table(name: str, ranks: list[dict]):
    if not ranks:
        return html.P("This model has no result on any benchmark of the current build.",
                      className="lb-hint")
    body = []
    for r in ranks:
        href = st.leaderboard_href(LeaderboardState(benchmark=r["benchmark"], selected=(name,)))
        body.append(html.Tr([
            html.Td([dcc.Link(r["label"], href=href, title=r["benchmark"]),
                     html.Span(f" {r['benchmark']}", className="lb-hint")
                     if r["label"] != r["benchmark"] else None,
                     html.Span(" (off menu)", className="lb-hint") if not r["on_menu"] else None]),
            html.Td(f"{r['rank']} / {r['of']}" if r["rank"] is not None else "—", className="num",
                    title=r["rank_column"]),
            html.Td(f"{r['score']:.2f}" if r["score"] is not None else "–", className="num",
                    title=r["metric"] or ""),
            html.Td(f"{r['tasks_run']} / {r['tasks']}", className="num"),
        ]))
    return html.Div(style={"maxHeight": "520px", "overflowY": "auto"}, children=html.Table(
        className="lb-table", children=[
            html.Thead(html.Tr([html.Th("Benchmark"), html.Th("Rank", className="num"),
                                html.Th("Mean", className="num",
                                        title="The benchmark's main mean (blank when a task "
                                              "is missing)"),
                                html.Th("Tasks run", className="num")])),
            html.Tbody(body)]))


def show_ranks(name):
    if not name:
        raise dash.exceptions.PreventUpdate
    return ranks_table(name, model_ranks(name))


def open_model(value):
    if not value:
        raise dash.exceptions.PreventUpdate
    return st.model_href(value)


def register_callbacks(app: dash.Dash) -> None:
    app.callback(Output(RANKS, "children"), Input(NAME_STORE, "data"))(show_ranks)
    app.callback(Output(NAV, "href"), Input(PICKER, "value"),
                 prevent_initial_call=True)(open_model)
