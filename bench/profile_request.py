"""Where one leaderboard request spends its time: per step of the request, the queries it sends,
and for the costliest of them DuckDB's EXPLAIN ANALYZE operators by time.

    .venv/bin/python bench/profile_request.py [--warehouse DIR] [--repeat 5] [--top 8]
        [--code CHECKOUT] [--fixed-cost] [--plan [--disable-optimizers join_order,...]]

By default, for MTEB(eng, v2) and MTEB(Multilingual, v2) (the default state and the eng language
filter; on MTEB(Multilingual, v2) also bench_tables' quarter of the languages and the dashboard's
eng + fra): the steps in a request's order (parameters, summary, per-task, per-language; the
per-task table pivots the summary's frame as in a request), each step's process CPU and wall (the
first round, cold in the process, and the median), the queries the Leaderboard sent in each step
(the very SQL and parameters of the request path) and the operators of the costliest ones;
prints markdown (the source of docs/PERFORMANCE.md's figures). --code imports mteb_lb from
another checkout (e.g. the base's, on its build) for a before/after pair. --fixed-cost prints
instead the
planning cost that every ranking query pays whatever its data: each layer of the summary query
on a model list that matches nothing (binding and optimizing, almost no execution), the general
macro against the request path's variant, in CPU milliseconds of one DuckDB thread (the calling
thread does all the work with threads=1, so other processes' load inflates it far less than
wall time). --plan prints, per filtered scenario of bench_tables (MTEB(eng, v2) and
MTEB(Multilingual, v2)), where the request path's summary query (mteb_lb.rankings._summary_sql)
spends its time on one DuckDB thread: CPU of the calling thread, and from DuckDB's JSON profile
binding, the optimizer (with its three costliest passes), the physical planner and the operators;
with --disable-optimizers, the same query under that `disabled_optimizers` setting beside it,
alternated, its rows checked equal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--code" in sys.argv[:-1]:  # the checkout whose mteb_lb is profiled (before/after pairs)
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import ALT, MAIN, SCENARIOS, subset  # noqa: E402


def operators(node: dict, out: list) -> list:
    """(operator name, seconds, rows) of every node of a JSON profile, depth first."""
    if "name" in node:
        out.append((node["name"].strip(), float(node.get("timing") or 0.0),
                    int(node.get("operator_cardinality") or node.get("intermediate_rows") or 0)))
    for child in node.get("children") or node.get("operator") or []:
        operators(child, out)
    return out


def explain(con, sql: str, params: dict, top: int) -> list[str]:
    text = con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchall()[0][-1]
    ops = operators(json.loads(text), [])
    total = sum(t for _, t, _ in ops) or 1.0
    agg: dict[str, list[float]] = {}
    for name, t, n in ops:
        agg.setdefault(name, [0.0, 0])
        agg[name][0] += t
        agg[name][1] += n
    ranked = sorted(agg.items(), key=lambda kv: -kv[1][0])[:top]
    return [f"  - {name}: {t * 1000:.1f} ms ({100 * t / total:.0f} %), {int(n):,} rows out"
            for name, (t, n) in ranked]


def cpu_ms(con, sql: str, params: dict, repeat: int) -> float:
    """Median CPU time of the calling thread for one query to Arrow (threads=1)."""
    runs = []
    for _ in range(repeat):
        t = time.thread_time()
        con.sql(sql, params=params).to_arrow_table()
        runs.append((time.thread_time() - t) * 1000)
    return statistics.median(runs)


def fixed_cost(db_file: Path, repeat: int) -> None:
    """Per benchmark: each macro layer of the summary on an empty model list, general and
    request path (mteb_lb.rankings._summary_sql), and a filtered state of each source."""
    import duckdb

    from mteb_lb.rankings import EXCLUDE_LEVEL, _summary_sql

    con = duckdb.connect(str(db_file), read_only=True)
    con.execute("SET threads = 1")
    args6 = "$bench, $models, $tasks, $langs, $public_only, $registry_only"
    layers = {
        "lb_long": f"SELECT * FROM lb_long({args6})",
        "lb_task_scores (general: 3 sources)": f"SELECT * FROM lb_task_scores({args6})",
        "lb_task_scores_stored": f"SELECT * FROM lb_task_scores_stored({args6})",
        "lb_task_scores_recount": f"SELECT * FROM lb_task_scores_recount({args6})",
        "lb_task_scores_rows": f"SELECT * FROM lb_task_scores_rows(NULL, {args6})",
        "lb_subset_borda (by-subset Borda)": f"SELECT * FROM lb_subset_borda({args6})",
        "lb_model_scores (general)":
            f"SELECT * FROM lb_model_scores({args6}, $by_subset)",
        "lb_model_scores_of(stored)":
            f"WITH t AS (FROM lb_task_scores_stored({args6})) "
            "SELECT * FROM lb_model_scores_of('t')",
        "lb_summary (general)": f"SELECT * FROM lb_summary({args6}, $by_subset)",
    }
    print("## Fixed cost: CPU ms of one thread, median of", repeat)
    print("| benchmark | query | empty model list |")
    print("|---|---|---|")
    for bench in (MAIN, ALT):
        base = {"bench": bench, "models": ["(no such model)"], "tasks": None, "langs": None,
                "public_only": False, "registry_only": True, "by_subset": False}
        for label, sql in layers.items():
            params = {k: v for k, v in base.items() if f"${k}" in sql}
            print(f"| {bench} | {label} | {cpu_ms(con, sql, params, repeat):.1f} |")
        for label, extra in (("request path, stored", {"models": None}),
                             ("request path, recount", {}),
                             ("request path, rows", {"langs": ["eng"]})):
            params = {**base, **extra, EXCLUDE_LEVEL: None}
            sql = _summary_sql(params)
            params = {k: v for k, v in params.items() if f"${k}" in sql}
            if "models" in extra:  # no model filter: a task list that matches nothing
                params["tasks"] = ["(no such task)"]
            print(f"| {bench} | {label} | {cpu_ms(con, sql, params, repeat):.1f} |")
    con.close()


def _profile(con, sql: str, params: dict, path: str) -> dict:
    """One run of `sql` with DuckDB's JSON profile: seconds per phase and per optimizer pass."""
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute("SET profiling_mode = 'detailed'")
    con.execute("SET profiling_output = ?", [path])
    try:
        con.execute(sql, params).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    with open(path) as f:
        prof = json.load(f)
    out = {"binding": prof["planner"]["binding_time"], "planner": prof["planner"]["total_time"],
           "optimizer": prof["optimizer"]["total_time"],
           "physical": prof["physical_planner"]["total_time"],
           "operators": sum(t for _, t, _ in operators(prof, []))}
    out.update({"opt:" + k: v for k, v in prof["optimizer"].items() if k != "total_time"})
    return out


def plan_cost(warehouse_dir: Path, repeat: int, disabled: str | None) -> None:
    """--plan: bind / optimize / execute of the request path's summary query per scenario."""
    import tempfile
    import warnings

    import duckdb

    from mteb_lb import db, warehouse
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import EXCLUDE_LEVEL, Filters, Leaderboard, _summary_sql

    handle = CurrentBuild(warehouse_dir)
    lb = Leaderboard(handle)
    cases = []
    for name in (MAIN, ALT):
        bench = lb.benchmark(name)
        models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
        for scenario, _b, task_rule, model_rule, lang_rule in SCENARIOS:
            tasks, chosen = subset(bench.task_names, task_rule), subset(models, model_rule)
            if lang_rule != "all" or (tasks is None and chosen is None):
                continue   # the default state reads default_summaries, no ranking SQL
            filters = Filters(tasks=tuple(tasks) if tasks else None,
                              models=tuple(chosen) if chosen else None)
            params = {**lb._params(name, filters), "public_only": bench.public_only,
                      "by_subset": "mean_subset" in bench.aggregations}
            sql = _summary_sql(params)
            params = {k: v for k, v in params.items()
                      if k != EXCLUDE_LEVEL and f"${k}" in sql}
            cases.append((name, scenario, sql, params))
    db.release(handle._build, handle._con)   # one configuration per file and process
    con = duckdb.connect(str(warehouse.current_build(warehouse_dir) / warehouse.DB_FILE),
                         read_only=True)
    con.execute("SET threads = 1")
    # the rows are fetched as Arrow from the DB-API result, as the request path does (db.py)
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    variants = {"as configured": ""} | ({f"disabled: {disabled}": disabled} if disabled else {})
    scratch = tempfile.TemporaryDirectory(prefix="mteb-lb-plan-")   # removed at the end
    path = os.path.join(scratch.name, "profile.json")
    print(f"## Summary query of the request path, one thread, medians of {repeat} "
          "(ms; CPU of the thread, the rest from DuckDB's profile, which adds its own overhead)")
    print("| benchmark | scenario | variant | CPU | binding | planner | optimizer "
          "| costliest passes | physical plan | operators |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, scenario, sql, params in cases:
        cpu: dict[str, list[float]] = {v: [] for v in variants}
        prof: dict[str, list[dict]] = {v: [] for v in variants}
        rows = {}
        for _ in range(repeat):
            for label, setting in variants.items():
                con.execute("SET disabled_optimizers = ?", [setting])
                t = time.thread_time()
                rows[label] = con.execute(sql, params).to_arrow_table()
                cpu[label].append((time.thread_time() - t) * 1000)
                prof[label].append(_profile(con, sql, params, path))
        first = next(iter(rows.values()))
        if any(not first.equals(other) for other in rows.values()):
            raise SystemExit(f"{name} {scenario}: the variants' rows differ")
        for label in variants:
            med = {k: 1000 * statistics.median(p.get(k, 0.0) for p in prof[label])
                   for k in prof[label][0]}
            passes = sorted(((v, k[4:]) for k, v in med.items() if k.startswith("opt:")),
                            reverse=True)[:3]
            print(f"| {name} | {scenario} | {label} | {statistics.median(cpu[label]):.1f} "
                  f"| {med['binding']:.1f} | {med['planner']:.1f} | {med['optimizer']:.1f} | "
                  + ", ".join(f"{k} {v:.1f}" for v, k in passes)
                  + f" | {med['physical']:.1f} | {med['operators']:.1f} |")
    con.execute("SET disabled_optimizers = ''")
    con.close()
    scratch.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE",
                                                             str(ROOT / "warehouse")))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--code", default=str(ROOT),
                        help="checkout whose mteb_lb is profiled (default: this one)")
    parser.add_argument("--fixed-cost", action="store_true",
                        help="the planning cost of each layer of the summary query instead")
    parser.add_argument("--plan", action="store_true",
                        help="bind / optimize / execute of the request path's summary query")
    parser.add_argument("--disable-optimizers", default=None,
                        help="with --plan: also run under this disabled_optimizers list")
    args = parser.parse_args()
    if args.plan:
        plan_cost(Path(args.warehouse), args.repeat, args.disable_optimizers)
        return 0
    if args.fixed_cost:
        from mteb_lb import warehouse
        fixed_cost(warehouse.current_build(Path(args.warehouse)) / warehouse.DB_FILE,
                   args.repeat)
        return 0

    request_profile(Path(args.warehouse), args.repeat, args.top)
    return 0


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _states(lb) -> list[tuple[str, str, object]]:
    """(benchmark, label, Filters) profiled: the default and eng on both benchmarks, and on
    MTEB(Multilingual, v2) bench_tables' quarter of the languages and the dashboard's eng + fra."""
    from mteb_lb.rankings import Filters

    quarter = tuple(subset(lb.options(ALT).languages, "quarter"))
    return [(MAIN, "default", Filters()), (MAIN, "languages eng", Filters(languages=("eng",))),
            (ALT, "default", Filters()), (ALT, "languages eng", Filters(languages=("eng",))),
            (ALT, "languages quarter", Filters(languages=quarter)),
            (ALT, "languages eng+fra", Filters(languages=("eng", "fra")))]


def request_profile(warehouse_dir: Path, repeat: int, top: int) -> None:
    """Per state: the request's steps in the order a request runs them (parameters, summary,
    per-task, per-language; the result cache cleared before the parameters only, so the per-task
    table reuses the summary's frame as in a request), each step's process CPU and wall, the
    queries each step sent (Leaderboard._query, recorded), and for the costliest queries the
    operators of their EXPLAIN ANALYZE on an unlocked connection. The first round of each state
    is its cold call in this process (DuckDB's caches warmed by the states before it)."""
    import re
    import warnings

    import duckdb

    from mteb_lb import db, warehouse
    from mteb_lb.db import CurrentBuild
    from mteb_lb.rankings import EXCLUDE_LEVEL, Leaderboard

    handle = CurrentBuild(warehouse_dir)
    lb = Leaderboard(handle)
    lb.benchmarks()
    step = [""]
    sent: list[tuple[str, str, dict, float, float]] = []   # (step, sql, params, cpu, wall)
    query = lb._query

    def recording(sql, params=None):
        c, t = _cpu_ms(), time.perf_counter()
        out = query(sql, params)
        sent.append((step[0], sql, dict(params or {}), _cpu_ms() - c,
                     (time.perf_counter() - t) * 1000))
        return out

    lb._query = recording
    cases = []
    for bench, label, filters in _states(lb):
        b = lb.benchmark(bench)
        steps = {"parameters": lambda: lb._params(bench, filters),
                 "summary": lambda: lb.summary(bench, filters),
                 "per-task": lambda: lb.per_task(bench, filters)}
        if b.has_language_view:
            steps["per-language"] = lambda: lb.per_language(bench, filters)
        cpu: dict[str, list[float]] = {name: [] for name in steps}
        wall: dict[str, list[float]] = {name: [] for name in steps}
        queries: dict[tuple[str, str], list] = {}
        for _ in range(repeat):
            lb._cache.clear()
            sent.clear()
            for name, fn in steps.items():
                step[0] = name
                c, t = _cpu_ms(), time.perf_counter()
                fn()
                cpu[name].append(_cpu_ms() - c)
                wall[name].append((time.perf_counter() - t) * 1000)
            for name, sql, params, c, w in sent:
                queries.setdefault((name, sql), [params, [], []])
                queries[(name, sql)][1].append(c)
                queries[(name, sql)][2].append(w)
        cases.append((bench, label, cpu, wall, queries))
    # DuckDB allows one configuration per file and process: profile on an unlocked connection
    # once the hardened one is released
    db.release(handle._build, handle._con)
    raw = duckdb.connect(str(warehouse.current_build(warehouse_dir) / warehouse.DB_FILE),
                         read_only=True)
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    print(f"Process CPU / wall ms per step: the first round (cold in this process) and the "
          f"median of {repeat} rounds")
    for bench, label, cpu, wall, queries in cases:
        print(f"## {bench}, {label}")
        print("| step | CPU first | CPU median | wall first | wall median |")
        print("|---|---|---|---|---|")
        for name in cpu:
            print(f"| {name} | {cpu[name][0]:.1f} | {statistics.median(cpu[name]):.1f} "
                  f"| {wall[name][0]:.1f} | {statistics.median(wall[name]):.1f} |")
        print("\nQueries sent (process CPU ms, first / median; the text's start):")
        for (name, sql), (_params, c, _w) in queries.items():
            text = " ".join(sql.split())[:110]
            print(f"- {name}: {c[0]:.1f} / {statistics.median(c):.1f} x{len(c) // repeat}: "
                  f"`{text}`")
        costly = sorted(queries.items(), key=lambda kv: -statistics.median(kv[1][1]))[:2]
        for (name, sql), (params, c, _w) in costly:
            if statistics.median(c) < 20:
                continue
            level = params.pop(EXCLUDE_LEVEL, None)
            if level is not None:
                raw.execute("SET VARIABLE lb_exclude_level = ?", [level])
            params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
            print(f"\n{name}'s query ({statistics.median(c):.1f} ms), operators by time "
                  "(EXPLAIN ANALYZE):")
            print("\n".join(explain(raw, sql, params, top)))
            raw.execute("RESET VARIABLE lb_exclude_level")
        print()
    raw.close()


if __name__ == "__main__":
    sys.exit(main())
