"""'My benchmarks': custom benchmarks (a benchmark with its task types, domains, modalities,
languages and tasks) saved under a name in the browser's local storage and listed in the
leaderboard's sidebar as links; each can be renamed or deleted.

Only the browser keeps them (a ``dcc.Store`` with ``storage_type="local"``): the server never
stores anything. Saving goes through the one state definition (``mteb_lb.lbstate``): the link
is the canonical URL of the current benchmark and its task choices. The list is drawn and
edited client side (``app/assets/my_benchmarks.js``).
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from app import state as st
from mteb_lb import lbstate

STORE = "lb-my-benchmarks"
LIST = "lb-my-list"
NAME = "lb-my-name"
SAVE = "lb-my-save"
MESSAGE = "lb-my-message"
RENAME = "lb-my-rename"      # {"type": RENAME, "index": i}
DELETE = "lb-my-delete"      # {"type": DELETE, "index": i}
MAX_ENTRIES = 50
# what a custom benchmark is: the benchmark and its own choices
KEPT = ("benchmark", "task_types", "domains", "modalities", "languages", "tasks")


def section() -> html.Div:
    return html.Div(className="lb-menu-section lb-my", children=[
        dcc.Store(id=STORE, storage_type="local"),
        html.Div("My benchmarks", className="lb-menu-heading"),
        html.Div(id=LIST, className="lb-my-list"),
        html.Div(className="lb-my-save", children=[
            dcc.Input(id=NAME, type="text", placeholder="Name this benchmark", maxLength=60,
                      className="lb-my-input", debounce=False),
            html.Button("Save", id=SAVE, className="lb-button",
                        title="Save this benchmark with its task types, domains, languages and "
                              "tasks, in this browser"),
        ]),
        html.Div(id=MESSAGE, className="lb-hint"),
    ])


def custom_href(search: str | None) -> str:
    """The page's address -> the link of its custom benchmark (the benchmark's own choices)."""
    state, _ = lbstate.decode(st.parse_search(search or ""))
    kept = {name: getattr(state, name) for name in KEPT}
    return st.leaderboard_href(lbstate.LeaderboardState(**kept))


def save(n_clicks, name, search, saved):
    """Save (or replace, by name) the current custom benchmark."""
    entries = [e for e in (saved or []) if isinstance(e, dict) and e.get("name")]
    name = (name or "").strip()
    if not n_clicks:
        return entries, "", name
    if not name:
        return entries, "Type a name first.", name
    href = custom_href(search)
    replaced = any(e["name"] == name for e in entries)
    entries = [e for e in entries if e["name"] != name] + [{"name": name, "href": href}]
    if len(entries) > MAX_ENTRIES:
        return (saved or []), f"At most {MAX_ENTRIES} saved benchmarks; delete one first.", name
    return entries, (f"Replaced “{name}”." if replaced else f"Saved “{name}”."), ""


def register_callbacks(app, url_id: str) -> None:
    app.callback(
        Output(STORE, "data"), Output(MESSAGE, "children"), Output(NAME, "value"),
        Input(SAVE, "n_clicks"), State(NAME, "value"), State(url_id, "search"),
        State(STORE, "data"),
        prevent_initial_call=True,
    )(save)
    app.clientside_callback(
        ClientsideFunction(namespace="lbMy", function_name="render"),
        Output(LIST, "children"), Input(STORE, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="lbMy", function_name="edit"),
        Output(STORE, "data", allow_duplicate=True),
        Input({"type": RENAME, "index": ALL}, "n_clicks"),
        Input({"type": DELETE, "index": ALL}, "n_clicks"),
        State(STORE, "data"),
        prevent_initial_call=True,
    )
