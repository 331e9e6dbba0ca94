"""The leaderboard page's task picker and its "blank means" notice.

The benchmark's tasks are shown ticked, grouped by task type, each group with "All" / "None",
so one click removes one task. The picker's value lives in the hidden checklist ``lb-tasks``
(the page's ``tasks`` control): every task ticked reads as no custom selection (``tasks`` absent
from the URL), so old links and the official numbers do not move. The groups and the hidden
value are kept in step client side (``app/assets/task_picker.js``, no round trip).

The notice under the toolbar names the tasks no model has a complete result on (they blank the
means over all tasks) and offers a button that unticks them.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from app.components import show
from app.intervals import MISSING_HINT

TASKS = "lb-tasks"                   # the page's "tasks" control (hidden; value = ticked tasks)
GROUP = "lb-task-group"              # {"type": GROUP, "index": task type}: one checklist a type
ALL_BTN = "lb-task-all"
NONE_BTN = "lb-task-none"
BLANK = "lb-blank"                   # the blank-means notice
BLANK_TEXT = "lb-blank-text"
BLANK_TASKS = "lb-blank-tasks"       # the tasks it names (a Store)
DROP_BLANK = "lb-drop-blank"
OTHER_TYPE = "Other"


def groups(tasks: list[str], type_of) -> dict[str, list[str]]:
    """Task type -> the benchmark's tasks of that type, types and tasks in name order."""
    out: dict[str, list[str]] = {}
    for task in tasks:
        out.setdefault(type_of(task) or OTHER_TYPE, []).append(task)
    return {t: sorted(out[t]) for t in sorted(out)}


def picker(tasks: list[str], selected: list[str], type_of) -> html.Div:
    """The grouped checklists and the hidden ``lb-tasks`` value (``selected``: ticked tasks)."""
    chosen = set(selected)
    by_type = groups(tasks, type_of)
    return html.Div(className="lb-task-picker", children=[
        dcc.Checklist(id=TASKS, options=[{"label": t, "value": t} for t in tasks],
                      value=[t for t in tasks if t in chosen], style={"display": "none"}),
        *[html.Div(className="lb-task-group", children=[
            html.Div(className="lb-task-group-head", children=[
                html.Span(f"{ttype} ({len(names)})", className="lb-task-group-title"),
                html.Button("All", id={"type": ALL_BTN, "index": ttype},
                            className="lb-link-button", title=f"Tick every {ttype} task"),
                html.Button("None", id={"type": NONE_BTN, "index": ttype},
                            className="lb-link-button", title=f"Untick every {ttype} task"),
            ]),
            dcc.Checklist(id={"type": GROUP, "index": ttype}, className="lb-checklist",
                          options=[{"label": t, "value": t} for t in names],
                          value=[t for t in names if t in chosen], inline=True),
        ]) for ttype, names in by_type.items()],
    ])


def blank_text(blank_tasks) -> str:
    if not blank_tasks:
        return ""
    names = ", ".join(blank_tasks[:5]) + (" …" if len(blank_tasks) > 5 else "")
    one = len(blank_tasks) == 1
    return (f"No model has a complete result on {names}, so the means over all tasks are blank "
            "(as on the official leaderboard). Drop "
            + ("this task" if one else f"these {len(blank_tasks)} tasks")
            + f" to compare means, {MISSING_HINT}.")


def blank_notice(blank_tasks) -> html.Div:
    blank_tasks = list(blank_tasks or ())
    return html.Div(id=BLANK, className="lb-notice lb-blank", style=show(bool(blank_tasks)),
                    children=[
        dcc.Store(id=BLANK_TASKS, data=blank_tasks),
        html.Span(blank_text(blank_tasks), id=BLANK_TEXT),
        html.Button("Drop " + ("this task" if len(blank_tasks) == 1 else "these tasks"),
                    id=DROP_BLANK, className="lb-button lb-primary",
                    title="Untick them under “Customize this benchmark”"),
    ])


def register_callbacks(app, blank_tasks_of) -> None:
    """``blank_tasks_of(view_key)``: the blank tasks of the page's current state."""
    app.clientside_callback(
        ClientsideFunction(namespace="lbTasks", function_name="merge"),
        Output(TASKS, "value", allow_duplicate=True),
        Input({"type": GROUP, "index": ALL}, "value"), State(TASKS, "options"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="lbTasks", function_name="setGroups"),
        Output({"type": GROUP, "index": ALL}, "value"),
        Input({"type": ALL_BTN, "index": ALL}, "n_clicks"),
        Input({"type": NONE_BTN, "index": ALL}, "n_clicks"),
        Input("lb-reset", "n_clicks"), Input("lb-reset-empty", "n_clicks"),
        Input(DROP_BLANK, "n_clicks"),
        State({"type": GROUP, "index": ALL}, "id"), State({"type": GROUP, "index": ALL}, "options"),
        State({"type": GROUP, "index": ALL}, "value"), State(BLANK_TASKS, "data"),
        prevent_initial_call=True,
    )

    def update_blank(view_key):
        tasks = blank_tasks_of(view_key)
        return show(bool(tasks)), blank_text(tasks), tasks, (
            "Drop " + ("this task" if len(tasks) == 1 else "these tasks"))

    app.callback(
        Output(BLANK, "style"), Output(BLANK_TEXT, "children"), Output(BLANK_TASKS, "data"),
        Output(DROP_BLANK, "children"),
        Input("lb-view-key", "data"),
        prevent_initial_call=True,
    )(update_blank)
