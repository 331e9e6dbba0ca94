"""The house's layers, read from the code: every import statement of the project's modules
(module level and inside functions) checked against the direction data flows.

    base      mteb_lb: settings, warehouse layout and contract (schema, runs), db, status
    etl       etl/*: reads sources, writes builds through the base layer
    queries   queries/: the SQL and its header parser
    rankings  mteb_lb: lbstate, rankings, stats, output, csvsafe, safe_sql: tables from a build
    surfaces  mteb_lb's CLI modules and app/: the dashboard, the API, the command line

A layer imports only itself and the layers it names below; no page imports another page and no
two modules import each other, directly or around a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mteb_lb", "etl", "app", "queries")
BASE = {"settings", "schema", "runs", "warehouse", "db", "status", "__init__"}
RANKINGS = {"lbstate", "rankings", "stats", "output", "csvsafe", "safe_sql", "asof",
            "arrow_np", "frame_store"}
ALLOWED = {
    "base": {"base"},
    "etl": {"base", "queries", "etl"},
    "queries": {"queries"},
    "rankings": {"base", "queries", "rankings"},
    "app": {"base", "queries", "rankings", "app"},
    "cli": {"base", "queries", "rankings", "etl", "app", "cli"},
}
# The one import against the flow, on purpose: the build materialises the default state's rank
# intervals (the `rank_intervals` table) with the code a request runs, so that SQL over the
# warehouse and /api/table agree to the bit (one definition of the statistics).
EXCEPTIONS = {("etl.rank_intervals", "mteb_lb.rankings"), ("etl.rank_intervals", "mteb_lb.stats")}


def layer(module: str) -> str:
    package, _, rest = module.partition(".")
    if package != "mteb_lb":
        return package
    name = rest.split(".")[0] or "__init__"
    if name in BASE:
        return "base"
    if name in RANKINGS:
        return "rankings"
    return "cli"


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in mods.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(resolve(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    targets.add(resolve(f"{node.module}.{alias.name}") or resolve(node.module))
        targets.discard(None)
        targets.discard(name)
        # a package's __init__ is imported with its submodules; it is not a dependency edge
        targets = {t for t in targets if not name.startswith(t + ".")}
        graph[name] = targets
    return graph


def test_the_graph_sees_the_known_edges():
    graph = import_graph()
    assert "mteb_lb.lbstate" in graph["mteb_lb.rankings"]
    assert "app.plots" in graph["app.pages.compare"]          # a function-level import counts
    assert "mteb_lb.schema" in graph["etl.segments"]


def test_imports_follow_the_layers():
    bad = sorted((a, b) for a, targets in import_graph().items() for b in targets
                 if layer(b) not in ALLOWED[layer(a)] and (a, b) not in EXCEPTIONS)
    assert bad == []


def test_no_page_imports_another_page():
    bad = sorted((a, b) for a, targets in import_graph().items() for b in targets
                 if a.startswith("app.pages.") and b.startswith("app.pages.") and a != b)
    assert bad == []


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def local_imports_without_reason(mods: dict[str, Path] | None = None) -> list[str]:
    """Imports inside functions whose run of imports has no comment saying why: on the line
    above the run's first import, or on the import's own line."""
    bad = []
    for name, path in (modules() if mods is None else mods).items():
        lines = path.read_text().splitlines()
        for func in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for holder in ast.walk(func):
                body = getattr(holder, "body", None)
                if not isinstance(body, list):
                    continue
                first = None
                for stmt in body:
                    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        first = None
                        continue
                    first = first or stmt
                    above = lines[first.lineno - 2] if first.lineno > 1 else ""
                    if "#" not in above and "#" not in lines[stmt.lineno - 1]:
                        bad.append(f"{name}:{stmt.lineno}")
    return sorted(set(bad))


def test_function_local_imports_say_why(tmp_path):
    """An import inside a function defers a heavy or optional module or breaks a cycle, and a
    comment says which (`# deferred: ...`); anything else belongs at the top of the module."""
    assert local_imports_without_reason() == []
    # the check sees an unexplained import, also after an explained run is broken
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import json\n    return json\n\n\n"
                     "def g():\n    # deferred: heavy\n    import duckdb\n    import pyarrow\n"
                     "    x = 1\n    import numpy\n    return x\n")
    assert local_imports_without_reason({"probe": probe}) == ["probe:11", "probe:2"]
