"""Reruns on a git source find what changed from git (etl/changes.py), not by listing the
folder: the same commit with the same catalog builds nothing, another commit is built from the
paths `git diff` names (plus those `git status` names in the work tree), and the warehouse it
publishes equals a full build of the same files."""

from __future__ import annotations

from pathlib import Path

import fixtures as fx
import pytest
import refresh_fixtures as rf

from etl import build
from mteb_lb import warehouse

REAL_SCAN = build.scan

def run(repo: Path, cat: Path, wh: Path, **kw):
    commit = rf.git(repo, "rev-parse", "HEAD")
    return build.run(repo, source=str(repo), source_commit=commit, catalog_dir=cat,
                     warehouse_dir=wh, workers=1, **kw)


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    """A git repository of three models, one commit, built once."""
    return rf.built_template(tmp_path_factory.mktemp("etlgit"), git_commit=True, build=run)


@pytest.fixture
def source(_template):
    """(repo, catalog, warehouse): one commit built and published."""
    return rf.fresh_copy(_template)


@pytest.fixture
def no_listing(monkeypatch):
    """A listing of the folder fails the test: git must say what changed."""
    def refuse(_root):
        raise AssertionError("the folder was listed although git names the changes")
    monkeypatch.setattr(build, "scan", refuse)


def test_same_commit_builds_nothing_and_lists_nothing(source, no_listing):
    repo, cat, wh = source
    before = warehouse.current_build(wh)
    report = run(repo, cat, wh)
    assert not report.published
    assert report.build == before == warehouse.current_build(wh)
    assert report.message.startswith(f"already at {rf.git(repo, 'rev-parse', 'HEAD')}")
    # 3 models x (4 results + model_meta.json)
    assert (report.files_seen, report.unchanged) == (15, 15)


def test_same_commit_with_another_catalog_is_built(source, tmp_path):
    repo, _cat, wh = source
    before = warehouse.current_build(wh)
    other = fx.write_catalog(tmp_path / "cat2", tasks=[fx.make_task(t, "Retrieval", "ndcg_at_10")
                                                       for t in rf.TASKS],
                             benchmarks=[fx.make_benchmark("Only(v1)", ["HRet1"])],
                             models=[fx.make_model(m, rf.REV, training_datasets=[])
                                     for m in rf.MODELS])
    report = run(repo, other, wh)
    assert report.published and report.build != before


def _modify_add_delete_rename(repo: Path) -> None:
    rf.write_score(repo, "h/A", "HRet1", 0.95)                     # modified
    rf.write_model(repo, "h/E", {"HRet1": 0.61, "HRet2": 0.62})    # added (a new model)
    rf.result_path(repo, "h/B", "HRet3").unlink()                  # deleted
    moved = rf.result_path(repo, "h/D", "HRet4")                   # renamed to another model
    moved.parent.mkdir(parents=True)
    rf.git(repo, "mv", str(rf.result_path(repo, "h/C", "HRet4")), str(moved))


def test_new_commit_is_built_from_git_diff_and_equals_a_full_build(source, tmp_path,
                                                                    no_listing):
    repo, cat, wh = source
    before = warehouse.current_build(wh)
    _modify_add_delete_rename(repo)
    new = rf.commit(repo, "modify, add, delete, rename")
    report = run(repo, cat, wh)
    assert report.published, report.message
    manifest = warehouse.read_manifest(report.build)
    old = warehouse.read_manifest(before)["source_commit"]
    assert manifest["listing"] == f"git diff {old[:12]}..{new[:12]}"
    assert manifest["incremental"] and manifest["source_commit"] == new
    # 4 results changed or new (HRet1 of h/A, two of h/E, the renamed one) + h/E's model_meta
    assert (report.files_seen, report.parsed) == (17, 4)
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))


def _full(repo: Path, cat: Path, tmp: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "scan", REAL_SCAN)
        return rf.full_twin(repo, tmp, cat, "full")


def test_work_tree_changes_since_the_commit_are_built(source, tmp_path, no_listing):
    """Edits not committed yet (a file rewritten, one added, one removed) are seen too."""
    repo, cat, wh = source
    rf.write_score(repo, "h/B", "HRet2", 0.33)
    rf.write_score(repo, "h/C", "Extra1", 0.5)
    rf.result_path(repo, "h/A", "HRet4").unlink()
    report = run(repo, cat, wh)
    assert report.published, report.message
    assert (report.files_seen, report.parsed) == (15, 2)
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))
    again = run(repo, cat, wh)  # same commit, same (dirty) work tree: nothing changed
    assert not again.published and again.build == report.build


def test_git_that_cannot_answer_falls_back_to_listing(source, tmp_path, monkeypatch):
    """The previous build's commit unknown to the repository (e.g. a shallow clone): listed."""
    repo, cat, wh = source
    from etl import gitdiff

    def fail(*_a):
        raise gitdiff.SourceError("bad object")
    monkeypatch.setattr(gitdiff, "changed_paths", fail)
    rf.write_score(repo, "h/A", "HRet2", 0.77)
    rf.commit(repo, "one change")
    report = run(repo, cat, wh)
    assert report.published
    manifest = warehouse.read_manifest(report.build)
    assert manifest["listing"] == "scan" and manifest["incremental"]
    assert report.parsed == 1
    rf.assert_same_build(report.build, _full(repo, cat, tmp_path))
