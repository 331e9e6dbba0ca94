"""The warehouse tables: one Arrow schema per table, each column with its description.

This is the single source of table and column documentation: the ETL writes Parquet with these
schemas and copies the descriptions into the DuckDB build (COMMENT ON), where the SQL console's
schema browser, `mteb-lb sql` users and the docs read them. Views document themselves in the
header of their `queries/<layer>/<view>.sql` file.
"""

from __future__ import annotations

import pyarrow as pa


def _field(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    return pa.field(name, type_, metadata={"doc": doc})


def _schema(doc: str, *fields: pa.Field) -> pa.Schema:
    return pa.schema(fields, metadata={"doc": doc})


STR = pa.string()
F64 = pa.float64()
I64 = pa.int64()
I32 = pa.int32()
BOOL = pa.bool_()
STRS = pa.list_(pa.string())

ENTRY_ID = _field("entry_id", I64, "Key of one entry: (file_id << 20) | entry_no.")

SCORES = _schema(
    "One row per result entry: a (model, revision folder, task, split, subset) of one result file, "
    "as written by mteb. Legacy files are converted the way mteb converts them.",
    ENTRY_ID,
    _field("file_id", I64, "Key of the result file (see `files`)."),
    _field("entry_no", I32, "Position of the entry within its file (0-based)."),
    _field("model_name", STR, "Model name: model_meta.json `name` of the revision folder, else "
           "the folder name with `__` -> `/` (as mteb reads it)."),
    _field("revision", STR, "Model revision: model_meta.json `revision`, else the folder name."),
    _field("model_folder", STR, "Folder under results/ (`org__name`)."),
    _field("revision_folder", STR, "Revision folder name (a SHA, `external`, "
           "`no_revision_available`, `1`, ...)."),
    _field("experiment", STR, "Experiment folder name for results under experiments/, else NULL. "
           "Experiments never enter the rankings."),
    _field("task_name", STR, "Task name after mteb's legacy renames (e.g. PPC -> PpcPC)."),
    _field("file_task_name", STR, "Task name as stored in the file."),
    _field("split", STR, "Evaluation split (test, dev, validation, devtest, ...)."),
    _field("subset", STR, "hf_subset (`default` for monolingual tasks)."),
    _field("languages", STRS, "Languages of the entry (ISO 639-3 + script). Legacy entries take "
           "them from the task metadata, as mteb does."),
    _field("main_score", F64, "The task's main score, 0-1 scale. NaN is kept as NaN here; ranking "
           "views read it as NULL. Legacy entries without one take the task's main metric."),
    _field("mteb_version", STR, "Top-level mteb_version of the file (NULL when absent)."),
    _field("entry_mteb_version", STR, "Per-entry mteb_version, back-filled from the file's."),
    _field("dataset_revision", STR, "Dataset revision the model was evaluated on."),
    _field("evaluation_time", F64, "Seconds the evaluation took (file level)."),
    _field("kg_co2_emissions", F64, "Estimated emissions in kg CO2 (file level)."),
    _field("date", pa.timestamp("us", tz="UTC"), "When the result was written (mteb >= 2 only)."),
    _field("file_format", STR, "`current` (has `scores`) or `legacy` (mteb < 1.11 layout)."),
    _field("path", STR, "Path of the result file relative to the repository root."),
    _field("content_hash", STR, "BLAKE2b-128 hex digest of the file's bytes."),
)

METRICS = _schema(
    "Every scalar metric of every entry, long. Nested dicts are flattened to `parent.child`, "
    "except where mteb renames them (cos_sim.ap -> cosine_ap; pre-1.12.48 pair classification "
    "dicts -> parent_child). Arrays live in `metric_arrays`.",
    ENTRY_ID,
    _field("metric", STR, "Metric name, e.g. ndcg_at_10, main_score, cosine_spearman."),
    _field("value", F64, "Numeric value; NaN and +-Infinity kept as such; NULL for JSON null or "
           "a non-numeric string (see `text`)."),
    _field("text", STR, "The raw value when it is a string (e.g. 'nan', GPU names), else NULL."),
)

METRIC_ARRAYS = _schema(
    "Metrics stored as arrays: `v_measures`, `ami_scores.Level 0`, `[r, p]` pairs of old "
    "pearson/spearman values, and `scores_per_experiment.<metric>` (one value per experiment, in "
    "experiment order).",
    ENTRY_ID,
    _field("metric", STR, "Array name, dotted path within the entry."),
    _field("values", pa.list_(F64), "The numbers, in file order (NaN kept; NULL for JSON null)."),
)

ENTRY_CHECKS = _schema(
    "The values of `metrics` the validity rules compare (queries/quality/, docs/QUALITY.md), one "
    "row per entry that has any (not when its main metric, equal to its main score, is all it "
    "has: nothing to flag), written by the parser beside `metrics` so that the flags do not "
    "rescan it: MRR@1, precision@1, the value of the task's declared main metric, the recalls at "
    "every k and the bounded metrics outside [0, 1]. Read it through quality_entry_metrics.",
    ENTRY_ID,
    _field("main_metric_value", F64, "Value of the metric the entry's task declares as main "
           "(tasks.main_score); NULL when absent or not numeric."),
    _field("mrr_at_1", F64, "`mrr_at_1`, NULL when absent."),
    _field("precision_at_1", F64, "`precision_at_1`, NULL when absent."),
    _field("recalls", pa.list_(pa.struct([("k", I32), ("value", F64)])),
           "(k, value) of every `recall_at_<k>` whose value is a number (not NaN), in order of "
           "k; NULL when none."),
    _field("out_of_range", pa.list_(pa.struct([("metric", STR), ("value", F64)])),
           "(metric, value) of the bounded metrics (nDCG, MAP, recall, precision, MRR, hit rate "
           "at k) outside [0, 1] by more than 1e-6, finite, in order of metric; NULL when none."),
)

FILES = _schema(
    "Every JSON file seen under results/, loaded or not.",
    _field("file_id", I64, "Key of this version of the file: 43 bits of BLAKE2b of `path`, "
           "`content_hash` and (result files) the model name and revision its rows carry; "
           "changes when any of them changes."),
    _field("path", STR, "Path relative to the repository root."),
    _field("kind", STR, "`result`, `model_meta` or `other`."),
    _field("model_folder", STR, "Folder under results/."),
    _field("revision_folder", STR, "Revision folder."),
    _field("experiment", STR, "Experiment folder, or NULL."),
    _field("size", I64, "Bytes."),
    _field("content_hash", STR, "BLAKE2b-128 hex digest of the bytes."),
    _field("status", STR, "`loaded`, `quarantined` or `skipped`."),
    _field("reason", STR, "Why the file was quarantined or skipped; NULL when loaded."),
    _field("n_entries", I32, "Entries loaded from the file."),
)

MODEL_META = _schema(
    "One row per model_meta.json file as found in the results repository.",
    _field("path", STR, "Path of the model_meta.json."),
    _field("model_folder", STR, "Folder under results/."),
    _field("revision_folder", STR, "Revision folder."),
    _field("experiment", STR, "Experiment folder, or NULL."),
    _field("name", STR, "`name` field."),
    _field("revision", STR, "`revision` field."),
    _field("release_date", STR, "`release_date` (YYYY-MM-DD) or NULL."),
    _field("n_parameters", F64, "`n_parameters`."),
    _field("memory_usage_mb", F64, "`memory_usage_mb` (or the older `memory_usage`)."),
    _field("embed_dim", F64, "`embed_dim` (largest value when it is a list)."),
    _field("max_tokens", F64, "`max_tokens`; Infinity kept."),
    _field("license", STR, "`license`."),
    _field("open_weights", BOOL, "`open_weights`."),
    _field("use_instructions", BOOL, "`use_instructions`."),
    _field("framework", STRS, "`framework`."),
    _field("modalities", STRS, "`modalities`."),
    _field("model_type", STRS, "`model_type`."),
    _field("reference", STR, "`reference`."),
    _field("training_datasets", STRS, "Task names of `training_datasets`; NULL when unknown."),
    _field("adapted_from", STR, "`adapted_from`."),
    _field("raw_json", STR, "The whole file, re-serialised (NaN/Infinity as JSON strings)."),
)

SUPERSEDED_FILES = _schema(
    "Versions of result files that are no longer current but whose rows an incremental build "
    "left in the Parquet segments of scores, metrics, metric_arrays and entry_checks (see "
    "etl/segments.py). lb.duckdb hides them; a reader of the Parquet files drops rows whose "
    "file_id (entry_id >> 20) is listed here.",
    _field("file_id", I64, "Key of the superseded file version."),
)

TABLES: dict[str, pa.Schema] = {
    "scores": SCORES,
    "metrics": METRICS,
    "metric_arrays": METRIC_ARRAYS,
    "entry_checks": ENTRY_CHECKS,
    "files": FILES,
    "model_meta": MODEL_META,
    "superseded_files": SUPERSEDED_FILES,
}

#: Tables copied from the mteb catalog snapshot (etl/catalog/), documented at table level.
CATALOG_DOCS: dict[str, str] = {
    "tasks": "Task metadata from mteb: type, main score, eval splits, subsets and their languages, "
             "domains, modalities, public/private, superseded and adapted links.",
    "benchmarks": "Benchmark definitions from mteb: display name, kind of aggregation, language "
                  "view, sort and rank columns, whether it shows zero-shot.",
    "benchmark_tasks": "The (task, split, subset) triples each benchmark declares, with the "
                       "subset's languages: only these enter a benchmark's tables.",
    "model_registry": "mteb's model registry (what the official leaderboard shows), with the "
                      "leaderboard's display values (lb_*) and training datasets.",
    "model_training": "(model, task) pairs a registered model was trained on, closed over "
                      "adapted-from models and similar tasks; models with unknown training data "
                      "have no rows.",
    "similar_tasks": "mteb's similar-task links (adapted/superseded versions of a task).",
    "mteb_versions": "Each file-level mteb_version string with mteb's ordering "
                     "(version_rank; NULL when it does not parse, e.g. version ranges).",
    "catalog_info": "The mteb version the catalog was exported from and the leaderboard menu.",
    "model_meta": "One row per model_meta.json file found in the results repository.",
}
