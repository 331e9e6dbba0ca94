"""deploy/gunicorn.conf.py: every name in it is a gunicorn setting (gunicorn ignores a misspelt
one silently), it caps DuckDB's memory per worker unless the environment says otherwise, and
gunicorn serves the app with it: each worker's connection has the 256MB limit."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
CONF = PROJECT / "deploy" / "gunicorn.conf.py"
gunicorn_config = pytest.importorskip("gunicorn.config")


def _exec_conf() -> dict:
    namespace: dict = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)
    return namespace


def test_every_setting_name_is_one_gunicorn_knows(monkeypatch):
    # the conf sets MTEB_LB_SQL_MEMORY_LIMIT when unset: restore it, or every later test of the
    # session runs with 256MB (test_sql_hardening's 93 MB list then fails)
    for var in ("MTEB_LB_SQL_MEMORY_LIMIT", "MTEB_LB_SQL_THREADS", "MTEB_LB_SQL_CONCURRENCY",
                "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(var, "unset")
        monkeypatch.delenv(var)
    known = set(gunicorn_config.Config().settings)
    names = {k for k, v in _exec_conf().items()
             if not k.startswith("_") and k.islower() and not isinstance(v, types.ModuleType)}
    assert names - known == set()
    assert {"workers", "threads", "preload_app", "keepalive", "post_fork"} <= names


def test_the_values_a_two_core_machine_gets(monkeypatch):
    # set first, so that monkeypatch restores the environment the conf changes (unset or not)
    for var in ("MTEB_LB_SQL_MEMORY_LIMIT", "MTEB_LB_SQL_THREADS", "MTEB_LB_SQL_CONCURRENCY",
                "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(var, "unset")
        monkeypatch.delenv(var)
    conf = _exec_conf()
    assert (conf["workers"], conf["threads"], conf["preload_app"]) == (2, 4, True)
    assert os.environ["MTEB_LB_SQL_MEMORY_LIMIT"] == "256MB"
    assert os.environ["MTEB_LB_SQL_THREADS"] == "1"   # one DuckDB thread per worker
    assert os.environ["MTEB_LB_SQL_CONCURRENCY"] == "1"   # one ranking query at a time
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"


@pytest.mark.parametrize("given, expected", [(None, "system"), ("mimalloc", "mimalloc")])
def test_a_worker_allocates_arrow_with_glibc_unless_told(tmp_path, given, expected):
    # a fresh process, as a worker is: pyarrow picks its pool when imported, after the conf
    code = (f"exec(open({str(CONF)!r}).read()); import pyarrow; "
            "print(pyarrow.default_memory_pool().backend_name)")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           **({"ARROW_DEFAULT_MEMORY_POOL": given} if given else {})}
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == expected, out.stderr[-2000:]


def test_explicit_duckdb_threads_win(monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "unset")   # restored after: the conf sets it
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    monkeypatch.setenv("MTEB_LB_SQL_MEMORY_LIMIT", "unset")   # restored after: the conf sets it
    monkeypatch.delenv("MTEB_LB_SQL_MEMORY_LIMIT")
    monkeypatch.setenv("MTEB_LB_SQL_THREADS", "2")
    monkeypatch.setenv("MTEB_LB_SQL_CONCURRENCY", "0")   # no cap, as a deployment may ask
    _exec_conf()
    assert os.environ["MTEB_LB_SQL_THREADS"] == "2"
    assert os.environ["MTEB_LB_SQL_CONCURRENCY"] == "0"


def test_an_explicit_memory_limit_wins(monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "unset")   # restored after: the conf sets it
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    for var in ("MTEB_LB_SQL_THREADS", "MTEB_LB_SQL_CONCURRENCY"):
        monkeypatch.setenv(var, "unset")
        monkeypatch.delenv(var)
    monkeypatch.setenv("MTEB_LB_SQL_MEMORY_LIMIT", "1GB")
    _exec_conf()
    assert os.environ["MTEB_LB_SQL_MEMORY_LIMIT"] == "1GB"


def test_the_workers_share_a_frames_folder_the_server_removes(monkeypatch, tmp_path):
    for var in ("MTEB_LB_SQL_MEMORY_LIMIT", "MTEB_LB_SQL_THREADS", "MTEB_LB_SQL_CONCURRENCY",
                "ARROW_DEFAULT_MEMORY_POOL"):
        monkeypatch.setenv(var, "unset")       # restored after the test: the conf sets them
        monkeypatch.delenv(var)
    monkeypatch.setenv("MTEB_LB_SHARED_FRAMES_DIR", "")          # restored after the test
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    conf = _exec_conf()
    conf["on_starting"](None)                  # the master, before the workers fork
    (folder,) = tmp_path.glob("mteb-lb-frames-*")
    assert os.environ["MTEB_LB_SHARED_FRAMES_DIR"] == str(folder)
    conf["on_exit"](None)
    assert not folder.exists()
    monkeypatch.setenv("MTEB_LB_SHARED_FRAMES_DIR", str(tmp_path / "mine"))   # given: kept
    conf = _exec_conf()
    conf["on_starting"](None)
    conf["on_exit"](None)
    assert os.environ["MTEB_LB_SHARED_FRAMES_DIR"] == str(tmp_path / "mine")
    assert list(tmp_path.glob("mteb-lb-frames-*")) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_worker_connection_opened_after_the_conf_has_the_limit(app_warehouse, tmp_path):
    # a fresh process, as a worker is: this one may hold the build open with another limit
    code = (f"exec(open({str(CONF)!r}).read()); from mteb_lb import db, warehouse; "
            f"b = warehouse.current_build(); c = db.open_build(b); "
            "print(c.execute(\"SELECT current_setting('memory_limit')\").fetchall()[0][0])")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "MTEB_LB_WAREHOUSE": str(app_warehouse), "MTEB_LB_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True,
                         text=True, timeout=120)
    # 256 MB = 256,000,000 bytes = 244.1 MiB, as DuckDB prints it
    assert out.stdout.strip() == "244.1 MiB", out.stderr[-2000:]


def test_gunicorn_serves_the_app_with_the_conf(app_warehouse, tmp_path):
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
           "MTEB_LB_WAREHOUSE": str(app_warehouse), "MTEB_LB_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "-b", f"127.0.0.1:{port}",
         "app.wsgi:server"], cwd=PROJECT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/table?view=summary",
                                            timeout=30) as response:
                    table = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer within 90 s"
                time.sleep(0.2)
        # the hand-derived default order (tests/test_cli_commands.py)
        assert [dict(zip(table["columns"], r))["Model"] for r in table["rows"]] == [
            "org-a/big-open", "org-b/proprietary-api", "org-b/cross",
            "org-a/small-open", "org-c/partial", "org-c/sparse-one"]
        # a filtered state's frame is queried, and shared with the other worker
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/table?view=summary"
                               "&task_types=Retrieval,STS", timeout=30).read()
        (folder,) = tmp_path.glob("mteb-lb-frames-*")
        assert len(list(folder.glob("*.arrow"))) == 1
    finally:
        server.terminate()
        server.wait(30)
    assert list(tmp_path.glob("mteb-lb-frames-*")) == []   # removed when the server stops
