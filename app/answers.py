"""Finished answers of the page-routing callback, kept per build.

A menu board's default state is the same page for every visitor of one build, yet rendering
it (the layout's ~290 components, the menu's links, then Dash's JSON) cost a worker ~20 ms of
CPU per request with every ranking already cached (docs/PERFORMANCE.md §Session 19 (serve9)).
The routing request's answer (the bytes Dash sends) is kept here, keyed by the build
(``Leaderboard.cache_key``: its full path, so a published build is never answered from the one
before) and the request body (the page's path and query, exactly as the browser sent them); the
next identical request is answered from it before Dash's dispatch.

Only answers a page declares stable are kept (``stable()``, called by the layout): those that
depend on nothing but the build and the request. A filtered board is not: its first render
leaves the statistics to a second request unless they happen to be cached, so its answer
depends on the worker's caches. A model page is not (its history plots read the backfilled
history, which grows without a new build), nor an error page. At most ``MAX_BYTES`` of answers
per process, least recently used out first.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import flask

from mteb_lb.rankings import leaderboard

ROUTE = "/_dash-update-component"
ROUTING = "_pages_content.children"   # the routing callback's output
MAX_BYTES = 8 << 20               # a board's answer is ~100-400 KB: ~30 pages


class Answers:
    """An LRU of answers bounded by their bytes; safe to use from several threads."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, bytes]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[str, bytes], data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(data) - (len(old) if old is not None else 0)
            self._items[key] = data
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def stable() -> None:
    """Called by a page's layout while it renders: this answer depends only on the build and
    the request, so it may be kept (a layout rendered outside a request, e.g. the warm-up,
    is not one)."""
    if flask.has_request_context():
        flask.g.lb_answer_stable = True


def _build_key() -> str | None:
    try:
        return leaderboard().cache_key()
    except Exception:   # no readable build: nothing is kept, the page says why
        return None


def install(server: flask.Flask, answers: Answers | None = None) -> Answers:
    """Answer repeated routing requests from ``answers`` (a new one by default), which is
    also ``server.extensions["mteb_lb_answers"]``."""
    answers = answers if answers is not None else Answers()
    server.extensions["mteb_lb_answers"] = answers

    @server.before_request
    def _answer_kept():
        request = flask.request
        if request.method != "POST" or not request.path.endswith(ROUTE):
            return None
        body = request.get_data(cache=True)   # Dash's dispatch reads it again from the cache
        if ROUTING.encode() not in body:   # another callback: not parsed here (Dash parses it)
            return None
        try:
            routing = ROUTING in json.loads(body).get("output", "")
        except (ValueError, AttributeError, TypeError):   # Dash answers a malformed body
            return None
        if not routing:
            return None
        build = _build_key()
        if build is None:
            return None
        data = answers.get((build, body))
        if data is not None:
            return flask.Response(data, mimetype="application/json")
        flask.g.lb_answer_key = (build, body)
        return None

    @server.after_request
    def _keep_answer(response):
        key = flask.g.pop("lb_answer_key", None)
        if key is not None and flask.g.pop("lb_answer_stable", False) \
                and response.status_code == 200 and not response.direct_passthrough \
                and _build_key() == key[0]:   # not across a build published meanwhile
            answers.put(key, response.get_data())
        return response

    return answers
