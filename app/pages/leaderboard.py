"""The leaderboard page (path "/"): benchmark menu, filters, tables, plots, CSV download.

Every piece of state lives in the URL (``app/state.py``): ``layout(**query)`` decodes it and
renders the whole page server side, data included, so the first paint needs no callback. Then:

* a menu click swaps the page body for another benchmark (``switch_benchmark``), keeping the
  model filters, search and selection;
* a filter, tab or search change recomputes the visible table (``update_view``): parse the
  controls into a state, ask ``mteb_lb.rankings`` for the table, shape it with ``app.grid``;
* the plot follows the same state and the row selection (``update_plot``);
* ``sync_url`` writes the state back to the address bar (no reload).

Callbacks stay thin; they are plain functions of their inputs (tests call them directly) and are
attached to an app by ``register_callbacks(app)``.
"""

# No `from __future__ import annotations` here: Dash executes page modules before they are in
# sys.modules, and dataclasses then cannot resolve string annotations.
import csv
import io
import logging
import math
import re
from dataclasses import dataclass, replace

import dash
import dash_ag_grid as dag
import pyarrow as pa
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from app import grid as gridmod
from app import state as st
from app.main import no_build
from mteb_lb import csvsafe, warehouse
from mteb_lb.rankings import RankingError, leaderboard

log = logging.getLogger(__name__)

dash.register_page(__name__, path="/", name="Leaderboard", title="MTEB Leaderboard", order=0,
                   description="The MTEB leaderboard: rankings of embedding models.")

# --------------------------------------------------------------------------------------------
# ids
# --------------------------------------------------------------------------------------------

URL = "lb-url"
BODY = "lb-body"
BENCH = "lb-bench"
GRID = "lb-grid"
TASK_GRID = "lb-task-grid"
MENU_BTN = "lb-bench-btn"
PLOT = "lb-plot"
PLOT_TABS = "lb-plot-tabs"
VIEW_KEY = "lb-view-key"

# Control key -> component id; every control's property is "value".
CONTROLS = {
    "tab": "lb-tabs", "search": "lb-search", "size": "lb-size", "size_unknown": "lb-size-unknown",
    "avail": "lb-avail", "inst": "lb-inst", "st": "lb-st", "mtypes": "lb-mtypes", "zs": "lb-zs",
    "all": "lb-all", "types": "lb-types", "doms": "lb-doms", "mods": "lb-mods",
    "langs": "lb-langs", "tasks": "lb-tasks",
}
CONTROL_KEYS = tuple(CONTROLS)

# Task types left out of the radar: their scores can be negative (as the official plot does).
RADAR_EXCLUDED_TYPES = ("InstructionRetrieval", "InstructionReranking")
SIZE_FLOOR_B = 1e-3          # the size slider starts at 1M parameters at the lowest
RADAR_TOP = 5
LABEL_POSITIONS = ("top center", "bottom center", "middle left", "top left", "bottom right")


# --------------------------------------------------------------------------------------------
# state <-> controls
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizeScale:
    """The log10 size slider of one benchmark (bounds in log10(billions))."""

    lo: float
    hi: float

    @classmethod
    def of(cls, params_range_b) -> "SizeScale | None":
        lo, hi = params_range_b or (None, None)
        if hi is None or hi <= 0:
            return None
        lo = max(lo or 0.0, SIZE_FLOOR_B)
        lo_log = math.floor(math.log10(lo) * 10) / 10
        hi_log = math.ceil(math.log10(hi) * 10) / 10
        if hi_log <= lo_log:
            hi_log = lo_log + 0.1
        return cls(lo_log, hi_log)

    def value(self, min_b, max_b) -> list[float]:
        lo = self.lo if min_b is None else min(max(_log(min_b), self.lo), self.hi)
        hi = self.hi if max_b is None else max(min(_log(max_b), self.hi), self.lo)
        return [round(lo, 4), round(hi, 4)]

    def bounds(self, value) -> tuple[float | None, float | None]:
        if not value or len(value) != 2:
            return None, None
        lo, hi = sorted(float(v) for v in value)
        min_b = None if lo <= self.lo + 1e-9 else _sig3(10 ** lo)
        max_b = None if hi >= self.hi - 1e-9 else _sig3(10 ** hi)
        return min_b, max_b

    def marks(self) -> dict:
        labels = {-3: "1M", -2: "10M", -1: "100M", 0: "1B", 1: "10B", 2: "100B", 3: "1T"}
        return {k: v for k, v in labels.items() if self.lo <= k <= self.hi}


def _log(x: float) -> float:
    return math.log10(max(x, 1e-9))


def _sig3(x: float) -> float:
    return float(f"{x:.3g}")


def _selection(value, options: list[str]) -> tuple[str, ...] | None:
    """A checklist value -> None when everything is ticked, else the ticked ones in order."""
    chosen = list(value or [])
    if options and set(chosen) >= set(options):
        return None
    return tuple(o for o in options if o in chosen) + tuple(c for c in chosen if c not in options)


def controls_to_state(benchmark: str, values: dict, *, models=(), plot: str = "size",
                      sort=None) -> st.LeaderboardState:
    """The control values of a page (keyed as CONTROLS) -> a LeaderboardState."""
    opts = leaderboard().options(benchmark)
    scale = SizeScale.of(opts.params_range_b)
    min_b, max_b = scale.bounds(values.get("size")) if scale else (None, None)
    langs = tuple(values.get("langs") or ())
    tasks = tuple(values.get("tasks") or ())
    return st.LeaderboardState(
        benchmark=benchmark,
        tab=values.get("tab") if values.get("tab") in st.TABS else "summary",
        query=(values.get("search") or "").strip(),
        min_b=min_b, max_b=max_b,
        unknown_size="keep" in (values.get("size_unknown") or []),
        availability=values.get("avail") or None,
        instructions=values.get("inst") or None,
        sentence_transformers="st" in (values.get("st") or []),
        model_types=_selection(values.get("mtypes"), opts.model_types),
        zero_shot=values.get("zs") or "allow_all",
        all_models="all" in (values.get("all") or []),
        task_types=_selection(values.get("types"), opts.task_types),
        domains=_selection(values.get("doms"), opts.domains),
        modalities=_selection(values.get("mods"), opts.modalities),
        languages=langs or None, tasks=tasks or None,
        models=tuple(models or ()), plot=plot if plot in st.PLOTS else "size", sort=sort,
    )


def state_to_controls(state: st.LeaderboardState) -> dict:
    """The inverse of controls_to_state: each control's value for a state."""
    opts = leaderboard().options(state.benchmark)
    scale = SizeScale.of(opts.params_range_b)
    return {
        "tab": state.tab, "search": state.query,
        "size": scale.value(state.min_b, state.max_b) if scale else [0, 1],
        "size_unknown": ["keep"] if state.unknown_size else [],
        "avail": state.availability or "", "inst": state.instructions or "",
        "st": ["st"] if state.sentence_transformers else [],
        "mtypes": list(opts.model_types if state.model_types is None else state.model_types),
        "zs": state.zero_shot, "all": ["all"] if state.all_models else [],
        "types": list(opts.task_types if state.task_types is None else state.task_types),
        "doms": list(opts.domains if state.domains is None else state.domains),
        "mods": list(opts.modalities if state.modalities is None else state.modalities),
        "langs": list(state.languages or []), "tasks": list(state.tasks or []),
    }


def valid_values(benchmark: str) -> dict[str, list[str]]:
    lb = leaderboard()
    opts = lb.options(benchmark)
    tabs = [t for t in st.TABS if t != "per-language" or lb.benchmark(benchmark).has_language_view]
    return {"task_types": opts.task_types, "domains": opts.domains,
            "modalities": opts.modalities, "languages": opts.languages, "tasks": opts.tasks,
            "model_types": opts.model_types, "tabs": tabs}


def sort_from_column_state(column_state) -> tuple[str, str] | None:
    for col in sorted((c for c in column_state or [] if c.get("sort")),
                      key=lambda c: c.get("sortIndex") or 0):
        if col.get("colId") and not str(col["colId"]).startswith("ag-Grid"):
            return str(col["colId"]), col["sort"]
    return None


def selected_models(selected_rows) -> tuple[str, ...]:
    return tuple(r["model"] for r in (selected_rows or [])
                 if isinstance(r, dict) and r.get("model"))


# --------------------------------------------------------------------------------------------
# the view: rankings -> grid
# --------------------------------------------------------------------------------------------

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


def _model_links() -> dict[str, str]:
    lb = leaderboard()
    key = ("app_model_links", lb.build_id())
    cached = _LINKS.get("key")
    if cached != key:
        from app import query

        _LINKS["value"] = {r["name"]: r["reference"] for r in query("app_model_links")
                           if r.get("reference")}
        _LINKS["key"] = key
    return _LINKS["value"]


_LINKS: dict = {}
_TASK_METAS: dict = {}


def task_metas(benchmark: str) -> dict[str, dict]:
    """Task metadata of a benchmark's tasks, memoised per build (the grid asks per column)."""
    lb = leaderboard()
    key = (lb.build_id(), benchmark)
    if key not in _TASK_METAS:
        if len(_TASK_METAS) > 256:
            _TASK_METAS.clear()
        _TASK_METAS[key] = {t: lb.task_meta(t) or {} for t in lb.benchmark(benchmark).task_names}
    return _TASK_METAS[key]


def matches(name: str, query: str) -> bool:
    """Quick search: case-insensitive substring of the model name (which starts with the
    organisation); several terms separated by ';' match any."""
    terms = [t.strip().lower() for t in query.split(";") if t.strip()]
    return not terms or any(t in (name or "").lower() for t in terms)


def search_filter(table: pa.Table, query: str) -> pa.Table:
    if not query or "Model" not in table.column_names:
        return table
    mask = [matches(m, query) for m in table.column("Model").to_pylist()]
    return table.filter(pa.array(mask, pa.bool_()))


def view_table(state: st.LeaderboardState, *, search: bool = True) -> pa.Table:
    """The rankings table of the state's tab, search applied (official columns, unrounded)."""
    lb = leaderboard()
    filters = state.filters()
    name = state.benchmark
    if state.tab == "tasks":
        return lb.task_info(name, filters)
    summary = lb.summary(name, filters)
    if state.tab == "summary":
        table = summary
    elif state.tab == "per-task":
        table = _with_rank(lb.per_task(name, filters), summary)
    else:
        table = lb.per_language(name, filters)
    return search_filter(table, state.query) if search else table


def _with_rank(table: pa.Table, summary: pa.Table) -> pa.Table:
    """Prepend the summary's Borda rank to a per-task table (same filters, same order)."""
    if "Rank (Borda)" not in summary.column_names or "Model" not in table.column_names:
        return table
    ranks = dict(zip(summary.column("Model").to_pylist(),
                     summary.column("Rank (Borda)").to_pylist()))
    column = pa.array([ranks.get(m) for m in table.column("Model").to_pylist()], pa.int64())
    return table.add_column(0, "Rank (Borda)", column)


def compute_view(state: st.LeaderboardState) -> View:
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    filters = state.filters()
    view = View(n_tasks_total=len(bench.task_names))
    try:
        view.n_tasks = len(lb.selected_tasks(bench.name, filters))
        unsearched_table = view_table(state, search=False)
        table = search_filter(unsearched_table, state.query)
    except RankingError as exc:
        view.error = str(exc)
        return view
    except Exception as exc:  # a broken build or query: say so, keep the page usable
        log.exception("leaderboard view failed for %s", st.encode_leaderboard(state))
        view.error = (f"This table could not be computed ({type(exc).__name__}: {exc}). "
                      "Try another tab or benchmark; the build status page tells which data "
                      "is served.")
        return view
    if state.tab == "tasks":
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
        table, view=state.tab, show_zero_shot=bench.show_zero_shot, task_meta=metas.get,
        type_metrics=metrics, type_counts=counts, links=_model_links(),
        href_base=dash.get_relative_path("/model"), sort=state.sort,
        trained=lb.trained_tasks() if state.tab == "per-task" else None)
    if state.tab == "summary" and table.num_rows:
        view.blank_tasks = tuple(lb.tasks_without_scores(bench.name, filters))
    if view.n_tasks == 0:
        view.empty = ("No task is left: the task type, domain, modality, language and task "
                      "filters exclude every task of this benchmark.")
    elif unsearched == 0:
        view.empty = "No model matches the model filters."
    elif table.num_rows == 0:
        view.empty = (f"No model name matches “{state.query}” ({unsearched} models match the "
                      "filters). Search looks for a part of the name or organisation; separate "
                      "several with ';'.")
    return view


def counts_text(view: View, state: st.LeaderboardState) -> str:
    if view.error:
        return ""
    if state.tab == "tasks":
        return f"{view.n_tasks} of {view.n_tasks_total} tasks"
    models = (f"{view.n_models} of {view.n_models_before_search} models"
              if view.n_models != view.n_models_before_search else f"{view.n_models} models")
    text = f"{models} · {view.n_tasks} of {view.n_tasks_total} tasks"
    if state.tab == "per-task":
        text += " · ⚠ marks a score on a task the model was trained on (not zero-shot)"
    if view.blank_tasks:
        names = ", ".join(view.blank_tasks[:3]) + (" …" if len(view.blank_tasks) > 3 else "")
        text += (f" · no model has a complete result on {names}, so the means over all tasks "
                 "are blank (as on the official leaderboard); deselect it under “Customize "
                 "this benchmark” to compare means")
    return text


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def view_csv(state: st.LeaderboardState) -> str:
    """The current view as CSV: official column names, unrounded values, the grid's sort."""
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    table = view_table(state)
    columns = (gridmod.visible_columns(table, show_zero_shot=bench.show_zero_shot)
               if state.tab != "tasks" else table.column_names)
    rows = table.select(columns).to_pylist()
    if state.sort and state.sort[0] in columns:
        key, descending = state.sort[0], state.sort[1] == "desc"
        present = [r for r in rows if r.get(key) is not None]
        missing = [r for r in rows if r.get(key) is None]
        rows = sorted(present, key=lambda r: r[key], reverse=descending) + missing
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else _csv_value(row[c]) for c in columns])
    return out.getvalue()


def _csv_value(value):
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csvsafe.cell(value)


def csv_filename(state: st.LeaderboardState) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", state.benchmark or "leaderboard").strip("_")
    return f"{slug}_{state.tab.replace('-', '_')}.csv"


# --------------------------------------------------------------------------------------------
# plots (plain figure dicts: no validation cost on the hot path)
# --------------------------------------------------------------------------------------------

def primary_metric(bench, summary: pa.Table) -> str | None:
    candidates = [bench.raw.get("summary_primary_metric_column"), *bench.mean_columns]
    for c in candidates:
        if c and c in summary.column_names:
            return c
    return None


def _wrap(text: str, width: int = 64) -> str:
    """Break a long annotation into lines (plotly annotations do not wrap)."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) if text else text


def _empty_figure(message: str) -> dict:
    message = _wrap(message)
    return {"data": [], "layout": {
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 420,
        "template": "plotly_white", "margin": {"l": 20, "r": 20, "t": 30, "b": 20},
        "annotations": [{"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                         "showarrow": False, "font": {"size": 15, "color": "#5f6368"}}]}}


def _layout(title: str, xaxis: dict, yaxis: dict, **extra) -> dict:
    return {"title": {"text": title, "font": {"size": 15}, "x": 0.01},
            "template": "plotly_white", "height": 480, "hovermode": "closest",
            "margin": {"l": 60, "r": 20, "t": 50, "b": 55}, "xaxis": xaxis, "yaxis": yaxis,
            "legend": {"orientation": "h", "y": -0.18}, **extra}


def _hover(r: dict, metric: str) -> str:
    def p(v):
        return "Unknown" if v is None else (f"{v:.1f}B" if v >= 1 else f"{v * 1000:.0f}M")

    dims = r.get("Embedding Dimensions")
    tokens = r.get("Max Tokens")
    return (f"<b>{r['Model']}</b><br>{metric}: {r[metric]:.2f}"
            f"<br>Active params: {p(r.get('Active Parameters (B)'))}"
            f" · Total: {p(r.get('Total Parameters (B)'))}"
            f"<br>Embedding dim: {dims if dims is not None else 'Unknown'}"
            f" · Max tokens: {tokens if tokens is not None else '—'}"
            + (f"<br>Released: {r['Release Date']}" if r.get("Release Date") else ""))


def size_figure(rows: list[dict], metric: str, selected=()) -> dict:
    """Score vs parameters: log x, bubble size by embedding dimension, colour by max tokens."""
    points, skipped = [], 0
    for r in rows:
        x = r.get("Active Parameters (B)") or r.get("Total Parameters (B)")
        if r.get(metric) is None or not x or x <= 0:
            skipped += 1
            continue
        points.append((x, r))
    if not points:
        return _empty_figure("No model here has both a known size and a mean score.")
    sizes = [max(6.0, math.sqrt(min(r.get("Embedding Dimensions") or 256, 4096)) * 0.42)
             for _, r in points]
    colors = [None if not r.get("Max Tokens") else
              min(max(math.log10(r["Max Tokens"]), 2), 5) for _, r in points]
    known = [i for i, c in enumerate(colors) if c is not None]
    unknown = [i for i, c in enumerate(colors) if c is None]
    data = []
    if known:
        data.append({
            "type": "scatter", "mode": "markers", "name": "models",
            "x": [points[i][0] for i in known], "y": [points[i][1][metric] for i in known],
            "text": [_hover(points[i][1], metric) for i in known], "hoverinfo": "text",
            "marker": {"size": [sizes[i] for i in known], "color": [colors[i] for i in known],
                       "colorscale": "Greens", "reversescale": True, "cmin": 2, "cmax": 5,
                       "opacity": 0.85,
                       "line": {"width": 0.6, "color": "#2f4f3f"},
                       "colorbar": {"title": {"text": "Max tokens"}, "tickvals": [2, 3, 4, 5],
                                    "ticktext": ["100", "1K", "10K", "100K"], "thickness": 12}},
            "showlegend": False})
    if unknown:
        data.append({
            "type": "scatter", "mode": "markers", "name": "max tokens unknown",
            "x": [points[i][0] for i in unknown], "y": [points[i][1][metric] for i in unknown],
            "text": [_hover(points[i][1], metric) for i in unknown], "hoverinfo": "text",
            "marker": {"size": [sizes[i] for i in unknown], "color": "#c7c9cc",
                       "line": {"width": 0.6, "color": "#6b6f75"}}})
    labelled = _labelled(points, metric, selected)
    if labelled:
        data.append({
            "type": "scatter", "mode": "markers+text", "name": "selected" if selected else "top 5",
            "x": [x for x, _ in labelled], "y": [r[metric] for _, r in labelled],
            "text": [r["Model"].split("/")[-1] for _, r in labelled],
            "textposition": [LABEL_POSITIONS[i % len(LABEL_POSITIONS)]
                             for i in range(len(labelled))],
            "hoverinfo": "skip", "textfont": {"size": 11},
            "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                       "line": {"width": 2, "color": "#d93025"}}})
    note = f" ({skipped} without a known size or score not shown)" if skipped else ""
    return {"data": data, "layout": _layout(
        f"{metric} vs model size{note}",
        {"type": "log", "title": {"text": "Active parameters (billions, log scale)"}},
        {"title": {"text": metric}})}


def _labelled(points, metric, selected):
    if selected:
        return [(x, r) for x, r in points if r["Model"] in selected]
    best = sorted(points, key=lambda p: -p[1][metric])[:RADAR_TOP]
    return best


def time_figure(rows: list[dict], metric: str, selected=()) -> dict:
    """Score vs release date, with the best-so-far frontier as a step line."""
    points = sorted(((r["Release Date"], r) for r in rows
                     if r.get(metric) is not None and r.get("Release Date")),
                    key=lambda p: p[0])
    skipped = sum(1 for r in rows if r.get(metric) is not None) - len(points)
    if not points:
        return _empty_figure("No model here has both a release date and a mean score.")
    frontier_x, frontier_y, frontier_t, best = [], [], [], -math.inf
    for date, r in points:
        if r[metric] > best:
            best = r[metric]
            frontier_x.append(date)
            frontier_y.append(best)
            frontier_t.append(f"<b>{r['Model']}</b><br>new best: {best:.2f}<br>{date}")
    frontier_x.append(points[-1][0])
    frontier_y.append(best)
    frontier_t.append(f"best so far: {best:.2f}")
    data = [
        {"type": "scatter", "mode": "markers", "name": "models", "x": [d for d, _ in points],
         "y": [r[metric] for _, r in points], "text": [_hover(r, metric) for _, r in points],
         "hoverinfo": "text", "marker": {"size": 8, "color": "#4c8bf5", "opacity": 0.7,
                                         "line": {"width": 0.5, "color": "#1a4a9c"}}},
        {"type": "scatter", "mode": "lines+markers", "name": "best so far",
         "x": frontier_x, "y": frontier_y, "text": frontier_t, "hoverinfo": "text",
         "line": {"shape": "hv", "color": "#d93025", "width": 2}, "marker": {"size": 5}},
    ]
    chosen = [(d, r) for d, r in points if r["Model"] in selected]
    if chosen:
        data.append({"type": "scatter", "mode": "markers+text", "name": "selected",
                     "x": [d for d, _ in chosen], "y": [r[metric] for _, r in chosen],
                     "text": [r["Model"].split("/")[-1] for _, r in chosen],
                     "textposition": "top center", "hoverinfo": "skip",
                     "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                                "line": {"width": 2, "color": "#d93025"}}})
    note = f" ({skipped} without a release date not shown)" if skipped else ""
    return {"data": data, "layout": _layout(
        f"{metric} over time{note}", {"type": "date", "title": {"text": "Release date"}},
        {"title": {"text": metric}})}


def radar_figure(rows: list[dict], types: list[str], title: str) -> dict:
    """One closed polygon per model over the task-type axes."""
    if len(types) < 3:
        return _empty_figure("The radar needs at least 3 task types with a score for every "
                             "model shown" + (f" (only: {', '.join(types)})." if types else "."))
    palette = ["#4c8bf5", "#d93025", "#188038", "#f29900", "#a142f4", "#12b5cb"]
    data = []
    for i, r in enumerate(rows):
        values = [r[t] for t in types]
        data.append({"type": "scatterpolar", "name": r["Model"].split("/")[-1],
                     "r": values + values[:1], "theta": types + types[:1], "fill": "toself",
                     "opacity": 0.55, "line": {"color": palette[i % len(palette)]},
                     "hovertemplate": f"<b>{r['Model']}</b><br>%{{theta}}: %{{r:.2f}}"
                                      "<extra></extra>"})
    lo = min(min(r[t] for t in types) for r in rows)
    return {"data": data, "layout": {
        "title": {"text": title, "font": {"size": 15}, "x": 0.01}, "template": "plotly_white",
        "height": 520, "margin": {"l": 70, "r": 70, "t": 60, "b": 40},
        "polar": {"radialaxis": {"range": [max(0, math.floor(lo / 10) * 10 - 5), 100],
                                 "angle": 90, "tickfont": {"size": 10}}},
        "legend": {"orientation": "h", "y": -0.08}}}


def radar_rows(summary_rows: list[dict], bench, selected=()) -> tuple[list[dict], list[str], str]:
    """The radar's models (the selected ones, else the top 5 by rank) and its axes (task types
    with a score for all of them)."""
    all_types = [c for c in summary_rows[0].keys() if c in _type_columns(bench, summary_rows)] \
        if summary_rows else []
    if selected:
        rows = [r for r in summary_rows if r["Model"] in selected]
        title = "Selected models per task type"
    else:
        rows = summary_rows[:RADAR_TOP]
        title = f"Top {len(rows)} models per task type"
    types = [t for t in all_types if t not in RADAR_EXCLUDED_TYPES
             and rows and all(r.get(t) is not None for r in rows)]
    return rows, types, title


def _type_columns(bench, summary_rows) -> set[str]:
    if "task_types" not in bench.aggregations or not summary_rows:
        return set()
    known = set(gridmod.META_TOOLTIPS) | {"Model", "Release Date", "Zero-shot",
                                         "Active Parameters (B)", "Total Parameters (B)",
                                         "Embedding Dimensions", "Max Tokens"}
    return {c for c in summary_rows[0] if c not in known and not c.startswith("Rank")
            and not c.startswith("Mean")}


def plot_figure(state: st.LeaderboardState) -> dict:
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    try:
        summary = search_filter(lb.summary(bench.name, state.filters()), state.query)
    except RankingError as exc:
        return _empty_figure(str(exc))
    except Exception as exc:
        log.exception("plot failed")
        return _empty_figure(f"The plot could not be computed ({type(exc).__name__}).")
    if summary.num_rows == 0:
        return _empty_figure("No model matches the filters: nothing to plot.")
    rows = summary.to_pylist()
    selected = set(state.models)
    if state.plot == "radar":
        chosen, types, title = radar_rows(rows, bench, selected)
        if selected and not chosen:
            return _empty_figure("None of the selected models is in the filtered table.")
        if not _type_columns(bench, rows):
            return _empty_figure("This benchmark has no per-task-type scores.")
        return radar_figure(chosen, types, title)
    metric = primary_metric(bench, summary)
    if metric is None:
        return _empty_figure("This benchmark has no mean score to plot.")
    if state.plot == "time":
        return time_figure(rows, metric, selected)
    return size_figure(rows, metric, selected)


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------

def layout(**query):
    state, warnings = st.decode_leaderboard(query)
    try:
        lb = leaderboard()
        benchmarks = lb.benchmarks()
        menu = lb.menu()
    except warehouse.WarehouseError as exc:
        return no_build(exc)
    if state.benchmark is None:
        state = replace(state, benchmark=menu.get("default_benchmark") or sorted(benchmarks)[0])
    if state.benchmark not in benchmarks:
        return html.Div(className="lb-page", children=[
            dcc.Location(id=URL, refresh=False),
            sidebar(menu, benchmarks, None, as_links=True),
            html.Div(id=BODY, className="lb-body",
                     children=unknown_benchmark(state.benchmark, benchmarks, menu, warnings)),
        ])
    state, more = st.check_leaderboard(state, valid_values(state.benchmark))
    return html.Div(className="lb-page", children=[
        dcc.Location(id=URL, refresh=False),
        sidebar(menu, benchmarks, state.benchmark),
        html.Div(id=BODY, className="lb-body", children=build_body(state, warnings + more)),
    ])


def unknown_benchmark(name: str, benchmarks: dict, menu: dict, warnings=()) -> list:
    default = menu.get("default_benchmark")
    on_menu = list(menu.get("sidebar_benchmarks") or [])
    others = sorted(set(benchmarks) - set(on_menu))
    close = [b for b in benchmarks if name and name.lower()[:6] in b.lower()][:5]

    def link(b):
        return dcc.Link(b, href=st.leaderboard_href(st.LeaderboardState(benchmark=b)),
                        className="lb-chip-link")

    return [
        dcc.Store(id=BENCH, data=None),
        html.Div(className="lb-notice lb-error", children=[
            html.H2(f"Unknown benchmark “{name}”"),
            html.P(["This link names a benchmark that does not exist in the current build. ",
                    "Pick one in the menu, or go to the default ",
                    dcc.Link(default, href="/") if default else "", "."]),
            html.P(["Did you mean: ", *_join([link(b) for b in close])]) if close else None,
            *[html.P(w, className="lb-warning-line") for w in warnings],
            html.H4(f"Valid benchmarks ({len(benchmarks)})"),
            html.Div(className="lb-chip-list", children=[link(b) for b in on_menu + others]),
        ])]


def _join(items, sep=", "):
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def sidebar(menu: dict, benchmarks: dict, active: str | None, *, as_links: bool = False):
    """The official menu tree. Entries are buttons (the body is swapped in place, model filters
    kept); on the unknown-benchmark page, which has no body to swap, they are plain links."""
    entries = _menu_items(menu.get("sidebar") or [], active, benchmarks, as_links)
    on_menu = set(menu.get("sidebar_benchmarks") or [])
    others = sorted(set(benchmarks) - on_menu)
    if others:
        entries.append(html.Details(
            className="lb-menu-group", open=active in others, children=[
                html.Summary(f"More benchmarks ({len(others)}, not on the official menu)"),
                *[_bench_button(b, b, active, as_links) for b in others]]))
    return html.Aside(className="lb-sidebar", children=[
        html.Div("Benchmarks", className="lb-sidebar-title"), *entries])


def menu_order(menu: dict) -> list[str]:
    """The benchmarks of the official menu tree, in the order the menu shows them."""
    out: list[str] = []

    def walk(items):
        for item in items or []:
            if item.get("type") == "benchmark" and item.get("name"):
                out.append(item["name"])
            walk(item.get("items"))

    walk(menu.get("sidebar"))
    return list(dict.fromkeys(out))


def _contains(item: dict, name: str | None) -> bool:
    if item.get("type") == "benchmark":
        return item.get("name") == name
    return any(_contains(c, name) for c in item.get("items") or [])


def _menu_items(items: list[dict], active: str | None, benchmarks: dict,
                as_links: bool = False) -> list:
    out = []
    for item in items:
        if item.get("type") == "benchmark":
            if item.get("name") in benchmarks:
                out.append(_bench_button(item["name"], item.get("label") or item["name"], active,
                                         as_links))
            continue
        children = _menu_items(item.get("items") or [], active, benchmarks, as_links)
        title = (item.get("name") or "").strip()
        if item.get("level", 0) == 0:
            out.append(html.Div(className="lb-menu-section", children=[
                html.Div(title, className="lb-menu-heading"), *children]))
        else:
            out.append(html.Details(className="lb-menu-group",
                                    open=bool(item.get("open")) or _contains(item, active),
                                    children=[html.Summary(title), *children]))
    return out


def _bench_button(name: str, label: str, active: str | None, as_links: bool = False):
    if as_links:
        return dcc.Link(label, href=st.leaderboard_href(st.LeaderboardState(benchmark=name)),
                        title=name, className="lb-bench-btn")
    return html.Button(label, id={"type": MENU_BTN, "name": name}, title=name,
                       className="lb-bench-btn" + (" active" if name == active else ""))


def build_body(state: st.LeaderboardState, warnings=()) -> list:
    """Everything right of the menu for one benchmark, data included."""
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    opts = lb.options(bench.name)
    view = compute_view(state)
    controls = state_to_controls(state)
    figure = plot_figure(state) if state.tab == "summary" else _empty_figure("")
    tabs = [dcc.Tab(label=st.TAB_LABELS[t], value=t) for t in st.TABS
            if t != "per-language" or bench.has_language_view]
    return [
        dcc.Store(id=BENCH, data=bench.name),
        dcc.Store(id=VIEW_KEY, data=0),
        warnings_box(warnings),
        header_card(bench, opts),
        filters_panel(state, bench, opts, controls),
        html.Div(className="lb-toolbar", children=[
            dcc.Input(id=CONTROLS["search"], type="search", value=controls["search"],
                      debounce=0.4, placeholder="Search model or organisation",
                      className="lb-search", autoComplete="off"),
            html.Span(counts_text(view, state), id="lb-counts", className="lb-counts"),
            html.Div(className="lb-actions", children=[
                dcc.Link("Compare selected", id="lb-compare-link", className="lb-button",
                         href=st.compare_href(state.models, bench.name),
                         style=_show(len(state.models) >= 2)),
                html.Button("Full screen", id="lb-fullscreen", className="lb-button",
                            title="Show the table on the whole screen (Esc to leave)"),
                html.Button("Download CSV", id="lb-download-btn", className="lb-button",
                            title="The current view with every filter, the search and the "
                                  "sort applied; unrounded values, official column names."),
                dcc.Download(id="lb-download"),
                dcc.Clipboard(id="lb-copy", className="lb-button lb-copy",
                              title="Copy a link to exactly this view",
                              children=html.Span("Copy link"),
                              copied_children=html.Span("Link copied ✓")),
            ]),
        ]),
        html.Div(id="lb-chips", className="lb-chips", children=chips(state)),
        html.Div(id="lb-empty", className="lb-notice lb-empty",
                 style=_show(bool(view.empty or view.error)),
                 children=[html.Span(view.empty or view.error or "", id="lb-empty-text"),
                           html.Button("Reset all filters", id="lb-reset-empty",
                                       className="lb-button lb-primary")]),
        dcc.Tabs(id=CONTROLS["tab"], value=controls["tab"], children=tabs, className="lb-tabs"),
        html.Div(id="lb-grid-area", className="lb-grid-area", children=[
            html.Div(id="lb-grid-wrap", style=_show(state.tab != "tasks"),
                     children=model_grid_component(view, state)),
            html.Div(id="lb-task-grid-wrap", style=_show(state.tab == "tasks"),
                     children=task_grid_component(view)),
        ]),
        html.Section(id="lb-plots", className="lb-plots", style=_show(state.tab == "summary"),
                     children=[
            html.H3("Plots", className="lb-section-title"),
            html.P("They follow the filters and the search; select rows (checkboxes) to "
                   "highlight models and put them on the radar.", className="lb-hint"),
            dcc.Tabs(id=PLOT_TABS, value=state.plot, className="lb-plot-tabs", children=[
                dcc.Tab(label="Score vs model size", value="size"),
                dcc.Tab(label="Score over time", value="time"),
                dcc.Tab(label="Per task type (radar)", value="radar"),
            ]),
            dcc.Graph(id=PLOT, figure=figure, config={"displaylogo": False},
                      className="lb-graph"),
        ]),
        faq(bench),
    ]


ROW_HEIGHT = gridmod.ROW_HEIGHT
grid_style = gridmod.grid_style


def _grouped(defs) -> bool:
    return any("children" in d for d in defs or [])


def model_grid_component(view: View, state: st.LeaderboardState) -> dag.AgGrid:
    data = view.grid or gridmod.GridData([], [])
    return dag.AgGrid(
        id=GRID, columnDefs=data.column_defs, rowData=data.row_data,
        getRowId="params.data.model",
        defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True, "suppressHeaderMenuButton": True},
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": False,
                             "enableClickSelection": False},
            "selectionColumnDef": {"pinned": "left", "width": 44, "maxWidth": 44},
            "tooltipShowDelay": 250, "tooltipInteraction": True, "rowHeight": ROW_HEIGHT,
            "suppressFieldDotNotation": True, "animateRows": False,
            "localeText": {"noRowsToShow": "No model to show with these filters."},
        },
        selectedRows={"ids": list(state.models)} if state.models else [],
        style=grid_style(len(data.row_data), _grouped(data.column_defs)), className="lb-grid",
    )


def task_grid_component(view: View) -> dag.AgGrid:
    data = view.task_grid or gridmod.GridData([], [])
    return dag.AgGrid(
        id=TASK_GRID, columnDefs=data.column_defs, rowData=data.row_data,
        defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={"tooltipShowDelay": 250, "suppressFieldDotNotation": True,
                         "rowHeight": ROW_HEIGHT,
                         "localeText": {"noRowsToShow": "No task matches the filters."}},
        style=grid_style(len(data.row_data)), className="lb-grid",
    )


def _show(visible: bool) -> dict:
    return {} if visible else {"display": "none"}


def warnings_box(warnings) -> html.Div:
    warnings = list(dict.fromkeys(warnings))
    return html.Div(
        id="lb-warnings", className="lb-notice lb-warning", style=_show(bool(warnings)),
        children=[html.Strong("Some parts of this link were not understood: "),
                  html.Ul([html.Li(w) for w in warnings])])


def header_card(bench, opts) -> html.Div:
    citation = bench.raw.get("citation")
    stats = [("tasks", len(bench.task_names)), ("task types", len(opts.task_types)),
             ("languages", len(opts.languages)), ("domains", len(opts.domains))]
    return html.Div(className="lb-card lb-header-card", children=[
        html.Div(className="lb-title-row", children=[
            html.H1(bench.display_name, className="lb-bench-title"),
            html.Code(bench.name, className="lb-bench-name", title="The benchmark's name in mteb"),
        ]),
        html.Div(className="lb-stats", children=[
            html.Span([html.B(f"{n:,}"), f" {label}"], className="lb-stat") for label, n in stats]
            + ([html.A("Paper / more info ↗", href=gridmod.external_url(bench.reference),
                       target="_blank",
                       rel="noopener noreferrer", className="lb-stat-link")]
               if gridmod.external_url(bench.reference) else [])),
        dcc.Markdown(bench.description or "", className="lb-description"),
        html.Details(className="lb-cite", children=[
            html.Summary("Cite this benchmark"),
            html.Pre(citation, className="lb-bibtex")]) if citation else None,
    ])


def _checklist(key: str, options: list[str], value, *, labels=None, inline=True):
    return dcc.Checklist(
        id=CONTROLS[key], value=value, inline=inline, className="lb-checklist",
        options=[{"label": (labels or {}).get(o, o), "value": o} for o in options])


def _field(label: str, control, *, hint: str | None = None, wide: bool = False, style=None):
    return html.Div(className="lb-field" + (" lb-field-wide" if wide else ""), style=style,
                    children=[html.Label(label, className="lb-field-label", title=hint),
                              control])


def filters_panel(state, bench, opts, controls) -> html.Div:
    scale = SizeScale.of(opts.params_range_b)
    zs_visible = bool(bench.raw.get("show_zero_shot_filter", bench.show_zero_shot))
    size_control = html.Div(className="lb-size", children=[
        dcc.RangeSlider(id=CONTROLS["size"], min=scale.lo if scale else 0,
                        max=scale.hi if scale else 1, step=0.01, value=controls["size"],
                        marks=scale.marks() if scale else {}, allowCross=False,
                        disabled=scale is None, updatemode="mouseup", allow_direct_input=False,
                        tooltip={"always_visible": False, "placement": "bottom",
                                 "transform": "paramsLabel"}),
        html.Div(size_label(controls["size"], scale), id="lb-size-label",
                 className="lb-size-label"),
        _checklist("size_unknown", ["keep"], controls["size_unknown"],
                   labels={"keep": "Include models of unknown size"}),
    ])
    model_filters = html.Div(className="lb-filter-grid", children=[
        _field("Model size (parameters, log scale)", size_control, wide=True,
               hint="Total parameters. With a bound set, models of unknown size are kept only "
                    "when the box is ticked."),
        _field("Weights", dcc.RadioItems(
            id=CONTROLS["avail"], value=controls["avail"], inline=True, className="lb-radio",
            options=[{"label": "Both", "value": ""}, {"label": "Open", "value": "open"},
                     {"label": "Proprietary", "value": "proprietary"}])),
        _field("Instructions", dcc.RadioItems(
            id=CONTROLS["inst"], value=controls["inst"], inline=True, className="lb-radio",
            options=[{"label": "Both", "value": ""},
                     {"label": "Instruction-tuned", "value": "yes"},
                     {"label": "No instructions", "value": "no"}])),
        _field("Zero-shot", dcc.RadioItems(
            id=CONTROLS["zs"], value=controls["zs"], inline=True, className="lb-radio",
            options=[{"label": "Allow all", "value": "allow_all"},
                     {"label": "Remove unknown", "value": "remove_unknown"},
                     {"label": "Only zero-shot", "value": "only_zero_shot"}]),
               hint="Only zero-shot: models not trained on any selected task. Remove unknown: "
                    "drop models whose training data is unknown.",
               style=None if zs_visible else {"display": "none"}),
        _field("Model types", _checklist("mtypes", opts.model_types, controls["mtypes"])),
        _field("Other", html.Div([
            _checklist("st", ["st"], controls["st"],
                       labels={"st": "Sentence-transformers compatible"}),
            _checklist("all", ["all"], controls["all"],
                       labels={"all": "Include models outside mteb's registry"}),
        ])),
    ])
    lang_options = [{"label": gridmod.language_label(code), "value": code}
                    for code in opts.languages]
    task_options = [{"label": f"{t} ({(leaderboard().task_meta(t) or {}).get('type', '?')})",
                     "value": t} for t in opts.tasks]
    task_filters = html.Div(className="lb-filter-grid", children=[
        _field("Task types", _checklist("types", opts.task_types, controls["types"]), wide=True),
        _field("Domains", _checklist("doms", opts.domains, controls["doms"]), wide=True),
        _field("Modalities", _checklist("mods", opts.modalities, controls["mods"])),
        _field(f"Languages ({len(opts.languages)})", dcc.Dropdown(
            id=CONTROLS["langs"], options=lang_options, value=controls["langs"], multi=True,
            placeholder="All languages — type to pick some", className="lb-dropdown",
            maxHeight=260), wide=True,
            hint="Keeps only the task subsets in the chosen languages; means are recomputed."),
        _field(f"Tasks ({len(opts.tasks)})", dcc.Dropdown(
            id=CONTROLS["tasks"], options=task_options, value=controls["tasks"], multi=True,
            placeholder="All tasks — type to pick some (a custom benchmark)",
            className="lb-dropdown", maxHeight=260), wide=True),
    ])
    n_active = len(state.active_filters())
    return html.Div(className="lb-card lb-filters", children=[
        html.Details(open=_model_filters_active(state), className="lb-filter-section", children=[
            html.Summary("Filter models (size, weights, instructions, zero-shot, model types)"),
            model_filters]),
        html.Details(open=any(getattr(state, f) is not None for f in
                              ("task_types", "domains", "modalities", "languages", "tasks")),
                     className="lb-filter-section", children=[
            html.Summary("Customize this benchmark (task types, domains, languages, tasks)"),
            task_filters]),
        html.Div(className="lb-filter-footer", children=[
            html.Span("Ranks and means are recomputed on the filtered tasks and models, as on "
                      "the official leaderboard.", className="lb-hint"),
            html.Button("Reset all filters", id="lb-reset", className="lb-button",
                        disabled=False, title=f"{n_active} active" if n_active else None),
        ]),
    ])


def _model_filters_active(state: st.LeaderboardState) -> bool:
    default = st.LeaderboardState()
    return any(getattr(state, f) != getattr(default, f) for f in (
        "min_b", "max_b", "unknown_size", "availability", "instructions",
        "sentence_transformers", "model_types", "zero_shot", "all_models"))


def size_label(value, scale: SizeScale | None) -> str:
    if scale is None:
        return "No model of this benchmark has a known size."
    min_b, max_b = scale.bounds(value)
    if min_b is None and max_b is None:
        return "Any size"
    lo = st.format_params(min_b) if min_b is not None else "any"
    hi = st.format_params(max_b) if max_b is not None else "any"
    return f"{lo} – {hi}"


def chips(state: st.LeaderboardState) -> list:
    active = state.active_filters()
    if not active:
        return []
    return [html.Span("Active filters:", className="lb-chips-title"),
            *[html.Span([html.B(f"{label}: "), value], className="lb-chip")
              for label, value in active]]


def faq(bench) -> html.Details:
    rank = bench.rank_column
    return html.Details(className="lb-card lb-faq", children=[
        html.Summary("How are models ranked?"),
        dcc.Markdown(f"""
* **{rank}** orders this table. *Rank (Borda)* counts, over the tasks, how many models each model
  beats (ties share the points), so a model with a missing task still gets a rank but loses the
  points of that task. *Mean (Task)* averages the task scores and *Mean (TaskType)* the means of
  each task type; both are blank when a task is missing.
* Filters recompute everything: the ranks and means only use the tasks and models left.
* **Zero-shot** is the share of the tasks the model was not trained on (⚠️ NA: training data
  unknown).
* Scores are the tasks' main metric × 100, shown with 2 decimals; the CSV has them unrounded.
* Every state of this page (benchmark, tab, filters, search, selected rows, sort) is in the URL:
  copy it to share exactly this view.
""")])


# --------------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------------

def _values(args) -> dict:
    return dict(zip(CONTROL_KEYS, args))


def update_view(bench_name, *control_values):
    """Filters / tab / search changed -> the tables, counts, empty state and chips."""
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    state = controls_to_state(bench_name, _values(control_values))
    view = compute_view(state)
    model_grid = view.grid or gridmod.GridData([], [])
    task_grid = view.task_grid or gridmod.GridData([], [])
    is_tasks = state.tab == "tasks"
    return (
        no_update if is_tasks else model_grid.column_defs,
        no_update if is_tasks else model_grid.row_data,
        no_update if is_tasks else grid_style(len(model_grid.row_data),
                                              _grouped(model_grid.column_defs)),
        task_grid.column_defs if is_tasks else no_update,
        task_grid.row_data if is_tasks else no_update,
        grid_style(len(task_grid.row_data)) if is_tasks else no_update,
        _show(not is_tasks), _show(is_tasks), _show(state.tab == "summary"),
        counts_text(view, state),
        _show(bool(view.empty or view.error)), view.empty or view.error or "",
        chips(state),
        _key(state),
    )


def _key(state: st.LeaderboardState) -> str:
    return st.encode_leaderboard(replace(state, models=(), plot="size", sort=None))


def update_plot(view_key, plot, selected_rows, bench_name, *control_values):
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    state = controls_to_state(bench_name, _values(control_values),
                              models=selected_models(selected_rows), plot=plot)
    if state.tab != "summary":
        raise dash.exceptions.PreventUpdate
    return plot_figure(state)


def sync_url(plot, selected_rows, column_state, bench_name, *control_values):
    """Any state change -> the address bar (no reload) and the compare link."""
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    models = selected_models(selected_rows)
    state = controls_to_state(bench_name, _values(control_values), models=models, plot=plot,
                              sort=sort_from_column_state(column_state))
    return (st.encode_leaderboard(state), st.compare_href(models[: st.MAX_COMPARE], bench_name),
            _show(len(models) >= 2),
            f"Compare selected ({len(models)})" if len(models) <= st.MAX_COMPARE
            else f"Compare first {st.MAX_COMPARE} selected")


def switch_benchmark(n_clicks, button_ids, current, plot, selected_rows, *control_values):
    """A menu click -> the body of the chosen benchmark, keeping model filters and selection."""
    name = ctx.triggered_id["name"] if isinstance(ctx.triggered_id, dict) else None
    if not name or not any(n for n in (n_clicks or []) if n):
        raise dash.exceptions.PreventUpdate
    models = selected_models(selected_rows)
    if current:
        state = controls_to_state(current, _values(control_values), models=models, plot=plot)
        state = state.for_benchmark(name)
    else:
        state = st.LeaderboardState(benchmark=name)
    state, warnings = st.check_leaderboard(state, valid_values(name))
    classes = ["lb-bench-btn" + (" active" if i["name"] == name else "") for i in button_ids]
    return build_body(state, warnings), classes, st.encode_leaderboard(state)


def reset_filters(_n1, _n2, bench_name):
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    controls = state_to_controls(st.LeaderboardState(benchmark=bench_name))
    return tuple(controls[k] for k in CONTROL_KEYS if k != "tab")


def download_csv(n_clicks, column_state, bench_name, *control_values):
    if not n_clicks or not bench_name:
        raise dash.exceptions.PreventUpdate
    state = controls_to_state(bench_name, _values(control_values),
                              sort=sort_from_column_state(column_state))
    return dcc.send_string(view_csv(state), csv_filename(state), type="text/csv")


def register_callbacks(app: dash.Dash) -> None:
    control_inputs = [Input(CONTROLS[k], "value") for k in CONTROL_KEYS]
    control_states = [State(CONTROLS[k], "value") for k in CONTROL_KEYS]
    app.callback(
        Output(GRID, "columnDefs"), Output(GRID, "rowData"), Output(GRID, "style"),
        Output(TASK_GRID, "columnDefs"), Output(TASK_GRID, "rowData"), Output(TASK_GRID, "style"),
        Output("lb-grid-wrap", "style"), Output("lb-task-grid-wrap", "style"),
        Output("lb-plots", "style"), Output("lb-counts", "children"),
        Output("lb-empty", "style"), Output("lb-empty-text", "children"),
        Output("lb-chips", "children"), Output(VIEW_KEY, "data"),
        State(BENCH, "data"), *control_inputs,
        prevent_initial_call=True,
    )(update_view)
    app.callback(
        Output(PLOT, "figure"),
        Input(VIEW_KEY, "data"), Input(PLOT_TABS, "value"), Input(GRID, "selectedRows"),
        State(BENCH, "data"), *control_states,
        prevent_initial_call=True,
    )(update_plot)
    app.callback(
        Output(URL, "search"), Output("lb-compare-link", "href"),
        Output("lb-compare-link", "style"), Output("lb-compare-link", "children"),
        Input(PLOT_TABS, "value"), Input(GRID, "selectedRows"), Input(GRID, "columnState"),
        State(BENCH, "data"), *control_inputs,
        prevent_initial_call=True,
    )(sync_url)
    app.callback(
        Output(BODY, "children"), Output({"type": MENU_BTN, "name": ALL}, "className"),
        Output(URL, "search", allow_duplicate=True),
        Input({"type": MENU_BTN, "name": ALL}, "n_clicks"),
        State({"type": MENU_BTN, "name": ALL}, "id"),
        State(BENCH, "data"), State(PLOT_TABS, "value"), State(GRID, "selectedRows"),
        *control_states,
        prevent_initial_call=True,
    )(switch_benchmark)
    app.callback(
        *[Output(CONTROLS[k], "value") for k in CONTROL_KEYS if k != "tab"],
        Input("lb-reset", "n_clicks"), Input("lb-reset-empty", "n_clicks"),
        State(BENCH, "data"),
        prevent_initial_call=True,
    )(reset_filters)
    app.callback(
        Output("lb-download", "data"),
        Input("lb-download-btn", "n_clicks"), State(GRID, "columnState"), State(BENCH, "data"),
        *control_states,
        prevent_initial_call=True,
    )(download_csv)
    # Copy link: the address bar already holds the state.
    app.clientside_callback(
        "function(n) { return window.location.href; }",
        Output("lb-copy", "content"), Input("lb-copy", "n_clicks"),
        prevent_initial_call=True,
    )
    # Full screen table (the browser's Fullscreen API; Esc leaves).
    app.clientside_callback(
        """
        function(n) {
            var el = document.getElementById("lb-grid-area");
            if (n && el && el.requestFullscreen) { el.requestFullscreen(); }
            return window.dash_clientside.no_update;
        }
        """,
        Output("lb-fullscreen", "title"), Input("lb-fullscreen", "n_clicks"),
        prevent_initial_call=True,
    )
    # Size label while the slider moves (no round trip).
    app.clientside_callback(
        """
        function(value, min, max) {
            function fmt(b) {
                if (b >= 1) { return (+b.toPrecision(3)) + "B"; }
                if (b >= 1e-3) { return (+(b * 1e3).toPrecision(3)) + "M"; }
                return (+(b * 1e6).toPrecision(3)) + "K";
            }
            if (!value || value.length !== 2) { return ""; }
            var lo = value[0] <= min + 1e-9 ? null : Math.pow(10, value[0]);
            var hi = value[1] >= max - 1e-9 ? null : Math.pow(10, value[1]);
            if (lo === null && hi === null) { return "Any size"; }
            return (lo === null ? "any" : fmt(lo)) + " – " + (hi === null ? "any" : fmt(hi));
        }
        """,
        Output("lb-size-label", "children"),
        Input(CONTROLS["size"], "value"), State(CONTROLS["size"], "min"),
        State(CONTROLS["size"], "max"),
        prevent_initial_call=True,
    )
