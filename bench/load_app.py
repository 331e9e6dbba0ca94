"""The app exactly as ``gunicorn app.wsgi:server`` serves it, plus two response headers for
the load test, counted per request thread (the prewarm thread's work is not counted):

* ``X-LB-Computed``: results the request computed because the worker's result cache
  (``Leaderboard._cached``) did not hold them: 0 is a cached state, 1 or more a cold one;
* ``X-LB-DuckDB``: DuckDB cursors it opened on the build (``db.CurrentBuild.cursor``, which every
  ranking, model page and table query takes), cached or not: small uncached queries (the menu,
  the model page's metadata) count here too;
* ``X-LB-Server-Ms``: the request's time in the app (Flask's before_request to after_request:
  not the time it waited for a worker thread, nor the response's write), wall and the request
  thread's CPU, as ``wall,cpu`` ms: the load test's latency minus this is queueing (in gunicorn
  and in the load generator, which shares the machine's cores).

Used only by ``bench/load_test.py``: ``gunicorn --pythonpath bench load_app:server ...``.
"""

from __future__ import annotations

import threading
import time

from mteb_lb import db, rankings

_local = threading.local()
_cursor = db.CurrentBuild.cursor
_cached = rankings.Leaderboard._cached


def _counting_cursor(self):
    _local.cursors = getattr(_local, "cursors", 0) + 1
    return _cursor(self)


def _counting_cached(self, key, compute, *, only_cached: bool = False):
    def counted():
        _local.computed = getattr(_local, "computed", 0) + 1
        return compute()
    return _cached(self, key, counted, only_cached=only_cached)


db.CurrentBuild.cursor = _counting_cursor
rankings.Leaderboard._cached = _counting_cached

from app.wsgi import app, server  # noqa: E402  (after the wrap: no cursor opens at import)

__all__ = ["app", "server"]


def _reset_count():
    _local.cursors = _local.computed = 0
    _local.started = (time.perf_counter(), time.thread_time())


# first of the before_request hooks: the app's own may answer the request (app/answers.py), and
# Flask then skips the hooks after it
server.before_request_funcs.setdefault(None, []).insert(0, _reset_count)


@server.after_request
def _count_header(response):
    response.headers["X-LB-DuckDB"] = str(getattr(_local, "cursors", 0))
    response.headers["X-LB-Computed"] = str(getattr(_local, "computed", 0))
    wall, cpu = getattr(_local, "started", (time.perf_counter(), time.thread_time()))
    response.headers["X-LB-Server-Ms"] = (f"{(time.perf_counter() - wall) * 1000:.1f},"
                                          f"{(time.thread_time() - cpu) * 1000:.1f}")
    return response
