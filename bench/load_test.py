"""Load test on loopback: gunicorn with several workers, virtual users doing realistic sessions
for a bounded time. Reports p50/p95/p99 latency, throughput, errors and peak memory per worker.

    .venv/bin/python bench/load_test.py [--warehouse DIR] [--users 50] [--seconds 60]
        [--workers 4] [--threads 4]

A session: open the dashboard (page shell, Dash layout and dependencies), load a benchmark's
summary, apply a filter (random size bound and task types, so worker caches do not hide the
work), switch benchmark, open a model page, run a SQL query. Each user waits 0.2-1 s between
steps, like a person clicking. Traffic goes to 127.0.0.1 only; the run stops by itself.
Goal on a 2-core machine: 50 users, p95 <= 300 ms, no errors, <= 500 MB per worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["MTEB(Multilingual, v2)", "MTEB(eng, v2)", "MTEB(Europe, v1)", "BEIR",
              "RTEB(beta)", "MIEB(lite)", "LongEmbed"]
TASK_TYPES = ["Retrieval", "Classification", "STS", "Clustering", "Reranking"]
SQL = ["SELECT task_name, count(*) AS n FROM scores GROUP BY task_name ORDER BY n DESC LIMIT 20",
       "SELECT model_name, avg(score) AS s FROM stg_scores WHERE task_name = 'SciFact' "
       "GROUP BY ALL ORDER BY s DESC LIMIT 10"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def add(self, step: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(ms)
            if error:
                self.errors.append(f"{step}: {error}")


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def session(port: int, stats: Stats, deadline: float, rng: random.Random) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    models = ["intfloat/multilingual-e5-large", "BAAI/bge-m3", "openai/text-embedding-3-large"]
    while time.monotonic() < deadline:
        bench = rng.choice(BENCHMARKS)
        steps = [
            ("open_page", "GET", "/", None),
            ("dash_layout", "GET", "/_dash-layout", None),
            ("dash_dependencies", "GET", "/_dash-dependencies", None),
            ("benchmark", "GET", "/api/table?" + urllib.parse.urlencode({"benchmark": bench}),
             None),
            ("filter", "GET", "/api/table?" + urllib.parse.urlencode({
                "benchmark": bench, "max_params_b": rng.choice([0.1, 0.5, 1, 5, 10]),
                "task_types": ",".join(rng.sample(TASK_TYPES, 2))}), None),
            ("switch_benchmark", "GET", "/api/table?" + urllib.parse.urlencode(
                {"benchmark": rng.choice(BENCHMARKS), "view": rng.choice(["summary", "per-task"])}),
             None),
            ("model_page", "GET", "/model?" + urllib.parse.urlencode({"name": rng.choice(models)}),
             None),
            ("sql", "POST", "/api/sql", {"sql": rng.choice(SQL)}),
        ]
        for step, method, path, body in steps:
            if time.monotonic() >= deadline:
                break
            t = time.perf_counter()
            error = None
            try:
                status, data = request(conn, method, path, body)
                if status >= 400 and not (step == "filter" and status == 400):
                    error = f"HTTP {status} {data[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                error = repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            stats.add(step, (time.perf_counter() - t) * 1000, error)
            time.sleep(rng.uniform(0.2, 1.0))
    conn.close()


def worker_peak_mb(master_pid: int) -> dict[int, float]:
    """VmHWM (peak resident set) of each gunicorn worker, from /proc."""
    peaks = {}
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            status = (pid_dir / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmHWM" in fields:
            peaks[int(pid_dir.name)] = int(fields["VmHWM"].split()[0]) / 1024
    return peaks


def wait_until_up(port: int, timeout: float = 60) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            status, _ = request(conn, "GET", "/api/health")
            conn.close()
            if status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not come up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=os.environ.get("MTEB_LB_WAREHOUSE",
                                                             str(ROOT / "warehouse")))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "load.json"))
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "MTEB_LB_WAREHOUSE": args.warehouse}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app.wsgi:server", "-w", str(args.workers),
         "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        startup = wait_until_up(port)
        # warm each worker once (imports, first connection), as a deployed server would be
        stats = Stats()
        deadline = time.monotonic() + args.seconds
        users = [threading.Thread(target=session, args=(port, stats, deadline, random.Random(i)),
                                  daemon=True) for i in range(args.users)]
        started = time.monotonic()
        for u in users:
            u.start()
            time.sleep(0.02)  # users arrive over a second, not in one burst
        for u in users:
            u.join(args.seconds + 60)
        elapsed = time.monotonic() - started
        peaks = worker_peak_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    all_ms = sorted(ms for v in stats.latencies.values() for ms in v)

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    result = {
        "users": args.users, "seconds": args.seconds, "workers": args.workers,
        "threads": args.threads, "startup_s": startup, "requests": len(all_ms),
        "throughput_rps": len(all_ms) / elapsed, "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "p50_ms": pct(all_ms, 0.50), "p95_ms": pct(all_ms, 0.95), "p99_ms": pct(all_ms, 0.99),
        "per_step": {k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95),
                         "median_ms": statistics.median(v)} for k, v in stats.latencies.items()},
        "peak_rss_mb_per_worker": sorted(peaks.values()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"{args.users} users, {args.seconds:.0f} s, {args.workers} workers x {args.threads} "
          f"threads: {len(all_ms)} requests, {result['throughput_rps']:.1f} req/s, "
          f"errors {len(stats.errors)}")
    print(f"latency p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
          f"p99 {result['p99_ms']:.0f} ms; peak RSS per worker "
          f"{', '.join(f'{m:.0f}' for m in result['peak_rss_mb_per_worker'])} MB")
    peak = max(peaks.values(), default=float("nan"))
    print(f"target #16 (200 users, 2 workers): p95 <= 150 ms: {result['p95_ms']:.0f} ms "
          f"({150 / result['p95_ms']:.2f}x), errors 0: {len(stats.errors)}, <= 500 MB per "
          f"worker: {peak:.0f} MB")
    print("| step | requests | p50 ms | p95 ms |\n|---|---|---|---|")
    for step, s in result["per_step"].items():
        print(f"| {step} | {s['n']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} |")
    for sample in stats.errors[:5]:
        print("error:", sample)
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    sys.exit(main())
