"""A build made before lb_language_rows_ordered (an older version's, also without
language_task_lists) answers a task filter's per-language table by the keyed path
(mteb_lb/rankings.py Leaderboard.per_language): the same table as a current build's, which
reads the build's lists of lists (lb_language_scores_task_lists; a build with the macro but
without the lists reads the selected tasks' rows in task order through it:
tests/test_language_keyed.py)."""

from __future__ import annotations

from test_stale_build import _age
from warehouses import build_ranking_warehouse

from mteb_lb.db import CurrentBuild
from mteb_lb.rankings import Filters, Leaderboard

BENCH = "Complete(v1)"
TASKS = ("CCls", "CSts")   # 3 declared entries (tests/test_few_language_entries.py): few rows


def test_a_build_without_the_macro_answers_the_same_table(lb, tmp_path):
    filters = Filters(tasks=TASKS)
    assert lb._few_language_rows(BENCH, list(TASKS)) is True   # the macro's path, today
    current = lb.per_language(BENCH, filters)
    assert "ordered_rows" not in lb._no_path
    assert "task_lists" not in lb._no_path
    wh = build_ranking_warehouse(tmp_path)
    _age(wh, sql_digest="older", drop="TABLE language_task_lists")
    _age(wh, sql_digest="older", drop="MACRO TABLE lb_language_rows_ordered")
    old = Leaderboard(CurrentBuild(wh))
    assert old._few_language_rows(BENCH, list(TASKS)) is True   # tried there too
    table = old.per_language(BENCH, filters)
    assert old._no_path == {"task_lists": old.cache_key(),
                            "ordered_rows": old.cache_key()}  # not tried again
    assert current.num_rows > 0 and current.column_names[1:] != []
    assert table.equals(current)
