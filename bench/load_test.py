"""Load test on loopback: gunicorn with several workers, virtual users doing person-like sessions
for a bounded time. Reports p50/p95/p99 latency, throughput, errors, peak memory per worker, and
per step p50/p95 with how many answers were computed (cold) or came from the result cache.

    .venv/bin/python bench/load_test.py [--warehouse DIR] [--users 200] [--seconds 60]
        [--workers 2] [--threads 4] [--think 2,8] [--duckdb-threads N] [--memory-limit 300MB]
        [--no-preload] [--plain] [--out bench/out/load.json]

What one virtual user does (a *visit*, repeated until the time is up), and why:

1. **page shell**: ``GET /`` then, as the browser does at once, ``/_dash-layout`` and
   ``/_dash-dependencies``; on the user's first visit only, the Dash assets the shell links (JS,
   CSS: a browser caches them afterwards).
2. **cached benchmark view**: the dashboard's page-routing callback (``POST
   /_dash-update-component``, the request that renders the leaderboard page) for a menu
   benchmark's default state: what most visitors see, prewarmed per worker and precomputed by
   the build (``default_summaries``).
3. **cold filter states**, 1-3 per visit, each a state drawn from a space of millions (a random
   size bound, some of the benchmark's task types, 1-3 of its tasks left out, 1-3 languages on
   the boards with a language filter; one or two of these at once), so the result caches cannot
   hide the ranking work. 3 in 4 are a filter clicked in the open page: the ``update_view``
   callback (bench_app.py's request body, each state used once in the run), then the deferred
   statistics request the page sends after it (``filter_stats``); 1 in 4 a link to such a state
   opened (``link_cold``: the routing callback, which renders the page, then ``link_stats``,
   its deferred statistics, when the page left them pending). Each answer is counted cold or
   cached by the server (below).
4. **benchmark switch**: the routing callback for another menu benchmark's default state.
5. **model page** (half of the visits): the routing callback for ``/model?name=...``.
6. **SQL** (one visit in five): ``POST /api/sql`` with a small aggregate.
7. **API** (one visit in five): ``GET /api/table`` of a default state as CSV.

A person reads a table before the next click: each user waits ``--think`` seconds (uniform, 2-8 s
by default, mean 5 s) between two clicks; the requests of one click (the shell and its Dash
requests) go back to back, as a browser sends them. Users arrive spread over the first think
interval. 200 such users offer ~40 clicks/s. (Earlier runs used 0.2-1 s, a user clicking 1.7
times a second; ``--think 0.2,1`` reproduces them.)

Cold or cached: the server runs ``bench/load_app.py``, the deployed app plus two response
headers: ``X-LB-Computed`` (results the request computed, not found in the worker's result
cache: cold if 1 or more, else cached) and ``X-LB-DuckDB`` (DuckDB cursors it opened, small
uncached queries included, e.g. the menu). A request on a connection the server closed while the
user was thinking is sent again on a new one, as a browser does. The server is gunicorn with
``deploy/gunicorn.conf.py`` (the options here override its workers and threads; ``--plain``
runs gunicorn without it, as before it existed). Traffic goes to 127.0.0.1 only; the run stops
by itself.
Target #16 on a 2-core machine: 200 users for 60 s, 2 workers: p95 <= 150 ms, 0 errors,
<= 500 MB per worker. The p95 over all requests counts the cheap static assets (most of the
requests); the p95 of the data requests (steps 2-7) and of the cold filter states alone are
printed beside it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
BENCHMARKS = ["MTEB(Multilingual, v2)", "MTEB(eng, v2)", "MTEB(Europe, v1)", "BEIR",
              "RTEB(beta)", "MIEB(lite)", "LongEmbed"]
EUROPEAN = ["eng", "fra", "deu", "spa", "ita", "por", "nld", "pol", "swe", "dan", "fin", "ces",
            "ell"]
# the boards with a language filter, and some of their languages
LANGUAGES = {"MTEB(Multilingual, v2)": EUROPEAN + ["rus", "zho", "jpn", "kor", "ara", "hin"],
             "MTEB(Europe, v1)": EUROPEAN}
SIZES_B = [round(0.05 * i, 2) for i in range(1, 201)]          # 0.05 .. 10 B, 200 bounds
MODELS = ["intfloat/multilingual-e5-large", "BAAI/bge-m3", "openai/text-embedding-3-large",
          "sentence-transformers/all-MiniLM-L6-v2", "intfloat/e5-mistral-7b-instruct",
          "Alibaba-NLP/gte-Qwen2-7B-instruct"]
SQL = ["SELECT task_name, count(*) AS n FROM scores GROUP BY task_name ORDER BY n DESC LIMIT 20",
       "SELECT model_name, avg(score) AS s FROM stg_scores WHERE task_name = 'SciFact' "
       "GROUP BY ALL ORDER BY s DESC LIMIT 10"]
# steps in the order of a visit, with the share of visits that make them (for the printed mix)
STEPS = {
    "shell": "GET / (page shell)",
    "dash_startup": "GET /_dash-layout and /_dash-dependencies",
    "dash_assets": "Dash JS/CSS assets (first visit of a user only)",
    "board_cached": "routing callback, a menu benchmark's default state",
    "filter_cold": "update_view callback: a filter clicked, a state not seen before (1-3 per "
                   "visit, 3 in 4 of the cold states)",
    "filter_stats": "the deferred statistics request that follows a filter click",
    "link_cold": "routing callback: a link to a random filtered state opened (1 in 4)",
    "link_stats": "its deferred statistics (interval column), when the page left them pending",
    "board_switch": "routing callback, another menu benchmark's default state",
    "model_page": "routing callback, /model?name=... (1 visit in 2)",
    "sql": "POST /api/sql (1 visit in 5)",
    "api_table": "GET /api/table?format=csv, default state (1 visit in 5)",
}
DATA_STEPS = ("board_cached", "filter_cold", "filter_stats", "link_cold", "link_stats",
              "board_switch",
              "model_page", "api_table")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.cold: dict[str, int] = {}
        self.queried: dict[str, int] = {}
        self.server: dict[str, list[tuple[float, float]]] = {}   # (wall, CPU) ms in the app
        self.errors: list[str] = []
        self.cold_states: set[str] = set()

    def add(self, step: str, ms: float, error: str | None, counts: tuple | None,
            server: tuple | None = None) -> None:
        """``counts``: (results computed, DuckDB cursors) from the server's headers;
        ``server``: (wall, CPU) ms the request spent in the app (``X-LB-Server-Ms``)."""
        with self.lock:
            self.latencies.setdefault(step, []).append(ms)
            if server:
                self.server.setdefault(step, []).append(server)
            if counts and counts[0]:
                self.cold[step] = self.cold.get(step, 0) + 1
            if counts and counts[1]:
                self.queried[step] = self.queried.get(step, 0) + 1
            if error:
                self.errors.append(f"{step}: {error}")


def client_calls(client):
    """(get, post) through a Flask test client, as ``Site.read`` takes them: ``get(path)`` and
    ``post(path, json)`` return (status, body bytes)."""
    def get(path):
        r = client.get(path)
        return r.status_code, r.data

    def post(path, body):
        r = client.post(path, json=body)
        return r.status_code, r.data

    return get, post


class Site:
    """What the users need to know about the server, read once before the timed run."""

    def __init__(self, port: int | None, assets: list[str], outputs: list[str],
                 tasks: dict[str, list[str]]):
        self.port, self.assets, self.tasks, self.outputs = port, assets, tasks, outputs
        self.routing_output = self.output_of("_pages_content.children")
        self.clicks: list = []     # prepared filter clicks (prepare_clicks), taken once each
        self.clicks_lock = threading.Lock()
        self.types: dict[str, list[str]] = {}   # the task types of each benchmark
        self.boards = [b for b in BENCHMARKS if b in tasks] or BENCHMARKS
        self.deps: list[dict] = []              # /_dash-dependencies

    @classmethod
    def from_client(cls, client) -> Site:
        """``read`` through a Flask test client (the app in this process, no server)."""
        return cls.read(*client_calls(client))

    @classmethod
    def read(cls, get, post, port: int | None = None) -> Site:
        """``get(path)`` and ``post(path, json)`` return (status, body bytes)."""
        _, shell = get("/")
        assets = sorted(set(re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)'
                                       r'/[^"]+)"', shell.decode())))
        _, deps = get("/_dash-dependencies")
        outputs = [d["output"] for d in json.loads(deps)]
        names = ", ".join("'" + b.replace("'", "''") + "'" for b in BENCHMARKS)
        status, body = post("/api/sql", {"sql": (
            "SELECT b.name, list(t.name ORDER BY t.name), list(DISTINCT t.type) "
            "FROM benchmarks b, unnest(b.task_names) AS u(task) JOIN tasks t ON t.name = u.task "
            f"WHERE b.name IN ({names}) GROUP BY b.name")})
        rows = json.loads(body).get("rows", []) if status == 200 else []
        tasks, types = {}, {}
        for name, task_names, task_types in rows:
            tasks[name] = list(task_names or [])
            types[name] = sorted(t for t in task_types or [] if t)
        site = cls(port, assets, outputs, tasks)
        site.types = types
        site.deps = json.loads(deps)
        return site

    def output_of(self, needle: str) -> str:
        """The registered output string of the Dash callback writing ``needle``."""
        return next(o for o in self.outputs if needle in o)

    @classmethod
    def over_http(cls, port: int) -> Site:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def call(method, path, body=None):
            status, _, data = request(conn, method, path, body)
            return status, data
        try:
            return cls.read(lambda p: call("GET", p), lambda p, b: call("POST", p, b), port)
        finally:
            conn.close()

    def routing(self, pathname: str, query: dict) -> dict:
        search = ("?" + urllib.parse.urlencode(query, doseq=True)) if query else ""
        return {"output": self.routing_output,
                "outputs": [{"id": "_pages_content", "property": "children"},
                            {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                           {"id": "_pages_location", "property": "search", "value": search}],
                "changedPropIds": ["_pages_location.pathname"], "state": []}

    def cold_state(self, board: str, rng: random.Random) -> dict:
        """A filter state from a space of millions: one or two of a size bound (200 values),
        some of the benchmark's task types (1-3 of the benchmark's), languages (1-3 of 13-20,
        multilingual boards)."""
        kinds = ["size", "types", "tasks"] + (["languages"] if board in LANGUAGES else [])
        state: dict = {"benchmark": board}
        for kind in rng.sample(kinds, rng.choice([1, 2])):
            if kind == "size":
                state["max_params_b"] = rng.choice(SIZES_B)
            elif kind == "types" and len(self.types.get(board, [])) > 1:
                types = self.types[board]
                state["task_types"] = ",".join(sorted(rng.sample(
                    types, rng.randint(1, len(types) - 1))))
            elif kind == "tasks" and len(self.tasks.get(board, [])) > 3:
                tasks = self.tasks[board]
                left_out = set(rng.sample(tasks, rng.choice([1, 2, 3])))
                state["tasks"] = [t for t in tasks if t not in left_out]
            elif kind == "languages":
                state["languages"] = ",".join(sorted(rng.sample(LANGUAGES[board],
                                                                rng.choice([1, 2, 3]))))
        return state


def prepare_clicks(site: Site, n: int, seed: int) -> None:
    """``n`` distinct filter clicks: the dashboard's ``update_view`` request for a cold state
    (bench_app.py's request bodies, from the page's own state-to-controls mapping), each with
    its state, so that its deferred statistics request can follow. Made before the timed run (it
    opens the build read-only in this process to read each benchmark's options)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_app

    from app.main import create_app
    from mteb_lb import lbstate

    if "app.pages.leaderboard" not in sys.modules:   # memory_profile's process has its app
        create_app(prewarm=False)
    from app.pages import leaderboard as lbpage

    rng, seen = random.Random(seed), set()
    tries = 0
    while len(site.clicks) < n and tries < 20 * n:
        tries += 1
        board = rng.choice(site.boards)
        query = site.cold_state(board, rng)
        key = json.dumps(query, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        search = urllib.parse.urlencode(query, doseq=True)
        state, _ = lbstate.decode({k: v[0] if len(v) == 1 else v
                                   for k, v in urllib.parse.parse_qs(search).items()})
        site.clicks.append((state, bench_app.view_body(site, lbpage, state)))

    def fill(state, response: bytes):
        try:
            key = json.loads(response).get("response", {}).get(lbpage.VIEW_KEY, {}).get("data")
        except ValueError:
            return None
        return bench_app.fill_body(site, lbpage, state, key) if key else None
    site.fill_body = fill

    def link_fill(query: dict, response: bytes):
        pending = _pending_key(response)
        if not pending:
            return None
        search = urllib.parse.urlencode(query, doseq=True)
        state, _ = lbstate.decode({k: v[0] if len(v) == 1 else v
                                   for k, v in urllib.parse.parse_qs(search).items()})
        return bench_app.fill_body(site, lbpage, state, None, pending)
    site.link_fill_body = link_fill


def _pending_key(response: bytes) -> str | None:
    """The state key a page rendered by the routing callback left its statistics to (the
    ``lb-intervals-pending`` store of app/intervals.py), or None."""
    marker = b'"id": "lb-intervals-pending"'
    if marker not in response and b'"id":"lb-intervals-pending"' not in response:
        return None
    found = []

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("id") == "lb-intervals-pending":
                found.append(props.get("data"))
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    try:
        walk(json.loads(response))
    except ValueError:
        return None
    return found[0] if found else None


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    counts = (response.getheader("X-LB-Computed"), response.getheader("X-LB-DuckDB"))
    server = response.getheader("X-LB-Server-Ms")
    counts = tuple(int(c) if c is not None else 0 for c in counts)
    if server:
        counts += (tuple(float(x) for x in server.split(",")),)
    return response.status, counts, data


def user(site: Site, stats: Stats, deadline: float, rng: random.Random,
         think: tuple[float, float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
    first_visit = True
    time.sleep(rng.uniform(0, think[1]))    # users arrive spread over one think interval

    def hit(step: str, method: str, path: str, body=None):
        """Time one request; its body (bytes), or False once the time is up."""
        nonlocal conn
        if time.monotonic() >= deadline:
            return False
        started = time.perf_counter()
        error, counts, data = None, None, None
        for attempt in (1, 2):
            try:
                status, counts, data = request(conn, method, path, body)
                if status >= 400:
                    error = f"HTTP {status} {data[:200]!r}"
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
                # the server closed the idle keep-alive connection after a think time: a browser
                # then sends the request again on a new connection, and so do we (once)
                stale = isinstance(exc, (BrokenPipeError, ConnectionResetError,
                                         http.client.RemoteDisconnected))
                if attempt == 2 or not stale:
                    error = repr(exc)
                    break
        server = counts[2] if counts and len(counts) > 2 else None
        stats.add(step, (time.perf_counter() - started) * 1000, error, counts, server)
        return data if data is not None else True

    def think_then() -> bool:
        time.sleep(rng.uniform(*think))
        return time.monotonic() < deadline

    while time.monotonic() < deadline:
        board = rng.choice(site.boards)
        hit("shell", "GET", "/")
        hit("dash_startup", "GET", "/_dash-layout")
        hit("dash_startup", "GET", "/_dash-dependencies")
        if first_visit:
            for asset in site.assets:
                hit("dash_assets", "GET", asset)
            first_visit = False
        hit("board_cached", "POST", "/_dash-update-component",
            site.routing("/", {"benchmark": board}))
        for _ in range(rng.choice([1, 2, 3])):
            if not think_then():
                break
            with site.clicks_lock:
                click = site.clicks.pop() if site.clicks else None
            if click is not None and rng.random() < 0.75:   # a filter clicked in the page
                state, body = click
                data = hit("filter_cold", "POST", "/_dash-update-component", body)
                second = site.fill_body(state, data) if isinstance(data, bytes) else None
                if second is not None:
                    hit("filter_stats", "POST", "/_dash-update-component", second)
            else:                                       # a link to a filtered state opened
                state = site.cold_state(rng.choice(site.boards), rng)
                with stats.lock:
                    stats.cold_states.add(json.dumps(state, sort_keys=True))
                data = hit("link_cold", "POST", "/_dash-update-component",
                           site.routing("/", state))
                # the page then asks for the statistics it left pending (app/intervals.py)
                second = site.link_fill_body(state, data) if isinstance(data, bytes) else None
                if second is not None:
                    hit("link_stats", "POST", "/_dash-update-component", second)
        if not think_then():
            break
        hit("board_switch", "POST", "/_dash-update-component",
            site.routing("/", {"benchmark": rng.choice(site.boards)}))
        if rng.random() < 0.5 and think_then():
            hit("model_page", "POST", "/_dash-update-component",
                site.routing("/model", {"name": rng.choice(MODELS)}))
        if rng.random() < 0.2 and think_then():
            hit("sql", "POST", "/api/sql", {"sql": rng.choice(SQL)})
        if rng.random() < 0.2 and think_then():
            hit("api_table", "GET", "/api/table?" + urllib.parse.urlencode(
                {"benchmark": rng.choice(site.boards), "format": "csv"}))
        think_then()
    conn.close()


def worker_pids(master_pid: int) -> list[int]:
    pids = []
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            status = (pid_dir / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s*{master_pid}$", status, re.M):
            pids.append(int(pid_dir.name))
    return pids


def worker_memory_mb(master_pid: int, field: str = "VmHWM") -> dict[int, float]:
    """``field`` (VmHWM: peak resident set; VmRSS: now) of each gunicorn worker, from /proc."""
    out = {}
    for pid in worker_pids(master_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(rf"^{field}:\s*(\d+) kB", status, re.M)
        if match:
            out[pid] = int(match.group(1)) / 1024
    return out


def cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes `pids` have used (from /proc; gone: 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_until_up(port: int, timeout: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            status, _, _ = request(conn, "GET", "/api/health")
            conn.close()
            if status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not come up")


def server_command(args, port: int) -> list[str]:
    if args.plain:   # the command line of the runs before deploy/gunicorn.conf.py
        return [sys.executable, "-m", "gunicorn", "--pythonpath", str(ROOT / "bench"),
                "-w", str(args.workers), "--threads", str(args.threads or 4), "-b",
                f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
                "load_app:server"]
    conf = GUNICORN_CONF
    if args.no_preload:   # gunicorn has --preload but no flag to undo the config file's
        conf = Path(args.out).with_suffix(".gunicorn.conf.py")
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f"exec(open({str(GUNICORN_CONF)!r}).read())\npreload_app = False\n")
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(conf), "--pythonpath",
           str(ROOT / "bench"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
           "--log-level", "warning"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return cmd + ["load_app:server"]


def _conf_threads() -> int:
    """The threads per worker deploy/gunicorn.conf.py sets (read, not imported: importing it
    sets this process's environment)."""
    match = re.search(r"^threads\s*=\s*(\d+)", GUNICORN_CONF.read_text(), re.M)
    return int(match.group(1)) if match else 4


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE",
                                                             str(ROOT / "warehouse")))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int,
                        help="threads per worker (default: deploy/gunicorn.conf.py's; --plain: 4)")
    parser.add_argument("--think", default="2,8",
                        help="seconds a user waits between two clicks: MIN,MAX (uniform)")
    parser.add_argument("--duckdb-threads", type=int,
                        help="DuckDB threads per worker (MTEB_LB_SQL_THREADS)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit per worker "
                        "(MTEB_LB_SQL_MEMORY_LIMIT), e.g. 300MB")
    parser.add_argument("--no-preload", action="store_true",
                        help="import the app in each worker instead of once before the fork")
    parser.add_argument("--plain", action="store_true",
                        help="gunicorn without deploy/gunicorn.conf.py (the earlier command line)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "load.json"))
    parser.add_argument("--sql-concurrency", type=int, help="ranking queries a worker runs at "
                        "once (MTEB_LB_SQL_CONCURRENCY; 0: no cap; default: the config's 1)")
    args = parser.parse_args(argv)
    if args.threads is None:
        args.threads = 4 if args.plain else _conf_threads()
    think = tuple(float(x) for x in args.think.split(","))
    port = free_port()
    os.environ["MTEB_LB_WAREHOUSE"] = args.warehouse   # prepare_clicks reads the build too
    env = {**os.environ}
    if args.duckdb_threads:
        env["MTEB_LB_SQL_THREADS"] = str(args.duckdb_threads)
    if args.memory_limit:
        env["MTEB_LB_SQL_MEMORY_LIMIT"] = args.memory_limit
    if args.sql_concurrency is not None:
        env["MTEB_LB_SQL_CONCURRENCY"] = str(args.sql_concurrency)
    print("mix of one visit (think time between clicks "
          f"{think[0]:g}-{think[1]:g} s):", *(f"  {k}: {v}" for k, v in STEPS.items()), sep="\n")
    server = subprocess.Popen(server_command(args, port), cwd=ROOT, env=env)
    rss_samples: dict[int, list[float]] = {}
    try:
        startup = wait_until_up(port)
        site = Site.over_http(port)
        prepared = args.users * max(4, int(2 * args.seconds / sum(think)) + 1)
        prepare_clicks(site, prepared, args.seed)
        time.sleep(2)   # let each worker's prewarm of the default boards start
        stats = Stats()
        deadline = time.monotonic() + args.seconds
        users = [threading.Thread(target=user, args=(site, stats, deadline,
                                                     random.Random(args.seed * 100003 + i), think),
                                  daemon=True) for i in range(args.users)]
        pids = worker_pids(server.pid)
        cpu_before = (cpu_seconds(pids), self_cpu_seconds())
        started = time.monotonic()
        for u in users:
            u.start()
        while any(u.is_alive() for u in users) and time.monotonic() < deadline + 60:
            for pid, mb in worker_memory_mb(server.pid, "VmRSS").items():
                rss_samples.setdefault(pid, []).append(mb)
            time.sleep(1)
        for u in users:
            u.join(1)
        elapsed = time.monotonic() - started
        cpu_used = (cpu_seconds(pids) - cpu_before[0], self_cpu_seconds() - cpu_before[1])
        peaks = worker_memory_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()

    all_ms = sorted(ms for v in stats.latencies.values() for ms in v)
    total = len(all_ms)
    per_step = {}
    for step in STEPS:
        values = stats.latencies.get(step, [])
        if not values:
            continue
        per_step[step] = {"n": len(values), "share": len(values) / total,
                          "p50_ms": pct(values, 0.5), "p95_ms": pct(values, 0.95),
                          "computed": stats.cold.get(step, 0),
                          "ran_duckdb": stats.queried.get(step, 0)}
        served = stats.server.get(step, [])
        if served:
            per_step[step].update({
                "server_p50_ms": pct([w for w, _ in served], 0.5),
                "server_p95_ms": pct([w for w, _ in served], 0.95),
                "server_cpu_s": sum(c for _, c in served) / 1000})
    result = {
        "users": args.users, "seconds": args.seconds, "workers": args.workers,
        "threads": args.threads, "think_s": list(think),
        "duckdb_threads": args.duckdb_threads, "memory_limit": args.memory_limit,
        "sql_concurrency": env.get("MTEB_LB_SQL_CONCURRENCY", "the config's"),
        "preload": not args.no_preload and not args.plain, "plain": args.plain,
        "startup_s": startup, "requests": total,
        "throughput_rps": total / elapsed, "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "p50_ms": pct(all_ms, 0.50), "p95_ms": pct(all_ms, 0.95), "p99_ms": pct(all_ms, 0.99),
        "p95_data_ms": pct([ms for k in DATA_STEPS + ("sql",)
                            for ms in stats.latencies.get(k, [])], 0.95),
        "p95_filter_cold_ms": pct(stats.latencies.get("filter_cold", []), 0.95),
        "server_p95_ms": pct([w for v in stats.server.values() for w, _ in v], 0.95),
        "cpu_s": {"workers": cpu_used[0], "load_generator": cpu_used[1], "wall": elapsed,
                  "cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]},
        "distinct_clicks_used": prepared - len(site.clicks),
        "per_step": per_step,
        "distinct_cold_states": len(stats.cold_states),
        "peak_rss_mb_per_worker": sorted(peaks.values()),
        "median_rss_mb_per_worker": sorted(pct(v, 0.5) for v in rss_samples.values()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"{args.users} users, {args.seconds:.0f} s, {args.workers} workers x {args.threads} "
          f"threads, think {think[0]:g}-{think[1]:g} s: {total} requests, "
          f"{result['throughput_rps']:.1f} req/s, errors {len(stats.errors)}")
    print(f"latency p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
          f"p99 {result['p99_ms']:.0f} ms; peak RSS per worker "
          f"{', '.join(f'{m:.0f}' for m in result['peak_rss_mb_per_worker'])} MB")
    peak = max(peaks.values(), default=float("nan"))
    print(f"target #16 (200 users, 2 workers): p95 <= 150 ms: {result['p95_ms']:.0f} ms "
          f"({150 / result['p95_ms']:.2f}x), errors 0: {len(stats.errors)}, <= 500 MB per "
          f"worker: {peak:.0f} MB")
    print(f"p95 of the data requests (routing callbacks, SQL, API): "
          f"{result['p95_data_ms']:.0f} ms; of the cold filter states: "
          f"{result['p95_filter_cold_ms']:.0f} ms")
    print(f"cold filter states: {result['distinct_clicks_used']} filter clicks (each state once), "
          f"{len(stats.cold_states)} distinct links")
    used = result["cpu_s"]
    print(f"CPU during the run: workers {used['workers']:.1f} s, load generator "
          f"{used['load_generator']:.1f} s, over {used['wall']:.1f} s on {used['cores']} cores "
          f"(load average {used['load_average_at_start']:.1f} when it started); p95 of the time "
          f"in the app (X-LB-Server-Ms): {result['server_p95_ms']:.0f} ms")
    print("| step | requests | share | p50 ms | p95 ms | in the app p50 / p95 ms | "
          "app CPU s | cold (computed) | cached | ran DuckDB |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for step, s in per_step.items():
        print(f"| {step} | {s['n']} | {100 * s['share']:.0f} % | {s['p50_ms']:.0f} | "
              f"{s['p95_ms']:.0f} | {s.get('server_p50_ms', float('nan')):.0f} / "
              f"{s.get('server_p95_ms', float('nan')):.0f} | "
              f"{s.get('server_cpu_s', 0):.1f} | {s['computed']} | {s['n'] - s['computed']} | "
              f"{s['ran_duckdb']} |")
    for sample in stats.errors[:5]:
        print("error:", sample)
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    sys.exit(main())
