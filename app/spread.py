"""Within-task spread in the per-task grid: where a result carries per-experiment scores
(``scores_per_experiment`` of classification and clustering tasks), the cell's tooltip gives the
mean ± standard deviation of the per-experiment task scores and their number
(``Leaderboard.task_spread``, queries/leaderboard/lb_task_spread.macro.sql)."""

from __future__ import annotations

import math

import pyarrow as pa

from app import grid as gridmod


def decorate(data: gridmod.GridData, spread: pa.Table) -> gridmod.GridData:
    """Row data gains ``spread``: {field id: [mean, sd, n]} (numbers, 0-100 scale, sd null
    with one experiment); each task column a tooltip reading it."""
    if spread.num_rows == 0 or "task_name" not in spread.column_names:
        return data
    by_model: dict[str, dict[str, list]] = {}
    for r in spread.to_pylist():
        fid = data.field_of(r["task_name"])
        if fid is None:
            continue
        sd = r["sd"] if r["sd"] is not None and math.isfinite(r["sd"]) else None
        by_model.setdefault(r["model_name"], {})[fid] = [
            round(r["mean"], gridmod.SCORE_DECIMALS),
            None if sd is None else round(sd, gridmod.SCORE_DECIMALS), r["n_experiments"]]
    if not by_model:
        return data
    for row in data.row_data:
        cells = by_model.get(row.get("model"))
        if cells:
            row["spread"] = cells
    fids = {fid for cells in by_model.values() for fid in cells}
    for col in _columns(data.column_defs):
        fid = col.get("field")
        if fid in fids:
            s = f"params.data && params.data.spread && params.data.spread['{fid}']"
            col["tooltipValueGetter"] = {"function": (
                f"{s} ? 'Mean ' + {s}[0].toFixed(2) + ({s}[1] == null ? '' : ' ± ' + "
                f"{s}[1].toFixed(2)) + ' (sd over ' + {s}[2] + ' experiments)' : null")}
    return data


def _columns(defs: list[dict]):
    for col in defs:
        if "children" in col:
            yield from _columns(col["children"])
        else:
            yield col
