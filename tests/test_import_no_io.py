"""Importing the project does no file, database or process I/O (the warehouse is opened lazily,
on the first request or command), so `gunicorn app.wsgi:server` forks workers that share
nothing and an import never fails for want of a warehouse.

Every module of the project's packages is imported afresh in a subprocess whose file, directory,
DuckDB and subprocess entry points are wrapped: a call counts as the project's I/O when the
nearest caller outside the standard library is a project file (so the libraries' own import-time
reads, like Dash walking the pages folder it is given, do not count; the project reading a file
through `pathlib` or `json` does). `Path.stat` is not wrapped: `Path(__file__).resolve()`, which
locates the project's own folders, calls it. The libraries the project imports are imported before
the wrappers go in, by a first subprocess that lists them.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("mteb_lb", "etl", "app", "queries")

LIST_LIBRARIES = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
project = tuple(json.loads(sys.argv[2]))
print(json.dumps(sorted(m for m in list(sys.modules) if m.split(".")[0] not in project)))
"""

WATCH_IMPORTS = r"""
import builtins, importlib, io, json, os, os.path, pathlib, subprocess, sys, sysconfig
modules, project, libraries, root = (json.loads(a) for a in sys.argv[1:5])
for name in libraries:
    try:  # some library modules only import in their own context (e.g. __main__): their
        importlib.import_module(name)  # import-time I/O would not count anyway (not project code)
    except Exception:
        pass
import duckdb

STDLIB = (sysconfig.get_paths()["stdlib"], "<frozen")
ROOT = root.rstrip("/") + "/"
PROJECT_DIRS = tuple(ROOT + p + "/" for p in project)
calls = []

def watch(owner, attr):
    original = getattr(owner, attr)
    label = f"{getattr(owner, '__name__', owner)}.{attr}"

    def watched(*args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(STDLIB):
            frame = frame.f_back
        if frame is not None and frame.f_code.co_filename.startswith(PROJECT_DIRS):
            calls.append(f"{label}{tuple(str(a) for a in args)!r} from "
                         f"{frame.f_code.co_filename[len(ROOT):]}:{frame.f_lineno}")
        return original(*args, **kwargs)

    setattr(owner, attr, watched)

for owner, attrs in ((builtins, ["open"]), (io, ["open", "open_code"]),
                     (os, ["open", "scandir", "listdir", "walk"]),
                     (os.path, ["exists", "isdir", "isfile", "getsize", "getmtime"]),
                     (pathlib.Path, ["open", "read_text", "read_bytes", "write_text",
                                     "write_bytes", "iterdir", "glob", "rglob", "exists",
                                     "is_dir", "is_file", "mkdir", "touch"]),
                     (duckdb, ["connect"]), (subprocess, ["Popen", "run"])):
    for attr in attrs:
        watch(owner, attr)

for name in modules:
    importlib.import_module(name)
sys.stdout.write(json.dumps(calls))
"""


def project_modules() -> list[str]:
    """Every module of the project, in an order that imports: the pages register themselves
    with Dash, which needs the app first (app.wsgi builds it)."""
    out = []
    for package in PACKAGES:
        out.append(package)
        out += [m.name for m in pkgutil.walk_packages([str(PROJECT / package)], package + ".")]
    return sorted(out, key=lambda m: (m.startswith("app.pages."), m))


def _python(code: str, *args, tmp_path, pythonpath: Path | None = None) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "MTEB_LB_WAREHOUSE": str(tmp_path / "no-warehouse"),
           "MTEB_LB_CACHE": str(tmp_path / "no-cache")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_project_module_is_listed():
    modules = project_modules()
    for expected in ("mteb_lb.cli", "mteb_lb.safe_sql", "etl.build", "app.main", "app.wsgi",
                     "app.pages.leaderboard", "queries"):
        assert expected in modules


def test_import_does_no_io(tmp_path):
    modules = project_modules()
    libraries = json.loads(_python(LIST_LIBRARIES, json.dumps(modules), json.dumps(PACKAGES),
                                   tmp_path=tmp_path))
    assert "dash" in libraries and "duckdb" in libraries
    calls = json.loads(_python(WATCH_IMPORTS, json.dumps(modules), json.dumps(PACKAGES),
                               json.dumps(libraries), json.dumps(str(PROJECT)),
                               tmp_path=tmp_path))
    assert calls == []


def test_the_watch_sees_project_io(tmp_path):
    """The detector itself: a project module that reads a file at import is caught, through
    pathlib as through open."""
    root = tmp_path / "project"
    (root / "probe").mkdir(parents=True)
    (root / "probe" / "__init__.py").write_text("")
    (root / "probe" / "reads.py").write_text(
        "from pathlib import Path\n"
        "TEXT = Path(__file__).read_text()\n"
        "with open(__file__) as fh:\n"
        "    LINES = fh.readlines()\n")
    calls = json.loads(_python(WATCH_IMPORTS, json.dumps(["probe", "probe.reads"]),
                               json.dumps(["probe"]), json.dumps([]), json.dumps(str(root)),
                               tmp_path=tmp_path, pythonpath=root))
    assert [c.split("(")[0] for c in calls] == ["Path.read_text", "builtins.open"]
    assert [c.rsplit(" from ", 1)[1] for c in calls] == ["probe/reads.py:2", "probe/reads.py:3"]
