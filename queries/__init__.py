"""The SQL views of the warehouse, one per `queries/<view>.sql` file, named after the view.

A file holds one `SELECT` (the view body). Its header comment documents it: the first `--` lines
are the view's description, `-- @column name: text` lines describe columns. Views may use each
other; `create_views` creates them in dependency order by retrying those whose inputs do not
exist yet.

Macros (parameterised views) are files named `<name>.macro.sql` holding the whole
`CREATE MACRO` statement. A view whose first line is `-- @materialize` is created as a table
when the build is published: the rankings' base frame is computed once per build, not per request.
`-- @materialize per (model_name, task_name)` also declares the table's grain: its rows for a
(model, task) depend only on that model's results for that task (and the catalog), so an
incremental build recomputes just the pairs whose results changed (etl/maintain.py);
`per (model_name)`: its rows for a model depend only on that model's rows of the tables it reads;
other materialized views are recomputed in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parent


@dataclass
class View:
    name: str
    sql: str
    doc: str
    columns: dict[str, str] = field(default_factory=dict)
    is_macro: bool = False
    materialize: bool = False
    grain: tuple[str, ...] = ()   # declared by `-- @materialize per (a, b)`


def load(name: str) -> str:
    """The SQL text of one view or macro file."""
    for candidate in (QUERIES_DIR / f"{name}.sql", QUERIES_DIR / f"{name}.macro.sql"):
        if candidate.is_file():
            return candidate.read_text()
    raise KeyError(f"no queries/{name}.sql")


def all_views() -> list[View]:
    views = []
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        text = path.read_text()
        is_macro = path.name.endswith(".macro.sql")
        name = path.name[: -len(".macro.sql")] if is_macro else path.stem
        doc_lines, columns = [], {}
        for line in text.splitlines():
            if not line.startswith("--"):
                break
            body = line[2:].strip()
            match = re.match(r"@column\s+(\S+)\s*:\s*(.*)", body)
            if body.startswith("@materialize"):
                continue
            if match:
                columns[match.group(1)] = match.group(2)
            elif body:
                doc_lines.append(body)
        marker = next((line.strip() for line in text.splitlines()[:3]
                       if line.startswith("-- @materialize")), None)
        grain = re.fullmatch(r"-- @materialize per \(([^)]*)\)", marker or "")
        views.append(View(name, text, " ".join(doc_lines), columns, is_macro, marker is not None,
                          tuple(c.strip() for c in grain.group(1).split(",")) if grain else ()))
    return views


def create_views(con, views: list[View] | None = None, keep_tables: bool = False) -> list[str]:
    """CREATE every view and macro on `con` in dependency order; returns the names created.
    ``keep_tables``: leave the materialized views' tables as they are (an incremental build
    maintains them itself)."""
    import duckdb

    pending = list(views if views is not None else all_views())
    if keep_tables:
        pending = [v for v in pending if not v.materialize]
    created: list[str] = []
    while pending:
        failed, last_error = [], None
        for view in pending:
            if view.is_macro:
                statement = view.sql
            elif view.materialize:  # computed once per build: the app's hot path reads it
                statement = f'CREATE OR REPLACE TABLE "{view.name}" AS\n{view.sql}'
            else:
                statement = f'CREATE OR REPLACE VIEW "{view.name}" AS\n{view.sql}'
            try:
                con.execute(statement)
            except duckdb.CatalogException as exc:  # an input view does not exist yet
                failed.append(view)
                last_error = exc
                continue
            created.append(view.name)
            if view.doc:
                kind = "TABLE" if view.materialize else "VIEW"
                if not view.is_macro:
                    con.execute(f'COMMENT ON {kind} "{view.name}" IS ' + _quote(view.doc))
                    for column, doc in view.columns.items():
                        con.execute(f'COMMENT ON COLUMN "{view.name}"."{column}" IS ' + _quote(doc))
        if len(failed) == len(pending):
            names = ", ".join(v.name for v in failed)
            raise RuntimeError(f"cannot create views {names}: {last_error}")
        pending = failed
    return created


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
