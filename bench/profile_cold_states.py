"""Where the load test's cold states spend a worker's CPU: the very states of
``bench/load_test.py`` (its generator, its seed), served in one process as a gunicorn worker
serves them (``deploy/gunicorn.conf.py``'s settings and warm-up, DuckDB on one thread, the
warmed-up objects frozen), through Flask's test client:

    .venv/bin/python bench/profile_cold_states.py [--warehouse DIR] [--clicks 120] [--links 40]
        [--threads 1] [--seed 0] [--memory-limit 256MB] [--code DIR] [--json OUT]

Each request's thread CPU (``time.thread_time``: DuckDB runs its queries in the calling thread
when it has one thread) is split into the ranking SQL (``db.query_arrow``; per query, the
Leaderboard method that sent it and the first ``lb_*`` macro of its text), the statistics
(``stats.intervals_table`` and ``BordaInputs.from_summary_frame``: the bootstrap and its
inputs), the grid (``grid.model_grid``), Dash's JSON (``to_json`` of its callback answers) and
the rest (the dashboard's shaping, Dash's dispatch). Aggregated per request kind (a filter click,
``update_view``; its deferred statistics; a link, the routing callback; its statistics), per
benchmark and per filter kind (size, task types, tasks left out, languages; one or two at once),
and per query label. ``--threads 4`` serves the states from four threads at once (a worker's
request threads): the CPU per request against one thread says what concurrency costs.
The clicks are the first the load test's users take (it pops its prepared list from the end);
the links are drawn as the load test's users draw them.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import traceback
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--code" in sys.argv[:-1]:  # the checkout whose app is profiled (before/after pairs)
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

PARTS = ("sql", "stats", "grid", "json", "rest")
_local = threading.local()
_MACRO = re.compile(r"\b(lb_\w+)\s*\(")


def _add(part: str, ms: float, label: str | None = None) -> None:
    acc = getattr(_local, "acc", None)
    if acc is None:
        return
    acc[part] = acc.get(part, 0.0) + ms
    if label is not None:
        acc.setdefault("queries", []).append((label, ms))


def _timed(part: str, fn, label_of=None):
    def wrapper(*args, **kwargs):
        if getattr(_local, "inside", False):   # nested: counted by the outer call
            return fn(*args, **kwargs)
        _local.inside = True
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _local.inside = False
            _add(part, (time.thread_time() - started) * 1000,
                 label_of(*args) if label_of else None)
    return wrapper


def _query_label(con, sql: str, params=None) -> str:
    caller = "?"
    for frame in reversed(traceback.extract_stack(limit=12)[:-2]):
        if frame.filename.endswith(("rankings.py", "asof.py")) and frame.name != "_query":
            caller = frame.name
            break
    macro = _MACRO.search(sql)
    return f"{caller}: {macro.group(1) if macro else sql.split()[0].lower()}"


def instrument() -> None:
    import dash._callback as dash_callback

    from app import grid, leaderboard_view
    from mteb_lb import db, stats

    db.query_arrow = _timed("sql", db.query_arrow, _query_label)
    stats.intervals_table = _timed("stats", stats.intervals_table)
    stats.BordaInputs.from_summary_frame = classmethod(_timed(
        "stats", stats.BordaInputs.from_summary_frame.__func__))
    grid.model_grid = _timed("grid", grid.model_grid)
    leaderboard_view.gridmod.model_grid = grid.model_grid
    dash_callback.to_json = _timed("json", dash_callback.to_json)


def kinds_of(query: dict) -> str:
    names = {"max_params_b": "size", "task_types": "types", "tasks": "tasks",
             "languages": "languages"}
    return "+".join(sorted(names[k] for k in query if k in names)) or "none"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE"))
    parser.add_argument("--clicks", type=int, default=120)
    parser.add_argument("--links", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit", help="MTEB_LB_SQL_MEMORY_LIMIT (the config's: 256MB)")
    parser.add_argument("--code", help="the checkout to profile (default: this one)")
    parser.add_argument("--no-instrument", action="store_true",
                        help="request CPU only (no wrappers: their own cost left out)")
    parser.add_argument("--json", help="write the per-request records here")
    args = parser.parse_args(argv)
    if args.warehouse:
        os.environ["MTEB_LB_WAREHOUSE"] = args.warehouse
    if args.memory_limit:
        os.environ["MTEB_LB_SQL_MEMORY_LIMIT"] = args.memory_limit
    os.environ.setdefault("MTEB_LB_SQL_THREADS", "1")
    from memory_profile import worker_config
    conf = worker_config()
    from app.main import create_app, prewarm_rankings, ready
    app = create_app(prewarm=False)
    from load_test import Site, prepare_clicks
    client = app.server.test_client()

    site = Site.from_client(client)
    conf._render_menu_boards(threading.Event())
    prewarm_rankings()
    ready(app)
    drawn: dict = {}
    draw = site.cold_state

    def cold_state(board, rng):
        drawn["query"] = draw(board, rng)
        return drawn["query"]

    class Clicks(list):   # each prepared click with the query it was drawn as
        def append(self, item):
            super().append((item, drawn["query"]))

    site.cold_state, site.clicks = cold_state, Clicks()
    prepared = 200 * 13          # the load test's list for 200 users, 60 s (it pops the end)
    prepare_clicks(site, prepared, args.seed)
    clicks = site.clicks[::-1][:args.clicks]
    site.cold_state = draw
    rng = random.Random(args.seed * 100003)
    links = [site.cold_state(rng.choice(site.boards), rng) for _ in range(args.links)]
    if not args.no_instrument:
        instrument()
    gc.collect()
    gc.freeze()
    records: list[dict] = []
    lock = threading.Lock()

    def serve(kind: str, query: dict, body: dict) -> bytes:
        if not hasattr(_local, "client"):
            _local.client = app.server.test_client()
        _local.acc = {}
        started = (time.thread_time(), time.perf_counter())
        r = _local.client.post("/_dash-update-component", json=body)
        cpu = (time.thread_time() - started[0]) * 1000
        wall = (time.perf_counter() - started[1]) * 1000
        acc, _local.acc = _local.acc, None
        if r.status_code not in (200, 204):
            print(f"{kind} {query}: HTTP {r.status_code} {r.data[:200]!r}", file=sys.stderr)
        acc["rest"] = cpu - sum(acc.get(p, 0.0) for p in PARTS if p != "rest")
        with lock:
            records.append({"kind": kind, "benchmark": query.get("benchmark"),
                            "filters": kinds_of(query), "cpu_ms": cpu, "wall_ms": wall,
                            "query": query, "sha1": hashlib.sha1(r.data).hexdigest(),
                            **{p: acc.get(p, 0.0) for p in PARTS},
                            "queries": acc.get("queries", [])})
        return r.data

    def click(item) -> None:
        (state, body), query = item
        data = serve("filter_cold", query, body)
        second = site.fill_body(state, data)
        if second is not None:
            serve("filter_stats", query, second)

    def link(query: dict) -> None:
        data = serve("link_cold", query, site.routing("/", query))
        second = site.link_fill_body(query, data)
        if second is not None:
            serve("link_stats", query, second)

    jobs = [(click, c) for c in clicks] + [(link, q) for q in links]
    random.Random(1).shuffle(jobs)
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    process_cpu = time.process_time()
    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(lambda job: job[0](job[1]), jobs))
    process_cpu = time.process_time() - process_cpu
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(f"user {after.ru_utime - usage.ru_utime:.2f} s, system "
          f"{after.ru_stime - usage.ru_stime:.2f} s, minor faults "
          f"{after.ru_minflt - usage.ru_minflt}, context switches voluntary "
          f"{after.ru_nvcsw - usage.ru_nvcsw} involuntary {after.ru_nivcsw - usage.ru_nivcsw}")
    report(records, args, process_cpu, wall)
    if args.json:
        Path(args.json).write_text(json.dumps({"records": records, "process_cpu_s": process_cpu,
                                               "wall_s": wall, "threads": args.threads}))
    return 0


def _row(name: str, recs: list[dict]) -> str:
    total = sum(r["cpu_ms"] for r in recs)
    parts = " | ".join(f"{sum(r[p] for r in recs) / max(total, 1e-9):.0%}" for p in PARTS)
    return (f"| {name} | {len(recs)} | {total / 1000:.2f} | "
            f"{statistics.median(r['cpu_ms'] for r in recs):.1f} | "
            f"{total / len(recs):.1f} | {parts} |")


def report(records: list[dict], args, process_cpu: float, wall: float) -> None:
    print(f"\n{len(records)} requests, {args.threads} thread(s), load "
          f"{os.getloadavg()[0]:.1f}: process CPU {process_cpu:.2f} s, wall {wall:.2f} s, "
          f"request thread CPU {sum(r['cpu_ms'] for r in records) / 1000:.2f} s")
    head = ("| {} | n | CPU s | median ms | mean ms | " + " | ".join(PARTS) + " |\n|"
            + "---|" * (5 + len(PARTS)))
    for key, title in (("kind", "request"), ("benchmark", "benchmark (clicks and links)"),
                       ("filters", "filter kinds (clicks and links)")):
        print("\n" + head.format(title))
        groups = defaultdict(list)
        for r in records:
            if key == "kind" or r["kind"] in ("filter_cold", "link_cold"):
                groups[r[key]].append(r)
        for name, recs in sorted(groups.items(), key=lambda kv: -sum(r["cpu_ms"] for r in kv[1])):
            print(_row(name, recs))
    queries = defaultdict(list)
    for r in records:
        for label, ms in r["queries"]:
            queries[(r["kind"], label)].append(ms)
    print("\n| request: query (caller: macro) | n | CPU s | median ms |\n|---|---|---|---|")
    for (kind, label), values in sorted(queries.items(), key=lambda kv: -sum(kv[1]))[:25]:
        print(f"| {kind}: {label} | {len(values)} | {sum(values) / 1000:.2f} | "
              f"{statistics.median(values):.1f} |")
    by_bench = defaultdict(list)
    for r in records:
        if r["kind"] in ("filter_cold", "link_cold"):
            by_bench[(r["benchmark"], r["filters"])].append(r)
    print("\n| benchmark, filter kinds (clicks and links) | n | CPU s | median ms | mean ms | "
          + " | ".join(PARTS) + " |\n|" + "---|" * (5 + len(PARTS)))
    for (bench, kinds), recs in sorted(by_bench.items(),
                                       key=lambda kv: -sum(r["cpu_ms"] for r in kv[1]))[:20]:
        print(_row(f"{bench}, {kinds}", recs))


if __name__ == "__main__":
    sys.exit(main())
