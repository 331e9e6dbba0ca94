"""`etl.gitdiff`: the changed paths under results/ between two commits (add, modify, delete,
rename, a file outside results/, a name with a space and non-ASCII letters) and the first-parent
commits thinned to one per day/week/month, on a git repository the test creates with fixed dates.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from etl import gitdiff
from etl.gitdiff import PathChange
from etl.sources import SourceError


def git(cwd: Path, *args: str, when: str = "2025-01-01T12:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def commit(repo: Path, when: str, msg: str = "c") -> str:
    git(repo, "add", "-A", when=when)
    git(repo, "commit", "-q", "-m", msg, when=when)
    return git(repo, "rev-parse", "HEAD")


BODY = "{" + ", ".join(f'"k{i}": {i}' for i in range(40)) + "}"   # large enough to rename


@pytest.fixture()
def repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "results/a/r1/T1.json", BODY)
    write(repo, "results/a/r1/T2.json", '{"x": 1}')
    write(repo, "results/b/r1/model_meta.json", '{"name": "b"}')
    write(repo, "README.md", "hi")
    c1 = commit(repo, "2025-01-06T10:00:00Z")                  # Monday, week 2
    write(repo, "results/a/r1/T2.json", '{"x": 2}')            # modify
    (repo / "results/b/r1/model_meta.json").unlink()           # delete
    write(repo, "results/c d/é/T3.json", '{"y": 1}')           # add, odd name
    write(repo, "README.md", "changed")                        # outside results/: ignored
    c2 = commit(repo, "2025-01-08T10:00:00Z")                  # Wednesday, week 2
    (repo / "results/a/r2").mkdir()
    git(repo, "mv", "results/a/r1/T1.json", "results/a/r2/T1.json")   # rename
    c3 = commit(repo, "2025-01-08T18:00:00Z")                  # same day as c2
    return repo, c1, c2, c3


def test_changed_paths_between_commits(repo):
    repo, c1, c2, c3 = repo
    assert gitdiff.changed_paths(repo, c1, c2) == [
        PathChange("M", "results/a/r1/T2.json", None),
        PathChange("D", "results/b/r1/model_meta.json", None),
        PathChange("A", "results/c d/é/T3.json", None),
    ]
    assert gitdiff.changed_paths(repo, c2, c3) == [
        PathChange("R", "results/a/r2/T1.json", "results/a/r1/T1.json"),
    ]
    # over two steps the rename and the other changes combine
    assert gitdiff.changed_paths(repo, c1, c3) == [
        PathChange("M", "results/a/r1/T2.json", None),
        PathChange("R", "results/a/r2/T1.json", "results/a/r1/T1.json"),
        PathChange("D", "results/b/r1/model_meta.json", None),
        PathChange("A", "results/c d/é/T3.json", None),
    ]
    assert gitdiff.changed_paths(repo, c3, c3) == []


def test_old_none_lists_the_whole_tree_as_added(repo):
    repo, c1, _, c3 = repo
    assert gitdiff.changed_paths(repo, None, c1) == [
        PathChange("A", "results/a/r1/T1.json", None),
        PathChange("A", "results/a/r1/T2.json", None),
        PathChange("A", "results/b/r1/model_meta.json", None),
    ]
    assert [c.path for c in gitdiff.changed_paths(repo, None, c3)] == [
        "results/a/r1/T2.json", "results/a/r2/T1.json", "results/c d/é/T3.json"]


def test_first_parent_commits_skip_side_branches_and_thin_by_period(repo):
    repo, c1, c2, c3 = repo
    git(repo, "checkout", "-q", "-b", "side", c3)
    write(repo, "results/s/r/T.json", "{}")
    side = commit(repo, "2025-01-20T09:00:00Z")                # week 4, only on the side branch
    git(repo, "checkout", "-q", "main")
    write(repo, "results/m/r/T.json", "{}")
    c4 = commit(repo, "2025-02-03T09:00:00Z")                  # week 6, February
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side", when="2025-02-04T09:00:00Z")
    merge = git(repo, "rev-parse", "HEAD")

    def day(s):
        return datetime.fromisoformat(s).replace(tzinfo=UTC)

    everything = gitdiff.first_parent_commits(repo)
    assert everything == [
        (c1, day("2025-01-06T10:00:00")), (c2, day("2025-01-08T10:00:00")),
        (c3, day("2025-01-08T18:00:00")), (c4, day("2025-02-03T09:00:00")),
        (merge, day("2025-02-04T09:00:00"))]
    assert side not in [c.commit for c in everything]
    assert [c.commit for c in gitdiff.first_parent_commits(repo, every="day")] == [
        c1, c3, c4, merge]
    assert [c.commit for c in gitdiff.first_parent_commits(repo, every="week")] == [c3, merge]
    assert [c.commit for c in gitdiff.first_parent_commits(repo, every="month")] == [c3, merge]
    assert [c.commit for c in gitdiff.first_parent_commits(repo, since="2025-01-08")] == [
        c2, c3, c4, merge]
    assert [c.commit for c in gitdiff.first_parent_commits(
        repo, since="2025-01-07", every="week")] == [c3, merge]
    # the merge brings in the side branch's file
    assert gitdiff.changed_paths(repo, c4, merge) == [
        PathChange("A", "results/s/r/T.json", None)]


def test_bad_input_gets_clear_errors(repo, tmp_path):
    repo, *_ = repo
    with pytest.raises(ValueError, match="--every must be one of day, week, month"):
        gitdiff.first_parent_commits(repo, every="year")
    with pytest.raises(ValueError, match="not a date"):
        gitdiff.first_parent_commits(repo, since="last tuesday")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitdiff.is_git_repo(repo) and not gitdiff.is_git_repo(plain)
    assert not gitdiff.is_git_repo(repo / "results")
    with pytest.raises(SourceError, match="not a git repository"):
        gitdiff.first_parent_commits(plain)
