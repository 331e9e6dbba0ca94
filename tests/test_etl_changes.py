"""The files a rerun sees, column by column (etl/changes.py; docs/PERFORMANCE.md
§Session 20: the Python over all paths (rerun13)): the recorded records, the paths a folder's
listing names as changed, the previous state with the changed paths stat'ed again, and the
plan's comparison with the previous build. Expected values are written out by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from etl import changes, incremental, nochange
from etl.segments import FileStat
from mteb_lb import schema

LINK = "a symbolic link: not followed"


def _state(*rows):
    return pa.table({"path": pa.array([r[0] for r in rows], pa.string()),
                     "size": pa.array([r[1] for r in rows], pa.int64()),
                     "mtime_ns": pa.array([r[2] for r in rows], pa.int64())})


def test_records_of_a_table_are_the_listing_format():
    stats = changes.stats_table([FileStat("results/b/r/T.json", 12, 345),
                                 FileStat("results/a/r/caf\u00e9.json", 7,
                                          1_700_000_000_123_456_789, LINK)])
    expected = (b"results/a/r/caf\xc3\xa9.json\x007\x001700000000123456789\x00"
                b"results/b/r/T.json\x0012\x00345\x00")
    assert changes.records_of(stats) == expected
    assert changes.records_of(stats.slice(1)) == b"results/b/r/T.json\x0012\x00345\x00"
    assert changes.records_of(stats.slice(0, 0)) == b""
    assert nochange.records({"results/b/r/T.json": (12, 345),
                             "results/a/r/caf\u00e9.json": (7, 1_700_000_000_123_456_789)}) \
        == expected
    assert changes.records_table(expected).to_pylist() == [
        {"path": "results/a/r/caf\u00e9.json", "size": 7, "mtime_ns": 1_700_000_000_123_456_789},
        {"path": "results/b/r/T.json", "size": 12, "mtime_ns": 345}]
    assert nochange.records_of_dict(expected) == {
        "results/a/r/caf\u00e9.json": (7, 1_700_000_000_123_456_789),
        "results/b/r/T.json": (12, 345)}
    for bad in [b"a", b"a\0", b"a\x001\0", b"a\x001\x002", b"a\0x\x002\0"]:
        with pytest.raises(ValueError):
            changes.records_table(bad)


def test_the_listing_names_the_changed_added_and_removed_paths():
    state = _state(("results/a", 1, 1), ("results/b", 2, 2), ("results/c", 3, 3))
    same_paths = nochange.records({"results/a": (1, 1), "results/b": (5, 2),
                                   "results/c": (3, 4)})
    assert changes.from_listing(same_paths, state) == {"results/b", "results/c"}
    other_paths = nochange.records({"results/a": (1, 1), "results/b": (2, 9),
                                    "results/d": (4, 4)})
    assert changes.from_listing(other_paths, state) == {"results/b", "results/c", "results/d"}
    assert changes.from_listing(nochange.records({"results/a": (1, 1), "results/b": (2, 2),
                                                  "results/c": (3, 3)}), state) == set()
    escaped = nochange.records({"results/a": (1, 1), "results/b": (2, 2), "results/c": (3, 3),
                                "results/bad\\xffname": (1, 1)})
    assert changes.from_listing(escaped, state) is None   # the folder is scanned instead


def test_the_previous_state_with_the_touched_paths_stated_again():
    state = _state(("results/m/r/A.json", 1, 1), ("results/m/r/B.json", 2, 2),
                   ("results/m/r/L.json", 3, 3))
    found = {"results/m/r/B.json": None,                                   # gone
             "results/m/r/E.json": FileStat("results/m/r/E.json", 5, 5)}   # added

    def stat_one(_root, path):
        return path, found[path]
    stats = changes.from_paths(None, set(found), state, {"results/m/r/L.json": LINK}, stat_one)
    assert stats.schema == changes.STATS
    assert stats.to_pylist() == [
        {"path": "results/m/r/A.json", "size": 1, "mtime_ns": 1, "skip": None},
        {"path": "results/m/r/E.json", "size": 5, "mtime_ns": 5, "skip": None},
        {"path": "results/m/r/L.json", "size": 3, "mtime_ns": 3, "skip": LINK}]
    assert changes.same_stats(stats, state) is False
    assert changes.same_stats(stats.select(changes.STATE_COLUMNS).append_column(
        "skip", pa.nulls(3, pa.string())), stats.select(changes.STATE_COLUMNS))
    assert {k: [s.path for s in v] for k, v in changes.groups_of(stats).items()} == {
        "m": ["results/m/r/A.json", "results/m/r/E.json", "results/m/r/L.json"]}


def _files_row(path, status="loaded", reason=None, kind="result"):
    return {"file_id": 1, "path": path, "kind": kind, "model_folder": "m",
            "revision_folder": "r", "experiment": None, "size": 1, "content_hash": "h",
            "status": status, "reason": reason, "n_entries": 1}


@pytest.mark.parametrize("added", [False, True])
def test_the_plan_keeps_only_unchanged_result_files_without_a_look(added):
    """With the previous build's paths in the same order (no hash lookup) and with a file
    added (looked up), the same files are kept: unchanged size and mtime, a result file, not
    skipped, not quarantined because its parser died."""
    paths = ["results/m/r/A.json", "results/m/r/B.json", "results/m/r/C.json",
             "results/m/r/D.json", "results/m/r/model_meta.json"]
    files = incremental.files_table([
        _files_row(paths[0]), _files_row(paths[1]),
        _files_row(paths[2], "quarantined", "parser process died (signal 9)"),
        _files_row(paths[3]), _files_row(paths[4], kind="model_meta")])
    assert files.schema == schema.FILES
    prev = incremental.Previous(None, files, _state(*[(p, 1, 1) for p in paths]), None, {})
    rows = [FileStat(paths[0], 1, 1), FileStat(paths[1], 1, 2), FileStat(paths[2], 1, 1),
            FileStat(paths[3], 1, 1, LINK), FileStat(paths[4], 1, 1)]
    if added:
        rows.append(FileStat("results/m/r/0.json", 1, 1))
    stats = changes.stats_table(rows)
    before, unchanged, kept = incremental._compare(stats, prev)
    shift = 1 if added else 0     # "results/m/r/0.json" sorts first
    expected_kept = [True, False, False, False, False]
    expected_unchanged = [True, False, True, True, True]
    assert kept.to_pylist() == [False] * shift + expected_kept
    assert unchanged.to_pylist() == [False] * shift + expected_unchanged
    assert before.to_pylist() == [None] * shift + [0, 1, 2, 3, 4]
