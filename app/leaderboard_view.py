"""The leaderboard page's view model: a state -> the grid data, counts, notices and CSV.

Everything the page shows about a table is computed here from ``mteb_lb.rankings`` (which does
the ranking in SQL); the page module only lays it out and wires the callbacks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

import dash

from app import flags, intervals, query, spread
from app import grid as gridmod
from mteb_lb import lbstate, output
from mteb_lb.rankings import RankingError, leaderboard, search_rows

log = logging.getLogger(__name__)

@dataclass
class View:
    grid: gridmod.GridData | None = None        # summary / per task / per language
    task_grid: gridmod.GridData | None = None   # task information
    n_models: int = 0
    n_models_before_search: int = 0
    n_tasks: int = 0
    n_tasks_total: int = 0
    empty: str | None = None                    # why nothing is shown, when nothing is
    error: str | None = None
    blank_tasks: tuple[str, ...] = ()           # tasks no model has a complete score on
    blank_rows: int = 0                         # summary rows whose Mean (Task) is blank


def _model_links() -> dict[str, str]:
    lb = leaderboard()
    key = ("app_model_links", lb.cache_key())
    cached = _LINKS.get("key")
    if cached != key:
        _LINKS["value"] = {r["name"]: r["reference"] for r in query("app_model_links")
                           if r.get("reference")}
        _LINKS["key"] = key
    return _LINKS["value"]


_LINKS: dict = {}
_TASK_METAS: dict = {}


def task_metas(benchmark: str) -> dict[str, dict]:
    """Task metadata of a benchmark's tasks, memoised per build (the grid asks per column)."""
    lb = leaderboard()
    key = (lb.cache_key(), benchmark)
    if key not in _TASK_METAS:
        if len(_TASK_METAS) > 256:
            _TASK_METAS.clear()
        _TASK_METAS[key] = {t: lb.task_meta(t) or {} for t in lb.benchmark(benchmark).task_names}
    return _TASK_METAS[key]


def compute_view(state: lbstate.LeaderboardState, *, interval_mode: str = "compute") -> View:
    """`interval_mode`: the summary's interval columns (``Leaderboard.view``'s `intervals`) and
    the per-task spread tooltips: a filter change asks "cached" (only when already computed)
    and fills them in a second request (app/intervals.py)."""
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    filters = state.filters()
    view = View(n_tasks_total=len(bench.task_names))
    try:
        view.n_tasks = len(lb.selected_tasks(bench.name, filters) if state.missing != "common"
                           else lb.ranked_tasks(bench.name, filters))
        unsearched_table = lb.view(replace(state, search="", sort=None),
                                   intervals=interval_mode)
        table = search_rows(unsearched_table, state.search)
    except RankingError as exc:
        view.error = str(exc)
        return view
    except Exception as exc:  # a broken build or query: say so, keep the page usable
        log.exception("leaderboard view failed for %s", lbstate.encode(state))
        view.error = (f"This table could not be computed ({type(exc).__name__}: {exc}). "
                      "Try another tab or benchmark; the build status page tells which data "
                      "is served.")
        return view
    if state.view == "tasks":
        view.task_grid = gridmod.task_info_grid(table)
        view.n_models = view.n_models_before_search = 0
        if table.num_rows == 0:
            view.empty = "No task matches the task filters."
        return view
    unsearched = unsearched_table.num_rows
    view.n_models_before_search = unsearched
    view.n_models = table.num_rows
    metas = task_metas(bench.name)
    metrics, counts = gridmod.type_metric_info(lb.selected_tasks(bench.name, filters), metas.get)
    view.grid = gridmod.model_grid(
        table, view=state.view, show_zero_shot=bench.show_zero_shot, task_meta=metas.get,
        type_metrics=metrics, type_counts=counts, links=_model_links(),
        href_base=dash.get_relative_path("/model"), sort=state.sort,
        trained=lb.trained_tasks(bench.name) if state.view == "per-task" else None)
    annotate_order(view.grid.column_defs, order_note(bench),
                   ("Rank (Borda)", bench.default_sort))
    if state.view == "summary":
        view.grid = intervals.decorate(view.grid, state.resamples)
    elif state.view == "per-task":
        view.grid = spread.decorate(view.grid, lb.task_spread(
            bench.name, filters, compute=interval_mode == "compute"))
        view.grid = flags.mark_cells(view.grid, lb.task_flags(
            bench.name, filters, compute=interval_mode == "compute"))
    if state.view == "summary" and table.num_rows:
        view.blank_tasks = tuple(lb.tasks_without_scores(bench.name, filters))
        if "Mean (Task)" in table.column_names:
            view.blank_rows = table.column("Mean (Task)").null_count
    if view.n_tasks == 0 and state.missing == "common":
        view.empty = ("No task has a score from every model of this table (“common tasks "
                      "only”): narrow the models with the filters, or rank the complete models "
                      "only.")
    elif view.n_tasks == 0:
        view.empty = ("No task is left: the task type, domain, modality, language and task "
                      "filters exclude every task of this benchmark.")
    elif unsearched == 0:
        view.empty = "No model matches the model filters."
    elif table.num_rows == 0:
        view.empty = (f"No model name matches “{state.search}” ({unsearched} models match the "
                      "filters). Search looks for a part of the name or organisation; separate "
                      "several with ';'.")
    return view


def counts_text(view: View, state: lbstate.LeaderboardState) -> str:
    if view.error:
        return ""
    if state.view == "tasks":
        return f"{view.n_tasks} of {view.n_tasks_total} tasks"
    models = (f"{view.n_models} of {view.n_models_before_search} models"
              if view.n_models != view.n_models_before_search else f"{view.n_models} models")
    text = f"{models} · {view.n_tasks} of {view.n_tasks_total} tasks"
    # the per-task tab's ⚠ is explained under the toolbar (TRAINED_NOTE), so the toolbar's
    # buttons stay in place across tabs
    # the tasks that blank the means: a notice of their own (app/task_picker.py), so the
    # toolbar keeps its height
    if not view.blank_tasks and view.blank_rows and state.missing == "official":
        text += intervals.blank_rows_hint(view.blank_rows)
    return text


def order_note(bench) -> str | None:
    """Why the rank column is not in order, for benchmarks the official board orders by a mean
    (HUME: Mean (Subset)); None when the rows follow the rank."""
    if bench.sort_column or bench.default_sort in (None, "", "Rank (Borda)"):
        return None
    return (f"Rows are ordered by {bench.default_sort}, as on the official leaderboard for this "
            "benchmark; Rank (Borda) counts the models each one beats task by task, so it does "
            "not follow that order. Click a header to sort by it.")


def annotate_order(column_defs: list[dict], note: str | None, columns) -> None:
    """Put the order note at the end of these columns' header tooltips (in place)."""
    if not note:
        return
    for col in column_defs:
        if "children" in col:
            annotate_order(col["children"], note, columns)
        elif col.get("colId") in columns:
            tip = col.get("headerTooltip")
            col["headerTooltip"] = f"{tip} {note}" if tip else note


TRAINED_NOTE = "⚠ marks a score on a task the model was trained on (not zero-shot)."


def view_csv(state: lbstate.LeaderboardState) -> str:
    """The current view as CSV: what `/api/table?format=csv` and `mteb-lb table` give for the
    same state (official column names, unrounded values, the grid's sort)."""
    return output.to_text(leaderboard().view(state), "csv")


def csv_filename(state: lbstate.LeaderboardState) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", state.benchmark or "leaderboard").strip("_")
    return f"{slug}_{state.view.replace('-', '_')}.csv"
