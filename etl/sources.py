"""Where results come from: a local folder, a git repository, or a Hugging Face dataset repo.

`resolve(source)` returns a `Checkout`: a local folder holding `results/` and, when known, the
commit it reflects. Network sources are cached under the `cache_dir` setting: a git URL is cloned
once and fetched afterwards; a Hugging Face dataset is resolved once to a commit sha and
downloaded at that pinned revision (`HF_HUB_OFFLINE=1` uses the cached copy only).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mteb_lb import settings

HF_PREFIX = "hf:"
HF_PATTERNS = ["results/**/*.json", "results/**/*.jsonl"]


class SourceError(RuntimeError):
    """The source cannot be read; the message says why and what to try."""


@dataclass
class Checkout:
    root: Path
    source: str
    commit: str | None


def resolve(source: str | None = None, *, update: bool = True, hf_api=None) -> Checkout:
    source = source or settings.get("source")
    if source.startswith(HF_PREFIX):
        return _from_hub(source[len(HF_PREFIX):], update=update, api=hf_api)
    if _looks_like_git_url(source):
        return _from_git(source, update=update)
    root = Path(source).expanduser().resolve()
    if not root.is_dir():
        raise SourceError(f"source folder {root} does not exist")
    if not (root / "results").is_dir():
        raise SourceError(f"{root} has no results/ folder: not an MTEB results repository")
    return Checkout(root, str(root), _git_head(root))


def _looks_like_git_url(source: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git|file)://", source)) or source.endswith(".git") \
        or bool(re.match(r"^[\w.-]+@[\w.-]+:", source))


def _cache_folder(kind: str, key: str) -> Path:
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", key.rstrip("/").split("/")[-1])[:40]
    return settings.get("cache_dir") / kind / f"{safe}-{digest}"


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise SourceError("git is not installed; install it or pass a local folder as --source"
                          ) from None
    if proc.returncode != 0:
        raise SourceError(f"git {' '.join(args[:2])} failed: "
                          f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _git_head(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        return _git("rev-parse", "HEAD", cwd=root)
    except SourceError:
        return None


def _from_git(url: str, *, update: bool) -> Checkout:
    folder = _cache_folder("git", url)
    if not (folder / ".git").is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = folder.with_name(folder.name + ".partial")
        if partial.exists():
            _remove(partial)
        _git("clone", "--depth", "1", "--no-tags", url, str(partial))
        os.replace(partial, folder)
    elif update:
        _git("fetch", "--depth", "1", "origin", "HEAD", cwd=folder)
        _git("reset", "--hard", "FETCH_HEAD", cwd=folder)
    commit = _git("rev-parse", "HEAD", cwd=folder)
    return Checkout(folder, url, commit)


def _from_hub(repo_id: str, *, update: bool, api=None) -> Checkout:
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    folder = _cache_folder("hf", repo_id)
    pinned = folder.with_name(folder.name + ".commit")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    if offline or not update:
        if not pinned.exists() or not (folder / "results").is_dir():
            raise SourceError(f"no cached copy of hf:{repo_id} in {folder} "
                              "and HF_HUB_OFFLINE is set")
        return Checkout(folder, HF_PREFIX + repo_id, pinned.read_text().strip())
    api = api or HfApi()
    try:
        sha = api.dataset_info(repo_id).sha
    except Exception as exc:  # network, auth, not found: all mean "cannot read the source"
        raise SourceError(f"cannot resolve hf:{repo_id}: {exc}") from None
    try:
        snapshot_download(repo_id, repo_type="dataset", revision=sha, local_dir=folder,
                          allow_patterns=HF_PATTERNS)
    except LocalEntryNotFoundError as exc:
        raise SourceError(f"cannot download hf:{repo_id}@{sha}: {exc}") from None
    pinned.write_text(sha)
    return Checkout(folder, HF_PREFIX + repo_id, sha)


def _remove(path: Path) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)
