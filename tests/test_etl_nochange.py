"""A rerun with nothing to build is answered before DuckDB and Arrow load (etl/nochange.py):
the listing is the one the build records (etl/build.py scan), a file whose size or mtime moved
is seen, and when the quick answer cannot be given (no state, a damaged build, another
catalog) the build itself decides as before."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import fixtures as fx
import pytest
import refresh_fixtures as rf

from etl import _fastparse, build, changes, nochange
from mteb_lb import warehouse

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("max_file_bytes")


@pytest.fixture
def small(tmp_path):
    """A published variant build of a folder: (repo, warehouse, catalog, report)."""
    return rf.variant_build(tmp_path)


def check(repo: Path, wh: Path, cat: Path, **kw):
    return nochange.check(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, **kw)


def test_listing_names_what_scan_lists_with_the_same_figures(tmp_path, monkeypatch):
    results = tmp_path / "repo" / "results"
    (results / "org__m" / "rev").mkdir(parents=True)
    (results / "org__m" / "rev" / "Task.json").write_bytes(b"{}")
    (results / "org__m" / "rev" / "caf\u00e9.json").write_bytes(b"[1]")
    (results / "org__m" / ".hidden").mkdir()
    (results / "org__m" / ".hidden" / "x.json").write_bytes(b"{}")
    (results / "org__m" / ".dotfile").write_bytes(b"abc")
    (results / "org__m" / "link.json").symlink_to(results / "org__m" / "rev" / "Task.json")
    (results / "org__m" / "dirlink").symlink_to(results / "org__m" / "rev")
    os.mkfifo(results / "org__m" / "pipe")
    (results / os.fsdecode(b"bad\xffname.json")).write_bytes(b"{}")
    (results / "top.txt").write_bytes(b"hello")

    got = nochange.listing(tmp_path / "repo")

    expected_paths = sorted([
        "results/org__m/rev/Task.json", "results/org__m/rev/caf\u00e9.json",
        "results/org__m/.dotfile",                 # hidden files are listed, folders not
        "results/org__m/link.json", "results/org__m/dirlink",   # links: by their lstat
        "results/org__m/pipe", "results/bad\\xffname.json", "results/top.txt"])
    assert sorted(got) == expected_paths
    st = os.lstat(results / "org__m" / "dirlink")
    assert got["results/org__m/dirlink"] == (st.st_size, st.st_mtime_ns)
    assert got["results/top.txt"][0] == 5
    scanned = {s.path: (s.size, s.mtime_ns)
               for group in build.scan(tmp_path / "repo").values() for s in group}
    assert got == scanned
    # the compiled listing's records are those a build digests from what it recorded, and the
    # Python walk (no compiled extension) lists the same
    assert nochange.compiled_listing(tmp_path / "repo") == nochange.records(scanned)
    # and those a build records, made by Arrow from its table of the files seen
    assert changes.records_of(changes.stats_of(build.scan(tmp_path / "repo"))) \
        == nochange.compiled_listing(tmp_path / "repo")
    assert _fastparse.records_dict(nochange.records(scanned)) == scanned
    for bad in [b"a", b"a\0", b"a\x001\0", b"a\x001\x002", b"a\0x\x002\0"]:
        with pytest.raises(ValueError):
            _fastparse.records_dict(bad)
    monkeypatch.setattr(nochange, "_fastparse", None)
    assert nochange.compiled_listing(tmp_path / "repo") is None
    assert nochange.listing(tmp_path / "repo") == scanned


def test_no_results_folder_is_no_listing(tmp_path):
    assert nochange.listing(tmp_path) is None


def test_a_build_records_the_listing_and_a_rerun_is_answered_from_it(small):
    repo, wh, cat, first = small
    assert nochange.read_records(first.build) == nochange.records(nochange.listing(repo))
    message, build_dir, manifest = check(repo, wh, cat)
    assert message == "no file changed since the current build; nothing published"
    assert build_dir == first.build and manifest["build_id"] == first.build.name
    report = rf.run_build(repo, wh, cat)
    assert not report.published and report.build == first.build
    assert report.message == message
    assert (report.files_seen, report.unchanged) == (first.files_seen, first.files_seen)


def test_the_recorded_digest_is_that_of_the_folder_listed_in_c(small):
    repo, wh, cat, first = small
    recorded = (first.build / nochange.STATE_DIGEST).read_text()
    assert recorded == hashlib.blake2b(nochange.records(nochange.listing(repo)),
                                       digest_size=16).hexdigest()
    assert nochange.records_digest(nochange.compiled_listing(repo)) == recorded


@pytest.mark.parametrize("how", ["bytes", "mtime", "added", "removed", "renamed"])
def test_any_file_change_is_left_to_the_build(small, how):
    repo, wh, cat, first = small
    path = next((repo / "results" / "org__current-model" / fx.SHA_A).glob("*.json"))
    if how == "bytes":
        path.write_bytes(path.read_bytes() + b" ")
    elif how == "mtime":
        fx.bump_mtime(path)
    elif how == "added":
        (path.parent / "New.json").write_bytes(b"{}")
    elif how == "removed":
        path.unlink()
    else:
        path.rename(path.with_name("Renamed.json"))
    recorded = (first.build / nochange.STATE_DIGEST).read_text()
    assert nochange.records_digest(nochange.compiled_listing(repo)) != recorded
    seen: dict = {}
    assert check(repo, wh, cat, seen=seen) is None
    build_dir, found = seen["listing"]   # the build starts from the listing made here
    assert build_dir == first.build and found == nochange.compiled_listing(repo)
    assert nochange.records_of_dict(found) == nochange.listing(repo) \
        != nochange.records_of_dict(nochange.read_records(first.build))


def test_without_its_answer_the_build_decides_as_before(small, tmp_path):
    repo, wh, cat, first = small
    (first.build / nochange.STATE_DIGEST).unlink()        # a build of older code: no digest,
    assert check(repo, wh, cat)[0] == "no file changed since the current build; nothing " \
        "published"                                       # the recorded dict answers
    (first.build / nochange.STATE_DIGEST).write_text("0" * 32)         # another digest
    assert check(repo, wh, cat) is not None
    (first.build / nochange.STATE_CACHE).write_bytes(b"not marshal")   # unreadable state
    assert check(repo, wh, cat) is None
    report = rf.run_build(repo, wh, cat)
    assert not report.published and report.build == first.build
    assert report.message == "no file changed since the current build; nothing published"
    (first.build / nochange.STATE_CACHE).unlink()                      # a build of older code
    assert check(repo, wh, cat) is None
    assert check(repo, wh, cat, full=True) is None


def test_another_catalog_or_a_damaged_build_is_not_unchanged(small, tmp_path):
    repo, wh, cat, first = small
    other = fx.write_catalog(tmp_path / "cat2", tasks=fx.VARIANT_TASKS,
                             benchmarks=[fx.make_benchmark("Variants(v1)",
                                                           ["EmotionClassification"])],
                             models=[fx.make_model("org/current-model", fx.SHA_A)])
    assert check(repo, wh, other) is None
    assert check(repo, wh, cat) is not None
    (first.build / warehouse.DB_FILE).write_bytes(b"\0" * 4096)
    assert check(repo, wh, cat) is None


def _run_unchanged(small, command: str, modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """`mteb-lb COMMAND` on the unchanged folder in a fresh process: its output, and which of
    `modules` it imported; the answer must be "nothing published" with exit code 0."""
    repo, wh, cat, _first = small
    script = ("import json, sys\nfrom mteb_lb.cli import main\n"
              f"code = main([{command!r}, '--source', {str(repo)!r}, '--catalog', {str(cat)!r}])\n"
              f"print(json.dumps([code, sorted(m for m in {modules!r} if m in sys.modules)]))\n")
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(wh)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    code, imported = json.loads(lines[-1])
    assert code == 0
    assert lines[-2] == "no file changed since the current build; nothing published"
    return proc.stdout, imported


def test_the_command_answers_without_loading_duckdb_or_arrow(small):
    _repo, wh, _cat, first = small
    stdout, imported = _run_unchanged(small, "etl", ("duckdb", "pyarrow", "etl.build",
                                                     "mteb_lb.table_cli"))
    assert imported == []
    assert re.search(rf"^files seen:\s+{first.files_seen:,}  every file", stdout, re.M)
    assert warehouse.current_build(wh) == first.build


def test_the_command_still_builds_when_a_file_changed(small):
    repo, wh, cat, first = small
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.42))
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(wh)}
    proc = subprocess.run([sys.executable, "-c", "import sys; from mteb_lb.cli import main; "
                           "sys.exit(main(sys.argv[1:]))", "etl", "--source", str(repo),
                           "--catalog", str(cat), "--workers", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert warehouse.current_build(wh) != first.build
    assert "published:" in proc.stdout


def test_a_folder_refresh_with_nothing_to_build_answers_without_duckdb_or_arrow(small):
    _repo, wh, _cat, first = small
    _stdout, imported = _run_unchanged(small, "refresh", ("duckdb", "pyarrow", "etl.build",
                                                          "etl.validate"))
    assert imported == []
    assert warehouse.current_build(wh) == first.build
    record = json.loads((wh / "runs.jsonl").read_text().splitlines()[-1])
    assert (record["outcome"], record["build_id"]) == ("unchanged", first.build.name)
