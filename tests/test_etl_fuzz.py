"""Property-based fuzzing of the ETL (issue #11): real-shaped result and model_meta.json files
of the variant repository (tests/fixtures.py), mutated (truncated, bytes flipped, nested
thousands deep, numbers of thousands of digits, values of the wrong type, lone surrogates) and
written under odd names (not UTF-8, hidden, spaces, upper-case extension, links, FIFOs) into
folders of their own next to the variant repository. For every example:

* the build publishes (incremental builds on one warehouse, the first one full);
* every file is `loaded`, or `quarantined` / `skipped` with a reason;
* every file of the variant repository has exactly the `files` row it has in a build without
  the mutants, and the rows of `scores`, `metrics`, `metric_arrays` and `model_meta` outside the
  mutants' folders, and the leaderboard's `benchmark_results`, equal that build's;
* a valid file left unchanged under an odd name comes out as it does in the variant repository.

The examples are derandomized (the same ones on every run); `MTEB_LB_FUZZ_EXAMPLES` sets their
number (default 30) and `MTEB_LB_FUZZ_RANDOM=1` draws new ones.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import fixtures as fx
import pytest
import refresh_fixtures as rf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mteb_lb import warehouse

EXAMPLES = int(os.environ.get("MTEB_LB_FUZZ_EXAMPLES", "30"))
RANDOM = os.environ.get("MTEB_LB_FUZZ_RANDOM") == "1"
# the seeds: the variant repository's readable JSON files outside the leaderboard's benchmark
# (a mutant that still loads then changes no ranking of the models it is compared with)
BENCHMARK_TASKS = ("EmotionClassification", "NFCorpus", "DBPedia")
SEEDS = [s for s in fx.variant_files() if s.path.endswith(".json") and s.mode is None
         and s.kind in ("result", "model_meta") and s.task_name not in BENCHMARK_TASKS]
FUZZ_SHA = "f" * 40
STATS = {"examples": 0, "seconds": 0.0, "mutants": 0, "as_is": 0, "statuses": {}}


# --------------------------------------------------------------------------------------------
# mutations
# --------------------------------------------------------------------------------------------

def _values(obj, path=()):
    """Every (path, value) of a JSON value, depth first."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _values(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _values(v, path + (i,))


def _replace(obj, path, value):
    if not path:
        return value
    obj[path[0]] = _replace(obj[path[0]], path[1:], value)
    return obj


WRONG_TYPES = [None, True, "nan", "", [], {}, [1, "a"], {"x": {"y": []}}, -1, 1e308, 0.5]


@st.composite
def mutation(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "nest", "huge_number", "wrong_type",
                                 "surrogate", "garbage"]))
    if kind == "truncate":
        return data[:draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "flip" and data:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    if kind in ("garbage", "flip"):  # (nothing to flip in an empty file)
        return draw(st.binary(max_size=200))
    obj = json.loads(data)
    paths = [p for p, _ in _values(obj)]
    target = draw(st.sampled_from(paths))
    if kind == "nest":
        depth = draw(st.sampled_from([10, 65, 70, 1000, 3000, 20000]))
        leaf = "__LEAF__"
        obj = _replace(obj, target, leaf)
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a": ', "}")]))
        text = json.dumps(obj, allow_nan=True)
        return text.replace('"__LEAF__"', opener * depth + "1" + closer * depth, 1).encode()
    if kind == "huge_number":
        digits = draw(st.sampled_from([20, 310, 400, 4300, 4301, 6000]))
        obj = _replace(obj, target, "__NUMBER__")
        text = json.dumps(obj, allow_nan=True)
        number = draw(st.sampled_from(["9" * digits, "-1" + "0" * digits, "1e" + str(digits)]))
        return text.replace('"__NUMBER__"', number, 1).encode()
    if kind == "surrogate":
        obj = _replace(obj, target, "__S__")
        return json.dumps(obj, allow_nan=True).replace("__S__", "a\\ud800b", 1).encode()
    return json.dumps(_replace(obj, target, draw(st.sampled_from(WRONG_TYPES))),
                      allow_nan=True).encode()


NAMES = ["{task}.json", "model_meta.json", ".hidden.json", "with space.json", "UPPER.JSON",
         "ünïcode.json", b"\xff\xfe.json", "x" * 200 + ".json", "no_extension",
         "experiments/exp_1/{task}.json"]
KINDS = ["file", "file", "file", "file", "symlink", "fifo"]


# names under which an unchanged file is read as it is in the variant repository
READ_AS_IS = {"{task}.json", ".hidden.json", "with space.json", "ünïcode.json", "x" * 200 + ".json",
              "experiments/exp_1/{task}.json"}


@st.composite
def mutant(draw):
    seed = draw(st.sampled_from(SEEDS))
    data = seed.data
    for _ in range(draw(st.integers(0, 2))):  # 0: the file unchanged, only its name is odd
        try:
            data = draw(mutation(data))
        except (ValueError, RecursionError):  # no longer JSON (or nested too deep for Python's
            break                              # parser): a second mutation does not apply
    name, kind = draw(st.sampled_from(NAMES)), draw(st.sampled_from(KINDS))
    # an unchanged regular file under a result name must come out as its seed does
    as_is = data == seed.data and kind == "file" and (
        name in READ_AS_IS if seed.kind == "result" else name == "model_meta.json")
    return {"name": name, "kind": kind, "data": data, "task": seed.task_name or "Meta",
            "expect": (seed.status, seed.n_entries) if as_is else None}


# --------------------------------------------------------------------------------------------
# the builds
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The variant repository, its catalog, the reference build of it alone, and a warehouse
    the examples build into (incrementally)."""
    base = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
        fx.write_variant_repo(base / "repo", include_unreadable=False)
        cat = fx.variant_catalog(base / "cat")
        reference = rf.run_build(base / "repo", base / "reference", cat)
        assert reference.published
        yield base, cat, _state(reference.build)
    print(f"\nfuzz: {STATS['examples']} examples, {STATS['mutants']} mutants "
          f"({STATS['as_is']} valid files under odd names), "
          f"{STATS['seconds']:.1f} s, outcomes {STATS['statuses']}")


def _query(build: Path, sql: str, params=()) -> list[tuple]:
    """Sorted rows, NaN made comparable (NaN != NaN)."""
    con = duckdb.connect(str(build / warehouse.DB_FILE), read_only=True)
    try:
        rows = con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
    return sorted((tuple(rf._norm(v) for v in row) for row in rows), key=repr)


def _state(build: Path) -> dict:
    """What must not change when mutants are added: everything outside the mutants' folders."""
    outside = "model_folder NOT LIKE 'fuzz%'"
    return {
        "files": _query(build, "SELECT path, kind, status, reason, n_entries, content_hash, "
                               f"file_id FROM files WHERE {outside}"),
        "scores": _query(build, f"SELECT * FROM scores WHERE {outside}"),
        "metrics": _query(build, "SELECT m.* FROM metrics m JOIN scores s USING (entry_id) "
                                 f"WHERE s.{outside}"),
        "metric_arrays": _query(build, "SELECT m.* FROM metric_arrays m JOIN scores s "
                                       f"USING (entry_id) WHERE s.{outside}"),
        "model_meta": _query(build, f"SELECT * FROM model_meta WHERE {outside}"),
        "benchmark_results": _query(build, "SELECT * FROM benchmark_results"),
    }


def _write(folder: Path, m: dict) -> None:
    name = m["name"]
    path = os.fsencode(folder) + b"/" + (name if isinstance(name, bytes)
                                        else name.format(task=m["task"]).encode())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if m["kind"] == "symlink":
        target = os.fsencode(folder) + b".target"
        with open(target, "wb") as handle:
            handle.write(m["data"])
        os.symlink(target, path)
    elif m["kind"] == "fifo":
        os.mkfifo(path)
    else:
        with open(path, "wb") as handle:
            handle.write(m["data"])


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(mutants=st.lists(mutant(), min_size=1, max_size=4))
def test_mutated_files_cost_only_themselves(world, mutants):
    base, cat, expected = world
    started = time.monotonic()
    repo, wh = base / "repo", base / "wh"
    for old in (repo / "results").glob("fuzz*"):
        shutil.rmtree(old)
    for old in base.glob("*.target"):
        old.unlink()
    for i, m in enumerate(mutants):
        _write(repo / "results" / f"fuzz__m{i}" / FUZZ_SHA, m)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
        report = rf.run_build(repo, wh, cat, workers=2)
    build = warehouse.current_build(wh)
    assert report.published or report.message.endswith("nothing published")
    assert warehouse.check_build(build) is None
    rows = _query(build, "SELECT path, status, reason FROM files")
    on_disk = sum(len(files) for _, _dirs, files in os.walk(repo / "results"))
    assert len(rows) == on_disk  # every file seen (links and FIFOs included)
    for path, status, reason in rows:
        assert status in ("loaded", "quarantined", "skipped"), path
        if status != "loaded":
            assert reason, path
    for i, m in enumerate(mutants):  # every valid file loads (the same as its seed)
        if m["expect"] is not None:
            path = f"results/fuzz__m{i}/{FUZZ_SHA}/{m['name'].format(task=m['task'])}"
            assert _query(build, "SELECT status, n_entries FROM files WHERE path = ?", [path]) \
                == [m["expect"]], path
            STATS["as_is"] += 1
    state = _state(build)
    for key, want in expected.items():
        extra = [r for r in state[key] if r not in want]
        missing = [r for r in want if r not in state[key]]
        assert not extra and not missing, (key, extra[:3], missing[:3])
    STATS["examples"] += 1
    STATS["mutants"] += len(mutants)
    for path, status, _reason in rows:
        if "fuzz__" in path:
            STATS["statuses"][status] = STATS["statuses"].get(status, 0) + 1
    STATS["seconds"] += time.monotonic() - started
