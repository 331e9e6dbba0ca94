"""`etl.parse.parse_result` on every format variant of docs/DATA.md §Formats, with exact
expected values.

The inputs come from tests/fixtures.py (`variant_files()`), the same files the end-to-end build
tests write to disk. Metric rows are checked in the form the warehouse stores them (`metrics`:
scalar name -> value/text; `metric_arrays`: name -> list), built with the ETL's own buffers.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import fixtures as fx
import pytest

from etl.parse import (
    MetricBuffer,
    Quarantine,
    TaskCatalog,
    emit_metrics,
    parse_result,
    parse_version,
)
from etl.segments import arrays_table, metrics_table

CATALOG = fx.variant_task_catalog()
SPECS = {s.key: s for s in fx.variant_files()}


def parse(key_or_obj):
    if isinstance(key_or_obj, str):
        data = SPECS[key_or_obj].data
    elif isinstance(key_or_obj, bytes):
        data = key_or_obj
    else:
        data = fx.dumps(key_or_obj)
    return parse_result(data, CATALOG)


def rows(result):
    """(scalars, arrays) per entry: [{metric: value or (value, text)}], [{metric: values}]."""
    buf = MetricBuffer()
    for i, e in enumerate(result.entries):
        emit_metrics(buf, i, e.metrics)
    scalars = [dict() for _ in result.entries]
    for r in metrics_table(buf).to_pylist():
        scalars[r["entry_id"]][r["metric"]] = (r["value"] if r["text"] is None
                                               else (r["value"], r["text"]))
    arrays = [dict() for _ in result.entries]
    for r in arrays_table(buf).to_pylist():
        arrays[r["entry_id"]][r["metric"]] = r["values"]
    return scalars, arrays


def shape(result):
    return [(e.split, e.subset, e.languages, e.main_score) for e in result.entries]


# ---- current layout ---------------------------------------------------------------------------

def test_b1_with_kg_and_scores_per_experiment():
    r = parse("b1")
    assert (r.task_name, r.file_task_name, r.file_format) == (
        "EmotionClassification", "EmotionClassification", "current")
    assert (r.mteb_version, r.dataset_revision, r.evaluation_time, r.kg_co2_emissions, r.date) == (
        "1.14.0", fx.DATASET_REV, 12.5, 0.0012, None)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.4)]
    assert r.entries[0].entry_mteb_version == "1.14.0"  # back-filled from the top level
    scalars, arrays = rows(r)
    assert scalars == [{"accuracy": 0.4, "f1": 0.35, "f1_weighted": 0.41, "main_score": 0.4}]
    # a list of dicts becomes one array per metric, in experiment order
    assert arrays == [{"scores_per_experiment.accuracy": [0.4, 0.41, 0.42],
                       "scores_per_experiment.f1": [0.4, 0.39, 0.38]}]
    assert r.note is None


def test_b2_epoch_date_and_v_measures_levels():
    r = parse("b2")
    assert r.date == datetime.fromtimestamp(1782921898.31437, tz=timezone.utc)
    assert r.date.year == 2026 and r.date.tzinfo is not None
    assert r.kg_co2_emissions is None and r.mteb_version == "2.6.0"
    scalars, arrays = rows(r)
    assert scalars == [{"v_measure": 0.45, "v_measure_std": 0.01, "main_score": 0.45}]
    assert arrays == [{"v_measures.Level 0": [0.44, 0.45, 0.46]}]


def test_b3_iso_date_phases_entry_version_and_bare_nan():
    r = parse("b3")
    assert r.date == datetime(2026, 7, 15, 1, 23, 56, 236876, tzinfo=timezone.utc)
    assert r.mteb_version == "2.16.2"
    assert r.entries[0].entry_mteb_version == "2.16.1"  # the entry's own version wins
    scalars, arrays = rows(r)
    s = scalars[0]
    assert s["ndcg_at_10"] == 0.33 and s["recall_at_1000"] == 0.9 and s["main_score"] == 0.33
    assert math.isnan(s["nauc_recall_at_1000_max"])  # bare NaN token kept as NaN
    assert "mteb_version" not in s and "evaluation_phases" not in s  # not metrics
    assert arrays == [{}]


def test_b4_external_without_kg_version_or_time():
    r = parse("b4")
    assert (r.mteb_version, r.kg_co2_emissions, r.evaluation_time) == (None, None, None)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.29685)]
    assert r.entries[0].entry_mteb_version is None


def test_b5_leftover_mteb_dataset_name_is_ignored():
    r = parse("b5")
    assert (r.task_name, r.file_format, r.mteb_version) == ("SciFact", "current", "1.38.41")
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.61)]


def test_b6_b1_with_mteb_dataset_name():
    r = parse("b6")
    assert (r.task_name, r.file_format, r.mteb_version, r.kg_co2_emissions) == (
        "Banking77Classification", "current", "1.12.0", 0.0005)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.81)]


def test_b7_aggregate_keys_text_bool_null_values():
    r = parse("b7_text")
    assert r.task_name == "GPUSpeedTask" and r.note is None  # current layout needs no catalog
    scalars, arrays = rows(r)
    assert scalars == [{
        "gpu_name": (None, "NVIDIA A100"),     # text kept, value NULL
        "cpu_count": 8.0,
        "avg_words_per_sec": 26866.95,
        "on_gpu": (1.0, "true"),
        "missing_value": None,                # JSON null -> NULL value, no text
        "main_score": 26866.95,
    }]
    assert arrays == [{"timings": [1.5, 2.5]}]


def test_pearson_spearman_r_p_lists_go_to_arrays():
    r = parse("rp_lists")
    scalars, arrays = rows(r)
    assert scalars == [{"cosine_spearman": 0.82, "cosine_pearson": 0.81, "main_score": 0.82}]
    assert arrays == [{"pearson": [0.81, 1.5e-30], "spearman": [0.82, 2.5e-31]}]


def test_pair_classification_before_1_12_48_flattened_parent_child():
    r = parse("pair_pre_1_12_48")
    scalars, _ = rows(r)
    assert scalars == [{"cos_sim_accuracy": 0.99, "cos_sim_ap": 0.9, "max_accuracy": 0.995,
                        "max_ap": 0.91, "main_score": 0.91}]


def test_pair_classification_dicts_after_1_12_48_stay_dotted():
    obj = fx.current("SprintDuplicateQuestions", {"test": [fx.entry(
        "default", ["eng-Latn"], 0.9, cosine={"accuracy": 0.99, "ap": 0.9})]},
        mteb_version="1.12.48")
    scalars, _ = rows(parse(obj))
    assert scalars == [{"cosine.accuracy": 0.99, "cosine.ap": 0.9, "main_score": 0.9}]


def test_pair_flattening_only_for_pair_classification_tasks():
    # an old STS file with a nested dict: not PairClassification, so `parent.child`
    obj = fx.current("STSBenchmark", {"test": [fx.entry(
        "default", ["eng-Latn"], 0.8, cos_sim={"spearman": 0.8})]}, mteb_version="1.12.10")
    scalars, _ = rows(parse(obj))
    assert scalars == [{"cos_sim.spearman": 0.8, "main_score": 0.8}]


def test_nan_main_score_kept_as_nan():
    r = parse("nan_main")
    assert len(r.entries) == 1 and math.isnan(r.entries[0].main_score)
    assert (r.entries[0].split, r.entries[0].languages) == ("validation", ["cmn-Hans"])
    scalars, _ = rows(r)
    assert set(scalars[0]) == {"cosine_spearman", "cosine_pearson", "main_score"}
    assert all(math.isnan(v) for v in scalars[0].values())


def test_string_nan():
    r = parse("string_nan")
    assert math.isnan(r.entries[0].main_score)  # read as NaN, ranking views see NULL
    scalars, _ = rows(r)
    value, text = scalars[0]["ndcg_at_10"]
    assert text == "nan" and isinstance(value, float) and math.isnan(value)  # stored as NaN
    assert scalars[0]["map_at_10"] == 0.5


def test_duplicate_json_keys_last_wins():
    r = parse("dup_keys")
    assert (r.evaluation_time, r.kg_co2_emissions) == (42.5, 0.002)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.36)]


def test_version_range():
    r = parse("version_range")
    assert r.mteb_version == "2.10.0-2.18.7"
    assert r.date is None  # date: null (and evaluation_phases: null)
    assert r.entries[0].entry_mteb_version == "2.10.0-2.18.7"
    assert str(parse_version(r.mteb_version)) == "2.10.0"  # mteb's from_disk takes the left end


@pytest.mark.parametrize("text,expected", [
    ("2.10.0-2.18.7", "2.10.0"), ("1.1.2.dev0", "1.1.2.dev0"), ("0.0.2", "0.0.2"),
    ("not a version", None), (None, None), ("1.0-rc1", "1.0rc1"),
])
def test_parse_version(text, expected):
    v = parse_version(text)
    assert (None if v is None else str(v)) == expected


def test_duplicate_split_subset_entries_both_kept():
    r = parse("dup_entries")
    assert shape(r) == [("test", "default", ["deu-Latn"], 0.8),
                        ("test", "default", ["deu-Latn"], 0.7)]


def test_compact_one_line_file():
    r = parse("compact_current")
    assert b"\n" not in SPECS["compact_current"].data
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.31)]


def test_current_layout_with_old_version_stays_current():
    # mteb 0.0.2 wrote some files with `scores`: they validate as the current layout
    r = parse(fx.simple_result("SciFact", 0.6, mteb_version="0.0.2"))
    assert r.file_format == "current" and shape(r) == [("test", "default", ["eng-Latn"], 0.6)]


def test_int_and_bool_main_scores():
    r = parse(fx.current("SciFact", {"test": [fx.entry(main_score=1),
                                              fx.entry("x", main_score=True)]}))
    assert [e.main_score for e in r.entries] == [1.0, None]


# ---- legacy layout ----------------------------------------------------------------------------

def test_legacy_flat():
    r = parse("legacy_flat")
    assert (r.task_name, r.file_task_name, r.file_format, r.mteb_version) == (
        "Banking77Classification", "Banking77Classification", "legacy", "1.0.3.dev0")
    assert r.evaluation_time == pytest.approx(8.1) and r.kg_co2_emissions is None and r.date is None
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.55)]
    assert r.entries[0].entry_mteb_version == "1.0.3.dev0"
    scalars, _ = rows(r)
    assert scalars == [{"accuracy": 0.55, "accuracy_stderr": 0.08, "f1": 0.44, "main_score": 0.55}]


def test_legacy_per_language_subsets_and_derived_main_score():
    r = parse("legacy_per_lang")
    assert r.evaluation_time == pytest.approx(9.19 + 1.0)  # split-level times summed
    # main_score missing: copied from the task's main metric (accuracy); languages from metadata
    assert shape(r) == [("test", "en", ["eng-Latn"], 0.7), ("test", "de", ["deu-Latn"], 0.65),
                        ("validation", "en", ["eng-Latn"], 0.71)]
    scalars, _ = rows(r)
    assert scalars[1] == {"accuracy": 0.65, "f1": 0.55, "main_score": 0.65}


def test_legacy_without_mteb_version():
    r = parse("legacy_no_version")
    assert (r.task_name, r.mteb_version, r.dataset_revision) == ("DBPedia", None, None)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.3997)]  # derived from ndcg_at_10
    assert r.entries[0].entry_mteb_version is None


def test_legacy_rename_ppc_and_nested_similarity_dicts():
    r = parse("legacy_ppc")
    assert (r.task_name, r.file_task_name) == ("PpcPC", "PPC")
    assert r.evaluation_time == 3.0
    assert shape(r) == [("test", "default", ["pol-Latn"], 0.86)]  # main = max_ap
    scalars, _ = rows(r)
    assert scalars == [{"cosine_accuracy": 0.8, "cosine_ap": 0.85, "dot_accuracy": 0.7,
                        "dot_ap": 0.75, "euclidean_ap": 0.84, "manhattan_ap": 0.83,
                        "max_accuracy": 0.8, "max_ap": 0.86, "main_score": 0.86}]


def test_legacy_case_insensitive_task_lookup():
    r = parse("legacy_diabla")
    assert (r.task_name, r.file_task_name) == ("DiaBlaBitextMining", "DiaBLaBitextMining")
    assert shape(r) == [("test", "fr-en", ["fra-Latn", "eng-Latn"], 0.9),
                        ("test", "en-fr", ["eng-Latn", "fra-Latn"], 0.88)]


def test_legacy_mlsum_default_becomes_fr():
    r = parse("legacy_mlsum")
    assert shape(r) == [("test", "fr", ["fra-Latn"], 0.41)]
    scalars, arrays = rows(r)
    assert scalars == [{"v_measure": 0.41, "v_measure_std": 0.02, "main_score": 0.41}]
    assert arrays == [{"v_measures": [0.4, 0.42]}]


def test_legacy_mlsum_fix_only_for_the_buggy_versions():
    obj = {"mteb_dataset_name": "MLSUMClusteringP2P", "mteb_version": "1.1.1",
           "test": {"v_measure": 0.41}}
    # another version: `default` stays, and an unknown subset gets every task language
    assert shape(parse(obj)) == [("test", "default", ["deu-Latn", "fra-Latn"], 0.41)]


def test_legacy_xpqa_fr_becomes_fra_fra():
    r = parse("legacy_xpqa")
    # mteb pops `fr` and re-inserts it as `fra-fra`, so it moves to the end
    assert shape(r) == [("test", "eng-eng", ["eng-Latn", "eng-Latn"], 0.6),
                        ("test", "fra-fra", ["fra-Latn", "fra-Latn"], 0.5)]


def test_legacy_per_language_nested_pair_dicts():
    r = parse("legacy_opusparcus")
    assert r.evaluation_time == pytest.approx(52.86)
    assert shape(r) == [("test.full", "fr", ["fra-Latn"], 0.9)]
    scalars, _ = rows(r)
    assert scalars == [{"cosine_accuracy": 0.76, "cosine_ap": 0.897, "max_accuracy": 0.77,
                        "max_ap": 0.9, "main_score": 0.9}]


def test_legacy_unresolvable_main_score_is_null():
    r = parse("legacy_unresolvable")
    assert shape(r) == [("test", "default", ["eng-Latn"], None)]  # map_at_1000 absent
    scalars, _ = rows(r)
    assert scalars == [{"map": 0.55, "mrr": 0.7, "main_score": None}]


def test_legacy_unknown_task():
    r = parse("legacy_unknown")
    assert r.task_name == "ScalaXxClassification"
    assert "task unknown to the catalog" in r.note
    assert shape(r) == [("test", "default", [], 0.5)]


def test_legacy_rename_through_catalog_renames():
    catalog = TaskCatalog.from_snapshot(
        [fx.make_task("EightTagsClustering", "Clustering", "v_measure", {"default": ["pol-Latn"]})],
        fx.DEFAULT_RENAMES)
    r = parse_result(fx.dumps({"mteb_dataset_name": "8TagsClustering", "mteb_version": "1.1.1",
                               "test": {"v_measure": 0.3}}), catalog)
    assert (r.task_name, r.file_task_name) == ("EightTagsClustering", "8TagsClustering")
    assert shape(r) == [("test", "default", ["pol-Latn"], 0.3)]


def test_legacy_non_subset_keys_do_not_make_subsets():
    # v_measures / cos_sim are nested but are not languages (mteb's exclusion list)
    obj = {"mteb_dataset_name": "SprintDuplicateQuestions", "mteb_version": "1.0.0",
           "test": {"cos_sim": {"ap": 0.8}, "max": {"ap": 0.81}}}
    r = parse(obj)
    assert shape(r) == [("test", "default", ["eng-Latn"], 0.81)]


# ---- malformed ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["truncated", "not_json", "not_utf8", "top_list",
                                 "scores_not_dict", "no_main_score", "legacy_too_new"])
def test_malformed_variant_files_quarantined(key):
    spec = SPECS[key]
    with pytest.raises(Quarantine) as exc:
        parse(key)
    assert spec.reason in str(exc.value)


@pytest.mark.parametrize("data,reason", [
    (b"", "not valid JSON: Expecting value at line 1 column 1"),
    (b"\xff\xfe{}", "not UTF-8 text (invalid start byte at byte 0)"),
    (b'"just a string"', "the top level is a str, not an object"),
    (b"42", "the top level is a int, not an object"),
    (b'{"scores": {}}', "`task_name` is missing or not a string"),
    (b'{"task_name": "T", "scores": {"test": {"a": 1}}}',
     "scores['test'] is not a list of entries"),
    (b'{"task_name": "T", "scores": {"test": [3]}}', "scores['test'][0] is not an object"),
    (b'{"task_name": "T", "scores": {"test": [{"main_score": 1, "languages": []}]}}',
     "scores['test'][0] has no `hf_subset`"),
    (b'{"task_name": "T", "scores": {"test": [{"main_score": 1, "hf_subset": "x"}]}}',
     "scores['test'][0] has no `languages`"),
    (b'{"task_name": "T", "scores": {"test": '
     b'[{"main_score": 1, "hf_subset": 1, "languages": []}]}}',
     "non-string hf_subset"),
    (b'{"task_name": "T", "scores": {"test": '
     b'[{"main_score": 1, "hf_subset": "x", "languages": "eng"}]}}',
     "non-list languages"),
    (b'{"mteb_dataset_name": "DBPedia", "test": 0.5}', "legacy split 'test' is not an object"),
    (b'{"test": {"ndcg_at_10": 0.5}}', "legacy layout without `mteb_dataset_name`"),
    (b'{"mteb_dataset_name": "XPQARetrieval", "test": {"fr": {"a": 1}, "en": 2}}',
     "legacy 'test'/'en' is not an object"),
    (b'{"mteb_version": null, "test": {"main_score": 0.5}}', "no `scores`"),
])
def test_quarantine_reasons(data, reason):
    with pytest.raises(Quarantine) as exc:
        parse(data)
    assert reason in str(exc.value)


def test_truncated_reason_names_the_position():
    with pytest.raises(Quarantine, match=r"not valid JSON: .* at line \d+ column \d+"):
        parse("truncated")
