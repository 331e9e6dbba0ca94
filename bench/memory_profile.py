"""Where one app worker's memory goes, stage by stage, in one process (what a gunicorn worker does):

    .venv/bin/python bench/memory_profile.py [--warehouse DIR] [--states 150] [--json]

Stages: the interpreter; importing and building the app (Dash, pages, DuckDB, pyarrow); the
first request (opens the build's DuckDB connection, reads the catalog); the warm-up a gunicorn
worker does before it accepts requests (``deploy/gunicorn.conf.py``: each menu board's page,
then every other benchmark's default summary); then ``--states`` cold filter states drawn as the
load test draws them (``bench/load_test.py``), rendered through the page-routing callback. As in
a worker, the configuration's DuckDB memory limit (unless the environment sets one) and its
allocator arenas apply (``--plain``: neither, one process with the settings' defaults).
After each stage: the resident set (VmRSS), DuckDB's own accounting (``duckdb_memory()``:
buffer pool and the rest), the bytes of the Arrow tables and numpy arrays held by the worker's
result cache and summary frames (``Leaderboard``), and what glibc's malloc holds and has in use
(``mallinfo2``). The rest (Python objects, allocator slack, Dash layouts) is the difference.
The setting that caps DuckDB's part: ``MTEB_LB_SQL_MEMORY_LIMIT`` (per worker); the result
cache holds ``Leaderboard.CACHE_SIZE`` entries (``--cache-size``).
``--threads 4`` renders the states from four threads at once, each link followed by its
deferred statistics request, as a gunicorn worker's four request threads serve the load test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def rss_mb(field: str = "VmRSS") -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s*(\d+) kB", status, re.M).group(1)) / 1024


def buffer_bytes(value) -> int:
    """Bytes of the Arrow and numpy buffers in a cached value: tables, arrays, the arrays of a
    dataclass (stats.BordaInputs: its points matrix), containers of them."""
    import dataclasses

    import numpy as np

    if hasattr(value, "nbytes") and (hasattr(value, "schema") or isinstance(value, np.ndarray)):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(buffer_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(buffer_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(buffer_bytes(v) for v in value)
    return 0


def malloc_mb() -> dict[str, float]:
    """glibc's malloc (mallinfo2, every arena): bytes its arenas hold and bytes in use; {} on
    another C library. Arrow's buffers come from it in a worker (ARROW_DEFAULT_MEMORY_POOL)."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return {"held": (info.arena + info.hblkhd) / 2**20,
            "in_use": (info.uordblks + info.hblkhd) / 2**20}


def duckdb_mb() -> dict[str, float]:
    from mteb_lb import db
    cur = db.current().cursor()
    try:
        rows = cur.sql("SELECT tag, memory_usage_bytes FROM duckdb_memory() "
                       "WHERE memory_usage_bytes > 0").fetchall()
    finally:
        cur.close()
    return {tag.lower(): b / 2**20 for tag, b in rows}


def snapshot(stage: str, stages: list, *, with_db: bool = True) -> None:
    entry = {"stage": stage, "rss_mb": round(rss_mb(), 1)}
    if with_db:
        from mteb_lb import rankings
        lb = rankings.leaderboard()
        duck = duckdb_mb()
        entry["duckdb_mb"] = round(sum(duck.values()), 1)
        entry["duckdb_by_tag_mb"] = {k: round(v, 1) for k, v in sorted(duck.items())}
        entry["result_cache_entries"] = len(lb._cache)
        entry["result_cache_mb"] = round(buffer_bytes(list(lb._cache.values())) / 2**20, 1)
        entry["frames"] = len(lb._frames)
        entry["frames_mb"] = round(buffer_bytes(list(lb._frames.values())) / 2**20, 1)
        entry["malloc_mb"] = {k: round(v, 1) for k, v in malloc_mb().items()}
    stages.append(entry)
    print(f"{stage:<40} RSS {entry['rss_mb']:7.1f} MB"
          + (f"  DuckDB {entry['duckdb_mb']:6.1f} MB  result cache {entry['result_cache_entries']}"
             f" entries {entry['result_cache_mb']:6.1f} MB  frames {entry['frames']} "
             f"{entry['frames_mb']:5.1f} MB  malloc {entry['malloc_mb'].get('in_use', 0):5.1f}"
             f" of {entry['malloc_mb'].get('held', 0):5.1f} MB" if with_db else ""), flush=True)


def worker_config():
    """deploy/gunicorn.conf.py, loaded as gunicorn does (it sets the DuckDB memory limit unless
    the environment has one), with its per-worker allocator setting applied to this process."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("gunicorn_conf",
                                                  ROOT / "deploy" / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    conf.post_fork(None, None)
    return conf


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE"))
    parser.add_argument("--states", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-size", type=int, help="Leaderboard.CACHE_SIZE (entries) to try")
    parser.add_argument("--threads", type=int, default=1,
                        help="request threads rendering the states at once (a gunicorn "
                             "worker's 4; above 1, each link's deferred statistics follow)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--plain", action="store_true",
                        help="without deploy/gunicorn.conf.py's memory limit and arenas")
    args = parser.parse_args(argv)
    if args.warehouse:
        os.environ["MTEB_LB_WAREHOUSE"] = args.warehouse
    conf = None if args.plain else worker_config()
    stages: list = []
    snapshot("interpreter", stages, with_db=False)
    from mteb_lb import rankings
    snapshot("imports: duckdb, pyarrow, mteb_lb", stages, with_db=False)
    from app.main import create_app, prewarm_rankings
    if args.cache_size:
        rankings.Leaderboard.CACHE_SIZE = args.cache_size
    app = create_app(prewarm=False)
    snapshot("imports: dash, the app; create_app", stages, with_db=False)
    from load_test import Site, client_calls
    client = app.server.test_client()
    _get, post = client_calls(client)
    site = Site.read(_get, post)
    snapshot("first requests (connection, catalog)", stages)
    if conf is not None:
        conf._render_menu_boards(threading.Event())
        snapshot("warm-up: menu boards' pages", stages)
    prewarm_rankings()
    snapshot("warm-up: other default summaries" if conf else "prewarm: default summaries",
             stages)
    for board in site.boards:
        status, _ = post("/_dash-update-component", site.routing("/", {"benchmark": board}))
    snapshot("default board pages rendered", stages)
    rng = random.Random(args.seed)
    queries = [site.cold_state(rng.choice(site.boards), rng) for _ in range(args.states)]
    if args.threads > 1:
        from load_test import prepare_clicks
        prepare_clicks(site, 0, args.seed)   # installs the links' deferred statistics request
    local = threading.local()

    def render(query: dict) -> None:
        if args.threads == 1:
            own_post = post
        else:   # each request thread its own client, as each gunicorn thread its connection
            if not hasattr(local, "client"):
                local.client = app.server.test_client()
            own_post = client_calls(local.client)[1]
        status, body = own_post("/_dash-update-component", site.routing("/", query))
        if status not in (200, 204):
            print(f"state {query}: HTTP {status} {body[:200]!r}", file=sys.stderr)
        elif args.threads > 1:   # the page's second request: the statistics it left pending
            fill = site.link_fill_body(query, body)
            if fill is not None:
                own_post("/_dash-update-component", fill)

    step = max(1, args.states // 3)
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        for start in range(0, args.states, step):
            list(pool.map(render, queries[start:start + step]))
            snapshot(f"after {min(start + step, args.states)} cold filter states", stages)
    stages.append({"stage": "peak", "rss_mb": round(rss_mb("VmHWM"), 1)})
    print(f"{'peak (VmHWM)':<40} RSS {stages[-1]['rss_mb']:7.1f} MB")
    if args.json:
        print(json.dumps(stages, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
