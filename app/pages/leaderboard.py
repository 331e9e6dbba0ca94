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
import logging
import math
from dataclasses import dataclass, replace

import dash
import dash_ag_grid as dag
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update

from app import answers, bench_switch, intervals, my_benchmarks, plots, robustness, task_picker
from app import grid as gridmod
from app import state as st
from app.components import did_you_mean, no_build, show, warnings_box
from app.leaderboard_view import (
    TRAINED_NOTE,
    View,
    compute_view,
    counts_text,
    csv_filename,
    order_note,
    task_metas,
    view_csv,
)
from mteb_lb import asof, lbstate, warehouse
from mteb_lb.rankings import close_names, leaderboard

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

# State field (or "size": the two size bounds) -> component id; the property is "value".
CONTROLS = {
    "view": "lb-tabs", "search": "lb-search", "size": "lb-size",
    "keep_unknown_size": "lb-size-unknown", "open_weights": "lb-avail", "instructions": "lb-inst",
    "sentence_transformers": "lb-st", "model_types": "lb-mtypes", "zero_shot": "lb-zs",
    "all_models": "lb-all", "task_types": "lb-types", "domains": "lb-doms",
    "modalities": "lb-mods", "languages": "lb-langs", "tasks": "lb-tasks",
    "as_of": "lb-as-of",
    **intervals.CONTROL_IDS,   # resamples, seed, missing, exclude_flags (app/intervals.py)
}
CONTROL_KEYS = tuple(CONTROLS)

# Task types left out of the radar: their scores can be negative (as the official plot does).
SIZE_FLOOR_B = 1e-3          # the size slider starts at 1M parameters at the lowest
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


def controls_to_state(benchmark: str, values: dict, *, selected=(), plot: str = "size",
                      sort=None) -> lbstate.LeaderboardState:
    """The control values of a page (keyed as CONTROLS) -> a LeaderboardState."""
    opts = leaderboard().options(benchmark)
    scale = SizeScale.of(opts.params_range_b)
    min_b, max_b = scale.bounds(values.get("size")) if scale else (None, None)
    return lbstate.LeaderboardState(
        benchmark=benchmark,
        view=values.get("view") if values.get("view") in lbstate.VIEWS else "summary",
        search=(values.get("search") or "").strip(),
        min_params_b=min_b, max_params_b=max_b,
        keep_unknown_size="keep" in (values.get("keep_unknown_size") or []),
        open_weights=values.get("open_weights") or None,
        instructions=values.get("instructions") or None,
        sentence_transformers="st" in (values.get("sentence_transformers") or []),
        model_types=_selection(values.get("model_types"), opts.model_types),
        zero_shot=values.get("zero_shot") or "allow_all",
        all_models="all" in (values.get("all_models") or []),
        task_types=_selection(values.get("task_types"), opts.task_types),
        domains=_selection(values.get("domains"), opts.domains),
        modalities=_selection(values.get("modalities"), opts.modalities),
        languages=tuple(values.get("languages") or ()) or None,
        tasks=_selection(values.get("tasks"), opts.tasks),
        selected=tuple(selected or ()), plot=plot if plot in lbstate.PLOTS else "size",
        sort=sort, as_of=_as_of_value(values.get("as_of")),
        resamples=intervals.control_value(values.get("resamples"), "resamples"),
        seed=intervals.control_value(values.get("seed"), "seed"),
        missing=intervals.control_value(values.get("missing"), "missing"),
        exclude_flags=intervals.control_value(values.get("exclude_flags"), "exclude_flags"),
    )


def _as_of_value(value) -> str | None:
    """The date picker's value: a YYYY-MM-DD date, or None (today)."""
    state, problems = lbstate.decode({"as_of": value or ""})
    return None if problems else state.as_of


def as_of_banner(state: lbstate.LeaderboardState) -> list:
    """The notice over a past table: which snapshot it is, and a link back to today."""
    if not state.as_of:
        return []
    try:
        snap = asof.snapshot_at(leaderboard().handle.build, asof.parse_date(state.as_of))
        what = (f"the snapshot of commit {snap.snapshot_id} ({snap.taken_at:%Y-%m-%d %H:%M} "
                "UTC)" if snap.origin == "backfill" else
                f"build {snap.snapshot_id} ({snap.taken_at:%Y-%m-%d %H:%M} UTC)")
    except asof.AsOfError as exc:
        what = str(exc)
    return [html.Strong(f"The leaderboard as of {state.as_of}"),
            html.Span(f": {what}. Today's catalog on the results known then; default filters "
                      "only. "),
            dcc.Link("Back to today", href="/" + lbstate.encode(replace(state, as_of=None)),
                     id="lb-as-of-today")]


def state_to_controls(state: lbstate.LeaderboardState) -> dict:
    """The inverse of controls_to_state: each control's value for a state."""
    opts = leaderboard().options(state.benchmark)
    scale = SizeScale.of(opts.params_range_b)
    return {
        "view": state.view, "search": state.search,
        "size": scale.value(state.min_params_b, state.max_params_b) if scale else [0, 1],
        "keep_unknown_size": ["keep"] if state.keep_unknown_size else [],
        "open_weights": state.open_weights or "", "instructions": state.instructions or "",
        "sentence_transformers": ["st"] if state.sentence_transformers else [],
        "model_types": list(opts.model_types if state.model_types is None
                            else state.model_types),
        "zero_shot": state.zero_shot, "all_models": ["all"] if state.all_models else [],
        "task_types": list(opts.task_types if state.task_types is None else state.task_types),
        "domains": list(opts.domains if state.domains is None else state.domains),
        "modalities": list(opts.modalities if state.modalities is None else state.modalities),
        "languages": list(state.languages or []),
        "tasks": list(opts.tasks if state.tasks is None else state.tasks),
        "as_of": state.as_of or "",
        "resamples": state.resamples, "seed": state.seed, "missing": state.missing,
        "exclude_flags": state.exclude_flags,
    }


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

def layout(**query):
    state, warnings = lbstate.decode(query)
    try:
        lb = leaderboard()
        benchmarks = lb.benchmarks()
        menu = lb.menu()
    except warehouse.WarehouseError as exc:
        return no_build(exc)
    state, more = lb.resolve(state)   # the same resolution as /api/table and mteb-lb table
    if state.benchmark not in benchmarks:
        return html.Div(className="lb-page", children=[
            dcc.Location(id=URL, refresh=False),
            sidebar_toggle(),
            sidebar(menu, benchmarks, None, as_links=True),
            html.Div(id=BODY, className="lb-body",
                     children=unknown_benchmark(state.benchmark, benchmarks, menu, warnings)),
        ])
    if state.models is not None:
        more.append("'models' narrows the tables of /api/table and mteb-lb table; on this page "
                    "the search box does that (names separated by ';'), so it was ignored.")
        state = replace(state, models=None)
    return html.Div(className="lb-page", children=[
        dcc.Location(id=URL, refresh=False),
        sidebar_toggle(),
        sidebar(menu, benchmarks, state.benchmark, state=state),
        html.Div(id=BODY, className="lb-body", children=build_body(state, warnings + more)),
    ])


def unknown_benchmark(name: str, benchmarks: dict, menu: dict, warnings=()) -> list:
    default = menu.get("default_benchmark")
    on_menu = list(menu.get("sidebar_benchmarks") or [])
    others = sorted(set(benchmarks) - set(on_menu))
    close = close_names(name, list(benchmarks), n=5)

    def link(b):
        return dcc.Link(b, href=st.leaderboard_href(lbstate.LeaderboardState(benchmark=b)),
                        className="lb-chip-link")

    return [
        dcc.Store(id=BENCH, data=None),
        html.Div(className="lb-notice lb-error", children=[
            html.H2(f"Unknown benchmark “{name}”"),
            html.P(["This link names a benchmark that does not exist in the current build. ",
                    "Pick one in the menu, or go to the default ",
                    dcc.Link(default, href="/") if default else "", "."]),
            did_you_mean([link(b) for b in close]),
            *[html.P(w, className="lb-warning-line") for w in warnings],
            html.H4(f"Valid benchmarks ({len(benchmarks)})"),
            html.Div(className="lb-chip-list", children=[link(b) for b in on_menu + others]),
        ])]


def sidebar(menu: dict, benchmarks: dict, active: str | None, *, as_links: bool = False,
            state: lbstate.LeaderboardState | None = None):
    """The official menu tree. Entries are links to the benchmark with the page's model filters
    (``state``; new tab and copy link work); a plain click swaps the body in place instead,
    keeping what applies (app/assets/walk.js). On the unknown-benchmark page, which has no body
    to swap, they are plain page links."""
    entries = _menu_items(menu.get("sidebar") or [], active, benchmarks, as_links, state)
    on_menu = set(menu.get("sidebar_benchmarks") or [])
    others = sorted(set(benchmarks) - on_menu)
    if others:
        entries.append(html.Details(
            className="lb-menu-group", open=active in others, children=[
                html.Summary(f"More benchmarks ({len(others)}, not on the official menu)"),
                *[_bench_button(b, b, active, as_links, state) for b in others]]))
    return html.Aside(id="lb-sidebar", className="lb-sidebar", children=[
        html.Div("Benchmarks", className="lb-sidebar-title"), my_benchmarks.section(),
        *entries])


def sidebar_toggle() -> html.Button:
    """On narrow screens (<= 900 px, app/assets/walk.css) the menu hides behind this button."""
    return html.Button("☰ Benchmarks", id="lb-sidebar-toggle", className="lb-sidebar-toggle",
                       title="Show or hide the benchmark menu")


def _contains(item: dict, name: str | None) -> bool:
    if item.get("type") == "benchmark":
        return item.get("name") == name
    return any(_contains(c, name) for c in item.get("items") or [])


def _menu_items(items: list[dict], active: str | None, benchmarks: dict,
                as_links: bool = False, state=None) -> list:
    out = []
    for item in items:
        if item.get("type") == "benchmark":
            if item.get("name") in benchmarks:
                out.append(_bench_button(item["name"], item.get("label") or item["name"], active,
                                         as_links, state))
            continue
        children = _menu_items(item.get("items") or [], active, benchmarks, as_links, state)
        title = (item.get("name") or "").strip()
        if item.get("level", 0) == 0:
            out.append(html.Div(className="lb-menu-section", children=[
                html.Div(title, className="lb-menu-heading"), *children]))
        else:
            out.append(html.Details(className="lb-menu-group",
                                    open=bool(item.get("open")) or _contains(item, active),
                                    children=[html.Summary(title), *children]))
    return out


def _bench_button(name: str, label: str, active: str | None, as_links: bool = False,
                  state=None):
    if as_links:
        return dcc.Link(label, href=st.leaderboard_href(lbstate.LeaderboardState(benchmark=name)),
                        title=name, className="lb-bench-btn")
    return html.A(label, id={"type": MENU_BTN, "name": name}, title=name,
                  href=bench_href(state, name), **{"data-switch": "in-place"},
                  className="lb-bench-btn" + (" active" if name == active else ""))


def bench_href(state: lbstate.LeaderboardState | None, name: str) -> str:
    """A menu entry's link: the benchmark with the model filters, search and selection of the
    page's state (LeaderboardState.for_benchmark)."""
    base = state or lbstate.LeaderboardState()
    return st.leaderboard_href(base.for_benchmark(name))


def menu_hrefs(search, ids) -> list[str]:
    """The address bar changed -> every menu link carries the new state."""
    state, _ = lbstate.decode(st.parse_search(search or ""))
    return [bench_href(state, i["name"]) for i in ids or []]


def build_body(state: lbstate.LeaderboardState, warnings=(), *, notice: str = "") -> list:
    """Everything right of the menu for one benchmark, data included (``notice``: what a
    benchmark switch dropped, one line)."""
    lb = leaderboard()
    bench = lb.benchmark(state.benchmark)
    opts = lb.options(bench.name)
    # a filtered state's statistics (interval column, per-task cells) come in the page's
    # second request, as after a filter change (app/intervals.py); an unfiltered one's are the
    # build's tables, read inline
    deferred = intervals.deferred(state)
    view = compute_view(state, interval_mode="cached" if deferred else "compute")
    if state.build_statistics() and not state.as_of and not view.error:
        # the build's own tables, nothing left to a second request: the answer may be kept (a
        # filtered state's first render depends on whether its statistics are cached, a past
        # date's on the backfilled history, which changes without a new build)
        answers.stable()
    controls = state_to_controls(state)
    figure = plots.plot_figure(state) if state.view == "summary" else plots.empty_figure("")
    tabs = [dcc.Tab(label=lbstate.VIEW_LABELS[t], value=t) for t in lbstate.VIEWS
            if t != "per-language" or bench.has_language_view]
    return [
        dcc.Store(id=BENCH, data=bench.name),
        dcc.Store(id=VIEW_KEY, data=0),
        intervals.store(),
        intervals.pending_store(_key(state) if deferred else None),
        warnings_box(warnings, id="lb-warnings"),
        html.Div(notice, id="lb-switch-notice", className="lb-notice lb-switch-notice",
                 style=show(bool(notice))),
        header_card(bench, opts),
        filters_panel(state, bench, opts, controls),
        intervals.controls(state),   # ranking options: missing results, rank intervals
        html.Div(className="lb-toolbar", children=[
            dcc.Input(id=CONTROLS["search"], type="search", value=controls["search"],
                      debounce=0.4, placeholder="Search model or organisation",
                      className="lb-search", autoComplete="off"),
            html.Span(counts_text(view, state), id="lb-counts", className="lb-counts"),
            html.Div(className="lb-actions", children=[
                dcc.Link("Compare selected", id="lb-compare-link", className="lb-button",
                         href=st.compare_href(state),
                         style=show(len(state.selected) >= 2)),
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
        html.P(TRAINED_NOTE, id="lb-trained-note", className="lb-hint lb-trained-note",
               style=show(state.view == "per-task")),
        html.P(order_note(bench), id="lb-order-note", className="lb-notice lb-order-note")
        if order_note(bench) else None,
        task_picker.blank_notice(view.blank_tasks),
        html.Div(id="lb-chips", className="lb-chips", children=chips(state)),
        html.Div(className="lb-as-of", children=[
            html.Label("As of", htmlFor=CONTROLS["as_of"]),
            dcc.Input(id=CONTROLS["as_of"], type="date", value=controls["as_of"],
                      debounce=True, className="lb-as-of-input"),
            html.Span("a past date shows the table as it was then; empty: today",
                      className="lb-hint"),
        ]),
        html.Div(id="lb-as-of-banner", className="lb-notice lb-as-of-banner",
                 style=show(bool(state.as_of)), children=as_of_banner(state)),
        html.Div(id="lb-empty", className="lb-notice lb-empty",
                 style=show(bool(view.empty or view.error)),
                 children=[html.Span(view.empty or view.error or "", id="lb-empty-text"),
                           html.Button("Reset all filters", id="lb-reset-empty",
                                       className="lb-button lb-primary")]),
        dcc.Tabs(id=CONTROLS["view"], value=controls["view"], children=tabs, className="lb-tabs"),
        html.Div(id="lb-grid-area", className="lb-grid-area", children=[
            html.Div(id="lb-grid-wrap", style=show(state.view != "tasks"),
                     children=model_grid_component(view, state)),
            html.Div(id="lb-task-grid-wrap", style=show(state.view == "tasks"),
                     children=task_grid_component(view)),
        ]),
        html.Section(id="lb-plots", className="lb-plots", style=show(state.view == "summary"),
                     children=[
            html.H3("Plots", className="lb-section-title"),
            html.P("They follow the filters and the search; select rows (checkboxes) to "
                   "highlight models and put them on the radar.", className="lb-hint"),
            dcc.Tabs(id=PLOT_TABS, value=state.plot, className="lb-plot-tabs", children=[
                dcc.Tab(label="Score vs model size", value="size"),
                dcc.Tab(label="Score over time", value="time"),
                dcc.Tab(label="Per task type (radar)", value="radar"),
                dcc.Tab(label="Rank intervals", value="intervals"),
            ]),
            dcc.Graph(id=PLOT, figure=figure, config={"displaylogo": False},
                      className="lb-graph"),
            robustness.panel(),
        ]),
        faq(bench),
    ]


ROW_HEIGHT = gridmod.ROW_HEIGHT
grid_style = gridmod.grid_style


def _grouped(defs) -> bool:
    return any("children" in d for d in defs or [])


def model_grid_component(view: View, state: lbstate.LeaderboardState) -> dag.AgGrid:
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
        selectedRows={"ids": list(state.selected)} if state.selected else [],
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
        html.Div(id="lb-size-label", className="lb-size-label"),   # filled client side
        _checklist("keep_unknown_size", ["keep"], controls["keep_unknown_size"],
                   labels={"keep": "Include models of unknown size"}),
    ])
    model_filters = html.Div(className="lb-filter-grid", children=[
        _field("Model size (parameters, log scale)", size_control, wide=True,
               hint="Total parameters. With a bound set, models of unknown size are kept only "
                    "when the box is ticked."),
        _field("Weights", dcc.RadioItems(
            id=CONTROLS["open_weights"], value=controls["open_weights"], inline=True,
            className="lb-radio",
            options=[{"label": "Both", "value": ""}, {"label": "Open", "value": "yes"},
                     {"label": "Proprietary", "value": "no"}])),
        _field("Instructions", dcc.RadioItems(
            id=CONTROLS["instructions"], value=controls["instructions"], inline=True,
            className="lb-radio",
            options=[{"label": "Both", "value": ""},
                     {"label": "Instruction-tuned", "value": "yes"},
                     {"label": "No instructions", "value": "no"}])),
        _field("Zero-shot", dcc.RadioItems(
            id=CONTROLS["zero_shot"], value=controls["zero_shot"], inline=True,
            className="lb-radio",
            options=[{"label": "Allow all", "value": "allow_all"},
                     {"label": "Remove unknown", "value": "remove_unknown"},
                     {"label": "Only zero-shot", "value": "only_zero_shot"}]),
               hint="Only zero-shot: models not trained on any selected task. Remove unknown: "
                    "drop models whose training data is unknown.",
               style=None if zs_visible else {"display": "none"}),
        _field("Model types", _checklist("model_types", opts.model_types, controls["model_types"])),
        _field("Other", html.Div([
            _checklist("sentence_transformers", ["st"], controls["sentence_transformers"],
                       labels={"st": "Sentence-transformers compatible"}),
            _checklist("all_models", ["all"], controls["all_models"],
                       labels={"all": "Include models outside mteb's registry"}),
        ])),
    ])
    lang_options = [{"label": gridmod.language_label(code), "value": code}
                    for code in opts.languages]
    metas = task_metas(bench.name)
    task_filters = html.Div(className="lb-filter-grid", children=[
        _field("Task types", _checklist("task_types", opts.task_types, controls["task_types"]),
               wide=True),
        _field("Domains", _checklist("domains", opts.domains, controls["domains"]), wide=True),
        _field("Modalities", _checklist("modalities", opts.modalities, controls["modalities"])),
        _field(f"Languages ({len(opts.languages)})", dcc.Dropdown(
            id=CONTROLS["languages"], options=lang_options, value=controls["languages"], multi=True,
            placeholder="All languages — type to pick some", className="lb-dropdown",
            maxHeight=260), wide=True,
            hint="Keeps only the task subsets in the chosen languages; means are recomputed."),
        _field(f"Tasks ({len(opts.tasks)}, by task type)", task_picker.picker(
            opts.tasks, controls["tasks"], lambda t: (metas.get(t) or {}).get("type")),
            wide=True, hint="Untick a task to leave it out; every task ticked is the "
                            "benchmark as published."),
    ])
    n_active = len(st.active_filters(state))
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


def _model_filters_active(state: lbstate.LeaderboardState) -> bool:
    default = lbstate.LeaderboardState()
    return any(getattr(state, f) != getattr(default, f) for f in (
        "min_params_b", "max_params_b", "keep_unknown_size", "open_weights", "instructions",
        "sentence_transformers", "model_types", "zero_shot", "all_models"))


def chips(state: lbstate.LeaderboardState) -> list:
    active = st.active_filters(state)
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
    # the interval column when already computed; else app/intervals.py fills it after
    view = compute_view(state, interval_mode="cached")
    model_grid = view.grid or gridmod.GridData([], [])
    task_grid = view.task_grid or gridmod.GridData([], [])
    is_tasks = state.view == "tasks"
    return {
        "grid_defs": no_update if is_tasks else model_grid.column_defs,
        "grid_rows": no_update if is_tasks else model_grid.row_data,
        "grid_height": no_update if is_tasks else grid_style(len(model_grid.row_data),
                                                             _grouped(model_grid.column_defs)),
        "task_defs": task_grid.column_defs if is_tasks else no_update,
        "task_rows": task_grid.row_data if is_tasks else no_update,
        "task_height": grid_style(len(task_grid.row_data)) if is_tasks else no_update,
        "grid_shown": show(not is_tasks), "task_grid_shown": show(is_tasks),
        "plots_shown": show(state.view == "summary"),
        "counts": counts_text(view, state),
        "empty_shown": show(bool(view.empty or view.error)),
        "empty_text": view.empty or view.error or "",
        "chips": chips(state),
        "view_key": _key(state),
        "as_of_banner": as_of_banner(state), "as_of_shown": show(bool(state.as_of)),
    }


def _key(state: lbstate.LeaderboardState) -> str:
    return lbstate.encode(replace(state, selected=(), plot="size", sort=None))


def update_plot(view_key, plot, selected_rows, bench_name, *control_values):
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    state = controls_to_state(bench_name, _values(control_values),
                              selected=selected_models(selected_rows), plot=plot)
    if state.view != "summary":
        raise dash.exceptions.PreventUpdate
    return plots.plot_figure(state)


def sync_url(plot, selected_rows, column_state, bench_name, *control_values):
    """Any state change -> the address bar (no reload) and the compare link."""
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    models = selected_models(selected_rows)
    state = controls_to_state(bench_name, _values(control_values), selected=models, plot=plot,
                              sort=sort_from_column_state(column_state))
    compare = st.compare_href(replace(state, selected=tuple(models[: st.MAX_COMPARE])))
    return (lbstate.encode(state), compare,
            show(len(models) >= 2),
            f"Compare selected ({len(models)})" if len(models) <= st.MAX_COMPARE
            else f"Compare first {st.MAX_COMPARE} selected")


def switch_benchmark(n_clicks, button_ids, current, plot, selected_rows, column_state,
                     *control_values):
    """A menu click -> the body of the chosen benchmark, keeping what applies there (model
    filters, selection, size bounds, the task filters it offers, the grid's sort:
    app/bench_switch.py) and saying in one line what was dropped."""
    name = ctx.triggered_id["name"] if isinstance(ctx.triggered_id, dict) else None
    if not name or not any(n for n in (n_clicks or []) if n):
        raise dash.exceptions.PreventUpdate
    models = selected_models(selected_rows)
    dropped: list[str] = []
    lb = leaderboard()
    if current:
        state = controls_to_state(current, _values(control_values), selected=models, plot=plot,
                                  sort=sort_from_column_state(column_state))
        state, dropped = bench_switch.carry_over(state, name, lb.valid_values(current),
                                                 lb.valid_values(name))
    else:
        state = lbstate.LeaderboardState(benchmark=name)
    state, warnings = lbstate.check(state, lb.valid_values(name))
    grid = compute_view(state).grid if state.sort else None
    if grid is not None and not bench_switch.sort_applies(grid.column_defs):
        dropped.append(f"the sort on {state.sort[0]}")   # no such column on this benchmark
        state = replace(state, sort=None)
    classes = ["lb-bench-btn" + (" active" if i["name"] == name else "") for i in button_ids]
    notice = bench_switch.notice_text(lb.benchmark(name).display_name, dropped)
    return build_body(state, warnings, notice=notice), classes, lbstate.encode(state)


def blank_tasks_of(view_key) -> list[str]:
    """The tasks the blank-means notice names, for the page's state (its VIEW_KEY)."""
    if not view_key:
        return []
    state, _ = lbstate.decode(st.parse_search(view_key))
    if state.view != "summary" or not state.benchmark:
        return []
    try:
        if not leaderboard().summary(state.benchmark, state.filters()).num_rows:
            return []
        return list(leaderboard().tasks_without_scores(state.benchmark, state.filters()))
    except Exception:  # noqa: BLE001 - the table itself reports a failing state
        log.exception("blank tasks failed for %s", view_key)
        return []


def reset_filters(_n1, _n2, _n3, bench_name):
    """"Reset all filters" (and the empty state's reset) sets the filters, the search and the
    date back and keeps the ranking options (missing results, flagged scores, resamples, seed:
    how the table is ranked, not which rows and tasks it shows); "Reset ranking options" sets
    only those."""
    if not bench_name:
        raise dash.exceptions.PreventUpdate
    controls = state_to_controls(lbstate.LeaderboardState(benchmark=bench_name))
    ranking = ctx.triggered_id == intervals.RESET
    return tuple(controls[k] if (k in intervals.CONTROL_IDS) == ranking else no_update
                 for k in CONTROL_KEYS if k != "view")


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
        output={
            "grid_defs": Output(GRID, "columnDefs"), "grid_rows": Output(GRID, "rowData"),
            "grid_height": Output(GRID, "style"),
            "task_defs": Output(TASK_GRID, "columnDefs"),
            "task_rows": Output(TASK_GRID, "rowData"), "task_height": Output(TASK_GRID, "style"),
            "grid_shown": Output("lb-grid-wrap", "style"),
            "task_grid_shown": Output("lb-task-grid-wrap", "style"),
            "plots_shown": Output("lb-plots", "style"),
            "counts": Output("lb-counts", "children"),
            "empty_shown": Output("lb-empty", "style"),
            "empty_text": Output("lb-empty-text", "children"),
            "chips": Output("lb-chips", "children"), "view_key": Output(VIEW_KEY, "data"),
            "as_of_banner": Output("lb-as-of-banner", "children"),
            "as_of_shown": Output("lb-as-of-banner", "style"),
        },
        inputs=[State(BENCH, "data"), *control_inputs],
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
        State(GRID, "columnState"), *control_states,
        prevent_initial_call=True,
    )(switch_benchmark)
    app.callback(
        *[Output(CONTROLS[k], "value") for k in CONTROL_KEYS if k != "view"],
        Input("lb-reset", "n_clicks"), Input("lb-reset-empty", "n_clicks"),
        Input(intervals.RESET, "n_clicks"), State(BENCH, "data"),
        prevent_initial_call=True,
    )(reset_filters)
    app.callback(
        Output("lb-download", "data"),
        Input("lb-download-btn", "n_clicks"), State(GRID, "columnState"), State(BENCH, "data"),
        *control_states,
        prevent_initial_call=True,
    )(download_csv)
    task_picker.register_callbacks(app, blank_tasks_of)
    my_benchmarks.register_callbacks(app, URL)
    app.callback(
        Output({"type": MENU_BTN, "name": ALL}, "href"),
        Input(URL, "search"), State({"type": MENU_BTN, "name": ALL}, "id"),
        prevent_initial_call=True,
    )(menu_hrefs)
    app.clientside_callback(
        ClientsideFunction(namespace="lbWalk", function_name="toggleSidebar"),
        Output("lb-sidebar", "className"),
        Input("lb-sidebar-toggle", "n_clicks"),
        Input({"type": MENU_BTN, "name": ALL}, "n_clicks"),
        State("lb-sidebar", "className"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="lbWalk", function_name="trainedNote"),
        Output("lb-trained-note", "style"), Input(CONTROLS["view"], "value"),
        prevent_initial_call=True,
    )
    intervals.register_callbacks(  # app/intervals.py: the interval column after the table
        app, Input(VIEW_KEY, "data"), [State(BENCH, "data"), *control_states],
        lambda bench, *values: controls_to_state(bench, _values(values)), GRID)
    robustness.register_callbacks(  # app/robustness.py: computed when its panel is open
        app, Input(VIEW_KEY, "data"), [State(BENCH, "data"), *control_states],
        lambda bench, *values: controls_to_state(bench, _values(values)))
    # Client side, no round trip (app/assets/dccFunctions.js): copy link, full screen, the
    # size slider's label (also its first value: one size formatter, in JavaScript).
    app.clientside_callback(
        ClientsideFunction(namespace="lb", function_name="currentUrl"),
        Output("lb-copy", "content"), Input("lb-copy", "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="lb", function_name="fullscreen"),
        Output("lb-fullscreen", "title"), Input("lb-fullscreen", "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="lb", function_name="sizeLabel"),
        Output("lb-size-label", "children"),
        Input(CONTROLS["size"], "value"), State(CONTROLS["size"], "min"),
        State(CONTROLS["size"], "max"), State(CONTROLS["size"], "disabled"),
    )
