"""The page of an unknown address: the site's header and navigation, what happened, and where
to go; served with HTTP status 404.

Dash renders this module's layout for a path no page is registered at (its pages router picks a
module named ``not_found_404``), but the HTML itself would be sent with status 200: the Flask
hook that ``register_callbacks`` installs answers a GET for an unknown path with the same page
and status 404 (the API, Dash's own routes and the assets are left alone).
"""

from __future__ import annotations

import dash
import flask
from dash import dcc, html

dash.register_page(__name__, path="/not_found_404", name="Page not found",
                   title="Page not found · MTEB Leaderboard")

# Not pages: Dash's routes (/_dash-..., /_reload-hash, /_favicon.ico), assets and the API.
NOT_PAGES = ("/_", "/assets/", "/api/")
PAGES = (("/", "the leaderboard"), ("/compare", "compare models"),
         ("/changes", "what changed since the previous build"), ("/sql", "the SQL console"),
         ("/quality", "the validity flags of the results"),
         ("/status", "the build being served"))


def layout(**_query):
    return html.Div(className="lb-pagewrap lb-not-found", children=[
        html.H1("Page not found"),
        html.Div(className="lb-notice lb-error", role="alert", children=[
            html.H2("404: there is no page at this address"),
            html.P("The link may be mistyped or outdated. The pages of this site:"),
            html.Ul([html.Li([dcc.Link(path, href=path), f": {what}"])
                     for path, what in PAGES]),
        ]),
    ])


def page_paths() -> set[str]:
    """The paths pages are registered at (this one excluded)."""
    return {p["path"] for p in dash.page_registry.values()
            if not p["module"].endswith("not_found_404")}


def is_unknown(path: str) -> bool:
    if path.startswith(NOT_PAGES) or path == "/not_found_404":
        return path == "/not_found_404"
    return (path.rstrip("/") or "/") not in page_paths()


def register_callbacks(app: dash.Dash) -> None:
    """Unknown paths: the page with status 404 (Dash would send it with 200)."""

    @app.server.before_request
    def _unknown_path():
        request = flask.request
        if request.method in ("GET", "HEAD") and is_unknown(request.path):
            return flask.make_response(app.index(), 404)
        return None
