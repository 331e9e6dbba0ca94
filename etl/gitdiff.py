"""What changed under `results/` between two commits of a git repository, and which commits to
visit: the two git questions the backfill (and anything else walking the results' history) asks.

`changed_paths(repo, old, new)` is `git diff --name-status -M -z old new -- results/` as a list of
`PathChange` (status A added, M modified, D deleted, R renamed with its `old_path`); `old=None`
lists every file of `new`'s tree under `results/` as added. `first_parent_commits(repo, since,
every)` is the first-parent history of HEAD, oldest first, optionally from a date on and thinned
to the last commit of each day, week (ISO) or month (UTC).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from etl.sources import SourceError

RESULTS = "results/"
PERIODS = ("day", "week", "month")


class PathChange(NamedTuple):
    status: str              # "A", "M", "D" or "R"
    path: str                # repository-relative, posix: the new path of a rename
    old_path: str | None     # the path before a rename, else None


class Commit(NamedTuple):
    commit: str              # full sha
    date: datetime           # committer date, timezone-aware, UTC


def _git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return stdout unstripped (NUL-separated output keeps every byte)."""
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=repo,
                              capture_output=True, timeout=3600)
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise SourceError(f"git {' '.join(args[:2])} failed in {repo}: {err}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def is_git_repo(path: Path) -> bool:
    """Whether `path` is the top of a git work tree (a plain folder, or a subfolder, is not)."""
    try:
        top = _git(path, "rev-parse", "--show-toplevel").strip()
    except SourceError:
        return False
    return Path(top).resolve() == Path(path).resolve()


def is_bare_repo(path: Path) -> bool:
    """Whether `path` is a bare git repository (a `git clone --bare` or `--mirror`): history
    without a work tree."""
    try:
        bare, git_dir = _git(path, "rev-parse", "--is-bare-repository",
                             "--absolute-git-dir").split()
    except (SourceError, ValueError):
        return False
    return bare == "true" and Path(git_dir).resolve() == Path(path).resolve()


def _parse_name_status(out: str) -> list[PathChange]:
    fields = out.split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    changes: list[PathChange] = []
    i = 0
    while i < len(fields):
        status = fields[i][:1]
        if status in ("R", "C"):                 # "R087\0old\0new"
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            changes.append(PathChange("R", new, old) if status == "R"
                           else PathChange("A", new, None))
            continue
        path = fields[i + 1]
        i += 2
        if status == "T":                        # type change (file <-> symlink): content changed
            status = "M"
        if status not in ("A", "M", "D"):
            raise SourceError(f"unexpected git diff status {fields[i - 2]!r} for {path}")
        changes.append(PathChange(status, path, None))
    return changes


def changed_paths(repo: Path, old: str | None, new: str) -> list[PathChange]:
    """The files under `results/` that differ between commits `old` and `new` (renames detected;
    only those of identical files when git cannot read a file's content), sorted by path; with
    `old=None`, every file under `results/` in `new`'s tree, as added."""
    if old is None:
        out = _git(repo, "ls-tree", "-r", "-z", "--name-only", new, "--", RESULTS)
        return sorted(PathChange("A", p, None) for p in out.split("\0") if p)
    def diff(renames: str) -> str:
        return _git(repo, "diff", "--name-status", renames, "-z", "--no-ext-diff", old, new,
                    "--", RESULTS)

    try:
        out = diff("-M")
    except SourceError:
        # a blob git cannot read (a partial clone out of reach of its remote) stops the renames
        # found by content; the renames of identical files are found by their object ids alone
        out = diff("-M100%")
    return sorted(_parse_name_status(out), key=lambda c: (c.path, c.status))


def _period(day: datetime, every: str) -> tuple:
    if every == "day":
        return (day.year, day.month, day.day)
    if every == "week":
        year, week, _ = day.isocalendar()
        return (year, week)
    return (day.year, day.month)


def _as_datetime(since: str | date | datetime) -> datetime:
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since)
        except ValueError:
            raise ValueError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day)
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def thin(commits: Iterable[Commit], every: str | None) -> list[Commit]:
    """Keep the last commit (in history order) of each period; the order is kept."""
    commits = list(commits)
    if every is None:
        return commits
    if every not in PERIODS:
        raise ValueError(f"--every must be one of {', '.join(PERIODS)}, not {every!r}")
    last: dict[tuple, int] = {}
    for i, c in enumerate(commits):
        last[_period(c.date, every)] = i
    return [commits[i] for i in sorted(last.values())]


def first_parent_commits(repo: Path, since: str | date | datetime | None = None,
                         every: str | None = None, ref: str = "HEAD") -> list[Commit]:
    """The first-parent history of `ref`, oldest first: the commits the branch itself was at
    (a merge counts once, its side branch's commits do not). `since` keeps commits whose
    committer date is on or after it (a date means its midnight UTC); `every` keeps the last
    commit of each UTC day, ISO week or month."""
    if every is not None and every not in PERIODS:
        raise ValueError(f"--every must be one of {', '.join(PERIODS)}, not {every!r}")
    out = _git(repo, "log", "--first-parent", "--format=%H %cI", ref)
    commits = []
    for line in reversed(out.splitlines()):
        sha, stamp = line.split(" ", 1)
        commits.append(Commit(sha, datetime.fromisoformat(stamp).astimezone(UTC)))
    if since is not None:
        start = _as_datetime(since)
        commits = [c for c in commits if c.date >= start]
    return thin(commits, every)
