"""End-to-end `etl.build.run` on the generated variant repository (tests/fixtures.py).

Covers: counts per table, the `files` table (every file accounted for, malformed ones
quarantined with their reason), model identity (model_meta.json vs folder fallback),
experiments, the published layout (current symlink, manifest, Parquet, lb.duckdb with the
views), atomicity, pruning, the ETL lock, incremental builds equal to full rebuilds, and the CLI.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb
import fixtures as fx
import pyarrow.parquet as pq
import pytest
import refresh_fixtures as rf

import queries
from etl import build, incremental
from etl.catalog import CatalogError
from etl.segments import SEGMENTED, segment_name
from mteb_lb import db, warehouse

SPECS = fx.variant_files()


# --------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("max_file_bytes")


run = rf.run_build


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """The variant repository built once: (repo, warehouse, catalog, report, specs)."""
    base = tmp_path_factory.mktemp("variant")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
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


def assert_same_tables(a: Path, b: Path) -> None:
    sa, sb = rf.tables(a), rf.tables(b)  # every table and view but the build history
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
    assert {p for p, _ in report.quarantined} == {s.path for s in specs
                                                   if s.status == "quarantined"}
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
                                    "SELECT reason, content_hash FROM files "
                                    "WHERE path LIKE '%TooLarge.json'")
    assert reason == (f"absurdly large: {_size('too_large')} bytes "
                      f"(limit {fx.MAX_FILE_BYTES}, MTEB_LB_MAX_FILE_BYTES)")
    assert content_hash is None  # never read


def _size(key: str) -> int:
    return next(len(s.data) for s in SPECS if s.key == key)


def test_unreadable_file_quarantined(tmp_path, monkeypatch):
    specs = [s for s in SPECS if s.key in ("meta_broken", "unreadable")]
    repo = fx.write_files(tmp_path / "repo", specs)
    # chmod 000 stops anyone but root; the open is refused for root too (CI runs as root)
    real_open = os.open

    def refused(path, flags, *args, **kwargs):
        if str(path).endswith(specs[1].path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)  # the forked parser processes inherit it
    try:
        report = run(repo, tmp_path / "wh", fx.variant_catalog(tmp_path / "cat"))
        assert report.quarantined == [(specs[1].path, "unreadable: Permission denied")]
    finally:
        monkeypatch.undo()
        _restore_modes(repo)


# Metric rows per loaded result file of `fixtures.variant_files()`, counted by hand from the file
# contents: every scalar leaf of an entry (numbers, NaN, strings, booleans, null; nested dicts
# flattened) but hf_subset, languages and mteb_version; numeric lists (and lists of dicts, one
# per key) go to metric_arrays instead. Legacy files: each (split, subset) is an entry, its
# evaluation_time is not a metric, and a main_score is added when the file has none.
HAND_METRICS = {  # key: (metrics, metric_arrays)
    "b1": (4, 2),                 # accuracy, f1, f1_weighted, main_score; spe accuracy, f1
    "b2": (3, 1),                 # v_measure, v_measure_std, main_score; v_measures.Level 0
    "b3": (4, 0),                 # ndcg_at_10, recall_at_1000, nauc_..._max (NaN), main_score
    "rp_lists": (3, 2),           # cosine_spearman, cosine_pearson, main_score; pearson, spearman
    "pair_pre_1_12_48": (5, 0),   # cos_sim {accuracy, ap}, max {accuracy, ap}, main_score
    "nan_main": (3, 0),           # cosine_spearman, cosine_pearson, main_score (all NaN)
    "b6": (3, 0),                 # accuracy, f1, main_score
    "b7_text": (6, 1),            # gpu_name, cpu_count, avg_words_per_sec, on_gpu,
                                  # missing_value, main_score; timings
    "b4": (3, 0),                 # accuracy, f1, main_score
    "b5": (2, 0),                 # ndcg_at_10, main_score
    "string_nan": (3, 0),         # ndcg_at_10 "nan", map_at_10, main_score "nan"
    "legacy_flat": (4, 0),        # accuracy, accuracy_stderr, f1, main_score
    "legacy_per_lang": (9, 0),    # 3 entries (test en, de; validation en) x accuracy, f1, +main
    "legacy_no_version": (3, 0),  # ndcg_at_10, map_at_10, +main_score
    "legacy_ppc": (9, 0),         # cos_sim 2, dot 2, euclidean 1, manhattan 1, max 2, +main
    "legacy_diabla": (6, 0),      # 2 entries x f1, accuracy, +main_score
    "legacy_mlsum": (3, 1),       # v_measure, v_measure_std, +main_score; v_measures
    "legacy_xpqa": (4, 0),        # 2 entries x ndcg_at_10, +main_score
    "legacy_opusparcus": (5, 0),  # fr: cos_sim 2, max 2, +main_score
    "legacy_unresolvable": (3, 0),  # map, mrr, +main_score (null)
    "legacy_unknown": (2, 0),     # accuracy, main_score
    "compact_current": (1, 0),    # main_score
    "version_range": (1, 0),      # main_score
    "dup_entries": (4, 0),        # 2 entries x cosine_spearman, main_score
    "dup_keys": (2, 0),           # ndcg_at_10, main_score
    "experiment": (1, 0),         # main_score
    "bad_meta_result": (1, 0),    # main_score
}


def test_counts_per_table(variant):
    _repo, wh, _cat, report, specs = variant
    current = warehouse.current_build(wh)
    loaded = [s for s in specs if s.kind == "result" and s.status == "loaded"]
    assert sorted(s.key for s in loaded) == sorted(HAND_METRICS)  # a new file needs its count
    expected = {
        "scores": sum(s.n_entries for s in loaded),
        "metrics": sum(HAND_METRICS[s.key][0] for s in loaded),
        "metric_arrays": sum(HAND_METRICS[s.key][1] for s in loaded),
        "files": len(specs),
        "model_meta": sum(s.kind == "model_meta" and s.status == "loaded" for s in specs),
        "tasks": len(fx.VARIANT_TASKS), "benchmarks": 1, "benchmark_tasks": 3,
        "model_registry": 1, "model_training": 0, "similar_tasks": 0, "catalog_info": 1,
    }
    assert (expected["metrics"], expected["metric_arrays"]) == (97, 7)
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
    # 2026-07-15T01:23:56.236876Z
    assert rows[a + "NFCorpus.json"][3] == pytest.approx(1784078636.236876)
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
                     "SELECT DISTINCT model_folder, revision_folder, model_name, revision "
                     "FROM scores WHERE experiment IS NULL"))
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
    ResultCache does (docs/DATA.md §Model metadata)."""
    repo = tmp_path / "repo"
    name = "voyageai/voyage-3.5 (output_dtype=int8)"
    fx.write_meta(repo, name, "v2", folder_revision="2")
    fx.write_result(repo, name, "2", "SciFact", fx.simple_result("SciFact", 0.5))
    fx.write_result(repo, name, "no_revision_available", "DBPedia",
                    fx.simple_result("DBPedia", 0.4))
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
    rows = query(current, "SELECT path, name, revision, experiment, max_tokens, raw_json "
                          "FROM model_meta ORDER BY path")
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
    assert query(current, "SELECT count(*) FROM stg_scores "
                          "WHERE path LIKE '%/experiments/%'") == [(0,)]
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
    assert m["build_id"].split("-")[2] == "0123456789ab"  # <utc>-<seq>-<commit12>-<pid>
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
    # one segment per model folder for the big tables (a full build)
    scores_parts = list((parquet / "scores").glob("*.parquet"))
    # current-model, legacy-model, range-model, bad-meta (broken and meta-only have no rows)
    assert len(scores_parts) == 4


def test_database_opens_read_only_with_the_views(variant):
    _repo, _wh, _cat, report, _ = variant
    con = db.open_build(report.build)  # the app's hardened read-only connection
    try:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main'").fetchall()}
        views = {v.name for v in queries.all_views() if not v.is_macro}
        assert views <= names
        assert {"scores", "files", "model_meta", "metrics", "metric_arrays", "tasks",
                "benchmarks", "benchmark_tasks", "model_registry"} <= names
        macros = {r[0] for r in con.execute(
            "SELECT function_name FROM duckdb_functions() "
            "WHERE function_type IN ('table_macro', 'macro')"
        ).fetchall()}
        assert {v.name for v in queries.all_views() if v.is_macro} <= macros
        # the Parquet-backed views read through the hardened connection
        assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == report.rows["metrics"]
        assert con.execute("SELECT count(*) FROM metric_arrays").fetchone()[0] == 7
        # documented tables (COMMENT ON from mteb_lb/schema.py)
        comment = con.execute("SELECT comment FROM duckdb_tables() "
                              "WHERE table_name = 'scores'").fetchone()[0]
        assert comment and comment.startswith("One row per result entry")
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE x (a INT)")
        # the benchmark frame: Variants(v1) = EmotionClassification, NFCorpus, DBPedia
        rows = con.execute("SELECT model_name, task_name, score, is_placeholder "
                           "FROM benchmark_results "
                           "WHERE in_registry ORDER BY task_name").fetchall()
        assert rows == [("org/current-model", "EmotionClassification", 0.4, False),
                        ("org/current-model", "NFCorpus", 0.33, False)]
    finally:
        db.release(report.build, con)


# --------------------------------------------------------------------------------------------
# atomicity, pruning, lock
# --------------------------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    """A published variant build in a fresh warehouse: (repo, warehouse, catalog, report)."""
    return rf.variant_build(tmp_path)


def _assert_untouched(wh: Path, before: Path, builds_before: list[str]) -> None:
    assert warehouse.current_build(wh) == before
    assert build_dirs(wh) == builds_before      # no stray build dir
    assert staging_leftovers(wh) == []          # no half-written staging build
    assert query(before, "SELECT count(*) FROM scores")[0][0] > 0


def _change_something(repo: Path) -> None:
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.42))


def test_failing_catalog_leaves_current(small, tmp_path):
    repo, wh, _cat, first = small
    bad = fx.write_catalog(tmp_path / "bad-cat", tasks=fx.VARIANT_TASKS, benchmarks=[],
                           models=[fx.make_model("org/current-model", fx.SHA_A)])
    _change_something(repo)
    with pytest.raises(CatalogError, match="^the catalog snapshot has no benchmarks, "
                                           "benchmark_tasks: re-export it"):
        run(repo, wh, bad, full=True)
    _assert_untouched(wh, first.build, [first.build.name])


def test_empty_catalog_fails_with_a_clear_validation_error(small, tmp_path):
    repo, wh, _cat, _first = small
    bad = fx.write_catalog(tmp_path / "bad-cat", tasks=fx.VARIANT_TASKS, benchmarks=[],
                           models=[fx.make_model("org/current-model", fx.SHA_A)])
    with pytest.raises(CatalogError, match="has no benchmarks"):
        run(repo, wh, bad, full=True)


@pytest.mark.parametrize("where", ["parse", "database", "views", "publish"])
def test_exception_mid_build_leaves_current(small, monkeypatch, where):
    repo, wh, cat, first = small
    _change_something(repo)

    def boom(*_a, **_k):
        raise RuntimeError(f"injected failure in {where}")

    target = {"parse": (incremental, "parse_segment"), "database": (build, "_update_database"),
              "views": (queries, "create_views"), "publish": (warehouse, "_fsync_tree")}[where]
    original = getattr(*target)
    monkeypatch.setattr(*target, boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        run(repo, wh, cat)
    _assert_untouched(wh, first.build, [first.build.name])
    if where == "views":  # the next run still works, incrementally (once is enough)
        monkeypatch.setattr(*target, original)
        again = run(repo, wh, cat)
        assert again.published and again.parsed == 1
        assert warehouse.current_build(wh) == again.build


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_failed_catalog_tables_process_fails_the_full_build(small, monkeypatch, how):
    """A full build writes the catalog tables in a process of its own beside the parse: its
    failure (an exception, or the process ending without an answer) fails the build, which
    publishes nothing."""
    repo, wh, cat, first = small
    _change_something(repo)

    def boom(*_a, **_k):
        if how == "dies":
            os._exit(3)
        raise ValueError("injected failure in the catalog tables")

    monkeypatch.setattr(build, "_catalog_tables", boom)
    message = {"raises": "writing the catalog tables failed: ValueError: injected failure",
               "dies": r"the process writing the catalog tables died \(exit code 3\)"}[how]
    with pytest.raises(RuntimeError, match=message):
        run(repo, wh, cat, full=True)
    _assert_untouched(wh, first.build, [first.build.name])


def test_stale_staging_from_a_killed_run_is_removed(small):
    repo, wh, cat, _first = small
    stale = wh / ".staging" / "20200101T000000Z-local-1"
    (stale / "parquet").mkdir(parents=True)
    _change_something(repo)
    report = run(repo, wh, cat)
    assert report.published and staging_leftovers(wh) == []


def test_pruning_keeps_the_newest_builds(small, monkeypatch):
    repo, wh, cat, first = small
    monkeypatch.setenv("MTEB_LB_KEEP_BUILDS", "2")
    published = [first.build.name]
    for i in range(3):
        fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                        fx.simple_result("DBPedia", 0.1 + i / 10))
        report = run(repo, wh, cat)  # incremental: untouched folders are hard-linked
        assert report.published
        published.append(report.build.name)
    assert build_dirs(wh) == published[-2:]
    current = warehouse.current_build(wh)
    assert current.name == published[-1]
    # segments linked from pruned builds are still readable
    for table in ("scores", "metrics", "metric_arrays"):
        for f in (current / "parquet" / table).glob("*.parquet"):
            pq.read_table(f)
    assert query(current, "SELECT main_score FROM scores WHERE task_name = 'DBPedia' "
                          "AND model_folder = 'org__current-model'") == [(pytest.approx(0.3),)]
    assert query(current, "SELECT count(*) FROM metrics")[0][0] > 0


def test_second_concurrent_run_fails_with_a_clear_error(small):
    repo, wh, cat, first = small
    with rf.lock_held_elsewhere(wh):
        _change_something(repo)
        with pytest.raises(warehouse.WarehouseError, match="Another ETL run holds .*etl.lock"):
            run(repo, wh, cat)
        _assert_untouched(wh, first.build, [first.build.name])
    assert run(repo, wh, cat).published  # the lock is free again


def test_lock_held_in_process(small):
    repo, wh, cat, _ = small
    with warehouse.etl_lock(wh):
        with pytest.raises(warehouse.WarehouseError, match="try again later"):
            run(repo, wh, cat)


def test_two_builds_in_the_same_second(small, monkeypatch):
    repo, wh, cat, _first = small
    real_new_build_id = _REAL_NEW_BUILD_ID
    # the wall clock stopped inside one second (what a fast machine sees)
    stopped = SimpleNamespace(strftime=lambda fmt, t=None: "20260101T000000Z", gmtime=time.gmtime)
    monkeypatch.setattr(warehouse, "new_build_id", real_new_build_id)
    monkeypatch.setattr(warehouse, "time", stopped)
    _change_something(repo)
    second = run(repo, wh, cat)
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.43))
    third = run(repo, wh, cat)
    assert second.published and third.published
    # two published builds, distinct ids: the same second, sequence numbers 000 then 001
    assert [b.name.split("-")[:2] for b in (second.build, third.build)] == [
        ["20260101T000000Z", "000"], ["20260101T000000Z", "001"]]
    assert warehouse.current_build(wh) == third.build
    assert {second.build, third.build} <= set(warehouse.list_builds(wh))


_REAL_NEW_BUILD_ID = warehouse.new_build_id


# --------------------------------------------------------------------------------------------
# incremental builds equal full rebuilds
# --------------------------------------------------------------------------------------------

NEW_SHA = "f" * 40


def _mutate_round_1(repo: Path) -> int:
    """Add, modify, delete and rename files, change a model_meta.json, add and delete a model
    folder. Returns how many result files must be parsed."""
    r = repo / "results"
    # add a file to an existing revision folder
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.42))
    # modify a file (new content; mtime moved so the change is seen within one clock tick)
    p = r / "org__range-model" / fx.SHA_B / "EmotionClassification.json"
    p.write_bytes(fx.dumps(fx.simple_result("EmotionClassification", 0.55,
                                            mteb_version="2.10.0-2.18.7")))
    fx.bump_mtime(p)
    # delete a file
    (r / "org__legacy-model" / "no_revision_available" / "DBPedia.json").unlink()
    # rename a file and a revision folder
    ext = r / "org__current-model" / "external"
    os.rename(ext / "SyntecRetrieval.json", ext / "SyntecRetrieval.v2.json")
    os.rename(r / "org__legacy-model" / "1", r / "org__legacy-model" / "2")
    # change a model_meta.json: every row of that folder gets the new name, parsed or not
    meta = ext / "model_meta.json"
    meta.write_bytes(fx.dumps(fx.model_meta("org/current-model-ext", "external")))
    fx.bump_mtime(meta)
    # a new model folder, and a deleted one
    fx.write_meta(repo, "org/new-model", NEW_SHA)
    fx.write_result(repo, "org/new-model", NEW_SHA, "NFCorpus", fx.simple_result("NFCorpus", 0.2))
    fx.write_result(repo, "org/new-model", NEW_SHA, "SciFact", fx.simple_result("SciFact", NAN_))
    shutil.rmtree(r / "org__meta-only")
    # touched but unchanged: not parsed
    fx.bump_mtime(r / "org__legacy-model" / "no_revision_available" / "PPC.json")
    # DBPedia, Emotion, 2/NFCorpus, new-model x2, and the files of external/ (SyntecRetrieval.v2
    # among them): their rows carry the new model name, so they are versions of their own
    return 5 + _results_in(ext)


def _results_in(folder: Path) -> int:
    return sum(1 for p in folder.glob("*.json") if p.name != "model_meta.json")


NAN_ = float("nan")


def _mutate_round_2(repo: Path) -> int:
    r = repo / "results"
    # a model_meta.json appears in a folder that had none: its rows change identity
    fx.write_meta(repo, "org/legacy-model", "legacy-rev", folder_revision="no_revision_available")
    # a file becomes malformed, another is fixed... and an experiment is added
    p = r / "org__range-model" / fx.SHA_B / "NFCorpus.json"
    p.write_bytes(b'{"task_name": "NFCorpus", "scores": ')
    fx.bump_mtime(p)
    fx.write_result(repo, "org/range-model", fx.SHA_B, "SciFact", fx.simple_result("SciFact", 0.5),
                    experiment="exp2")
    # the model_meta.json change of round 1 reverted
    meta = r / "org__current-model" / "external" / "model_meta.json"
    meta.write_bytes(fx.dumps(fx.model_meta("org/current-model", "external")))
    fx.bump_mtime(meta, 20)
    # a whole model folder with rows deleted
    shutil.rmtree(r / "org__new-model")
    # NFCorpus (now quarantined), exp2/SciFact, and the files whose model identity changed
    return 2 + _results_in(r / "org__legacy-model" / "no_revision_available") \
        + _results_in(r / "org__current-model" / "external")


def _full_twin(repo: Path, tmp_path: Path, cat: Path, name: str) -> Path:
    report = run(repo, tmp_path / f"wh-full-{name}", cat, full=True)
    assert report.published
    return report.build


def test_incremental_equals_full_rebuild(tmp_path):
    repo = tmp_path / "repo"
    fx.write_variant_repo(repo, include_unreadable=False)
    cat = fx.variant_catalog(tmp_path / "cat")
    wh = tmp_path / "wh"
    first = run(repo, wh, cat)
    for i, mutate in enumerate((_mutate_round_1, _mutate_round_2), 1):
        prev = warehouse.current_build(wh)
        n_changed = mutate(repo)
        report = run(repo, wh, cat)
        assert report.published, report.message
        assert report.parsed == n_changed, f"round {i}: parsed {report.parsed}"
        m = warehouse.read_manifest(report.build)
        assert (m["incremental"], m["previous_build"]) == (True, prev.name)
        assert_same_tables(report.build, _full_twin(repo, tmp_path, cat, str(i)))
        # folders nothing changed in are hard links to the previous build's segments
        name = segment_name("org__bad-meta")
        for part in SEGMENTED:
            if (prev / "parquet" / part / name).exists():
                assert os.stat(report.build / "parquet" / part / name).st_ino == \
                    os.stat(prev / "parquet" / part / name).st_ino
    assert first.build != report.build
    current = warehouse.current_build(wh)
    # spot checks of the final state
    assert query(current, "SELECT DISTINCT model_name, revision FROM scores "
                          "WHERE revision_folder = 'no_revision_available'") == [
        ("org/legacy-model", "legacy-rev")]
    assert query(current, "SELECT status FROM files "
                          "WHERE path LIKE '%range-model%/NFCorpus.json'") == [
        ("quarantined",)]
    assert query(current, "SELECT count(*) FROM files "
                          "WHERE model_folder = 'org__meta-only'") == [(0,)]


def test_nothing_changed_publishes_nothing(small):
    repo, wh, cat, first = small
    report = run(repo, wh, cat)
    assert not report.published and report.build == first.build
    assert "nothing published" in report.message
    assert report.parsed == 0 and report.unchanged == first.files_seen
    assert build_dirs(wh) == [first.build.name]
    # touched files (same bytes, new mtime): read and hashed, still nothing to publish
    for p in (repo / "results" / "org__current-model" / fx.SHA_A).glob("*.json"):
        fx.bump_mtime(p)
    report = run(repo, wh, cat)
    assert not report.published and report.parsed == 0
    assert report.message == "nothing changed since the current build; nothing published"
    assert build_dirs(wh) == [first.build.name] and staging_leftovers(wh) == []
    assert warehouse.current_build(wh) == first.build


def test_print_summary_says_nothing_published(small):
    import io
    repo, wh, cat, _ = small
    buf = io.StringIO()
    build.print_summary(run(repo, wh, cat), out=buf)
    out = buf.getvalue()
    assert re.search(r"^parsed:\s+0  result files read and parsed by this run$", out, re.M)
    assert "nothing published" in out


def test_full_flag_reparses_everything(small):
    repo, wh, cat, first = small
    report = run(repo, wh, cat, full=True)
    assert report.published and report.parsed == first.parsed
    assert warehouse.read_manifest(report.build)["incremental"] is False
    assert_same_tables(report.build, first.build)


def test_new_catalog_version_reparses_everything(small, tmp_path):
    repo, wh, _cat, first = small
    cat2 = fx.write_catalog(tmp_path / "cat2", tasks=fx.VARIANT_TASKS,
                            benchmarks=[fx.make_benchmark("Variants(v1)",
                                                          ["EmotionClassification"])],
                            models=[fx.make_model("org/current-model", fx.SHA_A)],
                            mteb_version="2.21.0")
    report = run(repo, wh, cat2)
    assert report.published and report.parsed == first.parsed
    assert warehouse.read_manifest(report.build)["catalog_mteb_version"] == "2.21.0"


def test_catalog_content_change_same_version_equals_full(small, tmp_path):
    repo, wh, _cat, _first = small
    tasks = [dict(t) for t in fx.VARIANT_TASKS]
    for t in tasks:
        if t["name"] == "AskUbuntuDupQuestions":
            t["main_score"] = "map"  # the legacy file's main score becomes resolvable
    cat2 = fx.write_catalog(tmp_path / "cat2", tasks=tasks,
                            benchmarks=[fx.make_benchmark("Variants(v1)", ["EmotionClassification",
                                                                           "NFCorpus", "DBPedia"])],
                            models=[fx.make_model("org/current-model", fx.SHA_A,
                                                  training_datasets=[])])
    _change_something(repo)
    report = run(repo, wh, cat2)
    assert_same_tables(report.build, _full_twin(repo, tmp_path, cat2, "cat2"))


def test_incremental_folder_with_a_too_large_file(small):
    repo, wh, cat, _first = small
    fx.write_result(repo, "org/broken", fx.SHA_D, "DBPedia", fx.simple_result("DBPedia", 0.4))
    report = run(repo, wh, cat)
    assert report.published
    reason = query(report.build, "SELECT reason FROM files WHERE path LIKE '%TooLarge.json'")[0][0]
    assert reason.startswith("absurdly large")


def test_incremental_parses_only_changed_files_next_to_quarantined_ones(tmp_path):
    repo = tmp_path / "repo"
    fx.write_result(repo, "org/m", fx.SHA_A, "SciFact", fx.simple_result("SciFact", 0.5))
    fx.write_result(repo, "org/m", fx.SHA_A, "Broken", b'{"task_name": ')
    cat = fx.variant_catalog(tmp_path / "cat")
    run(repo, tmp_path / "wh", cat)
    fx.write_result(repo, "org/m", fx.SHA_A, "DBPedia", fx.simple_result("DBPedia", 0.4))
    report = run(repo, tmp_path / "wh", cat)
    assert report.published and report.parsed == 1


@pytest.mark.parametrize("content", ["empty", "only_malformed"])
def test_repository_without_loadable_results(tmp_path, content):
    repo = tmp_path / "repo"
    (repo / "results").mkdir(parents=True)
    if content == "only_malformed":
        fx.write_result(repo, "org/m", "1", "Broken", b"{")
    report = run(repo, tmp_path / "wh", fx.variant_catalog(tmp_path / "cat"))
    assert report.published and report.rows["scores"] == 0


def test_incremental_after_deleting_everything(small):
    repo, wh, cat, _ = small
    shutil.rmtree(repo / "results")
    (repo / "results").mkdir()
    report = run(repo, wh, cat)
    assert report.published and report.rows["scores"] == 0 and report.rows["files"] == 0
    assert query(report.build, "SELECT count(*) FROM metrics") == [(0,)]
    assert query(report.build, "SELECT count(*) FROM benchmark_results") == [(0,)]


# --------------------------------------------------------------------------------------------
# the CLI
# --------------------------------------------------------------------------------------------

def _cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mteb-lb")
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_etl_builds_and_prints_the_summary(tmp_path):
    repo = tmp_path / "repo"
    specs = fx.write_variant_repo(repo, include_unreadable=False)
    cat = fx.variant_catalog(tmp_path / "cat")
    proc = _cli("etl", "--source", str(repo), "--catalog", str(cat), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    n_quarantined = sum(s.status == "quarantined" for s in specs)
    counts = {m.group(1).strip(): (int(m.group(2).replace(",", "")), m.group(3))
              for m in re.finditer(r"^([ a-z]+):\s+([\d,]+)  (.+)$", out, re.M)}
    n_loaded = sum(s.status == "loaded" for s in specs)
    assert counts["files seen"] == (
        len(specs), "every file under results/ (one row each in the `files` table)")
    assert counts["loaded"][0] == n_loaded
    assert counts["quarantined"][0] == n_quarantined
    assert counts["skipped"][0] == len(specs) - n_loaded - n_quarantined
    assert counts["unchanged"] == (0, "files reused from the previous build without reading them")
    assert "Truncated.json: not valid JSON" in out
    assert re.search(r"^rows: .*, scores \d", out, re.M | re.S) and "published:" in out
    # the source is named once, on stderr
    assert f"source: {repo.resolve()}\n" in proc.stderr
    assert (proc.stdout + proc.stderr).count(str(repo.resolve())) == 1
    wh = Path(os.environ["MTEB_LB_WAREHOUSE"])
    assert warehouse.current_build(wh).is_dir()
    # second run: nothing changed
    proc = _cli("etl", "--source", str(repo), "--catalog", str(cat), "--workers", "1")
    assert proc.returncode == 0 and "nothing published" in proc.stdout


@pytest.mark.parametrize("make", ["missing", "no_results"])
def test_cli_etl_bad_source(tmp_path, make):
    src = tmp_path / "src"
    if make == "no_results":
        src.mkdir()
        (src / "README.md").write_text("not a results repo")
    proc = _cli("etl", "--source", str(src), "--workers", "1")
    assert proc.returncode == 3
    expected = "does not exist" if make == "missing" else "has no results/ folder"
    assert proc.stderr.startswith("error: ") and expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_etl_missing_catalog(tmp_path):
    repo = tmp_path / "repo"
    (repo / "results").mkdir(parents=True)
    proc = _cli("etl", "--source", str(repo), "--catalog", str(tmp_path / "nope"), "--workers", "1")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and "error:" in proc.stderr


def test_scan_of_the_current_directory(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    fx.write_result(repo, "org/m", fx.SHA_A, "SciFact", fx.simple_result("SciFact", 0.5))
    monkeypatch.chdir(repo)
    groups = build.scan(Path("."))
    assert [s.path for s in groups["org__m"]] == [f"results/org__m/{fx.SHA_A}/SciFact.json"]


def test_raising_the_size_limit_reloads_the_large_file(small, monkeypatch):
    repo, wh, cat, _first = small
    monkeypatch.setenv("MTEB_LB_MAX_FILE_BYTES", str(10 * fx.MAX_FILE_BYTES))
    report = run(repo, wh, cat)
    assert report.published
    status = query(report.build, "SELECT status FROM files WHERE path LIKE '%TooLarge.json'")
    assert status == [("loaded",)]


def test_scan_without_results_raises_source_error(tmp_path):
    with pytest.raises(build.SourceError, match="has no results/ folder"):
        build.scan(tmp_path)


def test_generated_catalog_has_the_shape_of_the_committed_one(tmp_path):
    """The fixture catalog must stay a faithful stand-in for etl/catalog/ (same files, same
    keys per task / benchmark / model, triples as [task, split, subset, [langs]])."""
    from etl import catalog

    real = catalog.load_snapshot()
    ours = catalog.load_snapshot(fx.ranking_catalog(tmp_path / "cat"))
    assert set(ours) == set(real) == {*catalog.SNAPSHOT_FILES, "digests"}
    for key in ("tasks", "benchmarks", "models"):
        assert set(ours[key][0]) == set(real[key][0]), key
    bench, triples = next(iter(ours["benchmark_tasks"].items()))
    real_triple = next(iter(real["benchmark_tasks"].values()))[0]
    assert [type(x) for x in triples[0]] == [type(x) for x in real_triple]
    assert set(ours["task_renames"]) == set(real["task_renames"])
    assert isinstance(ours["meta"]["mteb_version"], str)


def test_two_handles_on_one_build_in_one_process(variant):
    """The app's handle and a second one (a test, a validation) share the build's hardened root
    connection: DuckDB refuses a second open of the same file once its configuration is locked."""
    _repo, _wh, _cat, report, _ = variant
    first, second = db.open_build(report.build), db.open_build(report.build)
    assert first.execute("SELECT count(*) FROM scores").fetchall() == \
        second.execute("SELECT count(*) FROM scores").fetchall()
    db.release(report.build, first)
    assert second.execute("SELECT 1").fetchall() == [(1,)]  # the root outlives the first user
    db.release(report.build, second)
