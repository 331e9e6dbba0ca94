"""The compiled `entry_checks` filter (etl/_fastparse.c `checks`, etl/parse_fast.py
check_candidates): for a file the compiled parser read, C picks the entries `entry_checks` may
give a row, and Python makes only their rows. The reference is `etl.parse.entry_checks` itself
(its rows are derived by hand in tests/test_entry_checks.py and tests/test_quality_flags.py),
run on every entry: the entries C picks must be exactly those with a row, and the segment
tables must be byte-identical to those of the Python parser and of the per-entry loop used when
the extension has no `checks` (an older build)."""

from __future__ import annotations

import json
import math
from array import array

import fixtures as fx
import pyarrow as pa
import pytest
import quality_fixtures as qf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parse_compiled import assert_same_rows, tables_of

from etl import parse_fast
from etl.parse import (
    CHECK_FLOOR,
    OUT_OF_RANGE_TOLERANCE,
    CheckShape,
    TaskCatalog,
    entry_checks,
    parse_result,
)

pytestmark = pytest.mark.skipif(parse_fast._fastparse is None,
                                reason="the compiled parser is not built (no C compiler)")

QUALITY_CATALOG = TaskCatalog.from_snapshot(qf.TASKS, {})
QUALITY_MAIN = {t["name"]: t["main_score"] for t in qf.TASKS}


class _WithoutChecks:
    """The extension as an older build has it: `parse` only."""

    parse = staticmethod(parse_fast._fastparse.parse) if parse_fast._fastparse else None


def candidates_and_reference(data: bytes, main_metric: str | None):
    """(entries C picks, entries `entry_checks` gives a row, run on each entry's dict as the
    Python parser reads it)."""
    fast = parse_fast.parse_fast(data, {}, 64)
    assert fast is not None
    picked = parse_fast.check_candidates(fast, main_metric, {}, {})
    parsed = parse_result(data, fx.variant_task_catalog(), 64)
    rows = [i for i, e in enumerate(parsed.entries)
            if entry_checks(e.metrics, main_metric, {}, main_score=e.main_score) is not None]
    return picked, rows


def file_of(entries: list[dict]) -> bytes:
    return json.dumps({"task_name": "T", "scores": {"test": [
        {"hf_subset": "default", "languages": ["eng-Latn"], **e} for e in entries]}},
        allow_nan=True).encode()


def test_the_entries_picked_are_those_with_a_row_by_hand():
    entries = [
        {"main_score": 0.5, "ndcg_at_10": 0.5, "mrr_at_1": 0.4, "precision_at_1": 0.4},  # 0
        {"main_score": 0.6, "ndcg_at_10": 0.4},                                         # 1 main
        {"main_score": 0.5, "ndcg_at_10": 0.5, "mrr_at_1": 0.4, "precision_at_1": 0.40001},
        {"main_score": 0.5, "ndcg_at_10": 0.5, "mrr_at_1": 0.4, "precision_at_1": 0.399985},
        {"main_score": 0.5, "ndcg_at_10": 0.5, "recall_at_10": 0.6, "recall_at_100": 0.59999},
        {"main_score": 0.5, "ndcg_at_10": 0.5, "recall_at_100": 0.599985, "recall_at_10": 0.6},
        {"main_score": 0.5, "ndcg_at_10": 0.5, "recall_at_1": 0.3, "recall_at_5": math.nan,
         "recall_at_10": 0.2},                                                           # 6
        {"main_score": 0.5, "ndcg_at_10": 0.5, "recall_at_1": math.inf,
         "recall_at_10": math.inf},                                                      # 7 inf
        {"main_score": 0.5, "ndcg_at_10": 0.5, "map_at_5": 1.0000005},                 # 8 in
        {"main_score": 0.5, "ndcg_at_10": 0.5, "map_at_5": 1.000002},                  # 9 out
        {"main_score": 0.5, "ndcg_at_10": 0.5, "map_at_5": math.nan, "hit_rate_at_3": -0.1},
        {"main_score": math.nan, "ndcg_at_10": math.nan},                               # 11
        {"main_score": 0.5, "ndcg_at_10": 0.5, "map_at_5": math.inf, "mrr_at_1": 0.3},  # 12
        {"main_score": 0.5, "f1": 3.0, "accuracy": 2},                                  # 13
    ]
    picked, rows = candidates_and_reference(file_of(entries), "ndcg_at_10")
    assert rows == [1, 3, 5, 6, 7, 9, 10, 11]
    assert picked == rows
    # another task's main metric: no main_score_mismatch to check, the others as before
    picked, rows = candidates_and_reference(file_of(entries), "accuracy")
    assert rows == [3, 5, 6, 7, 9, 10, 13]
    assert picked == rows


NUMBER = st.one_of(
    st.sampled_from([0.0, 0.2, 0.4, 0.40001, 0.399985, 0.6, 0.59999, 0.599985, 1.0, 1.0000005,
                     1.000002, -1e-6, -2e-6, -0.0, math.nan, math.inf, -math.inf, 2, 0]),
    st.floats(allow_nan=True, allow_infinity=True),
)
CHECKED_KEYS = st.sampled_from(
    ["main_score", "ndcg_at_10", "mrr_at_1", "precision_at_1", "recall_at_1", "recall_at_5",
     "recall_at_10", "recall_at_100", "recall_at_x", "map_at_5", "hit_rate_at_3", "accuracy",
     "mrr_at_10", "precision_at_1000"])


@st.composite
def numeric_entries(draw):
    entry = {"main_score": draw(NUMBER)}
    if draw(st.booleans()):  # the main metric equal to the main score, as in most files
        entry["ndcg_at_10"] = entry["main_score"]
    for key, value in draw(st.lists(st.tuples(CHECKED_KEYS, NUMBER), max_size=7)):
        entry[key] = value
    order = draw(st.permutations(list(entry)))
    return {k: entry[k] for k in order}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(numeric_entries(), min_size=1, max_size=6),
       st.sampled_from(["ndcg_at_10", "accuracy", "mrr_at_1", "recall_at_10", None]))
def test_generated_entries_picked_exactly_when_they_have_a_row(entries, main_metric):
    picked, rows = candidates_and_reference(file_of(entries), main_metric)
    assert picked == rows


def test_every_quality_fixture_file_gives_the_same_rows(monkeypatch):
    """The validity-flag fixtures (one triggering file and one near miss per rule): the same
    segment tables through the Python parser, the compiled filter, and the per-entry loop."""
    files = [json.dumps(result, allow_nan=True).encode() for *_, result in qf.RESULTS]
    kw = {"catalog": QUALITY_CATALOG, "main_metrics": QUALITY_MAIN}
    assert assert_same_rows(files, **kw) >= 20
    with_filter = tables_of(files, True, **kw)
    monkeypatch.setattr(parse_fast, "_fastparse", _WithoutChecks)
    assert tables_of(files, True, **kw) == with_filter
    # rows by hand: q/nan (NaN main metric), q/range (precision_at_5 1.5), q/main and
    # q/main-ok (0.4 and 0.60005 against 0.6), q/mrr and q/mrr-ok (0.2 and 0.45 against 0.5),
    # q/recall and q/recall-ok (0.5 and 0.59995 after 0.6): the near misses are above the
    # 1e-5 floor, the rules' tolerances decide later
    checks = pa.ipc.open_stream(with_filter[0]["entry_checks"]).read_all()
    assert checks.num_rows == 8


def test_every_variant_fixture_file_gives_the_same_rows_without_checks(monkeypatch):
    files = [s.data for s in fx.variant_files() if s.kind == "result"]
    with_filter = tables_of(files, True)
    monkeypatch.setattr(parse_fast, "_fastparse", _WithoutChecks)
    assert tables_of(files, True) == with_filter


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(numeric_entries(), min_size=1, max_size=4), min_size=1, max_size=3))
def test_generated_files_give_the_same_tables_either_way(files):
    data = [file_of(entries) for entries in files]
    main = {"T": "ndcg_at_10"}
    assert_same_rows(data, main_metrics=main)


def test_a_program_reading_outside_the_values_is_refused():
    """`checks` validates what it is given: a bad program is an error, never a read outside the
    values."""
    fast = parse_fast.parse_fast(file_of([{"main_score": 0.5, "ndcg_at_10": 0.5}]), {}, 64)
    keys = fast.columns[5][0]
    args = (fast.values, fast.columns[6], fast.columns[5], fast.columns[3])
    bounds = (-OUT_OF_RANGE_TOLERANCE, 1 + OUT_OF_RANGE_TOLERANCE, CHECK_FLOOR)
    for program in ([5, -1, -1, 0, 0], [0, -1, -1, 3, 0, 1], [0, -1, -1, 0, 1, 99], [0, -1]):
        with pytest.raises(ValueError):
            parse_fast._fastparse.checks(*args, {keys: array("i", program).tobytes()},
                                         None, *bounds)
    good = parse_fast.check_program(keys, CheckShape(keys, "ndcg_at_10"))
    assert array("i", good).tolist() == [1, -1, -1, 0, 1, 1]  # ndcg_at_10: value 1; bounded
    assert parse_fast._fastparse.checks(*args, {keys: good}, None, *bounds) == []
