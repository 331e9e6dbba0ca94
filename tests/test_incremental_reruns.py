"""Incremental reruns (issue 16, docs/PERFORMANCE.md §Incremental reruns): a folder source is
listed once per run (etl/nochange.py's listing names the changed paths, the build stats only
those), and a refresh whose SQL was already validated binds the views and macros instead of
running them. Each still publishes what a full build publishes, and a broken build still fails."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pyarrow.parquet  # noqa: F401 - pa.parquet
import pytest
import refresh_fixtures as rf

from etl import build, nochange, refresh, validate
from mteb_lb import schema, warehouse

REAL_SCAN = build.scan


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    """Three models built once from a folder source (no commit)."""
    return rf.built_template(tmp_path_factory.mktemp("incr"), git_commit=False)


@pytest.fixture
def folder(_template):
    return rf.fresh_copy(_template)


@pytest.fixture
def no_scan(monkeypatch):
    def refuse(_root):
        raise AssertionError("the folder was listed a second time")
    monkeypatch.setattr(build, "scan", refuse)


def _full(repo: Path, cat: Path, tmp: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "scan", REAL_SCAN)
        return rf.full_twin(repo, tmp, cat, "full")


def test_folder_rerun_stats_only_the_changed_paths(folder, tmp_path, no_scan):
    repo, cat, wh = folder
    rf.write_score(repo, "h/A", "HRet1", 0.95)                    # modified
    rf.write_model(repo, "h/E", {"HRet1": 0.61, "HRet2": 0.62})   # added: meta + 2 results
    rf.result_path(repo, "h/B", "HRet3").unlink()                 # deleted
    hidden = repo / "results" / ".cache"                         # never listed
    hidden.mkdir()
    (hidden / "x.json").write_text("{}")
    report = rf.run_build(repo, wh, cat)
    assert report.published, report.message
    manifest = warehouse.read_manifest(report.build)
    assert manifest["listing"] == "listing (5 changed paths)"
    assert manifest["incremental"]
    # 3 models x 5 files, + 3 of h/E, - 1 deleted; parsed: h/A's HRet1 and h/E's two results
    assert (report.files_seen, report.parsed) == (17, 3)
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))


def test_folder_reruns_keep_a_skipped_entry_and_see_renames_and_touches(folder, tmp_path,
                                                                         no_scan):
    """The files of a rerun are the previous build's state with the changed paths stat'ed
    again (etl/changes.py from_paths, column by column): an unchanged symbolic link keeps
    the reason it was never opened (from the previous build's `files` table; a file that is not
    a result is looked at again at each rerun, its reason with it), a renamed file
    is one path gone and one added, a file whose mtime alone moved is looked at again, and a
    build whose state was recorded by older code (a dict) is read as well."""
    repo, cat, wh = folder
    target = rf.result_path(repo, "h/A", "HRet1")
    (target.parent / "Linked.txt").symlink_to(target)
    first = rf.run_build(repo, wh, cat)
    assert first.published, first.message
    files = {r["path"]: r for r in pa.parquet.read_table(
        first.build / "parquet" / "files" / "files.parquet").to_pylist()}
    link = str((target.parent / "Linked.txt").relative_to(repo))
    assert files[link]["status"] == "skipped" and files[link]["reason"] == build.SYMLINK
    # older code recorded the state as a dict: the next rerun starts from it the same way
    (first.build / nochange.STATE_CACHE).write_bytes(
        marshal.dumps(nochange.records_of_dict(nochange.read_records(first.build))))
    moved = rf.result_path(repo, "h/B", "HRet2")
    moved.rename(moved.with_name("Renamed.json"))                 # renamed
    touched = rf.result_path(repo, "h/C", "HRet1")
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))   # mtime only
    report = rf.run_build(repo, wh, cat)
    assert report.published, report.message
    manifest = warehouse.read_manifest(report.build)
    assert manifest["listing"] == "listing (3 changed paths)" and manifest["incremental"]
    files = {r["path"]: r for r in pa.parquet.read_table(
        report.build / "parquet" / "files" / "files.parquet").to_pylist()}
    assert files[link]["status"] == "skipped" and files[link]["reason"] == build.SYMLINK
    assert str(moved.relative_to(repo)) not in files
    assert str(moved.with_name("Renamed.json").relative_to(repo)) in files
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))


def test_a_name_that_is_not_utf8_falls_back_to_the_scan(folder, tmp_path):
    """The listing records such a name with escapes, which cannot be stat'ed by name: the
    folder is scanned as before, and the result is the full build's."""
    repo, cat, wh = folder
    folder_of_a = rf.result_path(repo, "h/A", "HRet1").parent
    (folder_of_a / os.fsdecode(b"caf\xe9.json")).write_text("{}")
    rf.write_score(repo, "h/B", "HRet2", 0.44)
    report = rf.run_build(repo, wh, cat)
    assert report.published, report.message
    assert warehouse.read_manifest(report.build)["listing"] == "scan"
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))


def test_validated_sql_is_bound_not_run_and_still_catches_a_broken_build(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("MTEB_LB_CACHE", str(tmp_path / "cache"))
    repo, wh = tmp_path / "upstream", tmp_path / "wh"
    rf.base_repo(repo)
    rf.commit(repo, "initial")
    cat = rf.catalog(tmp_path / "cat")

    def mode() -> str:
        manifest = warehouse.read_manifest(warehouse.current_build(wh))
        return manifest["refresh"]["validation"]["mode"]

    first = refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    assert first.outcome == "published" and mode() == "run"   # nothing validated before
    rf.write_score(repo, "h/A", "HRet2", 0.35)
    rf.commit(repo, "change")
    second = refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    # the same catalog as the first build's: nothing bound again (etl/validate.py)
    assert second.outcome == "published" and mode() == "unchanged"
    current = warehouse.current_build(wh)
    bound = validate.check(current, bind_only=True)
    ran = validate.check(current)
    assert (bound["views"], bound["macros"]) == (ran["views"], ran["macros"])
    # bound only, a table whose columns are not mteb_lb/schema.py's still fails
    with monkeypatch.context() as mp:
        mp.setitem(schema.TABLES, "files", schema.FILES.append(pa.field("extra", pa.string())))
        with pytest.raises(validate.ValidationError, match="table files has columns"):
            validate.check(current, bind_only=True)
    # and so does a view whose input is gone
    import duckdb

    con = duckdb.connect(str(current / warehouse.DB_FILE))
    try:
        con.execute("DROP TABLE benchmark_tasks")
    finally:
        con.close()
    with pytest.raises(validate.ValidationError, match="benchmark_tasks"):
        validate.check(current, bind_only=True)


def test_sql_validated_only_for_the_same_fingerprint(tmp_path):
    cat = rf.catalog(tmp_path / "cat")
    from etl import catalog as catalog_mod
    from etl import nochange

    same = nochange.database_fingerprint(catalog_mod.load_snapshot(cat))
    validated = {"run": 1}
    assert refresh._sql_validated({"database_fingerprint": same,
                                   "refresh": {"validation": validated}}, cat)
    assert not refresh._sql_validated({"database_fingerprint": "other",
                                       "refresh": {"validation": validated}}, cat)
    # made by `mteb-lb etl` (never validated), or by a refresh whose validation is not recorded
    assert not refresh._sql_validated({"database_fingerprint": same}, cat)
    assert not refresh._sql_validated({"database_fingerprint": same, "refresh": {}}, cat)


def test_a_catalog_that_differs_from_the_validated_one_is_bound(tmp_path, monkeypatch):
    """Validation binds nothing when the catalog (every table's and view's columns, every
    macro) is the one a passed validation saw; any difference binds everything, which still
    catches a view whose input changed."""
    monkeypatch.setenv("MTEB_LB_CACHE", str(tmp_path / "cache"))
    repo, wh = tmp_path / "upstream", tmp_path / "wh"
    rf.base_repo(repo)
    rf.commit(repo, "initial")
    cat = rf.catalog(tmp_path / "cat")
    assert refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh,
                           workers=1).outcome == "published"
    current = warehouse.current_build(wh)
    validated = warehouse.read_manifest(current)["refresh"]["validation"]
    assert validated["mode"] == "run"
    same = validate.check(current, bind_only=True, bound_catalog=validated["catalog"])
    assert same["mode"] == "unchanged" and same["catalog"] == validated["catalog"]
    assert (same["views"], same["macros"]) == (validated["views"], validated["macros"])
    # another catalog recorded: bound as before
    assert validate.check(current, bind_only=True, bound_catalog="other")["mode"] == "bound"
    import duckdb

    con = duckdb.connect(str(current / warehouse.DB_FILE))
    try:   # a column's type changed, in a table mteb_lb/schema.py does not describe
        con.execute("ALTER TABLE benchmark_task_means ALTER COLUMN raw_mean TYPE VARCHAR")
    finally:
        con.close()
    # the ranking macros that sum it no longer bind: found, not skipped
    with pytest.raises(validate.ValidationError, match=r"macro lb_model_scores fails"):
        validate.check(current, bind_only=True, bound_catalog=validated["catalog"])


def test_a_refresh_records_the_files_changed_from_the_history(folder, tmp_path, monkeypatch):
    """The files added, changed and removed since the previous build: compared by the history
    for the paths the build made or lost only, the same rows as the whole `files` tables
    compared; the refresh records those counts without reading the previous build's files
    table again, and reads the catalog snapshot once."""
    from etl import catalog as catalog_mod
    from etl import history

    repo, cat, wh = folder
    rf.write_score(repo, "h/C", "HRet1", 0.15)   # a first refresh: the current build is its
    first = refresh.refresh(str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    assert first.outcome == "published", first.message
    prev = warehouse.current_build(wh)
    rf.write_score(repo, "h/A", "HRet1", 0.95)                    # modified
    rf.write_model(repo, "h/E", {"HRet1": 0.61, "HRet2": 0.62})   # added: meta + 2 results
    rf.result_path(repo, "h/B", "HRet3").unlink()                 # deleted
    reads, loads = [], []
    monkeypatch.setattr(refresh, "_files_state", lambda build: reads.append(build))
    real_load = catalog_mod.load_snapshot
    monkeypatch.setattr(catalog_mod, "load_snapshot",
                        lambda *a, **k: loads.append(1) or real_load(*a, **k))
    result = refresh.refresh(str(repo), catalog_dir=cat, warehouse_dir=wh, workers=1)
    assert result.outcome == "published", result.message
    record = result.record
    assert (record["files_added"], record["files_changed"], record["files_removed"]) == (3, 1, 1)
    assert reads == [] and len(loads) == 1
    built = warehouse.current_build(wh)
    manifest = warehouse.read_manifest(built)
    assert manifest["history"]["files"] == {"files_added": 3, "files_changed": 1,
                                            "files_removed": 1}
    recorded = pa.parquet.read_table(built / "parquet" / history.PATHS)   # every build's
    recorded = recorded.filter(pa.compute.equal(recorded.column("seq"),
                                                manifest["history"]["build_seq"]))
    recorded = recorded.drop_columns(["seq"]).combine_chunks()
    import duckdb

    con = duckdb.connect(str(built / warehouse.DB_FILE), read_only=True)
    try:
        whole = history.changed_paths(con, prev)
    finally:
        con.close()
    assert recorded.equals(whole.combine_chunks())
    assert sorted(recorded.column("status").to_pylist()) == ["A", "A", "A", "D", "M"]


def test_the_build_commands_run_without_pandas(tmp_path):
    """`mteb-lb etl` and `mteb-lb refresh` make pandas unimportable in their process (pyarrow
    imported it, ~0.3 s of CPU, only to check whether values were pandas objects): neither
    imports it, and their builds are those of a build made with pandas importable."""
    import subprocess
    import sys

    repo, wh = tmp_path / "repo", tmp_path / "wh"
    rf.base_repo(repo)
    cat = rf.catalog(tmp_path / "cat")
    script = ("import sys; from mteb_lb.cli import main; code = main(sys.argv[1:]); "
              "print('pandas imported:', 'pandas' in sys.modules); sys.exit(code)")

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-c", script, *args, "--source", str(repo),
                               "--catalog", str(cat), "--workers", "1"],
                              env={**os.environ, "MTEB_LB_WAREHOUSE": str(wh)},
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert "pandas imported: False" in run("etl")                     # a full build
    rf.write_score(repo, "h/A", "HRet1", 0.93)
    assert "pandas imported: False" in run("refresh", "--quiet")      # an incremental one
    built = warehouse.current_build(wh)
    assert warehouse.read_manifest(built)["incremental"]
    rf.assert_same_build(built, _full(repo, cat, tmp_path))


def test_pandas_is_unimportable_only_while_the_build_runs():
    """`without_pandas` holds for its block: a process that runs a build (a caller of the
    commands' functions, a test) can import pandas afterwards, as before the build."""
    import subprocess
    import sys

    script = ("from etl.build_options import without_pandas\n"
              "with without_pandas():\n"
              "    try:\n"
              "        import pandas\n"
              "        print('inside: imported')\n"
              "    except ModuleNotFoundError:\n"
              "        print('inside: refused')\n"
              "import pandas\n"
              "print('after: imported')\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["inside: refused", "after: imported"]
