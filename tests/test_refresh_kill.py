"""SIGKILL a refresh at random points: the current build must stay whole and served, and the
next refresh must complete and equal a full rebuild.

Each trial pushes a new upstream commit (files added, modified, deleted), starts
`python -m mteb_lb.cli refresh` in its own process group, keeps querying the current build from a
connection opened before the refresh (a reader), and kills the whole group (the CLI, its parser
processes and git, as systemd or the OOM killer would) after a random delay spread over a whole
refresh (fetch, parse, database, views, history, validation, publish, run log). Then:

* the current build's manifest reads, its views and macros query fine through a new hardened
  connection, and the reader's connection still answers;
* the run log is readable (a torn last line is skipped);
* the next refresh completes (published, or "already at" when the killed run had published)
  and its build equals a full rebuild of the same checkout, table by table, with the same
  leaderboard state in its history.

The seed is fixed in CI (`CI=true`: `CI_SEED`) and random locally; it is printed either way,
and `MTEB_LB_KILL_SEED` replays a sequence. `MTEB_LB_KILL_TRIALS` sets the number of trials.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import refresh_fixtures as rf

from etl import refresh
from mteb_lb import db, runs, warehouse

TRIALS = int(os.environ.get("MTEB_LB_KILL_TRIALS", "10"))
CI_SEED = 20260101
PROJECT = Path(__file__).resolve().parent.parent
# `mteb-lb refresh` whose build stops in `_write_tables` (staging written, database not yet):
# it writes the staging folder's path to argv[1], then waits there until a signal ends it.
HELD_REFRESH = """\
import sys, time
from pathlib import Path
from etl import build
from mteb_lb import cli

def held(staged, *args, **kwargs):
    # written whole, then renamed: the test waits for the file and reads it at once
    tmp = Path(sys.argv[1] + ".tmp")
    tmp.write_text(str(staged))
    tmp.replace(sys.argv[1])
    while True:
        time.sleep(1)

build._write_tables = held
sys.exit(cli.main(sys.argv[2:]))
"""


def kill_seed() -> int:
    """MTEB_LB_KILL_SEED if set; else the fixed CI seed when CI=true, a random one locally."""
    if os.environ.get("MTEB_LB_KILL_SEED"):
        return int(os.environ["MTEB_LB_KILL_SEED"])
    if os.environ.get("CI", "").lower() == "true":
        return CI_SEED
    return random.SystemRandom().randrange(1_000_000)


def _start(src: str, cat: Path, wh: Path, held_at: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(wh)}
    args = ["refresh", "--source", src, "--catalog", str(cat), "--workers", "2", "--quiet"]
    prefix = ["-m", "mteb_lb.cli"] if held_at is None else ["-c", HELD_REFRESH, str(held_at)]
    return subprocess.Popen(
        [sys.executable, *prefix, *args],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)


def _mutate(repo: Path, rng: random.Random, trial: int) -> None:
    models = [m for m in rf.MODELS if (repo / "results" / m.replace("/", "__")).is_dir()]
    for model in rng.sample(models, 2):                        # modify a leaderboard score
        rf.write_score(repo, model, rng.choice(rf.TASKS), round(rng.uniform(0.2, 0.95), 4))
    model = rng.choice(models)                                 # add a file
    rf.write_score(repo, model, f"Extra{900 + trial:03d}", 0.5)
    extras = sorted((repo / "results").glob("*/*/Extra0*.json"))
    rng.choice(extras).unlink()                                # delete a file


def _serves(build: Path) -> None:
    """The build is whole: manifest, views and the ranking macros answer."""
    manifest = warehouse.read_manifest(build)
    assert manifest["build_id"] == build.name
    con = db.open_build(build)
    try:
        cur = con.cursor()
        for name in ("scores", "metrics", "files", "benchmark_results", "models",
                     "changes_since_previous", "leaderboard_history"):
            cur.execute(f'SELECT count(*) FROM "{name}"').fetchall()
        rows = cur.execute("SELECT count(*) FROM lb_model_scores('HistAll(v1)', NULL, NULL, "
                           "NULL, false, true, false)").fetchall()
        assert rows[0][0] > 0
    finally:
        db.release(build, con)


@pytest.mark.parametrize("ci,expected", [("true", CI_SEED), ("", None)])
def test_kill_seed_is_fixed_in_ci_and_random_locally(monkeypatch, ci, expected):
    monkeypatch.delenv("MTEB_LB_KILL_SEED", raising=False)
    monkeypatch.setenv("CI", ci)
    seeds = {kill_seed() for _ in range(5)}
    if expected is not None:
        assert seeds == {expected}
    else:  # five draws from a million: all equal with probability 1e-24
        assert len(seeds) > 1
    monkeypatch.setenv("MTEB_LB_KILL_SEED", "42")
    assert kill_seed() == 42


def test_sigkill_at_random_points(tmp_path, summary_note):
    seed = kill_seed()
    summary_note(f"SIGKILL trials: MTEB_LB_KILL_SEED={seed} "
                 f"({'fixed, CI' if seed == CI_SEED else 'random, replay with this'})")
    print(f"MTEB_LB_KILL_SEED={seed} (CI={os.environ.get('CI', '')})")
    rng = random.Random(seed)
    repo = tmp_path / "upstream"
    rf.big_repo(repo)
    rf.commit(repo, "initial")
    src, cat, wh = rf.url(repo), rf.catalog(tmp_path / "cat"), tmp_path / "wh"
    assert refresh.refresh(src, catalog_dir=cat, warehouse_dir=wh, workers=2).outcome == \
        "published"

    # calibrate: how long one refresh with a change takes in a subprocess
    _mutate(repo, rng, 0)
    rf.commit(repo, "calibration")
    t = time.monotonic()
    proc = _start(src, cat, wh)
    out, err = proc.communicate(timeout=120)
    duration = time.monotonic() - t
    assert proc.returncode == 0, err.decode()
    assert b"published" in out

    killed_outcomes = []
    for trial in range(1, TRIALS + 1):
        _mutate(repo, rng, trial)
        rf.commit(repo, f"trial {trial}")
        before = warehouse.current_build(wh)
        reader = db.open_build(before)
        reader_count = reader.cursor().execute("SELECT count(*) FROM metrics").fetchall()
        delay = rng.uniform(0.0, duration * 1.1)
        proc = _start(src, cat, wh)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and proc.poll() is None:
            assert reader.cursor().execute("SELECT count(*) FROM metrics").fetchall() == \
                reader_count  # a reader holding a connection keeps working during the refresh
            time.sleep(0.01)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        killed_outcomes.append(proc.returncode)

        assert reader.cursor().execute("SELECT count(*) FROM metrics").fetchall() == reader_count
        db.release(before, reader)
        current = warehouse.current_build(wh)        # intact: resolves to a finished build
        assert current in (before, *warehouse.list_builds(wh))
        _serves(current)
        runs.read(wh)                                # the run log stays readable

        killed_published = current != before
        again = refresh.refresh(src, catalog_dir=cat, warehouse_dir=wh, workers=2)
        print(f"trial {trial}: killed after {delay:.2f} s of ~{duration:.2f} s, exit "
              f"{proc.returncode}, killed run published: {killed_published}, next run: "
              f"{again.outcome}")
        assert again.outcome in ("published", "unchanged"), (trial, delay, again.message)
        assert again.exit_code == 0
        current = warehouse.current_build(wh)
        head = rf.git(repo, "rev-parse", "HEAD")
        assert warehouse.read_manifest(current)["source_commit"] == head
        twin = rf.full_twin(rf.cache_checkout(src), tmp_path, cat, "kill")
        rf.assert_same_build(current, twin)
        leftovers = [p for p in (wh / "builds").iterdir()
                     if not (p / warehouse.MANIFEST).exists()]
        assert leftovers == []
    # the kills landed at different points: some runs died, some may have finished first
    assert any(code == -signal.SIGKILL for code in killed_outcomes), killed_outcomes


def test_sigterm_mid_build_is_recorded_and_cleaned_up(tmp_path):
    """systemd stops a unit with SIGTERM: the refresh unwinds, removes its staging build and
    records the run as failed (interrupted); the current build is untouched."""
    repo = tmp_path / "upstream"
    rf.big_repo(repo, n_models=4, files_per_model=20)
    rf.commit(repo, "initial")
    src, cat, wh = rf.url(repo), rf.catalog(tmp_path / "cat"), tmp_path / "wh"
    assert refresh.refresh(src, catalog_dir=cat, warehouse_dir=wh, workers=1).outcome == \
        "published"
    before = warehouse.current_build(wh)
    _mutate(repo, random.Random(0), 1)
    rf.commit(repo, "change")
    held_at = tmp_path / "held"
    proc = _start(src, cat, wh, held_at)
    deadline = time.monotonic() + 120
    while not held_at.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held_at.exists(), proc.communicate()[1].decode()  # the run is held mid-build
    staged = Path(held_at.read_text())
    assert staged.is_dir()
    os.kill(proc.pid, signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    last = runs.last(1, wh)[0]
    print(f"after SIGTERM: {last['outcome']} ({last.get('reason')}): {last['message']}")
    assert (last["outcome"], last["reason"]) == ("failed", "interrupted"), err.decode()
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()  # refresh_cli._on_sigterm
    assert warehouse.current_build(wh) == before
    assert not staged.exists()
    assert not any((wh / ".staging").glob("*"))
    _serves(warehouse.current_build(wh))
