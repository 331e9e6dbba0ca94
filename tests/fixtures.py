"""Fixture GENERATORS for the ETL, parser and ranking tests (code, not committed data).

Two things are generated into tmp dirs:

* a tiny MTEB results repository (``results/<org>__<model>/<revision>/<Task>.json`` plus
  ``model_meta.json``) holding one file per format variant and edge case of docs/DATA.md (§Formats,
  §Entries, §Values): the current layout shapes B1..B7, the legacy layout (flat, per-language,
  without mteb_version, without main_score, nested pair-classification dicts), pre-1.12.48
  pair-classification dicts, ``[r, p]`` lists, scores_per_experiment, v_measures (list and dict of
  levels), bare NaN, the string "nan", Infinity in model_meta, duplicate JSON keys, version ranges,
  the revision folder kinds (SHA / ``external`` / ``no_revision_available`` / ``1``), a folder
  without model_meta.json, an experiments/ folder, legacy renames, the MLSUM / XPQA subset fixes,
  duplicate (split, subset) entries, and every malformed kind (truncated, not JSON, not UTF-8, a
  list at the top level, scores not a dict, an entry without main_score, too large, unreadable);
* a tiny catalog snapshot folder with the same files and shapes as ``etl/catalog/``, so tests
  control every task, benchmark triple and registry model.

`variant_files()` describes each file with what the ETL must make of it (`FileSpec`), so the parse
tests and the end-to-end build tests share one source of truth.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------------

NAN = float("nan")
INF = float("inf")

SHA_A = "a" * 40       # org/current-model: the registry's main revision
SHA_B = "b" * 40       # org/range-model
SHA_C = "c" * 40       # org/meta-only
SHA_D = "d" * 40       # org/broken
SHA_E = "e" * 40       # org/bad-meta
DATASET_REV = "4f58c6b202a23cf9a4da393831edf4f9183cad37"

# Files above this are "absurdly large" in the variant repository (set MTEB_LB_MAX_FILE_BYTES).
MAX_FILE_BYTES = 16_000


def dumps(obj, *, indent: int | None = 2) -> bytes:
    """JSON as mteb writes it: Python's json with bare NaN / Infinity tokens allowed."""
    return json.dumps(obj, indent=indent, allow_nan=True).encode()


def entry(subset: str = "default", languages=("eng-Latn",), main_score=0.5, **metrics) -> dict:
    """One current-layout score entry."""
    out = dict(metrics)
    out.setdefault("main_score", main_score)
    out["hf_subset"] = subset
    out["languages"] = list(languages)
    return out


def current(task: str, scores: dict, *, mteb_version="1.14.0", kg=0.001, evaluation_time=12.5,
            dataset_revision=DATASET_REV, **extra) -> dict:
    """A current-layout (B1) result; ``kg=...`` / extra keys vary the shape (B2..B7)."""
    out = {"dataset_revision": dataset_revision, "task_name": task, "mteb_version": mteb_version,
           "scores": scores, "evaluation_time": evaluation_time}
    if kg is not ...:
        out["kg_co2_emissions"] = kg
    out.update(extra)
    return out


def simple_result(task: str, score: float | None, *, split: str = "test", subset="default",
                  languages=("eng-Latn",), mteb_version: str | None = "1.14.0", **extra) -> dict:
    """A one-entry current-layout result with main score ``score`` (NaN allowed)."""
    return current(task, {split: [entry(subset, languages, score)]}, mteb_version=mteb_version,
                   **extra)


def model_meta(name: str, revision: str, **fields) -> dict:
    meta = {"name": name, "revision": revision, "release_date": "2024-05-01",
            "languages": ["eng-Latn"], "n_parameters": 110_000_000, "max_tokens": 512.0,
            "embed_dim": 768, "license": "mit", "open_weights": True,
            "framework": ["Sentence Transformers", "PyTorch"], "similarity_fn_name": "cosine",
            "use_instructions": False, "training_datasets": None, "adapted_from": None,
            "reference": None}
    meta.update(fields)
    return meta


# --------------------------------------------------------------------------------------------
# Catalog snapshot
# --------------------------------------------------------------------------------------------

DEFAULT_RENAMES = {"8TagsClustering": "EightTagsClustering", "CMedQAv1": "CMedQAv1-reranking",
                   "CMedQAv2": "CMedQAv2-reranking",
                   "NorwegianParliament": "NorwegianParliamentClassification", "PPC": "PpcPC",
                   "PersianTextTone": "SynPerTextToneClassification"}


def make_task(name: str, type_: str, main_score: str, subsets: dict[str, list[str]] | None = None,
              *, eval_splits=("test",), domains=(), modalities=("text",), is_public=True,
              superseded_by=None, adapted_from=(), category="t2t", is_aggregate=False) -> dict:
    """One task of tasks.json (same keys as the real export)."""
    subsets = subsets or {"default": ["eng-Latn"]}
    languages = sorted({lang.split("-")[0] for langs in subsets.values() for lang in langs})
    return {
        "adapted_from": list(adapted_from), "aggregated_tasks": None, "category": category,
        "dataset_revision": DATASET_REV, "description": f"{name} (fixture)",
        "domains": list(domains), "eval_splits": list(eval_splits), "hf_subsets": list(subsets),
        "hf_subsets_to_langscripts": {k: list(v) for k, v in subsets.items()},
        "is_aggregate": is_aggregate, "is_beta": False, "is_outdated": False,
        "is_public": is_public, "languages": languages, "license": "cc-by-4.0",
        "main_score": main_score, "modalities": list(modalities), "name": name,
        "reference": f"https://example.org/{name}", "superseded_by": superseded_by,
        "task_subtypes": [], "type": type_,
    }


def make_benchmark(name: str, task_names: list[str], *, display_name: str | None = None,
                   aggregations=("mean_task", "mean_task_type", "task_types"),
                   mean_columns=("Mean (Task)", "Mean (TaskType)"), language_view=(),
                   kind="default", public_only=False, show_zero_shot=True) -> dict:
    """One benchmark of benchmarks.json (same keys as the real export)."""
    lv = language_view if isinstance(language_view, str) else list(language_view)
    return {
        "aggregations": list(aggregations), "aliases": [], "benchmark_hf_repo": None,
        "citation": None, "class_name": "Benchmark", "contacts": None,
        "description": f"{name} (fixture)", "display_name": display_name or name,
        "display_on_leaderboard": True, "has_language_view": bool(lv), "icon": None,
        "kind": kind, "label": display_name or name, "language_view": lv,
        "n_tasks": len(task_names), "name": name, "on_sidebar": True, "reference": None,
        "show_zero_shot": show_zero_shot, "show_zero_shot_filter": show_zero_shot,
        "summary_default_sort": "Rank (Borda)", "summary_mean_columns": list(mean_columns),
        "summary_primary_metric_column": "Mean (Task)", "summary_public_only": public_only,
        "summary_rank_column": None, "summary_rank_column_effective": "Rank (Borda)",
        "summary_sort_column": None, "superseded_by": None, "task_names": list(task_names),
    }


def make_model(name: str, revision: str, *, n_parameters: int | None = 100_000_000,
               n_active_parameters: int | None = None, open_weights: bool = True,
               use_instructions: bool | None = False,
               framework=("Sentence Transformers", "PyTorch"), model_type=("dense",),
               training_datasets: list[str] | None = None,
               training_datasets_closure: list[str] | None = None,
               embed_dim: int | None = 768, max_tokens: int | None = 512,
               release_date: str | None = "2024-01-01", adapted_from: str | None = None) -> dict:
    """One registry model of models.json. ``training_datasets=None`` means "unknown"; the
    closure defaults to the declared datasets (the real export precomputes it)."""
    if training_datasets_closure is None and training_datasets is not None:
        training_datasets_closure = list(training_datasets)
    active = n_active_parameters if n_active_parameters is not None else n_parameters
    return {
        "adapted_from": adapted_from, "embed_dim": embed_dim,
        "folder": name.replace("/", "__").replace(" ", "_"), "framework": list(framework),
        "in_lb_registry": True, "is_cross_encoder": False, "languages": ["eng-Latn"],
        "lb_active_params_b": None if active is None else round(active / 1e9, 3),
        "lb_embed_dim": embed_dim, "lb_max_tokens": max_tokens, "lb_release_date": release_date,
        "lb_total_params_b": None if n_parameters is None else round(n_parameters / 1e9, 3),
        "license": "mit", "max_tokens": None if max_tokens is None else float(max_tokens),
        "memory_usage_mb": None, "modalities": ["text"], "model_type": list(model_type),
        "n_active_parameters": active, "n_active_parameters_override": None,
        "n_embedding_parameters": None, "n_parameters": n_parameters, "name": name,
        "open_weights": open_weights, "public_training_code": None, "public_training_data": None,
        "reference": f"https://huggingface.co/{name}", "release_date": release_date,
        "revision": revision, "similarity_fn_name": "cosine", "superseded_by": None,
        "training_datasets": None if training_datasets is None else list(training_datasets),
        "training_datasets_closure": (None if training_datasets_closure is None
                                      else list(training_datasets_closure)),
        "use_instructions": use_instructions,
    }


def triples_for(tasks: list[dict], names: list[str]) -> list[list]:
    """A benchmark's (task, split, subset, languages) triples: every eval split x subset."""
    by_name = {t["name"]: t for t in tasks}
    out = []
    for name in names:
        t = by_name[name]
        for split in t["eval_splits"]:
            for subset, langs in t["hf_subsets_to_langscripts"].items():
                out.append([name, split, subset, list(langs)])
    return out


def write_catalog(folder: Path, *, tasks: list[dict], benchmarks: list[dict],
                  models: list[dict], triples: dict[str, list[list]] | None = None,
                  renames: dict[str, str] | None = None,
                  similar: dict[str, list[str]] | None = None, mteb_version: str = "2.20.0",
                  gzip_triples: bool = True) -> Path:
    """Write a catalog snapshot folder (same files as etl/catalog/) and return it.

    ``triples`` overrides the benchmark triples per benchmark; by default each benchmark gets
    every eval split x subset of its tasks.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    triples = dict(triples or {})
    for bench in benchmarks:
        triples.setdefault(bench["name"], triples_for(tasks, bench["task_names"]))
    meta = {"mteb_version": mteb_version, "exported_at": "2026-01-01T00:00:00+00:00",
            "python": "3.11.7", "counts": {"tasks": len(tasks), "benchmarks": len(benchmarks),
                                           "models": len(models)},
            "benchmark_kinds": {"Benchmark": "default"}, "model_renames": {},
            "task_name_resolution": ["outdated_tasks", "renamed_tasks", "registry",
                                     "registry_case_insensitive"]}
    menu = {"default_benchmark": benchmarks[0]["name"] if benchmarks else None,
            "home": [], "sidebar": [{"name": b["name"], "type": "benchmark", "label": b["label"],
                                     "level": 1} for b in benchmarks]}
    files = {"meta": meta, "tasks": tasks, "benchmarks": benchmarks, "models": models,
             "task_renames": DEFAULT_RENAMES if renames is None else renames,
             "similar_tasks": similar or {}, "menu": menu}
    for key, value in files.items():
        (folder / f"{key}.json").write_text(json.dumps(value, indent=1, sort_keys=True))
    if gzip_triples:
        with gzip.open(folder / "benchmark_tasks.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(triples, fh)
    else:
        (folder / "benchmark_tasks.json").write_text(json.dumps(triples))
    return folder


# The tasks the variant repository needs (real names, real types / main scores / subsets).
VARIANT_TASKS = [
    make_task("EmotionClassification", "Classification", "accuracy"),
    make_task("ArxivClusteringP2P", "Clustering", "v_measure"),
    make_task("NFCorpus", "Retrieval", "ndcg_at_10", domains=["Medical"]),
    make_task("DBPedia", "Retrieval", "ndcg_at_10"),
    make_task("SciFact", "Retrieval", "ndcg_at_10"),
    make_task("STSBenchmark", "STS", "cosine_spearman"),
    make_task("GermanSTSBenchmark", "STS", "cosine_spearman", {"default": ["deu-Latn"]},
              eval_splits=("validation", "test")),
    make_task("AFQMC", "STS", "cosine_spearman", {"default": ["cmn-Hans"]},
              eval_splits=("validation",)),
    make_task("SyntecRetrieval", "Retrieval", "ndcg_at_10", {"default": ["fra-Latn"]}),
    make_task("SprintDuplicateQuestions", "PairClassification", "max_ap"),
    make_task("PpcPC", "PairClassification", "max_ap", {"default": ["pol-Latn"]}),
    make_task("OpusparcusPC", "PairClassification", "max_ap",
              {"de": ["deu-Latn"], "en": ["eng-Latn"], "fr": ["fra-Latn"]},
              eval_splits=("test.full", "validation.full")),
    make_task("DiaBlaBitextMining", "BitextMining", "f1",
              {"en-fr": ["eng-Latn", "fra-Latn"], "fr-en": ["fra-Latn", "eng-Latn"]}),
    make_task("MLSUMClusteringP2P", "Clustering", "v_measure",
              {"de": ["deu-Latn"], "fr": ["fra-Latn"]}, eval_splits=("validation", "test")),
    make_task("XPQARetrieval", "Retrieval", "ndcg_at_10",
              {"eng-eng": ["eng-Latn", "eng-Latn"], "fra-fra": ["fra-Latn", "fra-Latn"]}),
    make_task("AmazonCounterfactualClassification", "Classification", "accuracy",
              {"de": ["deu-Latn"], "en": ["eng-Latn"], "ja": ["jpn-Jpan"]},
              eval_splits=("validation", "test")),
    make_task("Banking77Classification", "Classification", "accuracy"),
    make_task("AskUbuntuDupQuestions", "Reranking", "map_at_1000"),
]


def variant_catalog(folder: Path) -> Path:
    """A catalog for the variant repository: its tasks, one benchmark, one registry model."""
    bench = make_benchmark("Variants(v1)", ["EmotionClassification", "NFCorpus", "DBPedia"])
    models = [make_model("org/current-model", SHA_A, training_datasets=[])]
    return write_catalog(folder, tasks=VARIANT_TASKS, benchmarks=[bench], models=models)


def variant_task_catalog():
    """The parser's `TaskCatalog` of VARIANT_TASKS (for unit tests of parse_result)."""
    from etl.parse import TaskCatalog

    return TaskCatalog.from_snapshot(VARIANT_TASKS, DEFAULT_RENAMES)


# --------------------------------------------------------------------------------------------
# The variant repository
# --------------------------------------------------------------------------------------------


@dataclass
class FileSpec:
    """One file of the generated repository and what the ETL must make of it."""

    key: str                     # short id tests refer to
    path: str                    # relative to the repository root
    data: bytes
    status: str = "loaded"       # expected files.status
    reason: str | None = None    # a substring of the expected files.reason (None: reason NULL)
    n_entries: int = 0
    task_name: str | None = None
    kind: str = "result"
    mode: int | None = None      # chmod after writing (000: unreadable)
    tags: set = field(default_factory=set)


def _p(folder: str, revision: str, name: str, experiment: str | None = None) -> str:
    if experiment:
        return f"results/{folder}/{revision}/experiments/{experiment}/{name}"
    return f"results/{folder}/{revision}/{name}"


def _spe(n: int, base: float) -> list[dict]:
    """scores_per_experiment: n dicts of classification metrics."""
    return [{"accuracy": round(base + i / 100, 4), "f1": round(base - i / 100, 4)}
            for i in range(n)]


def variant_files() -> list[FileSpec]:
    """Every file of the variant repository, with the expected outcome."""
    files: list[FileSpec] = []

    def add(key, path, obj_or_bytes, **kw):
        data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else dumps(obj_or_bytes)
        files.append(FileSpec(key, path, data, **kw))

    # ---- org/current-model: SHA folder (the registry main revision), current layout --------
    F, R = "org__current-model", SHA_A
    add("meta_current", _p(F, R, "model_meta.json"),
        model_meta("org/current-model", SHA_A, max_tokens=INF), kind="model_meta")
    # B1 with scores_per_experiment
    add("b1", _p(F, R, "EmotionClassification.json"), current("EmotionClassification", {"test": [
        entry("default", ["eng-Latn"], 0.4, accuracy=0.4, f1=0.35, f1_weighted=0.41,
              scores_per_experiment=_spe(3, 0.4))]}, mteb_version="1.14.0", kg=0.0012),
        n_entries=1, task_name="EmotionClassification")
    # B2: date as epoch float; v_measures dict of levels (fast clustering)
    add("b2", _p(F, R, "ArxivClusteringP2P.json"), current("ArxivClusteringP2P", {"test": [
        entry("default", ["eng-Latn"], 0.45, v_measure=0.45, v_measure_std=0.01,
              v_measures={"Level 0": [0.44, 0.45, 0.46]})]},
        mteb_version="2.6.0", kg=None, date=1782921898.31437),
        n_entries=1, task_name="ArxivClusteringP2P")
    # B3: ISO date, evaluation_phases, per-entry mteb_version, bare NaN metrics
    add("b3", _p(F, R, "NFCorpus.json"), current("NFCorpus", {"test": [
        {**entry("default", ["eng-Latn"], 0.33, ndcg_at_10=0.33, recall_at_1000=0.9,
                 nauc_recall_at_1000_max=NAN), "mteb_version": "2.16.1"}]},
        mteb_version="2.16.2", kg=None, date="2026-07-15T01:23:56.236876Z",
        evaluation_phases=[{"name": "Data loading", "start": 0.0007, "end": 1.35,
                            "split": "", "subset": ""}]),
        n_entries=1, task_name="NFCorpus")
    # B1 written by mteb 1.12.66: pearson / spearman as [r, p] lists
    add("rp_lists", _p(F, R, "STSBenchmark.json"), current("STSBenchmark", {"test": [
        entry("default", ["eng-Latn"], 0.82, cosine_spearman=0.82, cosine_pearson=0.81,
              pearson=[0.81, 1.5e-30], spearman=[0.82, 2.5e-31])]}, mteb_version="1.12.66"),
        n_entries=1, task_name="STSBenchmark")
    # current layout before 1.12.48: pair-classification dicts, flattened parent_child
    add("pair_pre_1_12_48", _p(F, R, "SprintDuplicateQuestions.json"),
        current("SprintDuplicateQuestions", {"test": [
            entry("default", ["eng-Latn"], 0.91,
                  cos_sim={"accuracy": 0.99, "ap": 0.9},
                  max={"accuracy": 0.995, "ap": 0.91})]}, mteb_version="1.12.10"),
        n_entries=1, task_name="SprintDuplicateQuestions")
    # every metric NaN, main_score NaN (the AFQMC files)
    add("nan_main", _p(F, R, "AFQMC.json"), current("AFQMC", {"validation": [
        entry("default", ["cmn-Hans"], NAN, cosine_spearman=NAN, cosine_pearson=NAN)]},
        mteb_version="1.12.75"), n_entries=1, task_name="AFQMC")
    # B6: B1 + a leftover mteb_dataset_name
    add("b6", _p(F, R, "Banking77Classification.json"), current("Banking77Classification", {
        "test": [entry("default", ["eng-Latn"], 0.81, accuracy=0.81, f1=0.8)]},
        mteb_version="1.12.0", kg=0.0005, mteb_dataset_name="Banking77Classification"),
        n_entries=1, task_name="Banking77Classification")
    # B7: leftover aggregate keys; text metric values (GPUSpeedTask-like), a bool and a null
    add("b7_text", _p(F, R, "GPUSpeedTask.json"), current("GPUSpeedTask", {"test": [
        entry("default", ["eng-Latn"], 26866.95, gpu_name="NVIDIA A100", cpu_count=8,
              avg_words_per_sec=26866.95, on_gpu=True, missing_value=None,
              timings=[1.5, 2.5])]}, mteb_version="1.34.14", description="speed",
        type="Speed", mteb_main_score="avg_words_per_sec"),
        n_entries=1, task_name="GPUSpeedTask")
    add("run_settings", _p(F, R, "run_settings.jsonl"), b'{"batch_size": 32}\n',
        kind="other", status="skipped", reason="not a result JSON file")

    # ---- org/current-model: external folder (B4 / B5, imported from model cards) -----------
    R = "external"
    add("meta_external", _p(F, R, "model_meta.json"), model_meta("org/current-model", "external"),
        kind="model_meta")
    add("b4", _p(F, R, "EmotionClassification.json"), current("EmotionClassification", {"test": [
        entry("default", ["eng-Latn"], 0.29685, accuracy=0.29685, f1=0.26486)]},
        mteb_version=None, kg=..., evaluation_time=None),
        n_entries=1, task_name="EmotionClassification")
    add("b5", _p(F, R, "SciFact.json"), current("SciFact", {"test": [
        entry("default", ["eng-Latn"], 0.61, ndcg_at_10=0.61)]}, mteb_version="1.38.41", kg=...,
        mteb_dataset_name="SciFact"), n_entries=1, task_name="SciFact")
    # the string "nan" (Lajavaness SyntecRetrieval)
    add("string_nan", _p(F, R, "SyntecRetrieval.json"), current("SyntecRetrieval", {"test": [
        entry("default", ["fra-Latn"], "nan", ndcg_at_10="nan", map_at_10=0.5)]},
        mteb_version=None, kg=...), n_entries=1, task_name="SyntecRetrieval")

    # ---- org/legacy-model: no_revision_available without model_meta.json (legacy layout) ----
    F, R = "org__legacy-model", "no_revision_available"
    # flat, explicit main_score, a .dev version
    add("legacy_flat", _p(F, R, "Banking77Classification.json"), {
        "dataset_revision": DATASET_REV, "mteb_dataset_name": "Banking77Classification",
        "mteb_version": "1.0.3.dev0",
        "test": {"accuracy": 0.55, "accuracy_stderr": 0.08, "evaluation_time": 8.1, "f1": 0.44,
                 "main_score": 0.55}}, n_entries=1, task_name="Banking77Classification")
    # per-language sub-dicts, split-level evaluation_time, two splits, no main_score (derived)
    add("legacy_per_lang", _p(F, R, "AmazonCounterfactualClassification.json"), {
        "dataset_revision": DATASET_REV,
        "mteb_dataset_name": "AmazonCounterfactualClassification", "mteb_version": "0.0.2",
        "test": {"evaluation_time": 9.19, "en": {"accuracy": 0.7, "f1": 0.6},
                 "de": {"accuracy": 0.65, "f1": 0.55}},
        "validation": {"evaluation_time": 1.0, "en": {"accuracy": 0.71, "f1": 0.61}}},
        n_entries=3, task_name="AmazonCounterfactualClassification")
    # no mteb_version at all, main score derived (openai__*/1/DBPedia.json shape)
    add("legacy_no_version", _p(F, R, "DBPedia.json"),
        b'{"test": {"ndcg_at_10": 0.3997, "map_at_10": 0.25}, "mteb_dataset_name": "DBPedia"}',
        n_entries=1, task_name="DBPedia")
    # renamed task (PPC -> PpcPC) with nested pair-classification dicts
    add("legacy_ppc", _p(F, R, "PPC.json"), {
        "dataset_revision": DATASET_REV, "mteb_dataset_name": "PPC", "mteb_version": "1.1.1",
        "test": {"cos_sim": {"accuracy": 0.8, "ap": 0.85}, "dot": {"accuracy": 0.7, "ap": 0.75},
                 "euclidean": {"ap": 0.84}, "manhattan": {"ap": 0.83},
                 "max": {"accuracy": 0.8, "ap": 0.86}, "evaluation_time": 3.0}},
        n_entries=1, task_name="PpcPC")
    # case-insensitive task lookup
    add("legacy_diabla", _p(F, R, "DiaBLaBitextMining.json"), {
        "mteb_dataset_name": "DiaBLaBitextMining", "mteb_version": "1.1.1",
        "test": {"fr-en": {"f1": 0.9, "accuracy": 0.92}, "en-fr": {"f1": 0.88, "accuracy": 0.9}}},
        n_entries=2, task_name="DiaBlaBitextMining")
    # MLSUM subset fix: flat legacy file of 1.1.2.dev0 -> subset fr; v_measures as a list
    add("legacy_mlsum", _p(F, R, "MLSUMClusteringP2P.json"), {
        "dataset_revision": DATASET_REV, "mteb_dataset_name": "MLSUMClusteringP2P",
        "mteb_version": "1.1.2.dev0",
        "test": {"v_measure": 0.41, "v_measure_std": 0.02, "v_measures": [0.4, 0.42]}},
        n_entries=1, task_name="MLSUMClusteringP2P")
    # XPQA subset fix: fr -> fra-fra
    add("legacy_xpqa", _p(F, R, "XPQARetrieval.json"), {
        "mteb_dataset_name": "XPQARetrieval", "mteb_version": "1.1.1",
        "test": {"fr": {"ndcg_at_10": 0.5}, "eng-eng": {"ndcg_at_10": 0.6}}},
        n_entries=2, task_name="XPQARetrieval")
    # per-language nested pair-classification dicts on test.full (voyage OpusparcusPC)
    add("legacy_opusparcus", _p(F, R, "OpusparcusPC.json"), {
        "dataset_revision": DATASET_REV, "mteb_dataset_name": "OpusparcusPC",
        "mteb_version": "1.1.1",
        "test.full": {"evaluation_time": 52.86,
                      "fr": {"cos_sim": {"accuracy": 0.76, "ap": 0.897},
                             "max": {"accuracy": 0.77, "ap": 0.9}}}},
        n_entries=1, task_name="OpusparcusPC")
    # main score unresolvable: main metric map_at_1000, file has only `map`
    add("legacy_unresolvable", _p(F, R, "AskUbuntuDupQuestions.json"), {
        "mteb_dataset_name": "AskUbuntuDupQuestions", "mteb_version": "1.0.1",
        "test": {"map": 0.55, "mrr": 0.7}},
        n_entries=1, task_name="AskUbuntuDupQuestions")
    # a task the catalog does not know
    add("legacy_unknown", _p(F, R, "ScalaXxClassification.json"), {
        "mteb_dataset_name": "ScalaXxClassification", "mteb_version": "1.0.1",
        "test": {"accuracy": 0.5, "main_score": 0.5}},
        n_entries=1, task_name="ScalaXxClassification",
        reason="task unknown to the catalog")

    # ---- org/legacy-model: API-style folder `1` with model_meta.json ------------------------
    R = "1"
    add("meta_legacy_1", _p(F, R, "model_meta.json"), model_meta("org/legacy-model", "1"),
        kind="model_meta")
    add("compact_current", _p(F, R, "NFCorpus.json"), dumps(simple_result(
        "NFCorpus", 0.31, mteb_version="1.12.0"), indent=None),
        n_entries=1, task_name="NFCorpus")

    # ---- org/range-model: version range, duplicates, experiments ----------------------------
    F, R = "org__range-model", SHA_B
    add("meta_range", _p(F, R, "model_meta.json"), model_meta("org/range-model", SHA_B),
        kind="model_meta")
    add("version_range", _p(F, R, "EmotionClassification.json"), simple_result(
        "EmotionClassification", 0.5, mteb_version="2.10.0-2.18.7", date=None,
        evaluation_phases=None),
        n_entries=1, task_name="EmotionClassification")
    # duplicate (split, subset) entries (German_Semantic_STS_V2 GermanSTSBenchmark)
    add("dup_entries", _p(F, R, "GermanSTSBenchmark.json"), current("GermanSTSBenchmark", {
        "test": [entry("default", ["deu-Latn"], 0.8, cosine_spearman=0.8),
                 entry("default", ["deu-Latn"], 0.7, cosine_spearman=0.7)]}),
        n_entries=2, task_name="GermanSTSBenchmark")
    # duplicate JSON keys at the top level: Python keeps the last value
    add("dup_keys", _p(F, R, "NFCorpus.json"), (
        '{"dataset_revision": "%s", "task_name": "NFCorpus", "mteb_version": "1.14.0",\n'
        ' "evaluation_time": null, "kg_co2_emissions": null,\n'
        ' "scores": {"test": [{"hf_subset": "default", "languages": ["eng-Latn"],\n'
        '   "ndcg_at_10": 0.36, "main_score": 0.36}]},\n'
        ' "evaluation_time": 42.5, "kg_co2_emissions": 0.002}' % DATASET_REV).encode(),
        n_entries=1, task_name="NFCorpus")
    E = "model_kwargs_{}"
    add("meta_experiment", _p(F, R, "model_meta.json", E),
        model_meta("org/range-model", SHA_B, experiment_kwargs={"x": 1}), kind="model_meta")
    add("experiment", _p(F, R, "EmotionClassification.json", E), simple_result(
        "EmotionClassification", 0.66, mteb_version="2.12.0"),
        n_entries=1, task_name="EmotionClassification", tags={"experiment"})

    # ---- a revision folder holding only model_meta.json --------------------------------------
    add("meta_only", _p("org__meta-only", SHA_C, "model_meta.json"),
        model_meta("org/meta-only", SHA_C), kind="model_meta")

    # ---- a model_meta.json that cannot be loaded: results fall back to the folder name ------
    F, R = "org__bad-meta", SHA_E
    add("meta_bad", _p(F, R, "model_meta.json"), b'{"name": "org/bad-meta", "revision": ',
        kind="model_meta", status="quarantined", reason="model_meta.json not loadable")
    add("bad_meta_result", _p(F, R, "SciFact.json"), simple_result("SciFact", 0.5),
        n_entries=1, task_name="SciFact")

    # ---- malformed files ---------------------------------------------------------------------
    F, R = "org__broken", SHA_D
    add("meta_broken", _p(F, R, "model_meta.json"), model_meta("org/broken", SHA_D),
        kind="model_meta")
    good = dumps(simple_result("SciFact", 0.5))
    add("truncated", _p(F, R, "Truncated.json"), good[: len(good) // 2],
        status="quarantined", reason="not valid JSON")
    add("not_json", _p(F, R, "NotJson.json"), b"<html>rate limited</html>\n",
        status="quarantined", reason="not valid JSON")
    add("not_utf8", _p(F, R, "Binary.json"), b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary",
        status="quarantined", reason="not UTF-8")
    add("top_list", _p(F, R, "TopList.json"), dumps([simple_result("SciFact", 0.5)]),
        status="quarantined", reason="the top level is a list")
    add("scores_not_dict", _p(F, R, "ScoresNotDict.json"),
        dumps({"task_name": "ScoresNotDict", "mteb_version": "1.14.0", "scores": [1, 2]}),
        status="quarantined", reason="`scores` is not an object")
    add("no_main_score", _p(F, R, "NoMainScore.json"), dumps(current("NoMainScore", {"test": [
        {"hf_subset": "default", "languages": ["eng-Latn"], "accuracy": 0.5}]})),
        status="quarantined", reason="has no `main_score`")
    add("legacy_too_new", _p(F, R, "NoScores.json"),
        dumps({"mteb_dataset_name": "NoScores", "mteb_version": "1.20.0",
               "test": {"main_score": 0.5}}),
        status="quarantined", reason="too new for the legacy layout")
    big = simple_result("SciFact", 0.5)
    big["scores"]["test"][0]["padding"] = "x" * (MAX_FILE_BYTES + 100)
    add("too_large", _p(F, R, "TooLarge.json"), dumps(big),
        status="quarantined", reason="absurdly large")
    add("unreadable", _p(F, R, "Unreadable.json"), dumps(simple_result("SciFact", 0.5)),
        status="quarantined", reason="unreadable", mode=0o000, tags={"unreadable"})

    # ---- a stray file directly under results/ -------------------------------------------------
    add("stray", "results/rename_and_move_over.py", b"print('hi')\n",
        kind="other", status="skipped", reason="not a result JSON file")
    return files


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def write_files(root: Path, files: list[FileSpec]) -> Path:
    """Write ``files`` under ``root`` (the repository root) and return ``root``."""
    root = Path(root)
    (root / "results").mkdir(parents=True, exist_ok=True)
    for spec in files:
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(spec.data)
        if spec.mode is not None:
            os.chmod(path, spec.mode)
    return root


def write_variant_repo(root: Path, *, include_unreadable: bool | None = None) -> list[FileSpec]:
    """Write the variant repository under ``root``; returns the specs written.

    The unreadable (chmod 000) file is left out when running as root (root reads it anyway),
    unless ``include_unreadable`` says otherwise.
    """
    if include_unreadable is None:
        include_unreadable = not running_as_root()
    specs = [s for s in variant_files() if include_unreadable or "unreadable" not in s.tags]
    write_files(root, specs)
    return specs


# --------------------------------------------------------------------------------------------
# Small builders for ranking / incremental tests
# --------------------------------------------------------------------------------------------


def write_result(root: Path, model: str, revision: str, task: str, obj_or_bytes,
                 experiment: str | None = None) -> Path:
    """Write one result file for model ``org/name`` (folder ``org__name``)."""
    folder = model.replace("/", "__").replace(" ", "_")
    path = Path(root) / _p(folder, revision, f"{task}.json", experiment)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else dumps(obj_or_bytes)
    path.write_bytes(data)
    return path


def write_meta(root: Path, model: str, revision: str, folder_revision: str | None = None,
               **fields) -> Path:
    folder = model.replace("/", "__").replace(" ", "_")
    path = Path(root) / _p(folder, folder_revision or revision, "model_meta.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(model_meta(model, revision, **fields)))
    return path


def bump_mtime(path: Path, seconds: float = 10.0) -> None:
    """Move a file's mtime forward, so a modification is seen even within one clock tick."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


# --------------------------------------------------------------------------------------------
# The ranking scenario's catalog (its scores live next to their arithmetic in test_rankings.py)
# --------------------------------------------------------------------------------------------

MAIN_REV = SHA_A           # the registry's main revision of rv/main
OTHER_REV = SHA_B


def ranking_tasks() -> list[dict]:
    eng = {"default": ["eng-Latn"]}
    return [
        # Borda(v1): docs/SEMANTICS.md §Borda
        make_task("BRet1", "Retrieval", "ndcg_at_10", eng),
        make_task("BRet2", "Retrieval", "ndcg_at_10", eng),
        make_task("BSts", "STS", "cosine_spearman", eng),
        # Complete(v1): subsets, two splits, a task only some models ran
        make_task("CCls", "Classification", "accuracy", {"en": ["eng-Latn"], "de": ["deu-Latn"]}),
        make_task("CRet", "Retrieval", "ndcg_at_10", eng, eval_splits=("validation", "test")),
        make_task("CSts", "STS", "cosine_spearman", eng),
        # Ties(v1)
        make_task("TX", "Retrieval", "ndcg_at_10", eng),
        make_task("TY", "Retrieval", "ndcg_at_10", eng),
        # Revisions(v1)
        make_task("RvRet", "Retrieval", "ndcg_at_10", eng),
        make_task("RvSts", "STS", "cosine_spearman", eng),
        # Legacy(v1): a legacy task name (PPC -> PpcPC)
        make_task("PpcPC", "PairClassification", "max_ap", {"default": ["pol-Latn"]}),
        # Filters(v1)
        make_task("ZRet", "Retrieval", "ndcg_at_10", eng, domains=["Web"]),
        make_task("ZCls", "Classification", "accuracy", {"default": ["deu-Latn"]},
                  domains=["Reviews"]),
        make_task("ZSts", "STS", "cosine_spearman", eng, domains=["News", "Web"]),
        make_task("ZStsOld", "STS", "cosine_spearman", eng, superseded_by="ZSts"),
    ]


def ranking_benchmarks() -> list[dict]:
    return [
        make_benchmark("Borda(v1)", ["BRet1", "BRet2", "BSts"], language_view="all"),
        make_benchmark("Complete(v1)", ["CCls", "CRet", "CSts"],
                       language_view=["eng-Latn", "deu-Latn"]),
        make_benchmark("Ties(v1)", ["TX", "TY"]),
        make_benchmark("Revisions(v1)", ["RvRet", "RvSts"]),
        make_benchmark("Filters(v1)", ["ZRet", "ZCls", "ZSts"]),
        make_benchmark("Legacy(v1)", ["PpcPC"]),
    ]


def ranking_models() -> list[dict]:
    m = make_model
    return [
        *(m(f"ex/{x}", SHA_A, training_datasets=[]) for x in "ABC"),
        *(m(f"c/{x}", SHA_A, training_datasets=[]) for x in "PQRS"),
        *(m(f"t/{x}", SHA_A, training_datasets=[]) for x in "abc"),
        m("rv/main", MAIN_REV, training_datasets=[]),
        m("rv/newest", "0" * 40, training_datasets=[]),
        m("rv/range", "0" * 40, training_datasets=[]),
        m("rv/real", "0" * 40, training_datasets=[]),
        m("lg/old", SHA_A, training_datasets=[]),
        m("lg/new", SHA_A, training_datasets=[]),
        # Filters(v1): sizes, openness, instructions, frameworks, types, training data
        m("z/trained", SHA_A, n_parameters=100_000_000, training_datasets=["ZRet"],
          embed_dim=384, max_tokens=512, release_date="2023-03-01"),
        m("z/unknown", SHA_A, n_parameters=None, use_instructions=True, framework=["PyTorch"],
          training_datasets=None),
        m("z/clean", SHA_A, n_parameters=500_000_000, training_datasets=[]),
        m("z/closed", SHA_A, n_parameters=7_000_000_000, open_weights=False,
          use_instructions=None, framework=["API"], model_type=["late-interaction"],
          training_datasets=["ZStsOld", "ZCls"],
          training_datasets_closure=["ZStsOld", "ZSts", "ZCls"]),
    ]


def ranking_catalog(folder: Path) -> Path:
    return write_catalog(folder, tasks=ranking_tasks(), benchmarks=ranking_benchmarks(),
                         models=ranking_models(),
                         similar={"ZSts": ["ZStsOld"], "ZStsOld": ["ZSts"]})
