"""Within-task spread in the per-task grid: where a result carries per-experiment scores
(``scores_per_experiment`` of classification and clustering tasks), the cell's tooltip gives the
mean ± standard deviation of the per-experiment task scores and their number
(``Leaderboard.task_spread``, queries/leaderboard/lb_task_spread.macro.sql)."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pyarrow as pa

from app import flags
from app import grid as gridmod
from mteb_lb.arrow_np import numpy_of
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


def shown_column(column) -> list:
    """``shown`` of every value of a float64 column (None for a null or non-finite one), in
    numpy: each value rounded to SCORE_DECIMALS as the grid rounds scores (app/grid.py
    ``_score_cells``: the same floats as ``round``), then to the nearer hundredth of its
    magnitude; a value whose scaled magnitude lies within 1e-6 of a half at either step goes
    through ``shown`` itself."""
    values, valid = numpy_of(column)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = valid & np.isfinite(values)
        scale = 10.0 ** gridmod.SCORE_DECIMALS
        scaled = values * scale
        rounded = np.rint(scaled) / scale
        magnitude = np.abs(rounded) * 100
        whole = np.floor(magnitude)
        up = magnitude - whole > 0.5
        cells = (np.copysign(whole + up, rounded) / 100).tolist()
        unsure = ok & ((np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
                       | (np.abs(magnitude - whole - 0.5) < 1e-6) | ~(np.abs(values) < 1e9)
                       | ((whole + up == 0) & (values < 0)))   # "-0.00": shown keeps the sign
    for i in np.flatnonzero(unsure).tolist():
        cells[i] = shown(float(values[i]))
    for i in np.flatnonzero(~ok).tolist():
        cells[i] = None
    return cells


def _float64(column):
    return column if column.type == pa.float64() else column.cast(pa.float64())


def by_model(spread: pa.Table, field_of) -> dict[str, dict[str, list]]:
    """Per model, {field id: [mean, sd, n]} (numbers, 0-100 scale, as the tooltip shows them:
    ``shown``; sd null with one experiment) of its task cells with a spread; `field_of(task)`
    gives a column's field."""
    out: dict[str, dict[str, list]] = {}
    if spread.num_rows == 0 or "task_name" not in spread.column_names:
        return out
    tasks = spread.column("task_name").to_pylist()
    fids = {t: field_of(t) for t in set(tasks)}
    for model, task, mean, sd, n in zip(
            spread.column("model_name").to_pylist(), tasks,
            shown_column(_float64(spread.column("mean"))),
            shown_column(_float64(spread.column("sd"))),
            spread.column("n_experiments").to_pylist()):
        fid = fids[task]
        if fid is not None and mean is not None:
            out.setdefault(model, {})[fid] = [mean, sd, n]
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
            # "Mean 67.00 ± 1.73 (sd over 3 experiments)" (app/assets/dashAgGridFunctions.js)
            col["tooltipValueGetter"] = {"function": f"spreadTooltip(params, '{fid}')"}
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
