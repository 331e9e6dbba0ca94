"""Serving: the prewarm path of `app.main` and the app under gunicorn with two workers, against
the app fixture warehouse (tests/warehouses.py)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from warehouses import DEFAULT, MODELS, OTHER

PROJECT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------
# prewarm
# --------------------------------------------------------------------------------------------

@pytest.fixture
def summaries(monkeypatch):
    """The benchmarks whose default summary was computed, in order."""
    from mteb_lb import rankings

    seen = []
    original = rankings.Leaderboard.summary

    def summary(self, name, *args, **kwargs):
        seen.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(rankings.Leaderboard, "summary", summary)
    return seen


def test_prewarm_computes_every_benchmark_default_first(dash_app, env, summaries):
    from app.main import prewarm_rankings

    # the menu's default benchmark first, then the menu order (Tiny, then Other under "More")
    assert prewarm_rankings() == 2
    assert summaries == [DEFAULT, OTHER]


def test_prewarm_leaves_the_per_task_cells_to_their_first_state(dash_app, env, summaries):
    """The default board's spread tooltips and flag marks are not prewarmed (their query
    peaked at ~180 MB of a worker's 500): after the prewarm they are not cached."""
    from app.main import prewarm_rankings
    from mteb_lb.rankings import leaderboard

    leaderboard()._cache.clear()   # nothing left from other tests
    prewarm_rankings()
    assert leaderboard().task_spread(DEFAULT, compute=False) is None
    assert leaderboard().task_flags(DEFAULT, compute=False) is None


def test_prewarm_stops_when_asked(dash_app, env, summaries):
    from app.main import prewarm_rankings

    stop = threading.Event()
    stop.set()
    assert prewarm_rankings(stop=stop) == 0
    assert summaries == []


def test_prewarm_without_a_build_does_nothing(no_build, summaries, caplog):
    from app.main import prewarm_rankings

    assert prewarm_rankings() == 0
    assert summaries == []
    assert "prewarm skipped: no readable build" in caplog.text


def test_prewarm_starts_once_on_the_first_request(env, monkeypatch):
    """create_app(prewarm=True) starts one background thread on the first request, none on
    the next ones, and registers its stop at exit."""
    import app.main as main

    calls, at_exit = [], []
    done = threading.Event()

    def fake_prewarm(stop=None):
        calls.append(threading.current_thread().name)
        done.set()
        return 0

    monkeypatch.setattr(main, "prewarm_rankings", fake_prewarm)
    monkeypatch.setattr(main.atexit, "register", at_exit.append)
    client = main.create_app(prewarm=True).server.test_client()
    assert calls == [] and at_exit == []               # nothing before a request
    for _ in range(3):
        assert client.get("/api/health").status_code == 200
    assert done.wait(30)
    assert calls == ["lb-prewarm"] and len(at_exit) == 1
    at_exit[0]()                                        # stops and joins the thread


# --------------------------------------------------------------------------------------------
# gunicorn, two workers
# --------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gunicorn_two_workers_serve_pages_and_the_api(app_warehouse, tmp_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        gunicorn = shutil.which("gunicorn")
    assert gunicorn, "gunicorn is installed with the `serve` extra (bin/test installs it)"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "access.log"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "MTEB_LB_WAREHOUSE": str(app_warehouse), "MTEB_LB_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen(
        [str(gunicorn), "app.wsgi:server", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(U)s %(s)s",
         "--timeout", "60"],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                if _get(base + "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 90 s"
            time.sleep(0.2)

        deadline = time.monotonic() + 60
        paths = ["/", "/?tab=per-task", "/compare", "/status", "/sql",
                 f"/api/table?benchmark={DEFAULT}", "/api/health"]
        served: dict[str, set[str]] = {}     # path -> worker pids that answered it

        def log_pids() -> None:
            for line in log.read_text().splitlines() if log.exists() else []:
                pid, path, status = line.split(" ")
                if status == "200":
                    served.setdefault(path, set()).add(pid)

        while True:  # concurrent rounds until both workers have served a page and the API
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda p: (p, *_get(base + p)), paths * 2))
            for path, status, body in answers:
                assert status == 200, (path, body[:300])
                if path.startswith("/api/table"):
                    table = json.loads(body)
                    rows = [dict(zip(table["columns"], r)) for r in table["rows"]]
                    # the hand-derived default order (tests/test_cli_commands.py)
                    assert [r["Model"] for r in rows] == [
                        "org-a/big-open", "org-b/proprietary-api", "org-b/cross",
                        "org-a/small-open", "org-c/partial", "org-c/sparse-one"]
                    assert len(rows) == len(MODELS)
                elif path.startswith("/") and not path.startswith("/api"):
                    assert b"_dash-config" in body     # a Dash page
            log_pids()
            workers = set().union(*served.values()) if served else set()
            if len(workers) == 2 and len(served.get("/", set())) == 2 \
                    and len(served.get("/api/table", set())) == 2:
                break
            assert time.monotonic() < deadline, f"both workers never answered: {served}"
        assert len(workers) == 2
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0
