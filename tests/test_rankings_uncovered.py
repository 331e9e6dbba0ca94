"""benchmark_task_uncovered (queries/marts/benchmark_task_uncovered.sql): per (benchmark, task,
model) covering the task incompletely, the distinct subsets and splits the model scored; a model
filter recounts a task's required pairs from these lists (lb_task_scores_recount_stored). The
table must hold exactly the models mteb's count calls incomplete, with their scored subsets and
splits, computed here in Python from the rows of benchmark_results (the `lb` fixture's
hand-built ranking warehouse), and a past date must never read it."""

from __future__ import annotations

from collections import defaultdict

from mteb_lb import warehouse
from mteb_lb.rankings import UNCOVERED_TABLE


def test_lists_hold_every_incompletely_covering_model(lb):
    rows = lb._query("SELECT benchmark, task_name, model_name, subset, split, score, "
                     "in_registry FROM benchmark_results").to_pylist()
    subsets, splits = defaultdict(set), defaultdict(set)   # (benchmark, task, model) -> scored
    task_subsets, task_splits = defaultdict(set), defaultdict(set)
    registry = {}
    for r in rows:
        key = (r["benchmark"], r["task_name"], r["model_name"])
        registry[r["model_name"]] = r["in_registry"]
        if r["score"] is None:
            continue
        pair_key = key[:2]
        if r["subset"] is not None:
            subsets[key].add(r["subset"])
            task_subsets[pair_key].add(r["subset"])
        if r["split"] is not None:
            splits[key].add(r["split"])
            task_splits[pair_key].add(r["split"])
    pairs = defaultdict(set)
    for r in rows:
        if r["score"] is not None:
            pairs[(r["benchmark"], r["task_name"], r["model_name"])].add((r["subset"], r["split"]))
    expected = {}
    for key, have in pairs.items():
        required = len(task_subsets[key[:2]]) * len(task_splits[key[:2]])
        if 0 < len(have) < required:
            expected[key] = (sorted(subsets[key]), sorted(splits[key]), registry[key[2]])
    # stored sorted, so that two builds of the same files store the same lists
    got = {(r["benchmark"], r["task_name"], r["model_name"]):
           (r["subsets"], r["splits"], r["in_registry"])
           for r in lb._query(f"SELECT * FROM {UNCOVERED_TABLE}").to_pylist()}
    assert expected, "the fixture has models covering a task incompletely"
    assert got == expected


def test_a_past_date_never_reads_todays_lists():
    assert UNCOVERED_TABLE in warehouse.TODAY_ONLY_TABLES
