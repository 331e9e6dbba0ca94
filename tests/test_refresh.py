"""`mteb-lb refresh`: keyed by the source commit, incremental, validated, recorded, and safe.

The upstream repository is a local git repository used as a `file://` source, so the refresh
goes through the same clone-then-fetch path as the public repository.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import fixtures as fx
import pytest
import refresh_fixtures as rf

from etl import build, refresh, validate
from mteb_lb import cli, runs, status, warehouse


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    """One upstream repository refreshed once, kept as a template: each test gets a fresh copy
    at the same path (a build's views name their Parquet by absolute path)."""
    base = tmp_path_factory.mktemp("refresh")
    work = base / "work"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_LB_CACHE", str(work / "cache"))
        repo = work / "upstream"
        rf.base_repo(repo)
        rf.commit(repo, "initial")
        cat = rf.catalog(work / "cat")
        first = do_refresh(rf.url(repo), cat, work / "wh")
        assert first.outcome == "published", first.message
    shutil.copytree(work, base / "template", symlinks=True)
    return base


@pytest.fixture
def upstream(_template, monkeypatch):
    """(repo, url, catalog, warehouse) with one commit refreshed and published."""
    work = _template / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(_template / "template", work, symlinks=True)
    monkeypatch.setenv("MTEB_LB_CACHE", str(work / "cache"))
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(work / "wh"))
    return work / "upstream", rf.url(work / "upstream"), work / "cat", work / "wh"


def do_refresh(src: str, cat: Path, wh: Path, **kw) -> refresh.RefreshResult:
    kw.setdefault("workers", 1)
    return refresh.refresh(src, catalog_dir=cat, warehouse_dir=wh, **kw)


def builds(wh: Path) -> list[str]:
    return [b.name for b in warehouse.list_builds(wh)]


def assert_intact(wh: Path, current: Path, names: list[str]) -> None:
    """The last good build is still served, whole, and nothing else was left behind."""
    assert warehouse.current_build(wh) == current
    assert builds(wh) == names
    assert not any((wh / ".staging").glob("*")) if (wh / ".staging").exists() else True
    con = duckdb.connect(str(current / warehouse.DB_FILE), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM scores").fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM lb_model_scores('Hist(v1)', NULL, NULL, NULL, "
                           "false, true, false)").fetchall()[0][0] > 0
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# keyed by the source commit
# --------------------------------------------------------------------------------------------

def test_same_commit_twice_publishes_nothing_and_says_so(upstream):
    repo, src, cat, wh = upstream
    before = builds(wh)
    head = rf.git(repo, "rev-parse", "HEAD")
    again = do_refresh(src, cat, wh)
    assert again.outcome == "unchanged" and again.exit_code == 0
    assert again.message == f"already at {head}; nothing published"
    assert builds(wh) == before
    records = runs.read(wh)
    assert [r["outcome"] for r in records] == ["published", "unchanged"]
    assert records[-1]["source_commit"] == head
    assert records[-1]["build_id"] == before[-1]
    assert records[-1]["message"] == again.message


def test_cli_refresh_twice(upstream, capsys, monkeypatch):
    repo, src, cat, wh = upstream
    args = ["refresh", "--source", src, "--catalog", str(cat), "--workers", "1", "--quiet"]
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"already at {rf.git(repo, 'rev-parse', 'HEAD')}; nothing published" in out
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "serving:" in out and "unchanged" in out and "published" in out
    assert cli.main(["status", "--json", "-n", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["freshness"]["build_id"] == builds(wh)[-1] and len(data["runs"]) == 1


def test_full_flag_rebuilds_the_same_commit(upstream):
    _repo, src, cat, wh = upstream
    result = do_refresh(src, cat, wh, full=True)
    assert result.outcome == "published"
    assert len(builds(wh)) == 2
    assert result.record["files_changed"] == 0 and result.record["files_added"] == 0


def test_new_upstream_commit_is_picked_up(upstream):
    repo, src, cat, wh = upstream
    first = warehouse.current_build(wh)
    rf.write_score(repo, "h/A", "HRet1", 0.91)                       # modify
    rf.write_model(repo, "h/D", {"HRet1": 0.7, "HRet2": 0.6})        # add (3 files)
    rf.result_path(repo, "h/C", "HRet4").unlink()                   # delete
    head = rf.commit(repo, "second")
    result = do_refresh(src, cat, wh)
    assert result.outcome == "published", result.message
    current = warehouse.current_build(wh)
    assert current != first
    manifest = warehouse.read_manifest(current)
    assert manifest["source_commit"] == head and manifest["incremental"] is True
    rec = result.record
    assert (rec["files_added"], rec["files_changed"], rec["files_removed"]) == (3, 1, 1)
    assert rec["build_id"] == current.name and rec["previous_build_id"] == first.name
    assert rec["source_commit"] == head and rec["outcome"] == "published"
    assert rec["duration_s"] > 0 and rec["started"] < rec["ended"]
    con = duckdb.connect(str(current / warehouse.DB_FILE), read_only=True)
    try:
        assert con.execute("SELECT main_score FROM scores WHERE model_name = 'h/A' "
                           "AND task_name = 'HRet1'").fetchall() == [(pytest.approx(0.91),)]
        assert con.execute("SELECT count(*) FROM scores WHERE model_name = 'h/C' "
                           "AND task_name = 'HRet4'").fetchall() == [(0,)]
    finally:
        con.close()


def test_commit_without_result_changes_publishes_nothing(upstream):
    repo, src, cat, wh = upstream
    before = builds(wh)
    (repo / "README.md").write_text("docs only\n")
    rf.commit(repo, "docs")
    result = do_refresh(src, cat, wh)
    assert result.outcome == "unchanged" and result.exit_code == 0
    assert "nothing published" in result.message
    assert builds(wh) == before


def test_quarantined_files_are_recorded_with_their_reason(upstream):
    repo, src, cat, wh = upstream
    bad = rf.result_path(repo, "h/B", "HRet3")
    bad.write_bytes(b'{"task_name": "HRet3", "scores": ')
    rf.commit(repo, "broken file")
    result = do_refresh(src, cat, wh)
    assert result.outcome == "published"
    rec = runs.last(1, wh)[0]
    assert rec["files_quarantined"] == 1 and rec["files_changed"] == 1
    assert rec["quarantined"][0]["path"].endswith("h__B/" + rf.REV + "/HRet3.json")
    assert rec["quarantined"][0]["reason"]


# --------------------------------------------------------------------------------------------
# incremental == full rebuild over a real sequence of changes
# --------------------------------------------------------------------------------------------

def _step_modify(repo):
    rf.write_score(repo, "h/A", "HRet1", 0.95)
    rf.write_score(repo, "h/B", "HRet2", 0.41)


def _step_add_model_and_delete_file(repo):
    rf.write_model(repo, "h/E", {t: 0.66 for t in rf.TASKS})
    rf.result_path(repo, "h/A", "HRet3").unlink()


def _step_new_revision_and_meta_change(repo):
    other = "9" * 40
    rf.write_score(repo, "h/B", "HRet1", 0.99, revision=other)
    fx.write_meta(repo, "h/B", other)
    meta = repo / "results" / "h__C" / rf.REV / "model_meta.json"
    meta.write_bytes(fx.dumps(fx.model_meta("h/C", rf.REV, release_date="2025-01-01")))


def _step_delete_model_folder(repo):
    shutil.rmtree(repo / "results" / "h__E")
    rf.write_score(repo, "h/C", "HRet4", 0.12)


STEPS = (_step_modify, _step_add_model_and_delete_file, _step_new_revision_and_meta_change,
         _step_delete_model_folder)


def test_incremental_refreshes_equal_full_rebuilds(upstream, tmp_path):
    repo, src, cat, wh = upstream
    for i, step in enumerate(STEPS, 1):
        prev = warehouse.current_build(wh)
        step(repo)
        rf.commit(repo, step.__name__)
        result = do_refresh(src, cat, wh)
        assert result.outcome == "published", (step.__name__, result.message)
        current = warehouse.current_build(wh)
        m = warehouse.read_manifest(current)
        assert m["incremental"] and m["previous_build"] == prev.name
        twin = rf.full_twin(rf.cache_checkout(src), tmp_path, cat, str(i))
        rf.assert_same_build(current, twin)


# --------------------------------------------------------------------------------------------
# failures keep the last good build and are recorded with their reason
# --------------------------------------------------------------------------------------------

def _last_failure(wh: Path) -> dict:
    rec = runs.last(1, wh)[0]
    assert rec["outcome"] == "failed"
    return rec


def test_source_unreachable(upstream, tmp_path):
    _repo, _src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    result = do_refresh(f"file://{tmp_path}/no-such-repo", cat, wh)
    assert result.outcome == "failed" and result.exit_code == refresh.EXIT_SOURCE
    assert "source cannot be read" in result.message and current.name in result.message
    assert_intact(wh, current, names)
    rec = _last_failure(wh)
    assert rec["reason"] == "source" and "source cannot be read" in rec["message"]


def test_source_unreachable_after_a_good_clone(upstream):
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    shutil.move(repo, repo.with_name("moved-away"))
    result = do_refresh(src, cat, wh)
    assert result.exit_code == refresh.EXIT_SOURCE
    assert_intact(wh, current, names)
    assert _last_failure(wh)["reason"] == "source"


def test_disk_full_mid_build(upstream, monkeypatch):
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    rf.write_score(repo, "h/A", "HRet2", 0.33)
    rf.commit(repo, "change")
    from etl import build, segments

    real = segments.write_parquet
    calls = {"n": 0}

    def full_disk(table, path):
        calls["n"] += 1
        if calls["n"] >= 2:  # the first segment is written, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(table, path)

    monkeypatch.setattr(segments, "write_parquet", full_disk)
    monkeypatch.setattr(build, "write_parquet", full_disk)
    result = do_refresh(src, cat, wh)
    assert result.outcome == "failed" and result.exit_code == refresh.EXIT_FAILED
    assert "disk full" in result.message
    assert_intact(wh, current, names)
    assert not (wh / ".staging").exists() or not any((wh / ".staging").iterdir())
    assert _last_failure(wh)["reason"] == "disk_full"
    monkeypatch.setattr(segments, "write_parquet", real)
    monkeypatch.setattr(build, "write_parquet", real)
    assert do_refresh(src, cat, wh).outcome == "published"  # space freed: the next run works


@pytest.mark.parametrize("breakage", ["missing file", "bad json"])
def test_catalog_that_fails_to_load(upstream, tmp_path, breakage):
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    bad = tmp_path / "bad-cat"
    shutil.copytree(cat, bad)
    if breakage == "missing file":
        (bad / "tasks.json").unlink()
    else:
        (bad / "benchmarks.json").write_text('[{"name": ')
    rf.write_score(repo, "h/A", "HRet2", 0.34)
    rf.commit(repo, "change")
    result = do_refresh(src, bad, wh)
    assert result.outcome == "failed" and result.exit_code == refresh.EXIT_FAILED
    assert "catalog snapshot cannot be loaded" in result.message
    assert_intact(wh, current, names)
    assert _last_failure(wh)["reason"] == "catalog"


def test_build_that_fails_validation(upstream):
    """Upstream wiped every result: the build has no scores, so it is not published."""
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    for folder in (repo / "results").iterdir():
        shutil.rmtree(folder)
    (repo / "results" / ".keep").write_text("")
    rf.commit(repo, "wipe")
    result = do_refresh(src, cat, wh)
    assert result.outcome == "failed" and result.exit_code == refresh.EXIT_FAILED
    assert "failed validation" in result.message and "table scores has no rows" in result.message
    assert_intact(wh, current, names)
    assert _last_failure(wh)["reason"] == "validation"


def test_validation_checks_schemas_views_and_macros(upstream, monkeypatch):
    _repo, _src, _cat, wh = upstream
    current = warehouse.current_build(wh)
    report = validate.check(current)
    assert report["views"] >= 5 and report["macros"] >= 10
    assert report["row_counts"]["scores"] > 0
    # a table whose columns are not mteb_lb/schema.py's
    import pyarrow as pa

    from mteb_lb import schema

    monkeypatch.setitem(schema.TABLES, "files",
                        schema.FILES.append(pa.field("extra", pa.string())))
    with pytest.raises(validate.ValidationError, match="table files has columns"):
        validate.check(current)


def test_build_error_is_recorded(upstream, monkeypatch):
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    rf.write_score(repo, "h/A", "HRet2", 0.35)
    rf.commit(repo, "change")

    def boom(*_a, **_k):
        raise RuntimeError("injected failure in the database step")

    monkeypatch.setattr(build, "_update_database", boom)
    result = do_refresh(src, cat, wh)
    assert result.exit_code == refresh.EXIT_FAILED
    assert "injected failure" in result.message
    assert_intact(wh, current, names)
    assert _last_failure(wh)["reason"] == "error"


# --------------------------------------------------------------------------------------------
# the lock
# --------------------------------------------------------------------------------------------

def test_lock_held_in_another_process(upstream):
    repo, src, cat, wh = upstream
    current, names = warehouse.current_build(wh), builds(wh)
    rf.write_score(repo, "h/A", "HRet2", 0.36)
    rf.commit(repo, "change")
    with rf.lock_held_elsewhere(wh):
        result = do_refresh(src, cat, wh)
        assert result.outcome == "failed" and result.exit_code == refresh.EXIT_LOCKED
        assert "another ETL run is in progress" in result.message
        assert_intact(wh, current, names)
        assert _last_failure(wh)["reason"] == "locked"
        # the CLI exits non-zero with the message on stderr
        env = {**os.environ, "MTEB_LB_WAREHOUSE": str(wh)}
        proc = subprocess.run([sys.executable, "-m", "mteb_lb.cli", "refresh", "--source", src,
                               "--catalog", str(cat), "--quiet"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == refresh.EXIT_LOCKED
        assert "error: another ETL run is in progress" in proc.stderr
    assert do_refresh(src, cat, wh).outcome == "published"  # free again


def test_lock_held_by_a_running_refresh(upstream, monkeypatch):
    """A second refresh started while the first is building is refused, then the first
    publishes normally."""
    repo, src, cat, wh = upstream
    rf.write_score(repo, "h/A", "HRet2", 0.37)
    rf.commit(repo, "change")
    seen = {}
    real_update = build._update_database

    def update_and_race(*args):
        seen["second"] = do_refresh(src, cat, wh)
        return real_update(*args)

    monkeypatch.setattr(build, "_update_database", update_and_race)
    first = do_refresh(src, cat, wh)
    assert first.outcome == "published"
    assert seen["second"].exit_code == refresh.EXIT_LOCKED
    assert [r["outcome"] for r in runs.read(wh)][-2:] == ["failed", "published"]


# --------------------------------------------------------------------------------------------
# run log and status
# --------------------------------------------------------------------------------------------

def test_run_log_ignores_a_torn_last_line(tmp_path):
    wh = tmp_path / "wh"
    runs.append({"outcome": "published", "message": "one"}, wh)
    with open(runs.log_path(wh), "ab") as fh:
        fh.write(b'{"outcome": "published", "mess')  # a crash mid-write
    assert [r["message"] for r in runs.read(wh)] == ["one"]
    runs.append({"outcome": "failed", "message": "two", "reason": "error"}, wh)
    assert [r["message"] for r in runs.read(wh)] == ["one", "two"]
    assert [r["message"] for r in runs.last(5, wh)] == ["two", "one"]
    for line in runs.log_path(wh).read_text().splitlines()[-1:]:
        assert json.loads(line)["message"] == "two"
    with pytest.raises(ValueError):
        runs.append({"outcome": "weird"}, wh)


def test_status_freshness_and_last_runs(upstream):
    repo, src, cat, wh = upstream
    rf.write_score(repo, "h/B", "HRet1", 0.77)
    rf.commit(repo, "change")
    do_refresh(src, cat, wh)
    do_refresh(f"file://{repo}-missing", cat, wh)
    fresh = status.freshness(wh)
    current = warehouse.current_build(wh)
    assert fresh["published"] and fresh["build_id"] == current.name
    assert fresh["source_commit"] == rf.git(repo, "rev-parse", "HEAD")
    assert fresh["built_at"] and 0 <= fresh["age_seconds"] < 600 and fresh["age"].endswith("s")
    assert fresh["last_run"]["outcome"] == "failed"
    assert fresh["last_success"]["outcome"] == "published"
    assert fresh["last_failure"]["reason"] == "source"
    last = status.last_runs(2, wh)
    assert [r["outcome"] for r in last] == ["failed", "published"]
    assert {"started", "ended", "outcome", "source_commit", "files_added", "files_changed",
            "files_removed", "files_quarantined", "quarantined", "duration_s",
            "message"} <= set(last[1])
    json.dumps(fresh), json.dumps(last)  # plain data


def test_status_without_any_build(tmp_path):
    fresh = status.freshness(tmp_path / "empty")
    assert fresh["published"] is False and fresh["last_run"] is None
    assert status.last_runs(5, tmp_path / "empty") == []


def test_leftovers_of_a_killed_publish_are_removed(upstream):
    repo, src, cat, wh = upstream
    orphan = wh / "builds" / "20000101T000000Z-dead-1"
    (orphan / "parquet").mkdir(parents=True)
    os.symlink("builds/x", wh / ".current.999999")
    rf.write_score(repo, "h/A", "HRet2", 0.38)
    rf.commit(repo, "change")
    assert do_refresh(src, cat, wh).outcome == "published"
    assert not orphan.exists() and not (wh / ".current.999999").is_symlink()


def test_catalog_change_rebuilds_the_same_commit(upstream, tmp_path):
    repo, src, cat, wh = upstream
    tasks = [fx.make_task(t, "Retrieval", "ndcg_at_10") for t in rf.TASKS]
    benches = [fx.make_benchmark(n, t) for n, t in rf.BENCHES.items()]
    benches.append(fx.make_benchmark("Pair(v1)", ["HRet3", "HRet4"]))
    models = [fx.make_model(m, rf.REV, training_datasets=[]) for m in rf.MODELS]
    cat2 = fx.write_catalog(tmp_path / "cat2", tasks=tasks, benchmarks=benches, models=models)
    result = do_refresh(src, cat2, wh)
    assert result.outcome == "published", result.message
    assert result.record["catalog_changed"] is True and result.record["full"] is True
    current = warehouse.current_build(wh)
    con = duckdb.connect(str(current / warehouse.DB_FILE), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM benchmarks WHERE name = 'Pair(v1)'"
                           ).fetchall() == [(1,)]
        # the new benchmark's leaderboard enters the history as new models
        assert con.execute("SELECT count(*) FROM changes_since_previous WHERE benchmark = "
                           "'Pair(v1)' AND change = 'new_model'").fetchall() == [(3,)]
    finally:
        con.close()
    again = do_refresh(src, cat2, wh)
    assert again.outcome == "unchanged" and again.message.startswith("already at ")
