"""What the SQL console shows beside the editor: the build's tables and views with their column
descriptions, and the example queries of ``queries/examples/``."""

from __future__ import annotations

import re
from pathlib import Path

import queries
from mteb_lb import schema as schema_registry
from mteb_lb import settings
from mteb_lb.safe_sql.runner import _Cursor

QUERIES_DIR = settings.PROJECT_ROOT / "queries"

EXAMPLES_DIR = QUERIES_DIR / "examples"


def schema(cursor=None, *, queries_dir: str | Path | None = None) -> list[dict]:
    """Every table and view of the build: ``{"name", "kind", "description", "columns": [{"name",
    "type", "description"}]}``. Descriptions come from DuckDB's comments (written by the ETL from
    ``mteb_lb/schema.py``), falling back to ``mteb_lb/schema.py`` itself and, for views, to the
    header of ``queries/**/<view>.sql``."""
    with _Cursor(cursor) as cur:
        objects = cur.sql("""
            SELECT table_name, 'table' AS kind, comment FROM duckdb_tables()
            WHERE database_name = current_database() AND NOT internal AND NOT temporary
            UNION ALL
            SELECT view_name, 'view', comment FROM duckdb_views()
            WHERE database_name = current_database() AND NOT internal AND NOT temporary
            ORDER BY 1""").fetchall()
        cols = cur.sql("""
            SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
            WHERE database_name = current_database() AND NOT internal
            ORDER BY table_name, column_index""").fetchall()
    by_table: dict[str, list] = {}
    for table, name, type_, comment in cols:
        by_table.setdefault(table, []).append((name, type_, comment))
    table_docs = _etl_docs()
    view_docs = _view_docs(Path(queries_dir) if queries_dir else QUERIES_DIR)
    out = []
    for name, kind, comment in objects:
        fallback_desc, fallback_cols = table_docs.get(name) or view_docs.get(name) or ("", {})
        columns = [{"name": c, "type": t, "description": (cc or fallback_cols.get(c) or "")}
                   for c, t, cc in by_table.get(name, [])]
        out.append({"name": name, "kind": kind, "description": comment or fallback_desc or "",
                    "columns": columns})
    return out


_etl_docs_cache: dict | None = None


def _etl_docs() -> dict[str, tuple[str, dict[str, str]]]:
    global _etl_docs_cache
    if _etl_docs_cache is None:
        def doc(meta) -> str:
            return (meta or {}).get(b"doc", b"").decode("utf-8")

        _etl_docs_cache = {
            name: (doc(s.metadata), {f.name: doc(f.metadata) for f in s})
            for name, s in schema_registry.TABLES.items()
        }
    return _etl_docs_cache


_view_doc_cache: dict[Path, tuple[float, tuple[str, dict[str, str]]]] = {}


def _view_docs(folder: Path) -> dict[str, tuple[str, dict[str, str]]]:
    docs = {}
    if not folder.is_dir():
        return docs
    for path in folder.rglob("*.sql"):
        if EXAMPLES_DIR.name in path.relative_to(folder).parts[:-1]:
            continue
        mtime = path.stat().st_mtime
        cached = _view_doc_cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, queries.parse_header(path.read_text(encoding="utf-8")))
            _view_doc_cache[path] = cached
        docs.setdefault(path.stem, cached[1])
    return docs


def examples(folder: str | Path | None = None) -> list[tuple[str, str]]:
    """(title, sql) of every ``queries/examples/*.sql``, in file-name order."""
    folder = Path(folder) if folder else EXAMPLES_DIR
    out = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"^--\s*title:\s*(.+)$", text, re.M)
        title = match.group(1).strip() if match else path.stem.replace("_", " ")
        out.append((title, text.strip() + "\n"))
    return out
