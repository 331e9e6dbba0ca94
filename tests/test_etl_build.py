"""End-to-end `etl.build.run` on the generated variant repository (tests/fixtures.py).

Covers: counts per table, the `files` table (every file accounted for, malformed ones
quarantined with their reason), model identity (model_meta.json vs folder fallback),
experiments, the published layout (current symlink, manifest, Parquet, lb.duckdb with the
views), atomicity, pruning, the ETL lock, incremental builds equal to full rebuilds, and the CLI.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import queries
from etl import build
from etl.parse import parse_result
from etl.parse import MetricBuffer, emit_metrics
from mteb_lb import db, warehouse

try:
    import fixtures as fx
except ImportError:  # pragma: no cover
    from tests import fixtures as fx

SPECS = fx.variant_files()
ROOT = fx.running_as_root()


# --------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------

def _unique_ids(mp):
    """Build ids have a 1-second timestamp; two publishes within one second collide (see
    test_two_builds_in_the_same_second). Tests that build repeatedly append a counter."""
    counter = itertools.count()
    original = warehouse.new_build_id
    mp.setattr(warehouse, "new_build_id", lambda commit: f"{original(commit)}-{next(counter):04d}")


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
    _unique_ids(monkeypatch)


def run(repo: Path, wh: Path, cat: Path, **kw) -> build.BuildReport:
    kw.setdefault("workers", 1)
    return build.run(repo, source=str(repo), catalog_dir=cat, warehouse_dir=wh, **kw)


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """The variant repository built once: (repo, warehouse, catalog, report, specs)."""
    base = tmp_path_factory.mktemp("variant")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
        _unique_ids(mp)
        specs = fx.write_variant_repo(base / "repo")
        cat = fx.variant_catalog(base / "catalog")
        report = run(base / "repo", base / "wh", cat, source_commit="0123456789abcdef")
    yield base / "repo", base / "wh", cat, report, specs
    _restore_modes(base / "repo")


def _restore_modes(repo: Path) -> None:
    for dirpath, _dirs, files in os.walk(repo):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)


def con_of(build_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)


def query(build_dir: Path, sql: str, params=None) -> list[tuple]:
    con = con_of(build_dir)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _norm(value):
    if isinstance(value, float) and math.isnan(value):
        return "<NaN>"
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return value


def relations(build_dir: Path) -> list[str]:
    return [r[0] for r in query(build_dir, "SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' ORDER BY 1")]


def snapshot(build_dir: Path) -> dict[str, list]:
    """Every table and view of a build as sorted, NaN-normalised rows."""
    out = {}
    con = con_of(build_dir)
    try:
        for name in relations(build_dir):
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted((tuple(_norm(v) for v in row) for row in rows), key=repr)
    finally:
        con.close()
    return out


def assert_same_tables(a: Path, b: Path) -> None:
    sa, sb = snapshot(a), snapshot(b)
    assert sorted(sa) == sorted(sb)
    for name in sa:
        assert sa[name] == sb[name], f"table {name} differs"


def build_dirs(wh: Path) -> list[str]:
    d = wh / "builds"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def staging_leftovers(wh: Path) -> list[str]:
    d = wh / ".staging"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


# --------------------------------------------------------------------------------------------
# the files table: nothing lost, every malformed file quarantined with its reason
# --------------------------------------------------------------------------------------------

def test_report_published(variant):
    _repo, wh, _cat, report, specs = variant
    assert report.published and report.build == warehouse.current_build(wh)
    assert report.files_seen == len(specs)
    assert report.loaded == sum(s.status == "loaded" for s in specs)
    assert report.parsed == sum(s.kind == "result" and s.reason != "absurdly large"
                                and "unreadable" not in s.tags for s in specs)
    assert {p for p, _ in report.quarantined} == {s.path for s in specs if s.status == "quarantined"}
    assert report.message == ""


def test_files_table_every_file_with_status_and_reason(variant):
    _repo, wh, _cat, _report, specs = variant
    rows = {r[0]: r[1:] for r in query(warehouse.current_build(wh),
                                       "SELECT path, kind, status, reason, n_entries, model_folder,"
                                       " revision_folder, experiment, size FROM files")}
    assert set(rows) == {s.path for s in specs}  # nothing lost, nothing invented
    for s in specs:
        kind, status, reason, n_entries, folder, revision, experiment, size = rows[s.path]
        assert (kind, status, n_entries) == (s.kind, s.status, s.n_entries), s.key
        if s.reason is None:
            assert reason is None, (s.key, reason)
        else:
            assert s.reason in reason, (s.key, reason)
        assert size == len(s.data)
        parts = s.path.split("/")
        if len(parts) >= 4:
            assert (folder, revision) == (parts[1], parts[2])
            assert experiment == (parts[4] if "experiments" in parts else None)


def test_too_large_reason_names_the_limit(variant):
    _repo, wh, *_ = variant
    (reason, content_hash), = query(warehouse.current_build(wh),
                                    "SELECT reason, content_hash FROM files WHERE path LIKE '%TooLarge.json'")
    assert reason == (f"absurdly large: {_size('too_large')} bytes "
                      f"(limit {fx.MAX_FILE_BYTES}, MTEB_LB_MAX_FILE_BYTES)")
    assert content_hash is None  # never read


def _size(key: str) -> int:
    return next(len(s.data) for s in SPECS if s.key == key)


@pytest.mark.skipif(ROOT, reason="root can read a chmod 000 file")
def test_unreadable_file_quarantined(tmp_path):
    specs = [s for s in SPECS if s.key in ("meta_broken", "unreadable")]
    repo = fx.write_files(tmp_path / "repo", specs)
    try:
        report = run(repo, tmp_path / "wh", fx.variant_catalog(tmp_path / "cat"))
        assert report.quarantined == [(specs[1].path, "unreadable: Permission denied")]
    finally:
        _restore_modes(repo)


def test_counts_per_table(variant):
    _repo, wh, _cat, report, specs = variant
    current = warehouse.current_build(wh)
    loaded = [s for s in specs if s.kind == "result" and s.status == "loaded"]
    n_metrics = n_arrays = 0
    catalog = fx.variant_task_catalog()
    for s in loaded:
        buf = MetricBuffer()
        for i, e in enumerate(parse_result(s.data, catalog).entries):
            emit_metrics(buf, i, e.metrics)
        n_metrics += len(buf)
        n_arrays += len(buf.array_metrics)
    expected = {
        "scores": sum(s.n_entries for s in loaded),   # 34 entries
        "metrics": n_metrics,
        "metric_arrays": n_arrays,                   # spe x2, v_measures x2, pearson, spearman, timings
        "files": len(specs),
        "model_meta": sum(s.kind == "model_meta" and s.status == "loaded" for s in specs),
        "tasks": len(fx.VARIANT_TASKS), "benchmarks": 1, "benchmark_tasks": 3,
        "model_registry": 1, "model_training": 0, "similar_tasks": 0, "catalog_info": 1,
    }
    assert expected["metric_arrays"] == 7
    for table, n in expected.items():
        assert report.rows[table] == n, table
        assert query(current, f'SELECT count(*) FROM "{table}"')[0][0] == n, table
    assert warehouse.read_manifest(current)["row_counts"] == report.rows


def test_scores_rows_of_the_variants(variant):
    _repo, wh, *_ = variant
    rows = query(warehouse.current_build(wh),
                 "SELECT file_task_name, task_name, file_format, split, subset, languages, "
                 "main_score FROM scores WHERE path = ? ORDER BY entry_no",
                 ["results/org__legacy-model/no_revision_available/PPC.json"])
    assert rows == [("PPC", "PpcPC", "legacy", "test", "default", ["pol-Latn"], 0.86)]
    rows = query(warehouse.current_build(wh),
                 "SELECT s.task_name, a.metric, a.values FROM metric_arrays a JOIN scores s "
                 "USING (entry_id) ORDER BY 1, 2")
    assert rows == [
        ("ArxivClusteringP2P", "v_measures.Level 0", [0.44, 0.45, 0.46]),
        ("EmotionClassification", "scores_per_experiment.accuracy", [0.4, 0.41, 0.42]),
        ("EmotionClassification", "scores_per_experiment.f1", [0.4, 0.39, 0.38]),
        ("GPUSpeedTask", "timings", [1.5, 2.5]),
        ("MLSUMClusteringP2P", "v_measures", [0.4, 0.42]),
        ("STSBenchmark", "pearson", [0.81, 1.5e-30]),
        ("STSBenchmark", "spearman", [0.82, 2.5e-31]),
    ]


def test_nan_scores_read_as_null_in_staging(variant):
    _repo, wh, *_ = variant
    current = warehouse.current_build(wh)
    raw = query(current, "SELECT task_name, isnan(main_score) FROM scores "
                         "WHERE task_name IN ('AFQMC', 'SyntecRetrieval') ORDER BY 1")
    assert raw == [("AFQMC", True), ("SyntecRetrieval", True)]
    staged = query(current, "SELECT task_name, score FROM stg_scores "
                            "WHERE task_name IN ('AFQMC', 'SyntecRetrieval') ORDER BY 1")
    assert staged == [("AFQMC", None), ("SyntecRetrieval", None)]


def test_file_level_fields(variant):
    _repo, wh, *_ = variant
    rows = dict((r[0], r[1:]) for r in query(
        warehouse.current_build(wh),
        "SELECT DISTINCT path, mteb_version, evaluation_time, kg_co2_emissions, "
        "epoch(date) FROM scores"))
    a = f"results/org__current-model/{fx.SHA_A}/"
    assert rows[a + "EmotionClassification.json"] == ("1.14.0", 12.5, 0.0012, None)
    assert rows[a + "ArxivClusteringP2P.json"][3] == pytest.approx(1782921898.31437)
    assert rows[a + "NFCorpus.json"][3] == pytest.approx(1784078636.236876)  # 2026-07-15T01:23:56.236876Z
    assert rows["results/org__current-model/external/EmotionClassification.json"] == (
        None, None, None, None)
    assert rows[f"results/org__range-model/{fx.SHA_B}/NFCorpus.json"][1:3] == (42.5, 0.002)


def test_mteb_versions_table(variant):
    _repo, wh, *_ = variant
    rows = query(warehouse.current_build(wh),
                 "SELECT mteb_version, is_parsed, version_rank, min_version FROM mteb_versions")
    by = {r[0]: r[1:] for r in rows}
    assert by["2.10.0-2.18.7"] == (False, None, "2.10.0")  # ranges: no join_revisions bonus
    parsed = sorted((r[2], r[0]) for r in rows if r[1])
    # ranks follow packaging.Version order: .dev0 before its release, 0.x first, 2.x last
    assert [v for _, v in parsed] == ["0.0.2", "1.0.1", "1.0.3.dev0", "1.1.1", "1.1.2.dev0",
                                      "1.12.0", "1.12.10", "1.12.66", "1.12.75", "1.14.0",
                                      "1.34.14", "1.38.41", "2.6.0", "2.12.0", "2.16.2"]
    assert [r for r, _ in parsed] == list(range(1, 16))


# --------------------------------------------------------------------------------------------
# model identity, model_meta, experiments
# --------------------------------------------------------------------------------------------

def test_model_identity_from_model_meta_or_folder(variant):
    _repo, wh, *_ = variant
    rows = set(query(warehouse.current_build(wh),
                     "SELECT DISTINCT model_folder, revision_folder, model_name, revision FROM scores "
                     "WHERE experiment IS NULL"))
    assert rows == {
        ("org__current-model", fx.SHA_A, "org/current-model", fx.SHA_A),       # model_meta.json
        ("org__current-model", "external", "org/current-model", "external"),
        ("org__legacy-model", "no_revision_available", "org/legacy-model",
         "no_revision_available"),                                            # no meta: folder
        ("org__legacy-model", "1", "org/legacy-model", "1"),
        ("org__range-model", fx.SHA_B, "org/range-model", fx.SHA_B),
        ("org__bad-meta", fx.SHA_E, "org/bad-meta", fx.SHA_E),                # meta unloadable
    }


def test_model_identity_meta_name_and_revision_win_over_folder(tmp_path):
    """A name with spaces and a revision that differs from its folder: model_meta.json wins;
    a folder of the same model without model_meta.json falls back to its folder name, as mteb's
    ResultCache does (DATA.md section 4/5.5)."""
    repo = tmp_path / "repo"
    name = "voyageai/voyage-3.5 (output_dtype=int8)"
    fx.write_meta(repo, name, "v2", folder_revision="2")
    fx.write_result(repo, name, "2", "SciFact", fx.simple_result("SciFact", 0.5))
    fx.write_result(repo, name, "no_revision_available", "DBPedia", fx.simple_result("DBPedia", 0.4))
    report = run(repo, tmp_path / "wh", fx.variant_catalog(tmp_path / "cat"))
    rows = set(query(report.build, "SELECT model_folder, revision_folder, model_name, revision "
                                   "FROM scores"))
    folder = "voyageai__voyage-3.5_(output_dtype=int8)"
    assert rows == {(folder, "2", name, "v2"),
                    (folder, "no_revision_available", "voyageai/voyage-3.5_(output_dtype=int8)",
                     "no_revision_available")}


def test_model_meta_rows(variant):
    _repo, wh, *_ = variant
    current = warehouse.current_build(wh)
    rows = query(current, "SELECT path, name, revision, experiment, max_tokens, raw_json FROM model_meta "
                          "ORDER BY path")
    assert [r[0] for r in rows] == sorted(s.path for s in SPECS
                                          if s.kind == "model_meta" and s.status == "loaded")
    by = {r[0]: r for r in rows}
    meta = by[f"results/org__current-model/{fx.SHA_A}/model_meta.json"]
    assert meta[1:4] == ("org/current-model", fx.SHA_A, None)
    assert meta[4] == math.inf                      # bare Infinity kept
    assert json.loads(meta[5])["max_tokens"] == "inf"  # raw_json is valid JSON
    exp = by[f"results/org__range-model/{fx.SHA_B}/experiments/model_kwargs_{{}}/model_meta.json"]
    assert exp[3] == "model_kwargs_{}"
    assert by[f"results/org__meta-only/{fx.SHA_C}/model_meta.json"][1] == "org/meta-only"


def test_experiments_kept_marked_and_left_out_of_rankings(variant):
    _repo, wh, *_ = variant
    current = warehouse.current_build(wh)
    rows = query(current, "SELECT model_name, revision, task_name, main_score FROM scores "
                          "WHERE experiment = 'model_kwargs_{}'")
    assert rows == [("org/range-model", fx.SHA_B, "EmotionClassification", 0.66)]
    assert query(current, "SELECT count(*) FROM stg_scores WHERE path LIKE '%/experiments/%'") == [(0,)]
    assert query(current, "SELECT count(*) FROM scores WHERE experiment IS NULL")[0][0] == \
        query(current, "SELECT count(*) FROM stg_scores")[0][0]


def test_revision_choice_view(variant):
    """chosen_results on the variant data: the registry main revision (SHA_A) beats external."""
    _repo, wh, *_ = variant
    rows = query(warehouse.current_build(wh),
                 "SELECT model_name, task_name, revision, priority FROM chosen_results "
                 "WHERE task_name = 'EmotionClassification' ORDER BY 1")
    assert rows == [("org/current-model", "EmotionClassification", fx.SHA_A, 1110),
                    ("org/range-model", "EmotionClassification", fx.SHA_B, 10)]  # range: no +100


# --------------------------------------------------------------------------------------------
# the published layout
# --------------------------------------------------------------------------------------------

def test_published_layout(variant):
    repo, wh, _cat, report, _specs = variant
    pointer = wh / "current"
    assert pointer.is_symlink() and not os.path.isabs(os.readlink(pointer))
    assert pointer.resolve() == report.build and report.build.parent == wh / "builds"
    assert staging_leftovers(wh) == []
    m = warehouse.read_manifest(report.build)
    assert m["build_id"] == report.build.name
    assert (m["source"], m["source_commit"]) == (str(repo), "0123456789abcdef")
    assert m["build_id"].split("-")[1] == "0123456789ab"
    assert (m["catalog_mteb_version"], m["parser_version"]) == ("2.20.0", build.PARSER_VERSION)
    assert (m["incremental"], m["previous_build"]) == (False, None)
    assert (m["files_seen"], m["files_loaded"], m["files_parsed"]) == (
        report.files_seen, report.loaded, report.parsed)
    assert {q["path"] for q in m["quarantined"]} == {p for p, _ in report.quarantined}
    assert set(m["tool_versions"]) == {"python", "duckdb", "pyarrow"}
    assert m["validation"]["scores"] == report.rows["scores"]
    assert {"scan_s", "parse_s", "tables_s", "database_s"} <= set(m["timings"])
    assert time.strptime(m["built_at"], "%Y-%m-%dT%H:%M:%SZ")


def test_parquet_readable_by_pyarrow(variant):
    _repo, wh, _cat, report, _ = variant
    parquet = report.build / "parquet"
    for table, n in report.rows.items():
        files = sorted((parquet / table).glob("*.parquet"))
        assert sum(pq.read_table(f).num_rows for f in files) == n, table
    # one partition per model folder for the big tables
    scores_parts = list((parquet / "scores").glob("*.parquet"))
    # current-model, legacy-model, range-model, bad-meta (broken and meta-only have no rows)
    assert len(scores_parts) == 4
