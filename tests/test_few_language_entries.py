"""The per-language table of a task filter reads the selected tasks' rows in task order when
they declare at most Leaderboard.FEW_LANGUAGE_ENTRIES (split, subset, language) entries
(lb_task_language_entries), else the keyed table. The counts here are the hand-built catalog's
(tests/fixtures.py ranking_tasks, ranking_benchmarks), counted by hand."""

from __future__ import annotations

from test_stale_build import _age
from warehouses import build_ranking_warehouse

from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard

BENCH = "Complete(v1)"
# CCls: test split, subsets en [eng-Latn] and de [deu-Latn]: 2; CRet: validation and test
# splits, subset default [eng-Latn]: 2; CSts: test, default [eng-Latn]: 1
ENTRIES = {("CCls",): 2, ("CRet",): 2, ("CSts",): 1, ("CCls", "CRet"): 4,
           ("CCls", "CRet", "CSts"): 5}


def test_the_threshold_counts_the_declared_entries(lb):
    rows = lb._query("FROM lb_task_language_entries($b)", {"b": BENCH}).to_pylist()
    counted = {r["task_name"]: r["entries"] for r in rows}
    assert counted == {"CCls": 2, "CRet": 2, "CSts": 1}
    try:
        for tasks, n in ENTRIES.items():
            for limit, few in ((n, True), (n - 1, False), (n + 1, True)):
                lb.FEW_LANGUAGE_ENTRIES = limit
                assert lb._few_language_rows(BENCH, list(tasks)) is few, (tasks, limit)
        lb.FEW_LANGUAGE_ENTRIES = 1   # a task outside the benchmark declares none there
        assert lb._few_language_rows(BENCH, ["BRet1"]) is True
    finally:
        del lb.FEW_LANGUAGE_ENTRIES
    assert lb._few_language_rows(BENCH, ["CCls", "CRet", "CSts"]) is True   # 5 <= 48


def test_a_build_without_the_macro_takes_the_keyed_path(lb, tmp_path):
    """A build made before lb_task_language_entries: the few-rows test says no, and the table
    is the one the current build serves."""
    wh = build_ranking_warehouse(tmp_path)
    _age(wh, sql_digest="older", drop="MACRO TABLE lb_task_language_entries")
    old = Leaderboard(CurrentBuild(wh))
    filters = Filters(tasks=("CCls", "CSts"))
    assert old._few_language_rows(BENCH, ["CCls", "CSts"]) is False
    assert lb._few_language_rows(BENCH, ["CCls", "CSts"]) is True
    table = old.per_language(BENCH, filters)
    assert table.num_rows > 0
    assert table.equals(lb.per_language(BENCH, filters))
