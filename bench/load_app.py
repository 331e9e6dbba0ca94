"""The app exactly as ``gunicorn app.wsgi:server`` serves it, plus one response header for the
load test: ``X-LB-DuckDB``, how many DuckDB cursors the request opened on the build. 0 means the
answer came from the worker's caches (or needed no data: the page shell, Dash's assets); 1 or more
means the request ran queries (a cold state). Used only by ``bench/load_test.py``:

    gunicorn --pythonpath bench load_app:server ...

The count wraps ``db.CurrentBuild.cursor`` (every ranking, model page and table query takes its
cursor there) per request thread; the prewarm thread's queries are not counted.
"""

from __future__ import annotations

import threading

from mteb_lb import db

_local = threading.local()
_cursor = db.CurrentBuild.cursor


def _counting_cursor(self):
    _local.n = getattr(_local, "n", 0) + 1
    return _cursor(self)


db.CurrentBuild.cursor = _counting_cursor

from app.wsgi import app, server  # noqa: E402  (after the wrap: no cursor opens at import)

__all__ = ["app", "server"]


@server.before_request
def _reset_count():
    _local.n = 0


@server.after_request
def _count_header(response):
    response.headers["X-LB-DuckDB"] = str(getattr(_local, "n", 0))
    return response
