"""The SQL views of the warehouse, one per `queries/<layer>/<view>.sql` file, named after the view.

The folders show the layers, each reading only the ones above it:

    staging/      the loaded tables renamed and cast (stg_scores)
    marts/        the leaderboard's base frames, materialized per build (chosen_results,
                  benchmark_results, benchmark_task_means, ...)
    leaderboard/  the table macros that compute a leaderboard table for a state (lb_*)
    history/      the leaderboard through builds (changes_since_previous, leaderboard_as_of, ...)
    app/          what the dashboard's pages read (app_*)
    quality/      the validity flags: one view per rule, their union validity_flags, the
                  rule registry (docs/QUALITY.md)
    examples/     example queries for the SQL console (not views)

A name is unique across the folders (a test checks it).

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
another grain, e.g. `per (benchmark, model_name)`: its rows for a key depend only on the rows of
that key of the tables it reads holding those columns (at least one of them materialized per
(model_name, task_name), read directly, through a view of the same grain or through views not
materialized: their changed rows name the changed keys); other materialized views are
recomputed in full.
A view of such another grain may declare, on a header line, which of its inputs' values its
rows depend on across the key, so that an incremental build recomputes less:

    -- @stable set of <table> (<expr>, ...)

its rows of a (model_name, task_name) pair depend on that pair's rows of the per-pair table
`<table>` and, across the key, only on the set of distinct values of the expressions (SQL over
`<table>`'s columns): a key whose set is the same after the update recomputes only its
affected pairs' rows (benchmark_language_keyed);

    -- @same set of <table> (<expr>, ...)

its rows of a key depend only on the set of distinct values of the expressions over the key's
rows of `<table>` (its only per-pair source): a key whose set is the same keeps its rows
(benchmark_task_required, quality_revision_flags). etl/maintain.py applies them; a malformed
one is refused.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, replace
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
    # (table, expressions), declared by `-- @stable set of t (e, ...)` / `-- @same set of ...`
    stable_set: tuple[str, tuple[str, ...]] | None = None
    same_set: tuple[str, tuple[str, ...]] | None = None


def files(folder: Path | None = None) -> dict[str, Path]:
    """Every view and macro file under ``folder`` (default: this package), by view name, in
    name order; ``examples/`` holds no views."""
    folder = folder or QUERIES_DIR
    found = {}
    for path in folder.rglob("*.sql"):
        if "examples" in path.relative_to(folder).parts[:-1]:
            continue
        found[view_name(path)] = path
    return dict(sorted(found.items()))


def view_name(path: Path) -> str:
    return path.name[: -len(".macro.sql")] if path.name.endswith(".macro.sql") else path.stem


def load(name: str) -> str:
    """The SQL text of one view or macro file."""
    path = files().get(name)
    if path is None:
        raise KeyError(f"no view or macro {name!r} in queries/")
    return path.read_text()


def parse_header(text: str) -> tuple[str, dict[str, str]]:
    """The description and ``@column`` docs of a SQL file's leading ``--`` comment block: the
    one parser of these headers (views, macros, examples, the schema browser).

    ``-- text`` lines form the description (a bare ``--`` starts a new paragraph);
    ``-- @column name: text`` lines document a column (indented ``--`` lines continue it);
    other ``-- @...`` markers and ``-- title: …`` are skipped.
    """
    paragraphs: list[list[str]] = [[]]
    columns: dict[str, str] = {}
    last_column = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if any(paragraphs):
                break
            continue
        if not stripped.startswith("--"):
            break
        body = stripped[2:].strip()
        match = re.match(r"@column\s+([^:\s]+)\s*:\s*(.*)$", body)
        if match:
            last_column = match.group(1)
            columns[last_column] = match.group(2).strip()
        elif body.startswith("@") or re.match(r"title\s*:", body, re.I):
            last_column = None
        elif not body:
            last_column = None
            paragraphs.append([])
        elif last_column is not None and line.startswith(("--   ", "--    ")):
            columns[last_column] += " " + body  # indented continuation of a column doc
        else:
            last_column = None
            paragraphs[-1].append(body)
    return "\n\n".join(" ".join(p) for p in paragraphs if p), columns


def all_views() -> list[View]:
    views = []
    for name, path in files().items():
        text = path.read_text()
        is_macro = path.name.endswith(".macro.sql")
        doc, columns = parse_header(text)
        marker = next((line.strip() for line in text.splitlines()[:3]
                       if line.startswith("-- @materialize")), None)
        grain = re.fullmatch(r"-- @materialize per \(([^)]*)\)", marker or "")
        view = View(name, text, doc, columns, is_macro, marker is not None,
                    tuple(c.strip() for c in grain.group(1).split(",")) if grain else ())
        views.append(_with_sets(view))
    per_pair = {v.name for v in views if v.materialize and v.grain == ("model_name", "task_name")}
    for view in views:
        declared = view.stable_set or view.same_set
        if declared and declared[0] not in per_pair:
            raise ValueError(f"view {view.name}: its set annotation names {declared[0]!r}, not "
                             "a view materialized per (model_name, task_name)")
    return views


_SET_LINE = re.compile(r"-- @(stable|same) set of (\w+) \((.+)\)")


def _with_sets(view: View) -> View:
    """`view` with the `-- @stable set` / `-- @same set` annotation of its header (module
    docstring); ValueError for a malformed one, or one on a view it cannot apply to."""
    lines = []
    for line in view.sql.splitlines():
        if not line.startswith("--"):
            break
        if re.match(r"--\s*@(stable|same)\b", line):
            lines.append(line.rstrip())
    if not lines:
        return view
    where = f"view {view.name}: {lines[0]!r}"
    match = _SET_LINE.fullmatch(lines[0])
    exprs = _split_top_level(match.group(3)) if match else []
    if not exprs or not all(exprs):
        raise ValueError(f"{where}: write `-- @stable set of <table> (<expr>, ...)` or "
                         "`-- @same set of <table> (<expr>, ...)`")
    if len(lines) > 1:
        raise ValueError(f"{where}: a view declares one set annotation, not {len(lines)}")
    if view.grain in ((), ("model_name",), ("model_name", "task_name")):
        raise ValueError(f"{where}: only a view materialized per another key than "
                         "(model_name, task_name) or (model_name) declares a set "
                         "(`-- @materialize per (...)` on its first line)")
    kind = "stable_set" if match.group(1) == "stable" else "same_set"
    return replace(view, **{kind: (match.group(2), tuple(exprs))})


def _split_top_level(text: str) -> list[str]:
    """`text` split at its commas outside parentheses and quotes, each part stripped; [] when
    its parentheses or quotes do not balance."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                return []
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [] if depth or quote else [*parts, text[start:].strip()]


def sql_digest() -> str:
    """A digest of every view and macro this code defines (name and SQL text). A build records
    it in its manifest (`sql_digest`): a build whose digest differs was made by other code and
    may lack a macro this code calls (the remedy is `mteb-lb etl`)."""
    digest = hashlib.blake2b(digest_size=16)
    for view in all_views():
        digest.update(view.name.encode() + b"\0" + view.sql.encode())
    return digest.hexdigest()


def macros_called_by(views: list[View]) -> list[View]:
    """The scalar macros (returning a value, not a table) that `views` call: a catalog where
    these views are created needs them too (etl/maintain.py creates views in a scratch catalog,
    where the main catalog's macros are not on the search path)."""
    text = "\n".join(v.sql for v in views if not v.is_macro)
    return [v for v in all_views()
            if v.is_macro and not re.search(r"\)\s+as\s+table\b", v.sql, re.I)
            and re.search(rf"\b{re.escape(v.name)}\s*\(", text)]


_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


def code_of(sql: str) -> str:
    """`sql` without its `--` comments (string literals kept as they are)."""
    return _STRING_OR_COMMENT.sub(
        lambda m: m.group(0) if m.group(0).startswith("'") else "", sql)


def uses(views: list[View]) -> dict[str, set[str]]:
    """The one definition of "a view reads another": per view of `views`, the names of the
    others that its SQL names as a word outside its comments (string literals count: a table
    macro may be handed a relation's name). etl/maintain.py and mteb_lb/asof.py find the views
    a catalog needs, and their order, through it."""
    find = _words([v.name for v in views])
    return {v.name: find(v.sql) - {v.name} for v in views}


def named_by(views: list[View], names) -> set[str]:
    """The names of `names` (tables, views) that the SQL of `views` names, by the rule of
    `uses`: etl/maintain.py gives a scratch catalog only the inputs its views read."""
    find = _words(names)
    return {n for v in views for n in find(v.sql)}


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=256)
def _code_words(sql: str) -> tuple[str, frozenset[str]]:
    """`sql`'s code (code_of) and the words in it, kept for the SQL texts seen last: the
    closures of an incremental build ask for the same views' words dozens of times."""
    code = code_of(sql)
    return code, frozenset(_WORD.findall(code))


def _words(names):
    """A function giving the names of `names` that an SQL text names as a word outside its
    comments. A name made of word characters (every view and table name) is a word of the
    code exactly when it is one of the code's maximal runs of them, so the runs are looked up
    in a set: one pass per text, where a pattern of every name's alternatives cost ~5 ms to
    compile per set of names (a fresh process's first as-of request compiled four). Other
    names are searched as a word."""
    names = set(names)
    plain = {n for n in names if _WORD.fullmatch(n)}
    other = sorted(names - plain, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in other) + r")\b") \
        if other else None

    def find(sql: str) -> set[str]:
        code, words = _code_words(sql)
        found = plain.intersection(words)
        return found | set(pattern.findall(code)) if pattern else found
    return find


def closure(views: list[View], roots: list[View], tables: frozenset = frozenset()) -> list[View]:
    """`roots` and the views of `views` they read, directly or not, in the order of `views`; the
    names in `tables` are read as tables (materialized): what they read is not needed."""
    read = uses(views)
    need = {v.name for v in roots}
    todo = list(need)
    while todo:
        name = todo.pop()
        for other in () if name in tables else read.get(name, ()):
            if other not in need:
                need.add(other)
                todo.append(other)
    return [v for v in views if v.name in need]


def dependency_order(views: list[View]) -> list[View]:
    """`views` with each one after those of `views` it reads; views that read each other (a
    cycle) keep their given order."""
    read = uses(views)
    left, done = list(views), []
    while left:
        names = {v.name for v in left}
        ready = next((v for v in left if not (read[v.name] & names)), left[0])
        done.append(ready)
        left.remove(ready)
    return done


def create_views(con, views: list[View] | None = None, keep_tables: bool = False,
                 comments: bool = True) -> list[str]:
    """CREATE every view and macro on `con` in dependency order; returns the names created.
    ``keep_tables``: leave the materialized views' tables as they are (an incremental build
    maintains them itself). ``comments=False``: without the COMMENTs (the documentation of
    views and columns), for a catalog nobody reads them from (a past date's, mteb_lb/asof.py)."""
    # deferred: heavy, loaded only when this path runs
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
            if view.doc and comments:
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
