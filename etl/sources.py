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
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from etl.progress import Display
from mteb_lb import settings

HF_PREFIX = "hf:"
HF_PATTERNS = ["results/**/*.json", "results/**/*.jsonl"]
HF_RESULTS = "hf:mteb/results"   # the Hugging Face copy of the public results repository
REACH_TIMEOUT_S = 10   # how long a git host may take to accept a connection


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
    if root.name == "results" and not (root / "results").is_dir():
        root = root.parent  # the inner folder given: its parent is the repository
    if not (root / "results").is_dir():
        raise SourceError(f"{root} has no results/ folder: not an MTEB results repository. "
                          "--source takes the folder holding results/ (a clone of "
                          "github.com/embeddings-benchmark/results).")
    return Checkout(root, str(root), _git_head(root))


def _looks_like_git_url(source: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git|file)://", source)) or source.endswith(".git") \
        or bool(re.match(r"^[\w.-]+@[\w.-]+:", source))


def _cache_folder(kind: str, key: str) -> Path:
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", key.rstrip("/").split("/")[-1])[:40]
    return settings.get("cache_dir") / kind / f"{safe}-{digest}"


def _git(*args: str, cwd: Path | None = None, progress: bool = False) -> str:
    """Run git; ``progress``: show its counts on the progress display (on a terminal only)."""
    env = {**os.environ, "GIT_HTTP_LOW_SPEED_LIMIT": "1000", "GIT_HTTP_LOW_SPEED_TIME": "60"}
    try:
        if progress and sys.stderr.isatty():
            proc = _git_with_progress(["git", args[0], "--progress", *args[1:]], cwd, env)
        else:
            proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                                  timeout=3600, env=env)
    except FileNotFoundError:
        raise SourceError("git is not installed; install it or pass a local folder as --source"
                          ) from None
    if proc.returncode != 0:
        raise SourceError(f"git {' '.join(args[:2])} failed: "
                          f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _git_with_progress(cmd: list[str], cwd: Path | None, env: dict):

    display = Display()
    lines = []
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        chunk = ""
        while (char := proc.stderr.read(1)):
            if char in "\r\n":
                display.git_line(chunk)
                lines.append(chunk)
                chunk = ""
            else:
                chunk += char
        lines.append(chunk)
        out = proc.stdout.read()
        proc.wait()
    finally:
        display.close()
    stderr = "\n".join(line for line in lines if line and not _is_progress(line))
    return subprocess.CompletedProcess(cmd, proc.returncode, out, stderr)


def _is_progress(line: str) -> bool:
    return bool(re.search(r"\d+% \(\d+/\d+\)", line))


def _git_head(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        return _git("rev-parse", "HEAD", cwd=root)
    except SourceError:
        return None


def _next_step(cached: bool) -> str:
    """What to do when the git source cannot be reached (no network, host down)."""
    return ("Next step: build from a local copy with `--source <folder holding results/>` (or "
            f"set MTEB_LB_SOURCE to it), or from the Hugging Face copy with `--source "
            f"{HF_RESULTS}`" + (", or use the cached clone with `--no-update`" if cached else "")
            + ".")


def _hub_next_step(cached: bool) -> str:
    """What to do when the Hugging Face source cannot be read (no network, offline mode)."""
    github = next(s for s in settings.SETTINGS if s.name == "source").default()
    return ("Next step: build from a local copy with `--source <folder holding results/>` (or "
            f"set MTEB_LB_SOURCE to it), or from GitHub with `--source {github}`"
            + (", or use the cached copy with `--no-update`" if cached else "") + ".")


def _unreachable(url: str) -> tuple[str, str] | None:
    """(host, reason) when an http(s) URL's host does not accept a connection within
    REACH_TIMEOUT_S seconds, else None (a clone or a download would otherwise wait for the
    network's own timeouts and retries)."""
    match = re.match(r"^(https?)://(?:[^@/]*@)?([^/:]+)(?::(\d+))?", url)
    if not match:
        return None
    scheme, host, port = match.groups()
    try:
        socket.create_connection((host, int(port or (443 if scheme == "https" else 80))),
                                 timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        return host, exc.strerror or type(exc).__name__
    return None


def _reach(url: str, cached: bool) -> None:
    """Fail within seconds, with the next step, when an http(s) git host cannot be reached."""
    failed = _unreachable(url)
    if failed:
        host, reason = failed
        raise SourceError(f"cannot reach {host} ({reason}): {url} cannot be "
                          f"{'fetched' if cached else 'cloned'}. {_next_step(cached)}")


def _from_git(url: str, *, update: bool) -> Checkout:
    folder = _cache_folder("git", url)
    cached = (folder / ".git").is_dir()
    try:
        if not cached:
            _reach(url, cached)
            folder.parent.mkdir(parents=True, exist_ok=True)
            partial = folder.with_name(folder.name + ".partial")
            if partial.exists():
                _remove(partial)
            _git("clone", "--depth", "1", "--no-tags", url, str(partial), progress=True)
            os.replace(partial, folder)
        elif update:
            _reach(url, cached)
            _git("fetch", "--depth", "1", "origin", "HEAD", cwd=folder, progress=True)
            _git("reset", "--hard", "FETCH_HEAD", cwd=folder)
    except SourceError as exc:
        if "Next step" in str(exc):
            raise
        raise SourceError(f"{exc}. {_next_step(cached)}") from None
    commit = _git("rev-parse", "HEAD", cwd=folder)
    return Checkout(folder, url, commit)


def _from_hub(repo_id: str, *, update: bool, api=None) -> Checkout:
    # deferred: heavy, needed for hf: sources only
    from huggingface_hub import HfApi, constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    folder = _cache_folder("hf", repo_id)
    pinned = folder.with_name(folder.name + ".commit")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    cached = pinned.exists() and (folder / "results").is_dir()
    if offline or not update:
        if not cached:
            why = "HF_HUB_OFFLINE is set" if offline else "--no-update was given"
            raise SourceError(f"no cached copy of hf:{repo_id} in {folder}, and {why}. "
                              + _hub_next_step(False))
        return Checkout(folder, HF_PREFIX + repo_id, pinned.read_text().strip())
    if api is None:
        endpoint = constants.ENDPOINT   # HF_ENDPOINT, else huggingface.co
        failed = _unreachable(endpoint)
        if failed:
            host, reason = failed
            raise SourceError(f"cannot reach {host} ({reason}): hf:{repo_id} cannot be "
                              f"downloaded from {endpoint}. {_hub_next_step(cached)}")
    api = api or HfApi()
    try:
        sha = api.dataset_info(repo_id).sha
    except Exception as exc:  # network, auth, not found: all mean "cannot read the source"
        raise SourceError(f"cannot resolve hf:{repo_id}: {exc}. {_hub_next_step(cached)}"
                          ) from None
    try:
        snapshot_download(repo_id, repo_type="dataset", revision=sha, local_dir=folder,
                          allow_patterns=HF_PATTERNS)
    except LocalEntryNotFoundError as exc:
        raise SourceError(f"cannot download hf:{repo_id}@{sha}: {exc}. "
                          f"{_hub_next_step(cached)}") from None
    pinned.write_text(sha)
    return Checkout(folder, HF_PREFIX + repo_id, sha)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
