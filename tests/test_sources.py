"""`etl.sources.resolve`: a local folder, a git URL (a local repository through file://), and a
Hugging Face dataset (`hf:`) with a faked HfApi and snapshot_download. No test touches the network.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import fixtures as fx
import huggingface_hub
import pytest

from etl import sources


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def make_upstream(path: Path) -> Path:
    """A local git repository holding a tiny results/ tree, one commit."""
    fx.write_meta(path, "org/model", fx.SHA_A)
    fx.write_result(path, "org/model", fx.SHA_A, "SciFact", fx.simple_result("SciFact", 0.5))
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def cache_dir() -> Path:
    return Path(os.environ["MTEB_LB_CACHE"])


# --------------------------------------------------------------------------------------------
# local folders
# --------------------------------------------------------------------------------------------

def test_local_folder(tmp_path):
    repo = tmp_path / "repo"
    (repo / "results").mkdir(parents=True)
    checkout = sources.resolve(str(repo))
    assert checkout == sources.Checkout(repo.resolve(), str(repo.resolve()), None)


def test_local_folder_relative_and_user_paths(tmp_path, monkeypatch):
    (tmp_path / "repo" / "results").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert sources.resolve("repo").root == (tmp_path / "repo").resolve()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert sources.resolve("~/repo").root == (tmp_path / "repo").resolve()


def test_local_git_checkout_records_its_commit(tmp_path):
    repo = make_upstream(tmp_path / "repo")
    checkout = sources.resolve(str(repo))
    assert checkout.commit == git(repo, "rev-parse", "HEAD") and len(checkout.commit) == 40


def test_default_source_from_setting(tmp_path, monkeypatch):
    (tmp_path / "repo" / "results").mkdir(parents=True)
    monkeypatch.setenv("MTEB_LB_SOURCE", str(tmp_path / "repo"))
    assert sources.resolve().root == (tmp_path / "repo").resolve()


def test_missing_folder(tmp_path):
    with pytest.raises(sources.SourceError, match=r"source folder .*nope does not exist"):
        sources.resolve(str(tmp_path / "nope"))


def test_folder_without_results(tmp_path):
    with pytest.raises(sources.SourceError, match="has no results/ folder"):
        sources.resolve(str(tmp_path))


@pytest.mark.parametrize("text,is_git", [
    ("https://github.com/embeddings-benchmark/results.git", True),
    ("https://github.com/embeddings-benchmark/results", True),
    ("file:///srv/results", True), ("ssh://git@host/results", True),
    ("git@github.com:embeddings-benchmark/results.git", True), ("/srv/results.git", True),
    ("/srv/results", False), ("results", False), ("C:/results", False),
])
def test_git_url_detection(text, is_git):
    assert sources._looks_like_git_url(text) is is_git


# --------------------------------------------------------------------------------------------
# git URLs (a local repository through file://)
# --------------------------------------------------------------------------------------------

def test_git_clone_then_fetch(tmp_path):
    upstream = make_upstream(tmp_path / "upstream")
    url = upstream.resolve().as_uri()  # file:///...
    first = sources.resolve(url)
    head1 = git(upstream, "rev-parse", "HEAD")
    assert (first.source, first.commit) == (url, head1)
    assert first.root.parent == cache_dir() / "git"  # cloned into the cache
    assert first.root.name.startswith("upstream-")
    assert (first.root / "results" / "org__model" / fx.SHA_A / "SciFact.json").is_file()
    assert not list(cache_dir().glob("git/*.partial"))

    # a new commit upstream: the second resolve fetches it into the same clone
    fx.write_result(upstream, "org/model", fx.SHA_A, "DBPedia", fx.simple_result("DBPedia", 0.4))
    (upstream / "results" / "org__model" / fx.SHA_A / "SciFact.json").unlink()
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "second")
    head2 = git(upstream, "rev-parse", "HEAD")
    stale = sources.resolve(url, update=False)  # --no-update: the cached copy as is
    assert (stale.root, stale.commit) == (first.root, head1)
    second = sources.resolve(url)
    assert (second.root, second.commit) == (first.root, head2)
    files = {p.name for p in (second.root / "results" / "org__model" / fx.SHA_A).iterdir()}
    assert files == {"DBPedia.json", "model_meta.json"}


def test_git_clone_leftover_partial_is_replaced(tmp_path):
    upstream = make_upstream(tmp_path / "upstream")
    url = upstream.resolve().as_uri()
    folder = sources._cache_folder("git", url)
    partial = folder.with_name(folder.name + ".partial")
    (partial / "junk").mkdir(parents=True)
    checkout = sources.resolve(url)
    assert checkout.root == folder and not partial.exists()


def test_git_clone_failure_is_a_source_error(tmp_path):
    with pytest.raises(sources.SourceError, match="git clone .*failed"):
        sources.resolve((tmp_path / "no-such-repo").as_uri())


def test_git_checkout_builds(tmp_path):
    """The clone is a regular results folder: the ETL builds from it and records the commit."""
    from etl import build
    from mteb_lb import warehouse

    upstream = make_upstream(tmp_path / "upstream")
    checkout = sources.resolve(upstream.resolve().as_uri())
    report = build.run(checkout.root, source=checkout.source, source_commit=checkout.commit,
                       catalog_dir=fx.variant_catalog(tmp_path / "cat"),
                       warehouse_dir=tmp_path / "wh", workers=1)
    manifest = warehouse.read_manifest(report.build)
    assert (manifest["source"], manifest["source_commit"]) == (checkout.source, checkout.commit)
    assert report.build.name.split("-")[2] == checkout.commit[:12]  # <utc>-<seq>-<commit12>-<pid>
    assert report.loaded == 2  # SciFact.json + model_meta.json


# --------------------------------------------------------------------------------------------
# Hugging Face datasets (faked)
# --------------------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"


class FakeApi:
    def __init__(self, sha: str = SHA, error: Exception | None = None):
        self.sha, self.error, self.calls = sha, error, []

    def dataset_info(self, repo_id):
        self.calls.append(repo_id)
        if self.error:
            raise self.error
        return SimpleNamespace(sha=self.sha, id=repo_id)


@pytest.fixture
def fake_download(monkeypatch):
    """snapshot_download replaced by a writer of one result file; records its calls."""
    calls = []

    def snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        local = Path(kwargs["local_dir"])
        fx.write_result(local, "org/model", fx.SHA_A, "SciFact",
                        fx.simple_result("SciFact", 0.5 if kwargs["revision"] == SHA else 0.6))
        return str(local)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return calls


def test_hf_download_pinned_to_the_sha(fake_download):
    api = FakeApi()
    checkout = sources.resolve("hf:mteb/results", hf_api=api)
    assert api.calls == ["mteb/results"]
    assert (checkout.source, checkout.commit) == ("hf:mteb/results", SHA)
    assert checkout.root.parent == cache_dir() / "hf"
    [(repo_id, kwargs)] = fake_download
    assert repo_id == "mteb/results"
    assert kwargs == {"repo_type": "dataset", "revision": SHA, "local_dir": checkout.root,
                      "allow_patterns": sources.HF_PATTERNS}
    assert (checkout.root / "results" / "org__model" / fx.SHA_A / "SciFact.json").is_file()
    pinned = checkout.root.with_name(checkout.root.name + ".commit")
    assert pinned.read_text() == SHA


def test_hf_new_sha_downloads_again(fake_download):
    first = sources.resolve("hf:mteb/results", hf_api=FakeApi())
    second = sources.resolve("hf:mteb/results", hf_api=FakeApi(sha="f" * 40))
    assert second.root == first.root and second.commit == "f" * 40
    assert [kw["revision"] for _, kw in fake_download] == [SHA, "f" * 40]


@pytest.mark.parametrize("flag", ["1", "true", "YES"])
def test_hf_offline_uses_the_cached_copy(fake_download, monkeypatch, flag):
    online = sources.resolve("hf:mteb/results", hf_api=FakeApi())
    monkeypatch.setenv("HF_HUB_OFFLINE", flag)
    api = FakeApi(error=AssertionError("offline: the API must not be called"))
    offline = sources.resolve("hf:mteb/results", hf_api=api)
    assert offline == online and api.calls == [] and len(fake_download) == 1


def test_hf_offline_without_cached_copy(fake_download, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(sources.SourceError,
                       match="no cached copy of hf:mteb/results .*HF_HUB_OFFLINE"):
        sources.resolve("hf:mteb/results", hf_api=FakeApi())
    assert fake_download == []


def test_hf_no_update_uses_the_cached_copy(fake_download):
    online = sources.resolve("hf:mteb/results", hf_api=FakeApi())
    api = FakeApi(sha="e" * 40)
    assert sources.resolve("hf:mteb/results", update=False, hf_api=api) == online
    assert api.calls == []


def test_hf_api_failure_is_a_source_error(fake_download):
    api = FakeApi(error=ConnectionError("name resolution failed"))
    with pytest.raises(sources.SourceError,
                       match="cannot resolve hf:mteb/results: name resolution"):
        sources.resolve("hf:mteb/results", hf_api=api)
    assert fake_download == []


def test_hf_download_failure_is_a_source_error(monkeypatch):
    from huggingface_hub.errors import LocalEntryNotFoundError

    def snapshot_download(repo_id, **kwargs):
        raise LocalEntryNotFoundError("connection lost")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(sources.SourceError, match=f"cannot download hf:mteb/results@{SHA}"):
        sources.resolve("hf:mteb/results", hf_api=FakeApi())
    folder = sources._cache_folder("hf", "mteb/results")
    assert not folder.with_name(folder.name + ".commit").exists()  # nothing pinned
