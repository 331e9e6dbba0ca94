"""The Dash app factory: ``create_app()`` -> a multi-page ``dash.Dash``.

Importing this module does no file or network I/O: the warehouse is opened lazily on the first
request (per process, so per gunicorn worker after fork). The shell is a function, evaluated on
every page load, so its footer shows the build being served even after a new build is
published.

Pages (``app/pages/*.py``) register themselves with ``dash.register_page``; their callbacks are
attached to this app by each module's ``register_callbacks(app)``, so several apps can live in
one process (tests) without duplicated callbacks.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import logging
import sys
import threading
from pathlib import Path

import dash
from dash import Input, Output, dcc, html

from app import answers, api
from app.components import EDITOR_BUNDLE_IGNORE, build_info, menu_order
from mteb_lb import asof
from mteb_lb.rankings import leaderboard

APP_DIR = Path(__file__).resolve().parent
TITLE = "MTEB Leaderboard"
NAV = (("Leaderboard", "/"), ("Compare", "/compare"), ("Changes", "/changes"), ("SQL", "/sql"),
       ("Quality", "/quality"), ("Status", "/status"))
ALWAYS_IN_NAV = ("/", "/compare", "/sql", "/status")   # others only once their page exists

log = logging.getLogger(__name__)


def create_app(*, prewarm: bool = True, keep_answers: bool = True, **dash_kwargs) -> dash.Dash:
    """Build the app. ``prewarm`` computes every benchmark's default summary in a background
    thread after the first request, as the official leaderboard pre-runs every benchmark, so
    switching benchmark and the model pages' ranks hit the cache. ``keep_answers``: a menu
    board's page is answered from the bytes of its first render per build (app/answers.py)."""
    importlib.import_module("app")   # Dash names page modules app.pages.* when it is loaded

    app = dash.Dash(
        "app",
        use_pages=True,
        pages_folder=str(APP_DIR / "pages"),
        assets_folder=str(APP_DIR / "assets"),
        assets_ignore=EDITOR_BUNDLE_IGNORE,   # the SQL page loads its editor itself
        title=TITLE,
        update_title=None,
        suppress_callback_exceptions=True,
        **dash_kwargs,
    )
    app.layout = shell
    for page in list(dash.page_registry.values()):
        module = sys.modules.get(page["module"])
        if module is not None and hasattr(module, "register_callbacks"):
            module.register_callbacks(app)
    _register_shell_callbacks(app)
    api.register(app.server)
    if keep_answers:
        answers.install(app.server)
    _first_request_alone(app.server)
    if prewarm:
        _install_prewarm(app)
    return app


def _first_request_alone(server) -> None:
    """Serve a process's first request alone: the others wait until it has run Dash's one-time
    setup. Dash runs that setup in two ``before_request`` hooks of the first request
    (``_setup_server``: the callbacks copied and validated, ``validate_background_callbacks``
    iterating ``callback_map``; the pages router: its routing callback added to
    ``callback_map``), each setting its done-flag *before* its work. A second request arriving
    meanwhile skipped the first hook and ran the router, which added to ``callback_map`` while
    the first iterated it: ``RuntimeError: dictionary changed size during iteration`` (seen once
    under load on ``/api/health``), or was answered before the callbacks were in place. Flask's
    middleware slot (``wsgi_app``) holds the gate, so every server (gunicorn, waitress, Dash's
    own) gets it; ``ready`` sends that first request at worker start, before threads serve."""
    inner = server.wsgi_app
    lock = threading.Lock()
    done = threading.Event()

    def wsgi_app(environ, start_response):
        if not done.is_set():
            with lock:
                if not done.is_set():
                    # Flask runs the hooks and the view inside this call (the body it returns
                    # is already computed), so the setup is over when it returns
                    response = inner(environ, start_response)
                    done.set()
                    return response
        return inner(environ, start_response)

    server.wsgi_app = wsgi_app


def ready(app: dash.Dash) -> None:
    """Run Dash's one-time setup now (one request through the app, no thread serving yet), so
    that a worker's first visitor does not wait for it. The request (``/_dash-dependencies``)
    evaluates the shell once (the footer reads the build's metadata): call it in the process
    that serves, after a fork, not at import."""
    response = app.server.test_client().get(app.get_relative_path("/_dash-dependencies"))
    if response.status_code != 200:
        log.warning("Dash's setup request answered %s", response.status_code)


# --------------------------------------------------------------------------------------------
# shell
# --------------------------------------------------------------------------------------------

def shell():
    """Header navigation, the page, and a footer naming the build being served."""
    return html.Div(className="lb-shell", children=[
        html.Header(className="lb-header", children=[
            dcc.Link(className="lb-brand", href="/", children=[
                html.Span("MTEB", className="lb-brand-mark"), " Leaderboard"]),
            html.Nav(className="lb-nav", children=[
                dcc.Link(label, href=href, id={"type": "nav-link", "href": href},
                         className="lb-nav-link")
                for label, href in NAV if href in ALWAYS_IN_NAV or href in _page_paths()]),
        ]),
        html.Main(dash.page_container, className="lb-main"),
        footer(),
    ])


def _page_paths() -> set[str]:
    return {p.get("path") for p in dash.page_registry.values()}


def footer():
    info = build_info()
    if info is None:
        text = ["No build is published yet: run ", html.Code("mteb-lb etl"), "."]
    else:
        commit = info.get("source_commit")
        text = ["Data: ", html.Code((commit or "local")[:12], title=commit or info.get("source")),
                " built ", html.Span(_short_time(info.get("built_at")),
                                     title=str(info.get("built_at"))),
                " · build ", html.Code(info["build_id"])]
    return html.Footer(className="lb-footer", children=[
        html.Span(text),
        dcc.Link("Build status and provenance →", href="/status", className="lb-footer-link"),
        html.Span(["Rankings reproduce the official ",
                   html.A("MTEB leaderboard", href="https://github.com/embeddings-benchmark/mteb",
                          target="_blank", rel="noopener noreferrer"), "."],
                  className="lb-footer-note"),
    ])


def _short_time(value) -> str:
    text = str(value or "?")
    return text.replace("T", " ").removesuffix("Z")[:16] + (" UTC" if text.endswith("Z") else "")


def _register_shell_callbacks(app: dash.Dash) -> None:
    # Highlight the navigation entry of the current page (client side: no round trip).
    app.clientside_callback(
        dash.ClientsideFunction(namespace="lb", function_name="navClasses"),
        Output({"type": "nav-link", "href": dash.ALL}, "className"),
        Input("_pages_location", "pathname"),
        dash.State({"type": "nav-link", "href": dash.ALL}, "id"),
    )


# --------------------------------------------------------------------------------------------
# prewarm
# --------------------------------------------------------------------------------------------

def _install_prewarm(app: dash.Dash) -> None:
    started = {"done": False}
    lock = threading.Lock()

    def start_once():
        if started["done"]:
            return
        with lock:
            if started["done"]:
                return
            started["done"] = True
        stop = threading.Event()
        thread = threading.Thread(target=prewarm_rankings, kwargs={"stop": stop},
                                  name="lb-prewarm", daemon=True)
        thread.start()

        def finish():   # at exit, let the running query end (DuckDB aborts if killed mid-query)
            stop.set()
            thread.join(timeout=10)

        atexit.register(finish)

    app.server.before_request(start_once)


def prewarm_rankings(stop: threading.Event | None = None) -> int:
    """Compute the default summary of every benchmark (menu order first, the default benchmark
    first of all). Returns how many were computed; failures are logged, never raised. Stops
    between two benchmarks once ``stop`` is set."""
    lb = leaderboard()
    try:
        menu = lb.menu()
        names = list(dict.fromkeys(
            [menu.get("default_benchmark")] + menu_order(menu) + sorted(lb.benchmarks())))
    except Exception:  # no build yet, or a broken one: pages report it themselves
        log.warning("prewarm skipped: no readable build", exc_info=True)
        return 0
    done = 0
    for name in names:
        if stop is not None and stop.is_set():
            break
        if not name:
            continue
        try:
            lb.options(name)
            lb.summary(name)
            done += 1
        except Exception:
            log.warning("prewarm of %s failed", name, exc_info=True)
    if not (stop is not None and stop.is_set()):
        try:    # a past date's database (its views and macros), when the history has one
            asof.prewarm(lb.handle.build)
        except Exception:
            log.warning("prewarm of the as-of database failed", exc_info=True)
    # Not the default board's per-task cells (spread tooltips, flag marks): computing them
    # peaked at ~180 MB above the summaries and kept ~130 MB of a worker's 500 MB (the first
    # per-task state of a board computes them, in the page's deferred second request;
    # docs/PERFORMANCE.md §Fifth pass: imports, memory, the statistics).
    return done
