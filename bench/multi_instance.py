"""Two app instances serve one published build while the ETL publishes the next one.

    .venv/bin/python bench/multi_instance.py --results /path/holding/results

Builds a warehouse from a hard-linked copy of the results, starts two gunicorn instances on
different loopback ports, keeps clients requesting tables and health from both, changes one
result file and runs an incremental build. Passes when every request succeeded and both instances
moved to the new build without a restart. Prints the figures and exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import free_port, request, wait_until_up  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def etl(repo: Path, warehouse: Path, *extra: str) -> None:
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(warehouse)}
    subprocess.run([sys.executable, "-c",
                    "import sys; from mteb_lb.cli import main; sys.exit(main())",
                    "etl", "--source", str(repo), *extra], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def client(port: int, stop: threading.Event, log: list, lock: threading.Lock) -> None:
    paths = ["/api/health", "/api/table?benchmark=MTEB%28eng%2C+v2%29",
             "/api/table?benchmark=BEIR&view=per-task"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        try:
            status, _counts, data = request(conn, "GET", path)
            build = json.loads(data).get("build") if status == 200 else None
            entry = (time.monotonic(), port, path, status, build)
        except (OSError, http.client.HTTPException) as exc:
            entry = (time.monotonic(), port, path, repr(exc), None)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            log.append(entry)
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.environ.get("MTEB_LB_REAL_RESULTS"))
    args = parser.parse_args()
    if not args.results:
        print("pass --results DIR (a folder holding results/)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="mteb-lb-multi-"))
    repo, warehouse = work / "repo", work / "warehouse"
    servers = []
    try:
        subprocess.run(["cp", "-al", str(Path(args.results).resolve()), str(repo)], check=True)
        t = time.monotonic()
        etl(repo, warehouse, "--full")
        print(f"initial build: {time.monotonic() - t:.1f} s")
        ports = [free_port(), free_port()]
        env = {**os.environ, "MTEB_LB_WAREHOUSE": str(warehouse)}
        for port in ports:
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "app.wsgi:server", "-w", "1", "--threads", "4",
                 "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env))
        for port in ports:
            wait_until_up(port)
        log, lock, stop = [], threading.Lock(), threading.Event()
        threads = [threading.Thread(target=client, args=(p, stop, log, lock), daemon=True)
                   for p in ports for _ in range(2)]
        for th in threads:
            th.start()
        time.sleep(3)
        first_build = (warehouse / "current").resolve().name
        # an upstream change: one result file gets a new score (new inode; the original stays)
        target = next((repo / "results").glob("*/*/SciFact.json"))
        data = json.loads(target.read_text())
        data["evaluation_time"] = 12345.0
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, target)
        t = time.monotonic()
        etl(repo, warehouse)
        publish_s = time.monotonic() - t
        published_at = time.monotonic()
        second_build = (warehouse / "current").resolve().name
        time.sleep(5)
        stop.set()
        for th in threads:
            th.join(10)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)

    failed = [e for e in log if e[3] != 200]
    after = [e for e in log if e[0] > published_at + 1 and e[4] is not None]
    switched = {port: {e[4] for e in after if e[1] == port} == {second_build} for port in ports}
    builds_seen = sorted({e[4] for e in log if e[4]})
    print(f"requests: {len(log)} over both instances, failed: {len(failed)}")
    print(f"incremental build published in {publish_s:.1f} s: {first_build} -> {second_build}")
    print(f"builds seen by clients: {builds_seen}")
    print(f"both instances on the new build within 1 s of the publish: {switched}")
    for e in failed[:5]:
        print("failed:", e)
    ok = not failed and first_build != second_build and all(switched.values())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
