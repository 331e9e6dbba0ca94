"""The ETL under hostile input: one bad file costs one file, never the build (issue #11).

Each case adds one hostile entry to a small repository of good files and builds it: the build
publishes, the hostile entry is `quarantined` or `skipped` with a reason naming the problem, and
every table but `files` equals the build of the good files alone. Then: parser processes that
die or hang, leftovers of killed runs, a full disk, the exit codes, a damaged current build.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path
from types import SimpleNamespace

import duckdb
import fixtures as fx
import pytest
import refresh_fixtures as rf

from etl import build, history, segments
from etl import cli as etl_cli
from etl.segments import FileStat, read_file
from mteb_lb import warehouse

SHA_A, SHA_B = fx.SHA_A, fx.SHA_B
ALPHA = f"results/org__alpha/{SHA_A}"
BETA = f"results/org__beta/{SHA_B}"
# every table but `files` (the hostile entry has its row there) and the build history
COMPARED_EXCLUDE = history.HISTORY_RELATIONS + ("superseded_files", "files")
DEPTH = 64  # MTEB_LB_MAX_JSON_DEPTH's default


def write_good(repo: Path) -> None:
    """Two models, three and two results, one model_meta.json each."""
    fx.write_meta(repo, "org/alpha", SHA_A)
    fx.write_meta(repo, "org/beta", SHA_B)
    for task, score in (("SciFact", 0.5), ("DBPedia", 0.6), ("NFCorpus", 0.7)):
        fx.write_result(repo, "org/alpha", SHA_A, task, fx.simple_result(task, score))
    fx.write_result(repo, "org/beta", SHA_B, "SciFact", fx.simple_result("SciFact", 0.4))
    fx.write_result(repo, "org/beta", SHA_B, "EmotionClassification", fx.current(
        "EmotionClassification", {"test": [fx.entry(main_score=0.8, accuracy=0.8, f1=0.75,
                                                    scores_per_experiment=[{"accuracy": 0.8}])]}))


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    return fx.variant_catalog(tmp_path_factory.mktemp("cat"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, cat):
    """The build of the good files alone."""
    base = tmp_path_factory.mktemp("reference")
    write_good(base / "repo")
    report = rf.run_build(base / "repo", base / "wh", cat, workers=2)
    assert report.published
    return report.build


def files_of(build_dir: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT path, status, reason, n_entries, content_hash FROM files").fetchall()}
    finally:
        con.close()


def scalar(build_dir: Path, sql: str, params=()):
    con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def assert_only_costs(build_dir: Path, reference: Path, bad: dict[str, tuple[str, str]]) -> None:
    """`bad` (path -> (status, reason part)) are the only files not loaded, with those reasons;
    every other table equals the reference build's."""
    files = files_of(build_dir)
    good = files_of(reference)
    for path, (status, part) in bad.items():
        assert path in files, (path, sorted(files))
        assert files[path][0] == status, (path, files[path])
        assert part in files[path][1], (path, files[path][1])
    assert {p: r for p, r in files.items() if p not in bad} == good
    ours = rf.tables(build_dir, exclude=COMPARED_EXCLUDE)
    theirs = rf.tables(reference, exclude=COMPARED_EXCLUDE)
    assert sorted(ours) == sorted(theirs)
    for name in ours:  # views over `files` (app_file_status) list the bad files: left out
        rows = [r for r in ours[name] if not any(v in bad for v in r if isinstance(v, str))]
        assert rows == theirs[name], f"table {name} differs"


def nested(depth: int, leaf: str = "1") -> bytes:
    return (b'{"a": ' * depth) + leaf.encode() + (b"}" * depth)


def result_with(task: str, **entry_metrics) -> dict:
    return fx.current(task, {"test": [fx.entry(**entry_metrics)]})


def raw_result(task: str, metric_json: str) -> bytes:
    """A result whose only entry has `"x": <metric_json>` (written as raw JSON text)."""
    text = json.dumps(fx.simple_result(task, 0.5))
    return text.replace('"hf_subset"', f'"x": {metric_json}, "hf_subset"', 1).encode()


# name -> (relative path, bytes, status, reason part)
HOSTILE_FILES = {
    # the three inputs issue #11 names
    "nested_3000_levels": (f"{ALPHA}/Deep.json", nested(3000), "quarantined",
                           f"nested deeper than {DEPTH} levels (MTEB_LB_MAX_JSON_DEPTH)"),
    "int_of_5000_digits": (f"{ALPHA}/BigInt.json", raw_result("DBPedia", "9" * 5000),
                           "quarantined", "Exceeds the limit (4300 digits)"),
    # more of the same kinds
    "nested_lists_100000": (f"{ALPHA}/DeepList.json", b"[" * 100_000 + b"]" * 100_000,
                            "quarantined", f"nested deeper than {DEPTH} levels"),
    "nested_metric_70": (f"{ALPHA}/DeepMetric.json", raw_result("DBPedia", nested(70).decode()),
                         "quarantined", f"nested deeper than {DEPTH} levels"),
    "unclosed_nesting": (f"{ALPHA}/Unclosed.json", b'{"a": ' * 5000, "quarantined",
                         f"nested deeper than {DEPTH} levels"),
    "main_score_5000_digits": (f"{ALPHA}/BigMain.json",
                               json.dumps(fx.simple_result("DBPedia", 0.5)).replace(
                                   '"main_score": 0.5', '"main_score": ' + "1" * 5000).encode(),
                               "quarantined", "Exceeds the limit (4300 digits)"),
    "metric_beyond_float": (f"{ALPHA}/Overflow.json", raw_result("DBPedia", "1" + "0" * 400),
                            "quarantined", "OverflowError"),
    "main_score_beyond_float": (f"{ALPHA}/OverflowMain.json",
                                json.dumps(fx.simple_result("DBPedia", 0.5)).replace(
                                    '"main_score": 0.5', '"main_score": 1' + "0" * 400).encode(),
                                "quarantined", "OverflowError"),
    "array_beyond_float": (f"{ALPHA}/OverflowArray.json",
                           raw_result("DBPedia", "[0.5, 1" + "0" * 400 + "]"),
                           "quarantined", "OverflowError"),
    "legacy_time_beyond_float": (f"{ALPHA}/OverflowLegacy.json", (
        '{"mteb_dataset_name": "SciFact", "mteb_version": "1.0.0", "test": '
        '{"ndcg_at_10": 0.5, "evaluation_time": 1' + "0" * 400 + "}}").encode(),
        "quarantined", "OverflowError"),
    "lone_surrogate_subset": (f"{ALPHA}/Surrogate.json",
                              json.dumps(fx.simple_result("DBPedia", 0.5,
                                                          subset="\ud800")).encode(),
                              "quarantined", "lone surrogate"),
    "lone_surrogate_key": (f"{ALPHA}/SurrogateKey.json",
                           raw_result("DBPedia", '{"\\udfff": 1}'), "quarantined",
                           "lone surrogate"),
    "lone_surrogate_task": (f"{ALPHA}/SurrogateTask.json",
                            json.dumps(fx.simple_result("Sci\udc00Fact", 0.5)).encode(),
                            "quarantined", "lone surrogate"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_file_costs_that_file(tmp_path, cat, reference, case):
    path, data, status, reason = HOSTILE_FILES[case]
    repo = tmp_path / "repo"
    write_good(repo)
    (repo / path).write_bytes(data)
    report = rf.run_build(repo, tmp_path / "wh", cat, workers=2)
    assert report.published
    assert_only_costs(report.build, reference, {path: (status, reason)})


def test_quarantine_reasons_are_exact(tmp_path, cat):
    """The reason an operator reads, in full, for the inputs issue #11 names."""
    repo = tmp_path / "repo"
    write_good(repo)
    for name in ("nested_3000_levels", "int_of_5000_digits", "metric_beyond_float"):
        path, data, _status, _reason = HOSTILE_FILES[name]
        (repo / path).write_bytes(data)
    report = rf.run_build(repo, tmp_path / "wh", cat)
    assert dict(report.quarantined) == {
        f"{ALPHA}/Deep.json": "nested deeper than 64 levels (MTEB_LB_MAX_JSON_DEPTH)",
        f"{ALPHA}/BigInt.json": "not loadable JSON: Exceeds the limit (4300 digits) for integer "
                                "string conversion: value has 5000 digits; use "
                                "sys.set_int_max_str_digits() to increase the limit",
        f"{ALPHA}/Overflow.json": "cannot be interpreted (OverflowError: int too large to "
                                  "convert to float)",
    }


def test_depth_limit_is_a_setting(tmp_path, cat, monkeypatch):
    repo = tmp_path / "repo"
    fx.write_result(repo, "org/alpha", SHA_A, "DBPedia", raw_result("DBPedia", nested(10).decode()))
    monkeypatch.setenv("MTEB_LB_MAX_JSON_DEPTH", "8")
    report = rf.run_build(repo, tmp_path / "wh", cat)
    assert report.quarantined == [(f"{ALPHA}/DBPedia.json",
                                   "nested deeper than 8 levels (MTEB_LB_MAX_JSON_DEPTH)")]
    monkeypatch.setenv("MTEB_LB_MAX_JSON_DEPTH", "16")  # part of the parse fingerprint
    report = rf.run_build(repo, tmp_path / "wh", cat)
    assert report.published and report.quarantined == []
    # the entry sits at depth 4 (object, scores, split list, entry): 4 + 10 = 14 levels
    assert scalar(report.build, "SELECT count(*) FROM metrics "
                                "WHERE metric LIKE 'x.a.a.%'") == [(1,)]


@pytest.mark.parametrize("text,depth", [
    (b'{"a": [1, {"b": [2]}], "c": "[[[[{{{{"}', 4),
    (b'["\\"[[[[", "\\\\", [[]]]', 3),          # escaped quote and backslash inside strings
    (b'{"k": "]]]]]]]]]]]]]]", "v": [[[[1]]]]}', 5),
    (b"[]" * 100, 1),
    (b"[" * 70 + b"]" * 70, 70),
])
def test_json_depth_ignores_strings(text, depth):
    from etl.parse import json_depth

    assert json_depth(text, 0) == depth


# name -> (relative path, bytes): valid files with tricky content that load
TRICKY_VALID = {
    "brackets_in_strings": (f"{ALPHA}/EmotionClassification.json",
                            raw_result("EmotionClassification",
                                       json.dumps("[{" * 3000 + '\\"' + "]" * 10))),
    "surrogate_pair": (f"{ALPHA}/Banking77Classification.json",
                       json.dumps(fx.simple_result("Banking77Classification", 0.5,
                                                   subset="\U0001F600")).encode()),
    "date_beyond_year_9999": (f"{ALPHA}/STSBenchmark.json",
                              json.dumps(fx.simple_result("STSBenchmark", 0.5,
                                                          date=1e300)).encode()),
}


@pytest.mark.parametrize("case", sorted(TRICKY_VALID))
def test_tricky_valid_file_loads(tmp_path, cat, case):
    path, data = TRICKY_VALID[case]
    repo = tmp_path / "repo"
    write_good(repo)
    (repo / path).write_bytes(data)
    report = rf.run_build(repo, tmp_path / "wh", cat)
    assert report.published and report.quarantined == []
    assert files_of(report.build)[path][:3] == ("loaded", None, 1)
    expected = json.loads(data)["scores"]["test"][0]["hf_subset"]
    assert scalar(report.build, "SELECT subset FROM scores WHERE path = ?", [path]) == [(expected,)]


# --------------------------------------------------------------------------------------------
# entries that are not regular files inside the tree, and names that are not UTF-8
# --------------------------------------------------------------------------------------------

def _symlink_outside(repo: Path, tmp_path: Path) -> dict:
    outside = tmp_path / "outside.json"
    outside.write_bytes(fx.dumps(fx.simple_result("SyntecRetrieval", 0.99)))
    os.symlink(outside, repo / ALPHA / "SyntecRetrieval.json")
    return {f"{ALPHA}/SyntecRetrieval.json": ("skipped", "a symbolic link: not followed")}


def _symlink_dev_zero(repo: Path, tmp_path: Path) -> dict:
    os.symlink("/dev/zero", repo / ALPHA / "Zero.json")
    return {f"{ALPHA}/Zero.json": ("skipped", "a symbolic link: not followed")}


def _symlink_folder(repo: Path, tmp_path: Path) -> dict:
    (tmp_path / "elsewhere" / SHA_B).mkdir(parents=True)
    (tmp_path / "elsewhere" / SHA_B / "SciFact.json").write_bytes(
        fx.dumps(fx.simple_result("SciFact", 0.99)))
    os.symlink(tmp_path / "elsewhere", repo / "results" / "org__linked")
    os.symlink(tmp_path / "elsewhere" / SHA_B, repo / "results" / "org__alpha" / SHA_B)
    return {"results/org__linked": ("skipped", "a symbolic link: not followed"),
            f"results/org__alpha/{SHA_B}": ("skipped", "a symbolic link: not followed")}


def _symlink_model_meta(repo: Path, tmp_path: Path) -> dict:
    """A model_meta.json that is a link: skipped, the folder's results fall back to its name."""
    (repo / BETA / "model_meta.json").rename(tmp_path / "meta.json")
    os.symlink(tmp_path / "meta.json", repo / BETA / "model_meta.json")
    return {}


def _fifo(repo: Path, tmp_path: Path) -> dict:
    os.mkfifo(repo / ALPHA / "Pipe.json")
    return {f"{ALPHA}/Pipe.json": ("skipped", "not a regular file (a FIFO): never opened")}


def _socket(repo: Path, tmp_path: Path) -> dict:
    cwd = os.getcwd()
    os.chdir(repo / ALPHA)  # AF_UNIX paths are short: bound by a relative name
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("S.json")
        sock.close()
    finally:
        os.chdir(cwd)
    return {f"{ALPHA}/S.json": ("skipped", "not a regular file (a socket): never opened")}


def _non_utf8_name(repo: Path, tmp_path: Path) -> dict:
    raw = os.fsencode(repo / ALPHA) + b"/Sci\xffFact\\.json"
    with open(raw, "wb") as handle:
        handle.write(fx.dumps(fx.simple_result("SciFact", 0.99)))
    return {f"{ALPHA}/Sci\\xffFact\\\\.json": ("skipped", "file name is not valid UTF-8")}


def _non_utf8_folder(repo: Path, tmp_path: Path) -> dict:
    folder = os.fsencode(repo / "results") + b"/org__\xe9t\xe9"
    os.makedirs(folder + b"/" + SHA_A.encode())
    with open(folder + b"/" + SHA_A.encode() + b"/SciFact.json", "wb") as handle:
        handle.write(fx.dumps(fx.simple_result("SciFact", 0.99)))
    return {f"results/org__\\xe9t\\xe9/{SHA_A}/SciFact.json":
            ("skipped", "file name is not valid UTF-8")}


SPECIAL = {"symlink_outside_tree": _symlink_outside, "symlink_to_dev_zero": _symlink_dev_zero,
           "symlinked_folders": _symlink_folder, "fifo": _fifo, "socket": _socket,
           "non_utf8_file_name": _non_utf8_name, "non_utf8_folder_name": _non_utf8_folder}


@pytest.mark.parametrize("case", sorted(SPECIAL))
@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_special_entries_skipped_never_read(tmp_path, cat, reference, case, mode):
    repo = tmp_path / "repo"
    write_good(repo)
    if mode == "incremental":  # they appear after a first build
        assert rf.run_build(repo, tmp_path / "wh", cat).published
    bad = SPECIAL[case](repo, tmp_path)
    report = rf.run_build(repo, tmp_path / "wh", cat, workers=2)
    assert report.published
    assert_only_costs(report.build, reference, bad)
    for path in bad:
        assert files_of(report.build)[path][3] is None  # never read: no content hash


def test_symlinked_model_meta_is_skipped_and_the_folder_name_used(tmp_path, cat):
    repo = tmp_path / "repo"
    write_good(repo)
    _symlink_model_meta(repo, tmp_path)
    report = rf.run_build(repo, tmp_path / "wh", cat)
    files = files_of(report.build)
    assert files[f"{BETA}/model_meta.json"][:2] == ("skipped", "a symbolic link: not followed")
    assert scalar(report.build, "SELECT DISTINCT model_name, revision FROM scores "
                                "WHERE model_folder = 'org__beta'") == [("org/beta", SHA_B)]
    assert scalar(report.build, "SELECT count(*) FROM model_meta "
                                "WHERE model_folder = 'org__beta'") == [(0,)]


def test_fifo_does_not_hang_the_build(tmp_path, cat):
    """Issue #11: a FIFO named *.json hung the build forever and left .staging behind."""
    repo = tmp_path / "repo"
    write_good(repo)
    os.mkfifo(repo / ALPHA / "Pipe.json")
    proc = subprocess.run([str(Path(sys.executable).with_name("mteb-lb")), "etl", "--source",
                           str(repo), "--catalog", str(cat)], capture_output=True, text=True,
                          env={**os.environ, "MTEB_LB_WAREHOUSE": str(tmp_path / "wh")},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "wh" / ".staging").exists() \
        or not any((tmp_path / "wh" / ".staging").iterdir())


def test_read_is_bounded_when_stat_lies(tmp_path):
    """The scan said 10 bytes, the file has grown to 5,000: the open descriptor's size is
    checked again. A regular file whose size says 0 (as /proc's do) is read up to the limit
    + 1 bytes, then refused."""
    path = tmp_path / "grown.json"
    path.write_bytes(b" " * 5000)
    assert read_file(path, FileStat("grown.json", 10, 0), 100) == (
        None, "!absurdly large: 5000 bytes (limit 100, MTEB_LB_MAX_FILE_BYTES)")
    data, digest = read_file(path, FileStat("grown.json", 10, 0), 5000)
    assert data == b" " * 5000 and not digest.startswith("!")
    lying = Path("/proc/self/maps")  # a regular file of size 0 with kilobytes to read
    assert os.stat(lying).st_size == 0 and len(lying.read_bytes()) > 100
    assert read_file(lying, FileStat("maps.json", 0, 0), 100) == (
        None, "!absurdly large: more than 100 bytes (limit 100, MTEB_LB_MAX_FILE_BYTES)")


def test_read_refuses_what_became_a_link_or_a_device(tmp_path):
    """Swapped after the scan: the open refuses a link, the descriptor check a device."""
    link = tmp_path / "link.json"
    os.symlink("/dev/zero", link)
    assert read_file(link, FileStat("link.json", 0, 0), 100) == (
        None, "!unreadable: became a symbolic link after the scan")
    assert read_file(Path("/dev/zero"), FileStat("zero.json", 0, 0), 100) == (
        None, "!unreadable: not a regular file any more")


def test_scan_records_links_without_following(tmp_path):
    repo = tmp_path / "repo"
    (repo / "results" / "org__m").mkdir(parents=True)
    os.symlink("/dev/zero", repo / "results" / "org__m" / "z.json")
    groups = build.scan(repo)
    (stat,) = groups["org__m"]
    assert (stat.path, stat.skip) == ("results/org__m/z.json", "a symbolic link: not followed")


# --------------------------------------------------------------------------------------------
# model_meta.json
# --------------------------------------------------------------------------------------------

FALLBACK = "model name and revision taken from the folder names"
HOSTILE_META = {
    "nested_3000_levels": (nested(3000), f"nested deeper than {DEPTH} levels"),
    "int_of_5000_digits": (b'{"name": "org/x", "revision": "r", "n_parameters": ' + b"7" * 5000
                           + b"}", "Exceeds the limit (4300 digits)"),
    "lone_surrogate_name": (b'{"name": "org/\\ud800", "revision": "r"}', "lone surrogate"),
    "memory_beyond_float": (b'{"name": "org/x", "revision": "r", "memory_usage_mb": 1'
                            + b"0" * 400 + b"}", "OverflowError"),
    "not_utf8": (b'{"name": "org/\xff"}', "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_META))
def test_hostile_model_meta_falls_back_to_the_folder_name(tmp_path, cat, case):
    data, part = HOSTILE_META[case]
    repo = tmp_path / "repo"
    write_good(repo)
    fx.write_meta(repo, "org/beta", "other-revision", folder_revision=SHA_B)  # what it would say
    (repo / BETA / "model_meta.json").write_bytes(data)
    report = rf.run_build(repo, tmp_path / "wh", cat, workers=2)
    assert report.published
    status, reason, *_ = files_of(report.build)[f"{BETA}/model_meta.json"]
    assert status == "quarantined"
    assert reason.startswith("model_meta.json not loadable: ") and part in reason, reason
    assert reason.endswith("; " + FALLBACK)
    # mteb's fallback: the folder names give the model and the revision
    assert scalar(report.build, "SELECT DISTINCT model_name, revision FROM scores "
                                "WHERE model_folder = 'org__beta'") == [("org/beta", SHA_B)]
    assert scalar(report.build, "SELECT count(*) FROM scores WHERE model_folder = 'org__beta'") \
        == [(2,)]


# --------------------------------------------------------------------------------------------
# parser processes that die or hang
# --------------------------------------------------------------------------------------------

KILLER = b"KILL-MY-PARSER"


def _kill_on(marker: bytes, real):
    """A stand-in for a parsing function that kills its own process on `marker`, as an
    out-of-memory kill or a crash in C code would (the workers are forked: they see it)."""
    def wrapper(data, *args, **kwargs):
        if marker in data:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(data, *args, **kwargs)
    return wrapper


def _patch_parsers(monkeypatch, wrap) -> None:
    """Both result parsers of etl/segments.py (the compiled one first, then the Python one)
    replaced by `wrap(parser)`."""
    for name in ("parse_fast", "parse_result"):
        monkeypatch.setattr(segments, name, wrap(getattr(segments, name)))


def _killer_result() -> dict:
    return fx.simple_result("DBPedia", 0.5, note=KILLER.decode())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_that_kills_its_parser_is_quarantined(tmp_path, cat, reference, monkeypatch,
                                                     workers):
    _patch_parsers(monkeypatch, lambda real: _kill_on(KILLER, real))
    repo = tmp_path / "repo"
    write_good(repo)
    fx.write_result(repo, "org/alpha", SHA_A, "Killer", _killer_result())
    report = rf.run_build(repo, tmp_path / "wh", cat, workers=workers)
    assert report.published
    assert_only_costs(report.build, reference, {f"{ALPHA}/Killer.json": (
        "quarantined", "parser process died while reading this file: SIGKILL (out of memory?)")})


def test_incremental_run_with_a_file_that_kills_its_parser(tmp_path, cat, reference, monkeypatch):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.1))
    assert rf.run_build(repo, wh, cat).published
    _patch_parsers(monkeypatch, lambda real: _kill_on(KILLER, real))
    write_good(repo)  # SciFact back to 0.5: parsed in the same delta job as the killer
    fx.bump_mtime(repo / ALPHA / "SciFact.json")
    fx.write_result(repo, "org/alpha", SHA_A, "Killer", _killer_result())
    report = rf.run_build(repo, wh, cat, workers=2)
    assert report.published and report.parsed == 2
    bad = {f"{ALPHA}/Killer.json": ("quarantined", "parser process died")}
    assert_only_costs(report.build, reference, bad)
    # the next run parses it again (a death may have had another cause), still no build lost
    fx.bump_mtime(repo / ALPHA / "NFCorpus.json")
    again = rf.run_build(repo, wh, cat, workers=2)
    assert again.parsed == 1 and not again.published
    assert warehouse.current_build(wh) == report.build
    monkeypatch.undo()  # the cause went away: it loads
    fx.write_result(repo, "org/alpha", SHA_A, "Killer", fx.simple_result("DBPedia", 0.5))
    healed = rf.run_build(repo, wh, cat)
    assert files_of(healed.build)[f"{ALPHA}/Killer.json"][:2] == ("loaded", None)


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_a_model_meta_that_kills_its_parser(tmp_path, cat, monkeypatch, mode):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    if mode == "incremental":
        assert rf.run_build(repo, wh, cat).published
    monkeypatch.setattr(segments, "load_json", _kill_on(KILLER, segments.load_json))
    fx.write_meta(repo, "org/beta", "other-revision", folder_revision=SHA_B,
                  license=KILLER.decode())
    report = rf.run_build(repo, wh, cat, workers=2)
    assert report.published
    status, reason, *_ = files_of(report.build)[f"{BETA}/model_meta.json"]
    assert (status, reason) == ("quarantined", "model_meta.json not loadable: parser process died "
                                "while reading this file: SIGKILL (out of memory?); " + FALLBACK)
    assert scalar(report.build, "SELECT DISTINCT model_name, revision FROM scores "
                                "WHERE model_folder = 'org__beta'") == [("org/beta", SHA_B)]
    # 2 model_meta.json + 5 results, less the quarantined one
    assert scalar(report.build, "SELECT count(*) FROM files WHERE status = 'loaded'") == [(6,)]


def test_parse_time_limit(tmp_path, cat, reference, monkeypatch):
    def slow_on_marker(real):
        def slow(data, *args, **kwargs):
            if b"SLOW-TO-PARSE" in data:
                time.sleep(60)
            return real(data, *args, **kwargs)
        return slow

    _patch_parsers(monkeypatch, slow_on_marker)
    monkeypatch.setenv("MTEB_LB_PARSE_TIME_LIMIT_S", "0.5")
    repo = tmp_path / "repo"
    write_good(repo)
    fx.write_result(repo, "org/alpha", SHA_A, "Slow", fx.simple_result("DBPedia", 0.5,
                                                                     note="SLOW-TO-PARSE"))
    started = time.monotonic()
    report = rf.run_build(repo, tmp_path / "wh", cat, workers=2)
    assert time.monotonic() - started < 50  # not the 60 s the parse would take
    assert_only_costs(report.build, reference, {f"{ALPHA}/Slow.json": (
        "quarantined", "parse took longer than 0.5 s (MTEB_LB_PARSE_TIME_LIMIT_S)")})


def test_a_bug_in_the_parser_still_stops_the_build(tmp_path, cat, monkeypatch):
    """An exception of the job itself (not of one file) is a bug: the build fails loudly
    rather than publishing a leaderboard with every file quarantined."""
    def broken(job):
        raise RuntimeError("injected bug")

    monkeypatch.setattr(build, "parse_segment", broken)
    repo = tmp_path / "repo"
    write_good(repo)
    with pytest.raises(RuntimeError, match="injected bug"):
        rf.run_build(repo, tmp_path / "wh", cat, workers=2)
    assert not (tmp_path / "wh" / "current").exists()


# --------------------------------------------------------------------------------------------
# leftovers of killed runs, a full disk, exit codes
# --------------------------------------------------------------------------------------------

def _entries(wh: Path) -> list[str]:
    """What the warehouse holds besides the lock and the current pointer."""
    out = []
    for p in sorted(wh.iterdir()):
        if p.name in ("etl.lock", "current"):
            continue
        if p.name == "builds":
            out.extend(f"builds/{b.name}" for b in sorted(p.iterdir()))
        else:
            out.append(p.name)
    return out


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(tmp_path, cat, monkeypatch):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    first = rf.run_build(repo, wh, cat).build
    # a run killed while staging, one killed while publishing (no manifest yet), one killed
    # while pruning (a half-deleted build), a pointer never renamed, a build half-deleted
    # by an older version (manifest still there, its files gone)
    (wh / ".staging" / "20200101T000000Z-000-local-1" / "parquet").mkdir(parents=True)
    (wh / "builds" / "20200101T000001Z-000-local-2" / "parquet" / "scores").mkdir(parents=True)
    (wh / ".trash" / "20200101T000002Z-000-local-3").mkdir(parents=True)
    os.symlink("builds/nowhere", wh / ".current.4")
    half = wh / "builds" / "20200101T000003Z-000-local-5"
    (half / "parquet").mkdir(parents=True)
    (half / warehouse.MANIFEST).write_text(json.dumps({"build_id": half.name}))
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.2))
    report = rf.run_build(repo, wh, cat)
    assert report.published
    assert _entries(wh) == [f"builds/{first.name}", f"builds/{report.build.name}"]


def test_a_run_killed_while_pruning_leaves_nothing_behind(tmp_path, cat, monkeypatch):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    monkeypatch.setenv("MTEB_LB_KEEP_BUILDS", "1")
    first = rf.run_build(repo, wh, cat).build
    real_rmtree = shutil.rmtree

    def killed(path, *a, **k):  # the process dies in the middle of deleting the old build
        if ".trash" in str(path):
            (Path(path) / warehouse.DB_FILE).unlink()
            raise KeyboardInterrupt
        return real_rmtree(path, *a, **k)

    monkeypatch.setattr(shutil, "rmtree", killed)
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.2))
    with pytest.raises(KeyboardInterrupt):
        rf.run_build(repo, wh, cat)
    monkeypatch.setattr(shutil, "rmtree", real_rmtree)
    second = warehouse.current_build(wh)
    assert second != first and warehouse.list_builds(wh) == [second]  # the old one is not listed
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.3))
    third = rf.run_build(repo, wh, cat).build
    assert _entries(wh) == [f"builds/{third.name}"]


def test_sigkill_at_any_point_leaves_nothing_the_next_run_does_not_clean(tmp_path, cat):
    repo = tmp_path / "repo"
    rf.big_repo(repo, n_models=6, files_per_model=30)
    wh = tmp_path / "wh"
    env = {**os.environ, "MTEB_LB_WAREHOUSE": str(wh), "MTEB_LB_KEEP_BUILDS": "1"}
    cmd = [str(Path(sys.executable).with_name("mteb-lb")), "etl", "--full", "--source", str(repo),
           "--catalog", str(rf.catalog(tmp_path / "hcat")), "--workers", "2"]
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode == 0
    started = time.monotonic()
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode == 0
    whole = time.monotonic() - started
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.85, 0.95):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(whole * fraction)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        current = warehouse.current_build(wh)
        assert warehouse.check_build(current) is None
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _entries(wh) == [f"builds/{warehouse.current_build(wh).name}"]


def _etl_in_process(*args: str) -> tuple[int, str, str]:
    parser_args = SimpleNamespace(source=None, full=False, catalog=None, workers=2,
                                  no_update=False)
    for key, value in zip(args[::2], args[1::2]):
        setattr(parser_args, key, value)
    err, out = io.StringIO(), io.StringIO()
    from contextlib import redirect_stdout
    with redirect_stderr(err), redirect_stdout(out):
        code = etl_cli._etl(parser_args)
    return code, out.getvalue(), err.getvalue()


def _disk_full(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["parser process", "tables", "segment map", "publish"])
def test_full_disk_prints_one_line(tmp_path, cat, monkeypatch, where):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    first = rf.run_build(repo, wh, cat).build
    target = {"parser process": (segments, "write_parquet"), "tables": (build, "_write_single"),
              "segment map": (build, "write_segment_map"),
              "publish": (warehouse, "_fsync_tree")}[where]
    monkeypatch.setattr(*target, _disk_full)
    code, out, err = _etl_in_process("source", str(repo), "catalog", cat, "full", True)
    assert code == 1 and out == "" and "Traceback" not in err
    assert [line for line in err.splitlines()
            if line and not line.startswith(("source:", "parsing"))] == [
        "error: the disk is full: the build stopped; nothing was published and the current "
        "build is unchanged. Free some space and run again."]
    assert warehouse.current_build(wh) == first
    assert _entries(wh) == [f"builds/{first.name}"]


def _cli(*args: str, wh: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mteb-lb")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MTEB_LB_WAREHOUSE": str(wh)})


def test_exit_codes(tmp_path, cat):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    ok = _cli("etl", "--source", str(repo), "--catalog", str(cat), wh=wh)
    assert ok.returncode == 0, ok.stderr
    missing = _cli("etl", "--source", str(tmp_path / "nope"), "--catalog", str(cat), wh=wh)
    assert missing.returncode == 3 and "does not exist" in missing.stderr
    with rf.lock_held_elsewhere(wh):
        locked = _cli("etl", "--source", str(repo), "--catalog", str(cat), wh=wh)
    assert locked.returncode == 4
    assert locked.stderr == f"error: Another ETL run holds {wh / 'etl.lock'}; try again later.\n"
    no_catalog = _cli("etl", "--source", str(repo), "--catalog", str(tmp_path / "nocat"), wh=wh)
    assert no_catalog.returncode == 5
    assert no_catalog.stderr.splitlines()[-1].startswith("error: catalog snapshot folder")
    for proc in (missing, locked, no_catalog):
        assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------
# a damaged current build
# --------------------------------------------------------------------------------------------

def _truncate_db(build_dir: Path) -> str:
    db = build_dir / warehouse.DB_FILE
    size = db.stat().st_size
    os.truncate(db, size // 2)
    return f"lb.duckdb has {size // 2} bytes, {size} when published (truncated?)"


def _zero_db(build_dir: Path) -> str:
    db = build_dir / warehouse.DB_FILE
    db.write_bytes(bytes(db.stat().st_size))
    return "lb.duckdb is not a DuckDB database (zeroed or overwritten)"


def _delete_db(build_dir: Path) -> str:
    (build_dir / warehouse.DB_FILE).unlink()
    return "lb.duckdb is missing"


def _delete_segment(build_dir: Path) -> str:
    victim = sorted((build_dir / "parquet" / "metrics").glob("*.parquet"))[0]
    victim.unlink()
    return "Parquet files when published"


def _truncate_segment(build_dir: Path) -> str:
    victim = sorted((build_dir / "parquet" / "scores").glob("*.parquet"))[0]
    os.truncate(victim, 10)
    return "Parquet files changed size since it was published (truncated?)"


def _delete_state(build_dir: Path) -> str:
    (build_dir / "parquet" / "files" / "files.parquet").unlink()
    return "Parquet files when published"


DAMAGE = {"truncated_db": _truncate_db, "zeroed_db": _zero_db, "missing_db": _delete_db,
          "missing_segment": _delete_segment, "truncated_segment": _truncate_segment,
          "missing_files_table": _delete_state}


def test_a_whole_build_checks_clean(reference):
    assert warehouse.check_build(reference) is None


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_current_build_is_rebuilt_in_full(tmp_path, cat, damage):
    repo = tmp_path / "repo"
    write_good(repo)
    wh = tmp_path / "wh"
    first = rf.run_build(repo, wh, cat).build
    part = DAMAGE[damage](first)
    assert part in warehouse.check_build(first)
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.2))
    proc = _cli("etl", "--source", str(repo), "--catalog", str(cat), wh=wh)  # incremental
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"the current build {first.name} is damaged (" in proc.stdout.split("note:", 1)[1]
    current = warehouse.current_build(wh)
    assert current != first and warehouse.check_build(current) is None
    manifest = warehouse.read_manifest(current)
    assert manifest["incremental"] is False and part in manifest["previous_build_damaged"]
    twin = tmp_path / "twin"
    full = rf.run_build(repo, twin, cat, full=True).build
    ours = rf.tables(current, exclude=COMPARED_EXCLUDE[:-1])
    theirs = rf.tables(full, exclude=COMPARED_EXCLUDE[:-1])
    assert ours == theirs
    # the next run removes the damaged build and goes back to incremental runs
    fx.write_result(repo, "org/alpha", SHA_A, "SciFact", fx.simple_result("SciFact", 0.3))
    again = rf.run_build(repo, wh, cat)
    assert warehouse.read_manifest(again.build)["incremental"] is True
    assert not first.exists()


def test_parser_processes_end_when_the_run_is_interrupted(monkeypatch):
    """SIGTERM (systemd) while the parser processes start: none is left behind holding the
    output pipes (a leftover process made the refresh hang)."""
    from etl import workers

    started, real = [], workers._Worker

    def interrupted_on_the_second(context, function):
        if started:
            raise SystemExit(143)
        started.append(real(context, function))
        return started[-1]

    monkeypatch.setattr(workers, "_Worker", interrupted_on_the_second)
    with pytest.raises(SystemExit):
        list(workers.run_jobs(abs, [-1, -2], 2))
    started[0].process.join(timeout=10)
    assert started[0].process.exitcode is not None  # it ended (killed by the pool)


def _timed_job(job):
    start = time.monotonic()
    time.sleep(0.05)
    return job, start, time.monotonic()


def test_a_worker_goes_on_with_its_next_small_job_while_the_parent_is_busy():
    """A small job is sent to a worker before it has finished the one it runs: the worker starts
    it at once, while the parent (here: whoever consumes the results) is still busy with the
    previous result, instead of waiting for the parent to ask for more work."""
    from etl import workers

    results = []
    for result in workers.run_jobs(_timed_job, list(range(5)), 1):
        results.append(result)
        time.sleep(0.5)  # the parent, busy with each result
    assert [job for job, _, _ in results] == list(range(5))
    # job 1 was waiting in the worker's pipe when job 0 ended
    assert results[1][1] - results[0][2] < 0.25


def _dies_on_two(job):
    if job == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.02)
    return job


def test_a_job_sent_ahead_to_a_worker_that_dies_is_run_by_the_next():
    """The job waiting behind the one that kills its worker is sent again to the new worker;
    every job has its result, in job order."""
    from etl import workers

    retry = workers.Retry(split=lambda job: (None, [job]),
                          died=lambda job, reason: f"died: {reason}",
                          merge=lambda base, parts: parts[0])
    results = list(workers.run_jobs(_dies_on_two, list(range(6)), 1, retry))
    assert results[:2] + results[3:] == [0, 1, 3, 4, 5]
    assert results[2] == "died: parser process died while reading this file: SIGKILL " \
                         "(out of memory?)"
