"""Within-task spread in the per-task grid: where a result carries per-experiment scores
(``scores_per_experiment`` of classification and clustering tasks), the cell's tooltip gives the
mean ± standard deviation of the per-experiment task scores and their number
(``Leaderboard.task_spread``, queries/leaderboard/lb_task_spread.macro.sql)."""

from __future__ import annotations

import math
from dataclasses import replace

import pyarrow as pa

from app import flags
from app import grid as gridmod
from mteb_lb.rankings import leaderboard


def by_model(spread: pa.Table, field_of) -> dict[str, dict[str, list]]:
    """Per model, {field id: [mean, sd, n]} (numbers, 0-100 scale, sd null with one
    experiment) of its task cells with a spread; `field_of(task)` gives a column's field."""
    out: dict[str, dict[str, list]] = {}
    if spread.num_rows == 0 or "task_name" not in spread.column_names:
        return out
    for r in spread.to_pylist():
        fid = field_of(r["task_name"])
        if fid is None:
            continue
        sd = r["sd"] if r["sd"] is not None and math.isfinite(r["sd"]) else None
        out.setdefault(r["model_name"], {})[fid] = [
            round(r["mean"], gridmod.SCORE_DECIMALS),
            None if sd is None else round(sd, gridmod.SCORE_DECIMALS), r["n_experiments"]]
    return out


def decorate(data: gridmod.GridData, spread: pa.Table | None) -> gridmod.GridData:
    """Row data gains ``spread``: {field id: [mean, sd, n]} (``by_model``); each task column
    with one a tooltip reading it. ``spread`` None: not computed yet (a filter change fills the
    rows' ``spread`` in a second request, app/intervals.py), so every task column gets the
    tooltip, which shows nothing on cells without a spread."""
    cells_of = by_model(spread, data.field_of) if spread is not None else None
    if cells_of == {}:
        return data
    fids = gridmod.attach_cells(data, "spread", cells_of)
    for col in gridmod.leaf_columns(data.column_defs):
        fid = col.get("field")
        if fid in fids:
            s = f"params.data && params.data.spread && params.data.spread['{fid}']"
            col["tooltipValueGetter"] = {"function": (
                f"{s} ? 'Mean ' + {s}[0].toFixed(2) + ({s}[1] == null ? '' : ' ± ' + "
                f"{s}[1].toFixed(2)) + ' (sd over ' + {s}[2] + ' experiments)' : null")}
    return data


def cells(state) -> dict[str, dict] | None:
    """Per model of the per-task table, ``{"spread": by_model cells, "flags": its flagged
    cells}`` keyed by the page grid's field ids (what ``decorate`` and app/flags.py's
    ``mark_cells`` put in its rows); None for other views."""
    lb = leaderboard()
    if state.view != "per-task" or state.as_of:
        return None
    bench = lb.benchmark(state.benchmark)
    table = lb.view(replace(state, search="", sort=None))
    fields = gridmod.field_ids(gridmod.visible_columns(table, show_zero_shot=bench.show_zero_shot))
    found = by_model(lb.task_spread(bench.name, state.filters()), fields.get)
    flagged = flags.by_model(lb.task_flags(bench.name, state.filters()), fields.get)
    return {model: {key: c for key, c in (("spread", found.get(model)),
                                          ("flags", flagged.get(model))) if c}
            for model in found.keys() | flagged.keys()}
