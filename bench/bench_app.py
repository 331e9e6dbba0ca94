"""Server-side timings of the dashboard against the current build.

    .venv/bin/python bench/bench_app.py [--repeat 5] [--switches 12] [--start-runs 3] [--json]
        [--filters-only] [--filter-runs 3] [--code DIR] [--warehouse DIR]

Prints the median server time of:

* **app start to serving**: ``mteb-lb serve`` in a fresh process until ``GET /`` answers 200;
* **default page data**: the page-routing request of ``/`` (the whole leaderboard page, its grid
  data and plot included), first call of the process (cold: DuckDB's first reads) and repeated;
* **benchmark switch**: a menu click (the ``switch_benchmark`` callback rebuilding the page body)
  over menu benchmarks, each for the first time (cold rankings), again (cached), and after the
  background prewarm the app runs after its first request;
* **filter change**: the ``update_view`` callback for a set of filter changes on the default
  benchmark, each for the first time (cold rankings) and again (cached). The cold requests run
  in ``--filter-runs`` fresh processes (each after the app's prewarm, as a served process
  answers them): a filter's cold figure is the median of its runs (one cold request is one
  sample, and on this machine one sample spreads by tens of per cent), the cold median and the
  worst filter are taken over those medians;

and the JSON size of the summary grid data (rowData + columnDefs) of MTEB(Multilingual, v2).

As the served app (deploy/gunicorn.conf.py): numpy's OpenBLAS runs one thread unless the
environment sets ``OPENBLAS_NUM_THREADS`` (its idle threads otherwise spin for a while after
each matrix product, the statistics' bootstrap: ~40 ms of the process's CPU charged to the
next request), and the objects of the warmed-up process are frozen out of the garbage
collector's generations (``gc.freeze``). DuckDB runs ``MTEB_LB_SQL_THREADS`` threads (2 unless
set; the served app runs 1): the CPU times count every thread of the process.

Requests go through Flask's test client with the same JSON bodies the browser sends, so the
times include Dash's dispatch and JSON serialisation but no network. Exits 0 with a message
when no build is published.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads: see the docstring

MULTILINGUAL = "MTEB(Multilingual, v2)"
TARGETS_MS = {"benchmark switch": 150, "filter change": 150}


# --------------------------------------------------------------------------------------------
# app start
# --------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_start(runs: int, code: Path = ROOT) -> list[float]:
    """Seconds from spawning `mteb-lb serve` (of the tree `code`) to the first 200 on GET /."""
    times = []
    for _ in range(runs):
        port = _free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mteb_lb.cli", "serve", "--port", str(port)],
            cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("mteb-lb serve exited early")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.02)
                if time.perf_counter() - started > 60:
                    raise RuntimeError("mteb-lb serve did not answer within 60 s")
            times.append(time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait(10)
    return times


# --------------------------------------------------------------------------------------------
# callback requests
# --------------------------------------------------------------------------------------------

def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Client:
    def __init__(self, app):
        self.client = app.server.test_client()
        self.client.get("/")
        self.deps = self.client.get("/_dash-dependencies").get_json()

    def output_of(self, needle: str) -> str:
        for dep in self.deps:
            if needle in dep["output"]:
                return dep["output"]
        raise KeyError(needle)

    def post(self, body: dict) -> tuple[float, int, dict]:
        """Wall seconds, response bytes, JSON; ``self.cpu``: the CPU seconds of the process
        (every thread, DuckDB's included) during the request, which a loaded machine inflates
        much less than the wall time."""
        cpu = _cpu()
        started = time.perf_counter()
        response = self.client.post("/_dash-update-component", json=body)
        elapsed = time.perf_counter() - started
        self.cpu = _cpu() - cpu
        if response.status_code not in (200, 204):
            raise RuntimeError(f"{response.status_code}: {response.data[:500]!r}")
        data = response.get_json() if response.status_code == 200 else {}
        return elapsed, len(response.data), data


def routing_body(client: Client, search: str = "") -> dict:
    return {
        "output": client.output_of("_pages_content.children"),
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }


def control_specs(lbpage, state) -> list[dict]:
    values = lbpage.state_to_controls(state)
    return [{"id": lbpage.CONTROLS[k], "property": "value", "value": values[k]}
            for k in lbpage.CONTROL_KEYS]


def view_body(client: Client, lbpage, state, changed: str = "lb-types") -> dict:
    # the outputs as the page registered them ("..id.prop...id.prop.."), so new ones are sent too
    output = client.output_of("lb-grid.rowData")
    outputs = [part.rsplit(".", 1) for part in output.strip(".").split("...")]
    return {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": control_specs(lbpage, state),
        "state": [{"id": lbpage.BENCH, "property": "data", "value": state.benchmark}],
        "changedPropIds": [f"{changed}.value"],
    }


def fill_body(client: Client, lbpage, state, key: str | None,
              pending: str | None = None) -> dict | None:
    """The second request of a filter change (app/intervals.py): the interval column of the
    summary, the spread tooltips of the per-task tab; None when the page has no such callback.
    ``pending``: the state key a page rendered for a link left its statistics to (its
    ``lb-intervals-pending`` store; the view key is then still 0)."""
    try:
        output = client.output_of("lb-intervals-data.data")
    except KeyError:
        return None
    dep = next((d for d in getattr(client, "deps", ()) if d["output"] == output), {})
    inputs = [{"id": lbpage.VIEW_KEY, "property": "data", "value": key or 0}]
    if any(i["id"] == "lb-intervals-pending" for i in dep.get("inputs", ())):   # a link's
        inputs.append({"id": "lb-intervals-pending", "property": "data", "value": pending})
    return {"output": output, "outputs": {"id": "lb-intervals-data", "property": "data"},
            "inputs": inputs,
            "state": [{"id": lbpage.BENCH, "property": "data", "value": state.benchmark},
                      *control_specs(lbpage, state)],
            "changedPropIds": [f"{lbpage.VIEW_KEY}.data"] if key else []}


def switch_body(client: Client, lbpage, buttons: list[str], current: str, target: str) -> dict:
    from mteb_lb import lbstate

    def bid(name):
        return {"name": name, "type": lbpage.MENU_BTN}

    return {
        "output": client.output_of("lb-body.children"),
        "outputs": [{"id": "lb-body", "property": "children"},
                    [{"id": bid(b), "property": "className"} for b in buttons],
                    {"id": "lb-url", "property": "search"}],
        "inputs": [[{"id": bid(b), "property": "n_clicks", "value": 1 if b == target else None}
                    for b in buttons]],
        "state": [[{"id": bid(b), "property": "id", "value": bid(b)} for b in buttons],
                  {"id": lbpage.BENCH, "property": "data", "value": current},
                  {"id": lbpage.PLOT_TABS, "property": "value", "value": "size"},
                  {"id": lbpage.GRID, "property": "selectedRows", "value": []},
                  {"id": lbpage.GRID, "property": "columnState", "value": []},
                  *control_specs(lbpage, lbstate.LeaderboardState(benchmark=current))],
        "changedPropIds": [json.dumps(bid(target), sort_keys=True, separators=(",", ":"))
                           + ".n_clicks"],
    }


def filter_states(default: str, lb):
    from mteb_lb import lbstate

    opts = lb.options(default)
    base = lbstate.LeaderboardState(benchmark=default)
    types = opts.task_types
    cases = [
        ("open weights", dict(open_weights="yes")),
        ("proprietary", dict(open_weights="no")),
        ("instruction-tuned", dict(instructions="yes")),
        ("sentence-transformers", dict(sentence_transformers=True)),
        ("zero-shot: remove unknown", dict(zero_shot="remove_unknown")),
        ("zero-shot: only", dict(zero_shot="only_zero_shot")),
        ("size <= 1B", dict(max_params_b=1.0)),
        ("size 100M-5B", dict(min_params_b=0.1, max_params_b=5.0)),
        ("model type dense", dict(model_types=("dense",))),
        ("one task type", dict(task_types=tuple(types[-1:]))),
        ("drop one task type", dict(task_types=tuple(types[1:]))),
        ("languages eng+fra", dict(languages=tuple(x for x in ("eng", "fra")
                                                   if x in opts.languages) or None)),
        ("search 'e5'", dict(search="e5")),
        ("tab: per task", dict(view="per-task")),
    ]
    from dataclasses import replace

    return [(name, replace(base, **kw)) for name, kw in cases]


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats of the warm cases")
    parser.add_argument("--switches", type=int, default=12,
                        help="menu benchmarks switched to (menu order)")
    parser.add_argument("--start-runs", type=int, default=3, help="cold starts of the server")
    parser.add_argument("--filter-benchmark", default=None,
                        help="benchmark of the filter-change cases (default: the menu default)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--filters-only", action="store_true",
                        help="only the filter changes (no start, default page or switches)")
    parser.add_argument("--filter-runs", type=int, default=3,
                        help="fresh processes the cold filter changes run in (their median)")
    parser.add_argument("--prewarm", action="store_true",
                        help="with --filters-only: run the app's prewarm first")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the project tree whose app is measured (default: this one's; "
                             "e.g. an export of another commit, for A/B runs)")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="the warehouse folder (default: MTEB_LB_WAREHOUSE's)")
    args = parser.parse_args(argv)
    args.code = args.code.resolve()
    sys.path.insert(0, str(args.code))
    if args.warehouse is not None:
        os.environ["MTEB_LB_WAREHOUSE"] = str(args.warehouse.resolve())

    from mteb_lb import warehouse

    try:
        build = warehouse.current_build()
    except warehouse.WarehouseError as exc:
        print(f"no published build: {exc}")
        return 0
    results: dict[str, object] = {"build": build.name}
    out = sys.stderr if args.json else sys.stdout
    print(f"build {build.name}", file=out)

    if args.filters_only:
        args.start_runs = 0
    start = time_start(args.start_runs, args.code) or [float("nan")]
    results["app start to serving (s)"] = {"median": statistics.median(start),
                                           "runs": start}
    print(f"app start to serving: median {statistics.median(start):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in start)})", file=out)

    from app.components import menu_order
    from app.main import create_app, prewarm_rankings
    from mteb_lb import settings
    from mteb_lb.rankings import leaderboard

    app = create_app(prewarm=False)
    client = Client(app)
    lbpage = sys.modules["app.pages.leaderboard"]
    lb = leaderboard()
    print(f"code {args.code}; DuckDB threads {settings.get('sql_threads')}, OpenBLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}", file=out)
    gc.collect()
    gc.freeze()   # as deploy/gunicorn.conf.py after a worker's warm-up

    if args.filters_only:
        if args.prewarm:
            prewarm_rankings()
        return filter_section(args, client, lbpage, lb, results, out)

    # default page
    cold, size, _ = client.post(routing_body(client))
    warm = [client.post(routing_body(client))[0] for _ in range(args.repeat)]
    results["default page data (ms)"] = {"cold": cold * 1000, "warm median": median_ms(warm),
                                         "response bytes": size}
    print(f"default page data:    cold {cold * 1000:.0f} ms, warm median {median_ms(warm):.0f} "
          f"ms ({size / 1024:.0f} KiB response)", file=out)

    # benchmark switch
    menu = lb.menu()
    order = menu_order(menu)
    buttons = order + sorted(set(lb.benchmarks()) - set(order))
    default = menu.get("default_benchmark") or order[0]
    targets = [b for b in order if b != default][: args.switches]
    current, cold_switch, per_bench = default, [], {}
    for target in targets:
        t, nbytes, _ = client.post(switch_body(client, lbpage, buttons, current, target))
        cold_switch.append(t)
        per_bench[target] = round(t * 1000, 1)
        current = target
    warm_switch = []
    for _ in range(max(1, args.repeat // 2)):
        for target in targets:
            warm_switch.append(client.post(switch_body(client, lbpage, buttons, current,
                                                        target))[0])
            current = target
    prewarm_started = time.perf_counter()
    n_prewarmed = prewarm_rankings()
    prewarm_s = time.perf_counter() - prewarm_started
    rest = [b for b in order if b not in targets and b != default][: args.switches]
    after_prewarm = []
    for target in rest or targets:
        after_prewarm.append(client.post(switch_body(client, lbpage, buttons, current,
                                                     target))[0])
        current = target
    results["benchmark switch (ms)"] = {
        "cold median": median_ms(cold_switch), "cached median": median_ms(warm_switch),
        "after prewarm median (other benchmarks)": median_ms(after_prewarm),
        "prewarm seconds": prewarm_s, "prewarmed benchmarks": n_prewarmed,
        "cold per benchmark": per_bench}
    print(f"benchmark switch:     cold median {median_ms(cold_switch):.0f} ms over "
          f"{len(cold_switch)} benchmarks; cached median {median_ms(warm_switch):.0f} ms; "
          f"after the prewarm ({n_prewarmed} benchmarks in {prewarm_s:.1f} s) median "
          f"{median_ms(after_prewarm):.0f} ms over {len(after_prewarm)} others", file=out)

    return filter_section(args, client, lbpage, lb, results, out, default)


def _cold_filters(client, lbpage, cases, rankings_only, rankings_cpu):
    """Each filter change's first request in this process, then its deferred statistics:
    the cold figures (seconds) and per filter (request, rankings alone, request CPU[, deferred
    statistics, their CPU]) in ms."""
    cold, per_filter, fills, cpu, fill_cpu, own, own_cpu = [], {}, [], [], [], [], []
    for name, state in cases:
        t, _, data = client.post(view_body(client, lbpage, state))
        cold.append(t)
        cpu.append(client.cpu)
        own.append(t - rankings_only[name])
        own_cpu.append(client.cpu - rankings_cpu[name])
        per_filter[name] = (round(t * 1000, 1), round(rankings_only[name] * 1000, 1),
                            round(client.cpu * 1000, 1))
        key = data.get("response", {}).get(lbpage.VIEW_KEY, {}).get("data")
        body = fill_body(client, lbpage, state, key) if key else None
        if body is not None:   # then the deferred statistics, as the page asks for them
            fill = client.post(body)[0]
            fills.append(fill)
            fill_cpu.append(client.cpu)
            per_filter[name] += (round(fill * 1000, 1), round(client.cpu * 1000, 1))
    return cold, per_filter, fills, cpu, fill_cpu, own, own_cpu


def _filter_run(args, fbench: str) -> dict[str, tuple]:
    """One fresh process's cold filter changes after the app's prewarm (this script with
    --filters-only --prewarm): per filter (request, rankings alone, request CPU, rankings
    alone CPU[, deferred statistics, their CPU]) in ms."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--filters-only", "--prewarm",
           "--filter-runs", "1", "--json", "--repeat", "1", "--code", str(args.code),
           "--filter-benchmark", fbench]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    found = json.loads(proc.stdout)["filter change (ms)"]
    per_filter = next(v for k, v in found.items() if k.startswith("cold per filter"))
    return {name: (*v[:3], found["rankings alone CPU per filter"][name], *v[3:])
            for name, v in per_filter.items()}


def filter_section(args, client, lbpage, lb, results, out, default=None) -> int:
    """The filter changes, the payload and the #16 target lines (the end of main)."""
    default = default or lb.menu().get("default_benchmark")
    # filter change
    fbench = args.filter_benchmark or default
    cases = filter_states(fbench, lb)
    if args.filter_runs > 1:   # the cold requests in fresh processes: their medians
        runs = [_filter_run(args, fbench) for _ in range(args.filter_runs)]
        medians = {name: [round(statistics.median(r[name][i] for r in runs), 1)
                          for i in range(min(len(r[name]) for r in runs))]
                   for name, _state in cases}
        rankings_only = {name: v[1] / 1000 for name, v in medians.items()}
        rankings_cpu = {name: v.pop(3) / 1000 for name, v in medians.items()}
        per_filter = {name: tuple(v) for name, v in medians.items()}
        cold_filter = [v[0] / 1000 for v in per_filter.values()]
        cpu = [v[2] / 1000 for v in per_filter.values()]
        own = [v[0] / 1000 - rankings_only[n] for n, v in per_filter.items()]
        own_cpu = [v[2] / 1000 - rankings_cpu[n] for n, v in per_filter.items()]
        fills = [v[3] / 1000 for v in per_filter.values() if len(v) > 3]
        fill_cpu = [v[4] / 1000 for v in per_filter.values() if len(v) > 3]
        for _name, state in cases:   # this process's cache, for the cached figure below
            client.post(view_body(client, lbpage, state))
        results["filter runs"] = {name: [r[name][0] for r in runs] for name in per_filter}
    else:
        # the rankings alone, cold, on a fresh Leaderboard (its own cache): what the app waits for
        from mteb_lb.rankings import Leaderboard

        fresh = Leaderboard(lb.handle)
        fresh.options(fbench)
        fresh.summary(fbench)            # the state the app is in before a filter change
        rankings_only, rankings_cpu = {}, {}
        for name, state in cases:
            started, cpu0 = time.perf_counter(), _cpu()
            fresh.summary(state.benchmark, state.filters())
            if state.view == "per-task":
                fresh.per_task(state.benchmark, state.filters())
            rankings_only[name] = time.perf_counter() - started
            rankings_cpu[name] = _cpu() - cpu0
        (cold_filter, per_filter, fills, cpu, fill_cpu, own,
         own_cpu) = _cold_filters(client, lbpage, cases, rankings_only, rankings_cpu)
    warm_filter = []
    for _ in range(args.repeat):
        for _name, state in cases:
            warm_filter.append(client.post(view_body(client, lbpage, state))[0])
    results["filter change (ms)"] = {
        "benchmark": fbench, "cold median": median_ms(cold_filter),
        "rankings alone cold median": median_ms(list(rankings_only.values())),
        "cached median": median_ms(warm_filter),
        "cold CPU median": median_ms(cpu),
        "rankings alone cold CPU median": median_ms(list(rankings_cpu.values())),
        "request minus rankings alone: median": median_ms(own),
        "request minus rankings alone: CPU median": median_ms(own_cpu),
        "cold per filter (request, rankings alone, request CPU[, deferred statistics, its "
        "CPU])": per_filter,
        "deferred statistics cold median": median_ms(fills),
        "deferred statistics cold CPU median": median_ms(fill_cpu),
        "rankings alone CPU per filter": {n: round(c * 1000, 1) for n, c in rankings_cpu.items()}}
    runs_note = (f" (each filter: the median of {args.filter_runs} fresh processes)"
                 if args.filter_runs > 1 else "")
    print(f"filter change:        cold median {median_ms(cold_filter):.0f} ms over "
          f"{len(cold_filter)} filters on {fbench}{runs_note} (the rankings alone: median "
          f"{median_ms(list(rankings_only.values())):.0f} ms); cached median "
          f"{median_ms(warm_filter):.0f} ms", file=out)
    print(f"  process CPU time of the cold requests: median {median_ms(cpu):.0f} ms (the "
          f"rankings alone: {median_ms(list(rankings_cpu.values())):.0f} ms)", file=out)
    print(f"  the request minus the rankings alone (the dashboard's own work): median "
          f"{median_ms(own):.0f} ms, CPU {median_ms(own_cpu):.0f} ms", file=out)
    if fills:
        print(f"  then the deferred statistics (interval column / spread tooltips, a second "
              f"request): cold median {median_ms(fills):.0f} ms, CPU "
              f"{median_ms(fill_cpu):.0f} ms", file=out)
    for name, (ms, ranking_ms, cpu_ms, *fill) in per_filter.items():
        print(f"    {name:<28} {ms:8.1f} ms cold request ({cpu_ms:6.1f} CPU), {ranking_ms:8.1f}"
              " ms rankings alone" + (f", {fill[0]:8.1f} ms deferred statistics ({fill[1]:6.1f}"
                                      " CPU)" if fill else ""), file=out)

    # payload
    from mteb_lb import lbstate

    payload = {}
    if MULTILINGUAL in lb.benchmarks():
        _, _, data = client.post(view_body(client, lbpage,
                                           lbstate.LeaderboardState(benchmark=MULTILINGUAL)))
        grid = data["response"][lbpage.GRID]
        payload = {"rowData bytes": len(json.dumps(grid["rowData"], separators=(",", ":"))),
                   "columnDefs bytes": len(json.dumps(grid["columnDefs"],
                                                      separators=(",", ":"))),
                   "rows": len(grid["rowData"])}
        total = payload["rowData bytes"] + payload["columnDefs bytes"]
        payload["total bytes"] = total
        print(f"summary grid payload for {MULTILINGUAL}: {total / 1024:.0f} KiB "
              f"({payload['rows']} rows; rowData {payload['rowData bytes'] / 1024:.0f} KiB, "
              f"columnDefs {payload['columnDefs bytes'] / 1024:.0f} KiB)", file=out)
    results["summary payload"] = payload

    worst = max(cold_filter) * 1000 if cold_filter else float("nan")
    print(f"target #16: filter change cold median <= 50 ms: {median_ms(cold_filter):.0f} ms "
          f"({50 / median_ms(cold_filter):.2f}x of target), every filter <= 100 ms: worst "
          f"{worst:.0f} ms ({'met' if worst <= 100 else 'NOT met'})", file=out)
    results["filter change (ms)"]["worst cold"] = worst
    print("targets: benchmark switch <= 150 ms median, summary payload "
          "<= 1 MB, start <= 3 s", file=out)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
