"""The dashboard: a Dash multi-page app over the current warehouse build.

``app.main.create_app()`` builds it; ``app.wsgi:server`` serves it under gunicorn;
``mteb-lb serve`` runs it locally. Pages live in ``app/pages/`` (one module per view), URL
state in ``app/state.py``, column definitions in ``app/grid.py``, JS formatters in
``app/assets/``. Importing this package does no I/O.

``query(name, params)`` runs one of the named SQL files of ``queries/`` (a view or a table
macro) on a cursor of the current build. A build published before that file existed lacks the
view: it is then created as a TEMP object on the request's cursor from the same file, so the
app works on older builds too (the next ETL run makes it permanent). ``cached_query`` is the
same answer remembered per build (a build never changes), for the pages that ask for the same
rows on every render (the model page).
"""

from __future__ import annotations

import re

import duckdb

import queries
from mteb_lb import db
from mteb_lb.rankings import leaderboard

_MACRO_HEAD = re.compile(r"create\s+(or\s+replace\s+)?macro", re.IGNORECASE)


def query(name: str, params: dict | None = None, *, sql: str | None = None):
    """Rows (list of dicts) of ``SELECT * FROM <name>(...)`` / ``<name>``, or of ``sql`` (a
    SELECT over the named view or macro), with ``params`` bound, never pasted."""
    params = params or {}
    if sql is None:
        args = ", ".join(f"${k}" for k in params)
        sql = f'SELECT * FROM "{name}"({args})' if params else f'SELECT * FROM "{name}"'
    cur = db.current().cursor()
    try:
        try:
            return _dicts(cur.execute(sql, params))
        except duckdb.CatalogException:
            path = queries.files()[name]
            text = path.read_text()
            if path.name.endswith(".macro.sql"):
                cur.execute(_MACRO_HEAD.sub("CREATE OR REPLACE TEMP MACRO", text, count=1))
            else:
                cur.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS\n{text}')
            return _dicts(cur.execute(sql, params))
    finally:
        cur.close()


def cached_query(name: str, params: dict | None = None) -> list[dict]:
    """``query(name, params)`` of the current build, remembered per build in the board's LRU of
    large answers (rankings.Leaderboard.remembered: a new build asks again; single flight). The
    rows are shared between callers: read them, never modify them. A model page rendered again
    (the routing request of every visit to it) ran its four queries each time
    (docs/PERFORMANCE.md §Eighth pass: the served app under load)."""
    params = params or {}
    return leaderboard().remembered(("query", name, tuple(sorted(params.items()))),
                                    lambda: query(name, params))


def _dicts(cur) -> list[dict]:
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row)) for row in cur.fetchall()]
