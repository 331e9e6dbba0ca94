"""The data-quality page (path "/quality"): the validity flags of the current build
(docs/QUALITY.md).

Counts per rule (the rule registry with its explanations and evidence), per model and per
benchmark, and a filterable grid of the flags with a link to the provenance of each score (the
result file in the results repository, and the model page). ``?severity=`` (error, warning or
info: the mildest severity listed; default warning) and ``?rule=`` narrow the grid; the counts
always cover everything. All of it comes from the named SQL in ``queries/quality/``.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import dcc, html

from app import grid as gridmod
from app import query
from app import state as st
from app.components import no_build, warnings_box
from app.flags import flags_grid
from mteb_lb import warehouse

dash.register_page(__name__, path="/quality", name="Quality",
                   title="Data quality · MTEB Leaderboard", order=4)

SEVERITIES = {"error": 1, "warning": 2, "info": 3}
GRID = "quality-flags"


def layout(severity: str = "warning", rule: str | None = None, **_query):
    warnings = []
    if severity not in SEVERITIES:
        warnings.append(f"'severity={severity}' is not valid; valid values: "
                        f"{', '.join(SEVERITIES)}.")
        severity = "warning"
    try:
        rules = query("quality_rule_counts")
    except warehouse.WarehouseError as exc:
        return html.Div(className="lb-pagewrap", children=[no_build(exc)])
    if rule is not None and rule not in {r["rule"] for r in rules}:
        warnings.append(f"'rule={rule}' is not a rule; valid rules: "
                        f"{', '.join(r['rule'] for r in rules)}.")
        rule = None
    flags = query("quality_flags", {"rule_name": rule, "model": None,
                                    "max_level": None if rule else SEVERITIES[severity]})
    models = query("quality_model_counts")
    benchmarks = query("quality_benchmark_counts")
    shown = (f"rule {rule}" if rule else
             {"error": "errors", "warning": "errors and warnings",
              "info": "every severity"}[severity])
    return html.Div(className="lb-pagewrap", children=[
        warnings_box(warnings),
        html.H1("Data quality"),
        html.P(["Every build checks each result against the rules below and flags what looks "
                "wrong, with the offending values and the file they come from. The leaderboard "
                "can leave flagged scores out (the “exclude flagged scores” option, URL "
                "parameter ", html.Code("exclude_flags=error"), "). Rules, tolerances and known "
                "evaluator bugs: docs/QUALITY.md."], className="lb-hint"),
        html.Div(className="lb-card", children=[html.H3("Rules"), _rules_grid(rules)]),
        html.Div(className="lb-two-col", children=[
            html.Div(className="lb-card", children=[html.H3("Flags per model"),
                                                    _models_grid(models)]),
            html.Div(className="lb-card", children=[html.H3("Flagged results per benchmark"),
                                                    _benchmarks_grid(benchmarks)]),
        ]),
        html.Div(className="lb-card", children=[
            html.H3(f"Flags: {shown} ({len(flags):,})"),
            html.P(["Severity shown: ",
                    *[x for s in SEVERITIES for x in (
                        dcc.Link(s, href=f"/quality?severity={s}",
                                 className="lb-button" + (" lb-active" if s == severity
                                                          and not rule else "")), " ")],
                    "· the column filters narrow further."], className="lb-hint"),
            flags_grid(flags, GRID)]),
    ])


def _rules_grid(rules: list[dict]):
    records = [{"Rule": r["rule"], "Severity": r["severity"], "Flags": r["n_flags"],
                "Models": r["n_models"], "Checks": r["explanation"], "Evidence": r["evidence"]}
               for r in rules]
    data = gridmod.generic_grid(records, pinned=("Rule",), widths={
        "Rule": 230, "Severity": 110, "Flags": 100, "Models": 100, "Checks": 560,
        "Evidence": 420})
    for row, r in zip(data.row_data, rules):
        row["url"] = f"/quality?rule={r['rule']}"
        row["evidence_url"] = gridmod.external_url(r["evidence"])
    for col in data.column_defs:
        if col["headerName"] == "Rule":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": "url"})
        if col["headerName"] == "Evidence":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": "evidence_url"})
        if col["headerName"] == "Checks":
            col["tooltipField"] = col["field"]
    return dag.AgGrid(id="quality-rules", columnDefs=data.column_defs, rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True},
                      dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                                       "rowHeight": gridmod.ROW_HEIGHT},
                      style=gridmod.grid_style(len(records)))


def _models_grid(models: list[dict]):
    records = [{"Model": m["model_name"], "Errors": m["n_error"], "Warnings": m["n_warning"],
                "Info": m["n_info"]} for m in models]
    if not records:
        return html.P("No flag.", className="lb-hint")
    data = gridmod.generic_grid(records, pinned=("Model",), widths={"Model": 320})
    for row, m in zip(data.row_data, models):
        row["url"] = st.model_href(m["model_name"])
    for col in data.column_defs:
        if col["headerName"] == "Model":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": "url"})
    return dag.AgGrid(id="quality-models", columnDefs=data.column_defs, rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"animateRows": False, "rowHeight": gridmod.ROW_HEIGHT},
                      style=gridmod.grid_style(len(records), max_height=420))


def _benchmarks_grid(benchmarks: list[dict]):
    records = [{"Benchmark": b["benchmark"], "Results": b["n_results"],
                "Flagged": b["n_flagged"], "Models flagged": b["n_models_flagged"]}
               for b in benchmarks]
    if not records:
        return html.P("No benchmark.", className="lb-hint")
    data = gridmod.generic_grid(records, pinned=("Benchmark",), widths={"Benchmark": 280})
    return dag.AgGrid(id="quality-benchmarks", columnDefs=data.column_defs,
                      rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"animateRows": False, "rowHeight": gridmod.ROW_HEIGHT},
                      style=gridmod.grid_style(len(records), max_height=420))
