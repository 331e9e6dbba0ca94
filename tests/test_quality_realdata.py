"""Validity flags on the real results repository (docs/QUALITY.md): the count per rule, and for
every rule that fires, at least two real cases checked by hand against the result JSON files
(the values in the comments were read from the files of the pinned data, commit f4cc6c8b3).

Runs when MTEB_LB_REAL_RESULTS or MTEB_LB_REAL_WAREHOUSE is set (see tests/test_real_etl.py).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.realdata

COUNTS = {  # rule -> flags on the pinned data
    "score_not_finite": 12,            # the 12 NaN AFQMC entries of docs/DATA.md §Values
    "score_out_of_range": 0,           # no bounded metric outside [0, 1] in this data
    "main_score_mismatch": 18,
    "clustering_score_mismatch": 54,   # KiteFishAI/Nano-Em1-0.6B-v2.1 and Lajavaness (below)
    "mrr_precision_at_1": 271,
    "recall_not_monotonic": 5,
    "known_evaluator_bug": 469,
    "conflicting_duplicates": 0,       # repeated entries exist, always with equal scores
    "missing_model_revision": 9371,
    "dataset_revision_mismatch": 38321,
    "missing_splits": 3024,
    "mixed_revisions": 1171,
    "model_meta_mismatch": 178,
}

BGE_M3 = "5617a9f61b028005a4858fdac845db406aefb181"
GRIT = "13f00a0e36500c80ce12870ea513846a066004af"
E5_LARGE = "4dc6d853a804b9c8886ede6dda8a073b7dc08a81"

CASES = [  # (rule, model, task, split, subset, message), each read in its JSON file by hand
    # AFQMC.json of mteb 1.12.75: "main_score": NaN in the test split
    ("score_not_finite", "GritLM/GritLM-7B", "AFQMC", "test", "default", "main_score is nan"),
    ("score_not_finite", "intfloat/e5-mistral-7b-instruct", "AFQMC", "test", "default",
     "main_score is nan"),
    # a legacy file whose main_score is the average precision, not the declared accuracy
    ("main_score_mismatch", "sentence-transformers/sentence-t5-base",
     "ToxicConversationsClassification", "test", "default",
     "main_score = 0.14328836562980976 but accuracy = 0.6819919999999999"),
    ("main_score_mismatch", "ByteDance-Seed/Seed1.5-Embedding", "Cmnli", "validation",
     "default", "main_score = 0.930569 but max_accuracy = 0.866747"),
    # StackExchangeClustering.v2.json (mteb 2.18.6): v_measure = main_score = 0.762617, its ten
    # "Level 0" v_measures 0.723175 ... 0.726303 sum to 7.294716
    ("clustering_score_mismatch", "KiteFishAI/Nano-Em1-0.6B-v2.1", "StackExchangeClustering.v2",
     "test", "default", "main_score = 0.762617 but the mean of its 10 v_measures = 0.7294716"),
    # external/StackExchangeClustering.json (no mteb_version): five v_measures, 0.61430... to
    # 0.57398..., average 0.59144, below the main score 0.61568
    ("clustering_score_mismatch", "Lajavaness/bilingual-embedding-base",
     "StackExchangeClustering", "test", "default",
     "main_score = 0.6156750444120405 but the mean of its 5 v_measures = 0.5914427389239869"),
    # TwitterHjerneRetrieval with mteb 1.12.75, the bug of mteb#5228
    ("mrr_precision_at_1", "BAAI/bge-m3", "TwitterHjerneRetrieval", "train", "default",
     "mrr_at_1 = 0.7435897435897436, precision_at_1 = 0.14103"),
    ("mrr_precision_at_1", "GritLM/GritLM-7B", "TwitterHjerneRetrieval", "train", "default",
     "mrr_at_1 = 0.8846153846153846, precision_at_1 = 0.17949"),
    # HotpotQA.json: recall_at_20 0.98866, recall_at_100 0.96536, recall_at_1000 0.94315
    ("recall_not_monotonic", "TencentBAC/Conan-embedding-v2", "HotpotQA", "test", "default",
     "recall_at_100 = 0.96536 < recall_at_20 = 0.98866"),
    # external/MSMARCO.json: recall_at_1 0.25609 but recall_at_3 0.0
    ("recall_not_monotonic", "nvidia/NV-Embed-v1", "MSMARCO", "test", "default",
     "recall_at_3 = 0.0 < recall_at_1 = 0.25609"),
]

FILE_CASES = [  # (rule, model, revision, task, message)
    ("known_evaluator_bug", "BAAI/bge-m3", BGE_M3, "WebLINXCandidatesReranking",
     "mteb 1.12.75 < 2.18.19: mrr_tie_breaking "
     "(https://github.com/embeddings-benchmark/mteb/issues/5092)"),
    ("known_evaluator_bug", "GritLM/GritLM-7B", GRIT, "TwitterHjerneRetrieval",
     "mteb 1.12.75 < 1.18.1: twitterhjerne_mrr_at_1 "
     "(https://github.com/embeddings-benchmark/mteb/issues/5228)"),
    ("missing_model_revision", "intfloat/e5-small", "external", "ArguAna",
     "model revision is external"),
    ("missing_model_revision", "sentence-transformers/sentence-t5-base",
     "no_revision_available", "ToxicConversationsClassification",
     "model revision is no_revision_available"),
    # the files say c481e0da... / b52e9303...; mteb 2.20.0's tasks define other revisions
    ("dataset_revision_mismatch", "intfloat/multilingual-e5-large", E5_LARGE, "ARCChallenge",
     "dataset revision c481e0da3dcbbad8bce7721dea9085b74320a0a3, the task defines "
     "61b42fe57d9a44e30f47b9b878b664a95472ec80"),
    ("dataset_revision_mismatch", "intfloat/multilingual-e5-large", E5_LARGE,
     "AfriSentiClassification",
     "dataset revision b52e930385cf5ed7f063072c3f7bd17b599a16cf, the task defines "
     "463850b9da81847227ff03f3f80a3310b93cba3c"),
    ("missing_splits", "BAAI/bge-multilingual-gemma2", "external", "OpusparcusPC",
     "12 (split/subset) pairs missing: test.full/de, test.full/en, test.full/fi, "
     "test.full/fr, test.full/ru, ..."),
    ("missing_splits", "voyageai/voyage-code-2", "no_revision_available", "OpusparcusPC",
     "10 (split/subset) pairs missing: test.full/de, test.full/en, test.full/fi, "
     "test.full/ru, test.full/sv, ..."),
]

MODEL_CASES = [  # (rule, model, benchmark or None, message)
    ("mixed_revisions", "intfloat/multilingual-e5-large", "MTEB(eng, v2)",
     "2 revisions: ab10c1a7f42e74530fe7ae5be82e6d4f11a719eb (23 tasks), "
     "4dc6d853a804b9c8886ede6dda8a073b7dc08a81 (17 tasks)"),
    ("mixed_revisions", "ibm-granite/granite-embedding-107m-multilingual", "MTEB(Code, v1)",
     "2 revisions: 47db56afe692f731540413c67dd818ff492277e7 (11 tasks), external (1 tasks)"),
    ("model_meta_mismatch", "GritLM/GritLM-8x7B", None,
     "embed_dim: 4096.0 in the file, 32768.0 in the registry"),
    ("model_meta_mismatch", "intfloat/e5-small", None,
     "release_date: 2022-12-07 in the file, 2024-02-08 in the registry"),
]


@pytest.fixture(scope="module")
def con(real_leaderboard):
    cursor = real_leaderboard.handle.cursor()
    yield cursor
    cursor.close()


def test_count_per_rule(con, summary_note):
    counts = dict(con.execute("SELECT rule, count(*) FROM validity_flags GROUP BY rule")
                  .fetchall())
    summary_note("validity flags per rule: " + ", ".join(
        f"{r} {counts.get(r, 0)}" for r in sorted(COUNTS)))
    assert {r: counts.get(r, 0) for r in COUNTS} == COUNTS
    # TwitterHjerneRetrieval: 87 entries with MRR@1 far from precision@1, as mteb#5228 counts
    assert con.execute("SELECT count(*) FROM validity_flags WHERE rule = 'mrr_precision_at_1' "
                       "AND task_name = 'TwitterHjerneRetrieval'").fetchall() == [(87,)]


@pytest.mark.parametrize("rule, model, task, split, subset, message", CASES)
def test_entry_case_checked_by_hand(con, rule, model, task, split, subset, message):
    assert con.execute(
        "SELECT count(*) FROM validity_flags WHERE rule = ? AND model_name = ? AND task_name = ? "
        "AND split = ? AND subset = ? AND message = ?",
        [rule, model, task, split, subset, message]).fetchall() == [(1,)]


@pytest.mark.parametrize("rule, model, revision, task, message", FILE_CASES)
def test_file_case_checked_by_hand(con, rule, model, revision, task, message):
    assert con.execute(
        "SELECT count(*) FROM validity_flags WHERE rule = ? AND model_name = ? AND revision = ? "
        "AND task_name = ? AND message = ? AND split IS NULL",
        [rule, model, revision, task, message]).fetchall() == [(1,)]


@pytest.mark.parametrize("rule, model, benchmark, message", MODEL_CASES)
def test_model_case_checked_by_hand(con, rule, model, benchmark, message):
    assert con.execute(
        "SELECT count(*) >= 1 FROM validity_flags WHERE rule = ? AND model_name = ? "
        "AND benchmark IS NOT DISTINCT FROM ? AND message = ?",
        [rule, model, benchmark, message]).fetchall() == [(True,)]


# --------------------------------------------------------------------------------------------
# clustering_score_mismatch against an independent computation: Python over the JSON files of
# the four flagged models and of every tenth model folder's clustering files

CLUSTERING_FLAGGED = {"KiteFishAI/Nano-Em1-0.6B-v2.1": 8, "Lajavaness/bilingual-embedding-base": 16,
                      "Lajavaness/bilingual-embedding-large": 16,
                      "Lajavaness/bilingual-embedding-small": 14}


def test_clustering_flags_per_model(con):
    assert dict(con.execute(
        "SELECT model_name, count(*) FROM validity_flags WHERE rule = 'clustering_score_mismatch' "
        "GROUP BY ALL").fetchall()) == CLUSTERING_FLAGGED


def _v_measures_off(path: Path) -> tuple[set, int]:
    """(split, subset) of the entries of a current-layout result file whose main score is more
    than 1e-4 from the mean of their v_measures (a list, or lists per level), and the number of
    entries checked; legacy layouts (scores per split not a list) are left out."""
    data = json.loads(path.read_text())
    off, checked = set(), 0
    for split, entries in (data.get("scores") or {}).items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            vm, main = entry.get("v_measures"), entry.get("main_score")
            values = [v for level in vm.values() for v in level] if isinstance(vm, dict) else vm
            if not values or not isinstance(main, (int, float)) or math.isnan(main) or any(
                    not isinstance(v, (int, float)) or math.isnan(v) for v in values):
                continue
            checked += 1
            if abs(main - sum(values) / len(values)) > 1e-4:
                off.add((split, entry["hf_subset"]))
    return off, checked


def test_clustering_flags_equal_python_over_the_files(con):
    root = os.environ.get("MTEB_LB_REAL_RESULTS")
    if not root or not (Path(root) / "results").is_dir():
        pytest.skip("needs MTEB_LB_REAL_RESULTS (the JSON files)")
    results = Path(root) / "results"
    folders = sorted(p for p in results.iterdir() if p.is_dir())
    flagged_folders = {m.replace("/", "__") for m in CLUSTERING_FLAGGED}
    sample = [f for i, f in enumerate(folders) if i % 10 == 0 or f.name in flagged_folders]
    expected, checked = set(), 0
    for folder in sample:
        for revision in sorted(p for p in folder.iterdir() if p.is_dir()):
            for path in sorted(revision.glob("*.json")):
                if path.name == "model_meta.json":
                    continue
                off, n = _v_measures_off(path)
                checked += n
                rel = str(path.relative_to(results.parent))
                expected |= {(rel, split, subset) for split, subset in off}
    paths = [str(p.relative_to(results.parent)) for p in sample]
    got = set(con.execute(
        "SELECT path, split, subset FROM validity_flags WHERE rule = 'clustering_score_mismatch' "
        "AND list_contains(?, regexp_extract(path, '^(results/[^/]+)', 1))", [paths]).fetchall())
    assert checked > 3000           # entries with v_measures in the sample
    assert len(expected) == 54      # the four flagged models' entries, nothing elsewhere
    assert got == expected
