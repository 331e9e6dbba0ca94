"""The grid of validity flags (docs/QUALITY.md) that the /quality page and the model page
show: one row per flag with its rule, the offending values, and links to the model page and to
the result file in the results repository (the score's provenance); and the marks of flagged
scores in the per-task grid (`mark_cells`)."""

from __future__ import annotations

import dash_ag_grid as dag
import pyarrow as pa
from dash import html

from app import grid as gridmod
from app import state as st
from app.components import build_info, source_file_url


def flags_grid(flags: list[dict], grid_id: str, *, page_size: int = 100):
    """An AG Grid of rows of the quality_flags macro (filterable, paginated)."""
    if not flags:
        return html.P("No flag.", className="lb-hint")
    info = build_info()
    records = [{"Severity": f["severity"], "Rule": f["rule"], "Model": f["model_name"],
                "Revision": f["revision"], "Task": f["task_name"], "Split": f["split"],
                "Subset": f["subset"], "Benchmark": f["benchmark"], "Message": f["message"],
                "Source file": f["path"]} for f in flags]
    data = gridmod.generic_grid(records, pinned=("Severity", "Rule"), widths={
        "Severity": 110, "Rule": 210, "Model": 300, "Revision": 150, "Task": 230, "Split": 100,
        "Subset": 110, "Benchmark": 180, "Message": 520, "Source file": 520})
    # one link per distinct model (a model page's flags all name the same model: ~400 links
    # encoded once, not 400 times: ~3 ms of a render)
    hrefs = {name: st.model_href(name) for name in {f["model_name"] for f in flags}}
    for row, f in zip(data.row_data, flags):
        row["model_url"] = hrefs[f["model_name"]]
        url = source_file_url(f["path"], info)
        if url:
            row["url"] = url
    for col in data.column_defs:
        if col["headerName"] in ("Message", "Source file", "Revision"):
            col["tooltipField"] = col["field"]
        if col["headerName"] == "Model":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": "model_url"})
        if col["headerName"] == "Source file":
            col.update(cellRenderer="RowLink", cellRendererParams={"hrefField": "url"})
    return dag.AgGrid(id=grid_id, columnDefs=data.column_defs, rowData=data.row_data,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                                       "rowHeight": gridmod.ROW_HEIGHT,
                                       "pagination": True, "paginationPageSize": page_size},
                      style=gridmod.grid_style(min(len(records), page_size), max_height=640))


def by_model(flags: pa.Table, field_of) -> dict[str, dict[str, list]]:
    """Per model, {field id: [[severity, rule, message], ...]} of its flagged task cells
    (``Leaderboard.task_flags`` rows); `field_of(task)` gives a column's field."""
    out: dict[str, dict[str, list]] = {}
    if flags.num_rows == 0 or "task_name" not in flags.column_names:
        return out
    for r in flags.to_pylist():
        fid = field_of(r["task_name"])
        if fid is not None:
            out.setdefault(r["model_name"], {}).setdefault(fid, []).append(
                [r["severity"], r["rule"], r["message"]])
    return out


def mark_cells(data: gridmod.GridData, flags: pa.Table | None) -> gridmod.GridData:
    """Per-task grid: a cell whose score has error or warning flags (``Leaderboard.task_flags``)
    gets the class ``lb-flagged`` (an icon, app/assets/style.css) and a tooltip line per flag
    (severity, rule, message), after the within-task spread when the cell has one (app/spread.py
    sets that tooltip first; ``flagTooltip`` in app/assets/dashAgGridFunctions.js joins them).
    Row data gains ``flags``: {field id: [[severity, rule, message], ...]} (``by_model``).
    ``flags`` None: not computed yet (a filter change fills the rows' ``flags`` in a second
    request with the spread, app/spread.py ``cells``), so every task column gets the rules."""
    cells_of = by_model(flags, data.field_of) if flags is not None else None
    if cells_of == {}:
        return data
    fids = gridmod.attach_cells(data, "flags", cells_of)
    for col in gridmod.leaf_columns(data.column_defs):
        fid = col.get("field")
        if fid not in fids:
            continue
        col["cellClassRules"] = {
            **col.get("cellClassRules", {}),
            "lb-flagged": f"!!(params.data && params.data.flags && params.data.flags['{fid}'])"}
        before = (col.get("tooltipValueGetter") or {}).get("function") or "null"
        col["tooltipValueGetter"] = {"function": f"flagTooltip(params, '{fid}', {before})"}
    return data
