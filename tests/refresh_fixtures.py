"""Generators for the refresh, history and kill tests: a tiny upstream results repository kept
in a local git repository (used as a `file://` source), its catalog, and comparisons of builds.

The catalog has two benchmarks over four retrieval tasks and eight registered models, so the
leaderboards have ranks, means and per-task scores that change when results change.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import fixtures as fx

from etl import history
from mteb_lb import warehouse

TASKS = ("HRet1", "HRet2", "HRet3", "HRet4")
BENCHES = {"Hist(v1)": ["HRet1", "HRet2"], "HistAll(v1)": list(TASKS)}
MODELS = tuple(f"h/{c}" for c in "ABCDEFGH")
REV = fx.SHA_A
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def run_build(repo: Path, wh: Path, cat: Path, **kw):
    """`etl.build.run` on a fixture repository, in one process unless told otherwise."""
    from etl import build

    kw.setdefault("workers", 1)
    return build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, **kw)


def variant_build(tmp_path: Path, benchmarks: list[dict] | None = None):
    """The variant repository (readable files only) built into a fresh warehouse with the
    variant catalog (its benchmarks replaced by `benchmarks` if given):
    (repo, warehouse, catalog, report)."""
    repo = tmp_path / "repo"
    fx.write_variant_repo(repo, include_unreadable=False)
    if benchmarks is None:
        cat = fx.variant_catalog(tmp_path / "cat")
    else:
        cat = fx.write_catalog(tmp_path / "cat", tasks=fx.VARIANT_TASKS, benchmarks=benchmarks,
                               models=[fx.make_model("org/current-model", fx.SHA_A,
                                                     training_datasets=[])])
    wh = tmp_path / "wh"
    report = run_build(repo, wh, cat)
    assert report.published
    return repo, wh, cat, report


def built_template(base: Path, *, git_commit: bool, build=None) -> Path:
    """Three models (base_repo) under `base`/work, built and published once, then copied to
    `base`/template: a module-scoped fixture makes it once and fresh_copy gives each test its
    own copy at the same path (a build's views name their Parquet by absolute path). With
    `git_commit`, the repository is a git repository of one commit. `build(repo, cat, wh)`
    builds (default: run_build)."""
    work = base / "work"
    repo = work / "repo"
    base_repo(repo)
    if git_commit:
        commit(repo, "initial")
    cat = catalog(work / "cat")
    report = (build or (lambda r, c, w: run_build(r, w, c)))(repo, cat, work / "wh")
    assert report.published, report.message
    shutil.copytree(work, base / "template", symlinks=True)
    return base


def fresh_copy(base: Path) -> tuple[Path, Path, Path]:
    """(repo, catalog, warehouse) of a fresh copy of built_template's template."""
    work = base / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "template", work, symlinks=True)
    return work / "repo", work / "cat", work / "wh"


def catalog(folder: Path) -> Path:
    tasks = [fx.make_task(t, "Retrieval", "ndcg_at_10") for t in TASKS]
    benches = [fx.make_benchmark(name, tasks_) for name, tasks_ in BENCHES.items()]
    models = [fx.make_model(m, REV, training_datasets=[]) for m in MODELS]
    return fx.write_catalog(folder, tasks=tasks, benchmarks=benches, models=models)


def write_score(repo: Path, model: str, task: str, score: float, revision: str = REV) -> Path:
    path = fx.write_result(repo, model, revision, task, fx.simple_result(task, score))
    fx.bump_mtime(path, 0.001)
    return path


def result_path(repo: Path, model: str, task: str, revision: str = REV) -> Path:
    return repo / "results" / model.replace("/", "__") / revision / f"{task}.json"


def write_model(repo: Path, model: str, scores: dict[str, float]) -> None:
    fx.write_meta(repo, model, REV)
    for task, score in scores.items():
        write_score(repo, model, task, score)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {args}: {proc.stderr}")
    return proc.stdout.strip()


def init_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")


def commit(repo: Path, message: str = "update") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def url(repo: Path) -> str:
    return f"file://{repo}"


def base_repo(repo: Path, n_models: int = 3) -> None:
    """h/A < h/B < h/C ... on every task (model i scores 0.5 + i/20, minus j/100 on task j)."""
    init_repo(repo)
    for i, model in enumerate(MODELS[:n_models]):
        write_model(repo, model, {t: round(0.5 + i / 20 - j / 100, 4) for j, t in enumerate(TASKS)})


def big_repo(repo: Path, n_models: int = 8, files_per_model: int = 40) -> None:
    """A repository with enough files that a build takes a moment (tasks outside the catalog's
    benchmarks are parsed and stored but do not enter the leaderboards)."""
    init_repo(repo)
    for i, model in enumerate(MODELS[:n_models]):
        fx.write_meta(repo, model, REV)
        for j, t in enumerate(TASKS):
            write_score(repo, model, t, round(0.4 + i / 30 + j / 100, 4))
        for k in range(files_per_model):
            task = f"Extra{k:03d}"
            fx.write_result(repo, model, REV, task, fx.current(task, {"test": [
                fx.entry("default", ["eng-Latn"], 0.3 + k / 1000, ndcg_at_10=0.3 + k / 1000,
                         recall_at_100=0.7, map_at_10=0.2 + i / 100)]}))


# --------------------------------------------------------------------------------------------
# comparing builds
# --------------------------------------------------------------------------------------------

def _norm(value):
    if isinstance(value, float) and math.isnan(value):
        return "<NaN>"
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return value


def tables(build: Path, exclude=history.HISTORY_RELATIONS + ("superseded_files",)
           ) -> dict[str, list]:
    """Every table and view of a build as sorted rows, except the history (which depends on
    the builds before it, by design) and the ids of superseded versions (which depend on how
    the segments were written, not on the data)."""
    con = duckdb.connect(str(build / warehouse.DB_FILE), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            if name in exclude:
                continue
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted((tuple(_norm(v) for v in row) for row in rows), key=repr)
        return out
    finally:
        con.close()


def leaderboard_state(build: Path) -> list[tuple]:
    """The leaderboards as the build's history says they are now (leaderboard_as_of)."""
    con = duckdb.connect(str(build / warehouse.DB_FILE), read_only=True)
    try:
        rows = con.execute(
            "SELECT benchmark, model_name, key, rank, score, mean_task_type, mean_public, "
            "mean_private, mean_subset FROM leaderboard_as_of(TIMESTAMP '9999-01-01')").fetchall()
    finally:
        con.close()
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)


def assert_same_build(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    assert sorted(ta) == sorted(tb)
    for name in ta:
        assert ta[name] == tb[name], f"table {name} differs between {a.name} and {b.name}"
    # the leaderboard state rebuilt from the deltas equals the one a fresh build computes
    assert leaderboard_state(a) == leaderboard_state(b)


def full_twin(checkout: Path, tmp: Path, catalog_dir: Path, name: str) -> Path:
    """A full rebuild of `checkout` in a fresh warehouse."""
    from etl import build

    wh = tmp / f"twin-{name}"
    shutil.rmtree(wh, ignore_errors=True)
    report = build.run(checkout, source=str(checkout), full=True, catalog_dir=catalog_dir,
                       warehouse_dir=wh, workers=1)
    assert report.published, report.message
    return report.build


def cache_checkout(src_url: str) -> Path:
    """The cache clone `etl.sources` keeps for a git URL (what the refresh built from)."""
    from etl import sources

    return sources._cache_folder("git", src_url)


@contextmanager
def lock_held_elsewhere(warehouse_dir: Path):
    """Another process holds the warehouse's ETL lock for the duration of the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, time\n"
         f"h = open({str(warehouse_dir / 'etl.lock')!r}, 'a+')\n"
         "fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
         "print('locked', flush=True)\n"
         "time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()
