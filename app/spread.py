"""Within-task spread in the per-task grid: where a result carries per-experiment scores
(``scores_per_experiment`` of classification and clustering tasks), the cell's tooltip gives the
mean ± standard deviation of the per-experiment task scores and their number
(``Leaderboard.task_spread``, queries/leaderboard/lb_task_spread.macro.sql)."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa

from app import flags
from app import grid as gridmod
from mteb_lb.rankings import leaderboard

SHOWN_DECIMALS = 2   # the tooltip's toFixed(2)
_HUNDREDTH = Decimal(1).scaleb(-SHOWN_DECIMALS)


def shown(value: float) -> float:
    """The number the tooltip shows, as a number: JavaScript's ``toFixed(2)`` of the value
    rounded to the grid's SCORE_DECIMALS (what the cells carried before: the exact binary value,
    halves away from zero), so the rows carry two decimals instead of four and the tooltip's
    text is unchanged (``toFixed(2)`` of the nearest double to a 2-decimal number is that
    number)."""
    if value < 0:   # toFixed rounds the magnitude (round() is symmetric), keeping the sign of
        return -shown(-value) or round(value, gridmod.SCORE_DECIMALS)   # "-0.00"
    rounded = round(value, gridmod.SCORE_DECIMALS)
    scaled = rounded * 100
    whole = math.floor(scaled)
    if abs(scaled - whole - 0.5) > 1e-6:   # not near a half: the nearer hundredth
        return (whole + (scaled - whole > 0.5)) / 100
    exact = Decimal(rounded)               # near a half: decided on the exact binary value
    return float(exact.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP))


def by_model(spread: pa.Table, field_of) -> dict[str, dict[str, list]]:
    """Per model, {field id: [mean, sd, n]} (numbers, 0-100 scale, as the tooltip shows them:
    ``shown``; sd null with one experiment) of its task cells with a spread; `field_of(task)`
    gives a column's field."""
    out: dict[str, dict[str, list]] = {}
    if spread.num_rows == 0 or "task_name" not in spread.column_names:
        return out
    fids = {t: field_of(t) for t in set(spread.column("task_name").to_pylist())}
    for model, task, mean, sd, n in zip(*(spread.column(c).to_pylist() for c in (
            "model_name", "task_name", "mean", "sd", "n_experiments"))):
        fid = fids[task]
        if fid is None:
            continue
        sd = shown(sd) if sd is not None and math.isfinite(sd) else None
        out.setdefault(model, {})[fid] = [shown(mean), sd, n]
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


def packed(found: dict[str, dict]) -> dict:
    """``cells``' answer as the deferred request sends it: each distinct flag ([severity, rule,
    message]) once in ``flags``, the cells' ``flags`` lists holding their indices into it
    (a `missing_splits` message repeats on every task of a model);
    app/assets/intervals.js puts the flags back before merging the cells into the rows."""
    index: dict[tuple, int] = {}
    out = {}
    for model, cell in found.items():
        if "flags" in cell:
            cell = {**cell, "flags": {fid: [index.setdefault(tuple(f), len(index)) for f in fl]
                                      for fid, fl in cell["flags"].items()}}
        out[model] = cell
    return {"cells": out, "flags": [list(f) for f in index]}
