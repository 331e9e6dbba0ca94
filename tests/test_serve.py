"""`mteb-lb serve` in a real process: a production WSGI server (waitress), quiet unless asked."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _serve(warehouse: Path, *extra: str, port: int | None = None
           ) -> tuple[dict[str, tuple[int, bytes]], str]:
    """Start `mteb-lb serve`, GET /api/health and /, stop it; the answers and its stderr."""
    port = port or _free_port()
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(warehouse)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mteb_lb.cli", "serve", "--port", str(port), "--no-prewarm",
         *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()
            try:
                health = _get(base + "/api/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "mteb-lb serve did not answer within 60 s"
                time.sleep(0.1)
        answers = {"/api/health": health, "/": _get(base + "/")}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return answers, err.decode()


def test_serve_answers_with_a_production_server_and_no_access_log(app_warehouse):
    answers, stderr = _serve(app_warehouse)
    status, body = answers["/api/health"]
    build = (app_warehouse / "current").resolve().name
    assert status == 200
    assert json.loads(body)["status"] == "ok" and json.loads(body)["build"] == build
    status, body = answers["/"]
    assert status == 200 and b"<title>MTEB Leaderboard</title>" in body
    assert f"serving build {build}" in stderr
    assert "development server" not in stderr.lower()
    assert "GET /" not in stderr   # no access log unless asked


def test_serve_access_log_on_request(app_warehouse):
    answers, stderr = _serve(app_warehouse, "--access-log")
    assert answers["/api/health"][0] == 200
    lines = [line for line in stderr.splitlines() if '"GET ' in line]
    assert len(lines) == 2
    assert '"GET /api/health HTTP/1.1" 200 ' in lines[0]
    assert '"GET / HTTP/1.1" 200 ' in lines[1]
    assert lines[0].startswith("127.0.0.1 - - [")


def test_serve_says_where_the_dashboard_is(app_warehouse):
    port = _free_port()
    _, stderr = _serve(app_warehouse, port=port)
    assert f"dashboard: http://127.0.0.1:{port}/ (Ctrl+C stops it)" in stderr.splitlines()
