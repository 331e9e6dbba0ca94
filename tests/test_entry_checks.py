"""`etl.parse.entry_checks`: the per-entry values the validity rules compare, picked by the parser
(the `entry_checks` table quality_entry_metrics reads instead of rescanning `metrics`).

Each case is one entry dict with the row the rules must see, derived by hand from the
definition (queries/quality/quality_entry_metrics.sql, docs/QUALITY.md): the values a `metrics`
row would hold (numbers as floats, numeric strings as their number, other strings and null as
NULL, dicts and lists of numbers no row at all), recalls without NaN in order of k, bounded
metrics outside [-1e-6, 1 + 1e-6] and finite in order of name. An entry has a row only when a
rule could flag it at a tolerance above 1e-5 (CHECK_FLOOR, the rounding of 5-decimal values):
its main metric differs from its main score, its MRR@1 and precision@1 differ by more than
1e-5, a recall drops by more than 1e-5 as k grows, or a bounded metric is out of range.
"""

from __future__ import annotations

import math

import pytest

from etl.parse import entry_checks


def check(entry: dict, main: str | None = "ndcg_at_10"):
    return entry_checks(entry, main, {})


def test_retrieval_entry_gives_its_main_value_at_1_and_recalls_in_order_of_k():
    entry = {"ndcg_at_10": 0.5, "recall_at_100": 0.9, "recall_at_1": 0.2, "mrr_at_1": 0.4,
             "precision_at_1": 0.41, "recall_at_10": 0.6, "map_at_10": 0.3, "hf_subset": "x",
             "languages": ["eng-Latn"], "main_score": 0.5}
    assert check(entry) == (0.5, 0.4, 0.41, [(1, 0.2), (10, 0.6),
                                             (100, 0.9)], None)


def test_entry_without_any_checked_metric_has_no_row():
    assert check({"accuracy": 0.7, "f1": 0.6, "main_score": 0.7}) is None
    # a metric named like the task's main one but holding a dict gives no `metrics` row
    assert check({"ndcg_at_10": {"a": 1.0}, "accuracy": 0.7}) is None
    # a recall whose suffix is no integer has no k: not a recall for the rules
    assert check({"recall_at_k": 0.3}, None) is None


def test_only_the_tasks_own_main_metric_counts():
    assert check({"accuracy": 0.7, "f1": 0.6}, "accuracy") == (0.7, None, None, None, None)
    assert check({"accuracy": 0.7, "f1": 0.6}, None) is None


def test_values_as_the_metrics_table_holds_them():
    # int -> float, numeric string -> its number, other string and null -> NULL, bool -> 1.0
    assert check({"ndcg_at_10": 1, "mrr_at_1": "0.25", "precision_at_1": "n/a"}) == (
        1.0, 0.25, None, None, None)
    assert check({"ndcg_at_10": None, "mrr_at_1": True, "precision_at_1": "0.5"}) == (
        None, 1.0, 0.5, None, None)
    # a null main metric and MRR@1 without precision@1: no rule compares anything, no row
    assert check({"ndcg_at_10": None}) is None
    assert check({"ndcg_at_10": None, "mrr_at_1": True}) is None


def test_nan_and_null_recalls_are_left_out_of_the_list_and_of_the_comparison():
    # 0.6 at k=1, then 0.5 at k=10 past a NaN: a drop; the NaN (or null) is not in the list
    for gap in (math.nan, None):
        assert check({"recall_at_5": gap, "recall_at_1": 0.6, "recall_at_10": 0.5}, None) == (
            None, None, None, [(1, 0.6), (10, 0.5)], None)
    # growing around a NaN or a null: nothing to flag, no row
    assert check({"recall_at_5": math.nan, "recall_at_1": 0.2, "recall_at_10": 0.5}, None) is None
    assert check({"recall_at_5": None, "recall_at_1": 0.2, "recall_at_10": 0.5}, None) is None
    assert check({"recall_at_5": math.nan}, None) is None


@pytest.mark.parametrize("cur, row", [(0.6, False), (0.59999, False), (0.599985, True),
                                      (0.5, True)])
def test_a_recall_drop_gives_a_row_beyond_rounding(cur, row):
    # recall_at_1 = 0.6, recall_at_10 = cur: a drop of 1e-5 is rounding (no rule's tolerance is
    # that low), 1.5e-5 is kept for recall_not_monotonic to judge (its threshold: 1e-4)
    entry = {"recall_at_1": 0.6, "recall_at_3": 0.6, "recall_at_10": cur, "ndcg_at_10": 0.5}
    expected = (0.5, None, None, [(1, 0.6), (3, 0.6), (10, cur)], None) if row else None
    assert entry_checks(entry, "ndcg_at_10", {}, main_score=0.5) == expected
    # the same through the exact path (a value that is no number elsewhere in the entry)
    assert entry_checks({**entry, "note": "x"}, "ndcg_at_10", {}, main_score=0.5) == expected


@pytest.mark.parametrize("precision, row", [(0.4, False), (0.40001, False), (0.399985, True),
                                            (0.3, True), (math.nan, True), (math.inf, True)])
def test_mrr_and_precision_at_1_give_a_row_when_they_differ_beyond_rounding(precision, row):
    entry = {"mrr_at_1": 0.4, "precision_at_1": precision, "ndcg_at_10": 0.5}
    got = entry_checks(entry, "ndcg_at_10", {}, main_score=0.5)
    if not row:
        assert got is None
    else:  # NaN compares above every number in DuckDB: mrr_precision_at_1 flags it
        assert got[:2] == (0.5, 0.4) and got[3:] == (None, None)
        assert got[2] == precision or math.isnan(precision) and math.isnan(got[2])


def test_infinite_recalls_keep_their_row():
    # inf - inf is NaN, which DuckDB orders above 1e-4: recall_not_monotonic flags it
    assert check({"recall_at_1": math.inf, "recall_at_10": math.inf}, None) == (
        None, None, None, [(1, math.inf), (10, math.inf)], None)
    assert check({"recall_at_1": -math.inf, "recall_at_10": -math.inf}, None) is not None


def test_every_rule_tolerance_is_above_the_floor():
    """The rules that read entry_checks' MRR@1 / precision@1 and recalls compare them with a
    tolerance; rows within CHECK_FLOOR are not written, so a tolerance must not go below it."""
    import re

    from etl.parse import CHECK_FLOOR
    from queries import load

    for view in ("flag_mrr_precision_at_1", "flag_recall_not_monotonic"):
        # the last comparison of the file: `where abs(...) > 0.1`, `where ... > 1e-4`
        tolerance = float(re.findall(r">\s*([0-9.e-]+)\s*$", load(view), re.M)[-1])
        assert tolerance in (0.1, 1e-4) and tolerance > CHECK_FLOOR, view


def test_bounded_metrics_outside_zero_one_beyond_1e_6_in_order_of_name():
    entry = {"ndcg_at_10": 1.0000009, "map_at_5": 1.2, "hit_rate_at_3": -0.5, "mrr_at_10": 0.9,
             "precision_at_3": math.inf, "recall_at_2": math.nan, "cosine_spearman": 3.0,
             "ndcg_at_1.x": 7.0}
    assert check(entry, "cosine_spearman") == (
        3.0, None, None, None,
        [("hit_rate_at_3", -0.5), ("map_at_5", 1.2)])


@pytest.mark.parametrize("first", [math.nan, 0.5])
def test_a_nan_does_not_hide_a_value_out_of_range(first):
    # the fast path takes min/max of the values: NaN first makes them NaN, elsewhere it is skipped
    entry = {"ndcg_at_1": first, "ndcg_at_3": 0.5, "ndcg_at_5": 1.5, "ndcg_at_10": math.nan}
    assert check(entry, None)[4] == [("ndcg_at_5", 1.5)]


def test_a_numeric_string_out_of_range_is_flagged():
    entry = {"ndcg_at_1": "2.5", "ndcg_at_3": 0.5}
    assert check(entry, None) == (None, None, None, None,
                                  [("ndcg_at_1", 2.5)])


def test_bounded_metrics_within_range_alone_give_no_row():
    assert check({"map_at_10": 0.5, "ndcg_at_1": 1, "note": "x"}, None) is None
    assert check({"map_at_10": "0.5", "ndcg_at_1": 1}, None) is None  # the exact path
    assert check({"map_at_10": 0.5, "ndcg_at_1": 1}, "map_at_10") == (0.5, None, None, None,
                                                                      None)


def test_values_handed_over_by_the_metrics_buffer_give_the_same_row():
    """The parser passes the values `emit_metrics_values` already took (all numbers, in key
    order); the row must be the one derived by hand, also when keys come in another order,
    with NaN recalls and out-of-range bounded metrics, and with the main metric missing."""
    from etl.parse import MetricBuffer, emit_metrics_values

    entry = {"hf_subset": "x", "languages": ["eng-Latn"], "recall_at_10": 0.6,
             "ndcg_at_10": 1.5, "recall_at_1": math.nan, "mrr_at_1": 0.4, "main_score": 1.5,
             "map_at_10": -0.2}
    keys, values = emit_metrics_values(MetricBuffer(), 1, entry)
    assert values is not None  # all numbers: taken at once
    assert entry_checks(entry, "ndcg_at_10", {}, keys, values=values) == (
        1.5, 0.4, None, [(10, 0.6)], [("map_at_10", -0.2), ("ndcg_at_10", 1.5)])
    assert entry_checks(entry, "f1", {}, keys, values=values) == (
        None, 0.4, None, [(10, 0.6)], [("map_at_10", -0.2), ("ndcg_at_10", 1.5)])
    # a value that is no number: nothing handed over, the values are read from the entry
    entry["mrr_at_1"] = "0.25"
    keys, values = emit_metrics_values(MetricBuffer(), 1, entry)
    assert values is None
    assert entry_checks(entry, "ndcg_at_10", {}, keys, values=values) == (
        1.5, 0.25, None, [(10, 0.6)], [("map_at_10", -0.2), ("ndcg_at_10", 1.5)])


@pytest.mark.parametrize("value", [0.7, 7e-1, "0.7"])   # the fast path, and the exact one
def test_a_main_metric_equal_to_the_main_score_alone_gives_no_row(value):
    # main_score_mismatch compares the two: equal, nothing can be flagged (most entries)
    assert entry_checks({"accuracy": value, "f1": 0.6}, "accuracy", {}, main_score=0.7) is None
    assert entry_checks({"ndcg_at_10": value, "map_at_10": 0.5}, "ndcg_at_10", {},
                        main_score=0.7) is None


def test_a_main_metric_with_something_else_to_check_keeps_its_row():
    # different from the main score (or no main score known): main_score_mismatch needs it
    assert entry_checks({"accuracy": 0.7}, "accuracy", {}, main_score=0.71) == (
        0.7, None, None, None, None)
    assert entry_checks({"accuracy": 0.7}, "accuracy", {}) == (0.7, None, None, None, None)
    row = entry_checks({"accuracy": math.nan}, "accuracy", {}, main_score=math.nan)  # NaN != NaN
    assert math.isnan(row[0]) and row[1:] == (None, None, None, None)
    # equal, but with a value out of range, or MRR@1 apart from precision@1: the other rules
    # need the row; MRR@1 alone or a single recall is nothing to compare: no row
    assert entry_checks({"ndcg_at_10": 0.7, "map_at_1": 1.5}, "ndcg_at_10", {},
                        main_score=0.7) == (0.7, None, None, None, [("map_at_1", 1.5)])
    assert entry_checks({"ndcg_at_10": 0.7, "mrr_at_1": 0.4, "precision_at_1": 0.6},
                        "ndcg_at_10", {}, main_score=0.7) == (0.7, 0.4, 0.6, None, None)
    assert entry_checks({"ndcg_at_10": 0.7, "mrr_at_1": 0.4}, "ndcg_at_10", {},
                        main_score=0.7) is None
    assert entry_checks({"ndcg_at_10": 0.7, "recall_at_1": 0.4}, "ndcg_at_10", {},
                        main_score=0.7) is None
    assert entry_checks({"mrr_at_1": 0.4}, "ndcg_at_10", {}) is None


def test_check_shapes_are_kept_across_segments_within_a_bound(monkeypatch):
    """A parser process makes each entry shape's CheckShape once for all its segments, and
    forgets them past CHECK_SHAPES_KEPT (entries with ever new keys cannot grow it forever)."""
    from etl import segments

    monkeypatch.setattr(segments, "_CHECK_SHAPES", {})
    first = segments.RowsBuilder()
    assert entry_checks({"accuracy": 0.7}, "accuracy", first.check_shapes.setdefault(
        "accuracy", {})) == (0.7, None, None, None, None)
    kept = segments.RowsBuilder().check_shapes["accuracy"]
    assert list(kept) == [("accuracy",)]
    monkeypatch.setattr(segments, "CHECK_SHAPES_KEPT", 1)
    assert segments.RowsBuilder().check_shapes == {"accuracy": kept}  # 1 shape: kept
    kept[("f1",)] = kept[("accuracy",)]
    assert segments.RowsBuilder().check_shapes == {}                   # 2: emptied
