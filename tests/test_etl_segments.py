"""Incremental builds store new file versions in delta segments (etl/segments.py): superseded
rows are hidden from readers, compacted when a segment is mostly dead, delta segments merged when
there are many, and a file reverted to an earlier version comes back right. After every step
the build's tables equal a full rebuild of the same files."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import fixtures as fx
import pyarrow.parquet as pq
import pytest
import refresh_fixtures as rf

from etl import build, incremental
from etl.segments import segment_name
from mteb_lb import warehouse

SCIFACT = ("org/current-model", "external", "SciFact")  # 0.61 in the fixture


pytestmark = pytest.mark.usefixtures("max_file_bytes")


@pytest.fixture
def small(tmp_path):
    # a benchmark with a per-language view over the task the tests change: every materialized
    # table (per pair, per model, in full) has rows that move
    bench = fx.make_benchmark("Variants(v1)", ["EmotionClassification", "NFCorpus", "DBPedia",
                                               "SciFact"], language_view="all")
    return rf.variant_build(tmp_path, [bench])[:3]


_run = rf.run_build


def _set_score(repo: Path, score: float) -> Path:
    model, revision, task = SCIFACT
    path = fx.write_result(repo, model, revision, task, fx.simple_result(task, score))
    fx.bump_mtime(path, 10 + score)
    return path


def _one(build_dir: Path, sql: str):
    con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _scifact_score(build_dir: Path):
    return _one(build_dir, "SELECT main_score FROM scores "
                           "WHERE model_folder = 'org__current-model' "
                           "AND task_name = 'SciFact' AND experiment IS NULL")


def _metric_values(build_dir: Path):
    return _one(build_dir, "SELECT m.value FROM metrics m JOIN scores s USING (entry_id) "
                           "WHERE s.task_name = 'SciFact' "
                           "AND s.model_folder = 'org__current-model' "
                           "AND m.metric = 'main_score' AND s.experiment IS NULL")


def _equals_full(repo: Path, tmp_path: Path, cat: Path, current: Path, name: str) -> None:
    twin = _run(repo, tmp_path / f"full-{name}", cat, full=True).build
    a, b = rf.tables(current), rf.tables(twin)
    assert sorted(a) == sorted(b)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def _segments(build_dir: Path, table: str = "metrics") -> list[str]:
    return sorted(p.name for p in (build_dir / "parquet" / table).glob("*.parquet"))


def test_changed_file_goes_to_a_delta_segment_and_old_rows_are_hidden(small, tmp_path):
    repo, wh, cat = small
    first = warehouse.current_build(wh)
    _set_score(repo, 0.91)
    report = _run(repo, wh, cat)
    assert report.published and report.parsed == 1
    built = report.build
    # the folder's segment is the previous build's file; the new version is in a delta segment
    folder_segment = segment_name("org__current-model")
    assert os.stat(built / "parquet" / "metrics" / folder_segment).st_ino == \
        os.stat(first / "parquet" / "metrics" / folder_segment).st_ino
    deltas = [s for s in _segments(built) if s.startswith(incremental.DELTA_PREFIX)]
    assert deltas == [f"{incremental.DELTA_PREFIX}{built.name}.parquet"]
    # the old version's id is listed, its rows are in the Parquet but not in what readers see
    superseded = _one(built, "SELECT file_id FROM superseded_files")
    assert len(superseded) == 1
    old_rows = pq.read_table(built / "parquet" / "scores" / folder_segment).to_pylist()
    assert any(r["file_id"] == superseded[0][0] for r in old_rows)
    assert _scifact_score(built) == [(0.91,)]
    assert _metric_values(built) == [(0.91,)]
    _equals_full(repo, tmp_path, cat, built, "delta")
    manifest = warehouse.read_manifest(built)
    assert manifest["database"]["updated"]["affected_pairs"] == 1
    assert manifest["database"]["updated"]["benchmark_language_means"] > 0
    assert _one(built, "SELECT round(score, 2) FROM benchmark_language_rows "
                       "WHERE task_name = 'SciFact' AND model_name = 'org/current-model'"
                ) == [(0.91,)]
    assert manifest["row_counts"]["metrics"] == _one(built, "SELECT count(*) FROM metrics")[0][0]


def test_mostly_superseded_segment_is_compacted(small, tmp_path, monkeypatch):
    repo, wh, cat = small
    monkeypatch.setattr(incremental, "COMPACT_DEAD_SHARE", 0.0)
    _set_score(repo, 0.77)
    built = _run(repo, wh, cat).build
    folder_segment = segment_name("org__current-model")
    assert folder_segment in warehouse.read_manifest(built)["segments"]["compacted"]
    assert _one(built, "SELECT count(*) FROM superseded_files") == [(0,)]
    ids = set(pq.read_table(built / "parquet" / "scores" / folder_segment)
              .column("file_id").to_pylist())
    assert ids <= {r[0] for r in _one(built, "SELECT file_id FROM files WHERE status = 'loaded'")}
    assert _metric_values(built) == [(0.77,)]
    _equals_full(repo, tmp_path, cat, built, "compacted")


def test_delta_segments_are_merged_when_many(small, tmp_path, monkeypatch):
    repo, wh, cat = small
    monkeypatch.setattr(incremental, "MAX_DELTA_SEGMENTS", 1)
    _set_score(repo, 0.61)
    assert _run(repo, wh, cat).published
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.42))
    built = _run(repo, wh, cat).build
    deltas = [s for s in _segments(built, "scores") if s.startswith(incremental.DELTA_PREFIX)]
    assert deltas == sorted([f"{incremental.DELTA_PREFIX}{built.name}.parquet",
                             f"{incremental.DELTA_PREFIX}{built.name}-merged.parquet"])
    assert _scifact_score(built) == [(0.61,)]
    _equals_full(repo, tmp_path, cat, built, "merged")


def test_file_reverted_to_an_earlier_version(small, tmp_path):
    repo, wh, cat = small
    model, revision, task = SCIFACT
    path = repo / "results" / model.replace("/", "__") / revision / f"{task}.json"
    original = path.read_bytes()
    _set_score(repo, 0.33)
    assert _run(repo, wh, cat).published
    path.write_bytes(original)
    fx.bump_mtime(path, 40)
    built = _run(repo, wh, cat).build
    # the first version's rows still sat in the folder's segment, hidden: that segment is
    # rewritten without them and the version parsed again, so it is not there twice
    assert segment_name("org__current-model") in \
        warehouse.read_manifest(built)["segments"]["compacted"]
    assert _scifact_score(built) == [(0.61,)]
    assert _metric_values(built) == [(0.61,)]
    _equals_full(repo, tmp_path, cat, built, "revert")


def test_database_created_afresh_after_a_run_of_updates(small, tmp_path, monkeypatch):
    repo, wh, cat = small
    monkeypatch.setattr(build, "MAX_DATABASE_UPDATES", 2)
    kinds = []
    for score in (0.7, 0.71, 0.72):
        _set_score(repo, score)
        database = warehouse.read_manifest(_run(repo, wh, cat).build)["database"]
        kinds.append(database if database == "created" else database["updates_since_created"])
    # two updates in place, then the third build writes the database in order again
    assert kinds == [1, 2, "created"]
    _equals_full(repo, tmp_path, cat, warehouse.current_build(wh), "fresh")


def test_catalog_change_alone_publishes_a_new_database(small, tmp_path):
    """No file changed, but the benchmarks did: nothing is parsed, yet the database (and its
    rankings tables) is made again from the new catalog."""
    repo, wh, _cat = small
    first = warehouse.current_build(wh)
    cat2 = fx.write_catalog(tmp_path / "cat2", tasks=fx.VARIANT_TASKS,
                            benchmarks=[fx.make_benchmark("Only(v1)", ["NFCorpus"])],
                            models=[fx.make_model("org/current-model", fx.SHA_A,
                                                  training_datasets=[])])
    report = _run(repo, wh, cat2)
    assert report.published and report.parsed == 0
    assert warehouse.read_manifest(report.build)["database"] == "created"
    assert _one(report.build, "SELECT DISTINCT benchmark FROM benchmark_results") == [("Only(v1)",)]
    assert os.stat(report.build / "parquet" / "metrics" / segment_name("org__current-model")
                   ).st_ino == os.stat(first / "parquet" / "metrics"
                                       / segment_name("org__current-model")).st_ino
    _equals_full(repo, tmp_path, cat2, report.build, "catalog")
    assert not _run(repo, wh, cat2).published  # and then nothing changed any more
