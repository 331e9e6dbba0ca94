"""Pieces every page of the dashboard shares: the "no data yet" notice, the "link not
understood" box, the "did you mean" list, the benchmark menu's order, the build's info and the
name of the SQL editor's bundle (left out of the assets every page loads).
Pages import this module, never each other."""

from __future__ import annotations

from dash import html

from mteb_lb import warehouse

# The SQL console's code editor (~370 kB) lives in app/assets but is not loaded by every page:
# Dash's assets_ignore leaves it out of the page head, and the SQL page adds it itself.
EDITOR_BUNDLE = "sql_editor.bundle.js"
EDITOR_BUNDLE_IGNORE = r"sql_editor\.bundle\.js$"


def build_info() -> dict | None:
    """The current build's id and manifest, or None when nothing is published."""
    try:
        build = warehouse.current_build()
        manifest = warehouse.read_manifest(build)
    except (warehouse.WarehouseError, OSError, ValueError):
        return None
    return {"build_id": build.name, **manifest}


def source_commit_url(info: dict) -> str | None:
    """A link to the results repository at the build's commit, when the source is on GitHub."""
    source, commit = str(info.get("source") or ""), info.get("source_commit")
    if not commit:
        return None
    if source.startswith("https://github.com/"):
        return source.removesuffix(".git").rstrip("/") + f"/tree/{commit}"
    if source.startswith("hf:"):
        return f"https://huggingface.co/datasets/{source[3:]}/tree/{commit}"
    return None


def source_file_url(path: str, info: dict | None) -> str | None:
    """A link to a result file in the results repository, when the build came from GitHub or
    a Hugging Face dataset."""
    if not info or not path:
        return None
    source, commit = str(info.get("source") or ""), info.get("source_commit")
    if source.startswith("https://github.com/") and commit:
        return source.removesuffix(".git").rstrip("/") + f"/blob/{commit}/{path}"
    if source.startswith("hf:") and commit:
        return f"https://huggingface.co/datasets/{source[3:]}/blob/{commit}/{path}"
    return None


def no_build(problem):
    """The one notice a page shows when there is no published build to read (``problem``: the
    WarehouseError, or its message), or when the current build is damaged."""
    title = ("The leaderboard data is damaged"
             if isinstance(problem, warehouse.DamagedBuildError) else "No leaderboard data yet")
    return html.Div(className="lb-notice lb-error", children=[
        html.H2(title), html.P(str(problem))])


def join(items, sep=", "):
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


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


def show(visible: bool) -> dict:
    return {} if visible else {"display": "none"}


def warnings_box(warnings, *, id: str | None = None) -> html.Div | None:
    """"Some parts of this link were not understood", with one line per warning. With an id
    the box is always there (hidden when empty) so callbacks can fill it; without, no warning
    means no box."""
    warnings = list(dict.fromkeys(warnings or ()))
    if not warnings and id is None:
        return None
    return html.Div(
        className="lb-notice lb-warning", style=show(bool(warnings)),
        children=[html.Strong("Some parts of this link were not understood: "),
                  html.Ul([html.Li(w) for w in warnings])], **({"id": id} if id else {}))


def did_you_mean(links: list) -> html.P | None:
    """"Did you mean: a, b, c" under an unknown name, or nothing when there is no candidate."""
    return html.P(["Did you mean: ", *join(links)]) if links else None
