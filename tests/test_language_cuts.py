"""A language filter only removes rows: when it removes none of the selected tasks' rows
(every row's languages hold a selected code), the request path drops it from the state's
parameters (lb_language_cuts) and ranks from the build's means. The check must agree with a
plain count of the rows the filter drops, restated here from the language sets' ISO codes, and
the tables of such a state must equal the ones the rows path computes with the filter applied,
on every benchmark of the hand-built ranking warehouse (`lb` fixture); both outcomes must occur
(else the comparison proves nothing)."""

from __future__ import annotations

from mteb_lb import rankings
from mteb_lb.rankings import EXCLUDE_LEVEL, Filters

DROPPED_ROWS = """
SELECT count(*) FROM benchmark_results AS r JOIN language_sets AS l USING (language_set)
WHERE r.benchmark = $bench AND list_contains($tasks, r.task_name)
  AND NOT list_has_any(l.iso_codes, $langs)
"""


def test_a_language_filter_that_drops_no_row_is_left_out(lb):
    kept_out, kept_in = 0, 0
    for name in lb.benchmarks():
        bench = lb.benchmark(name)
        if "mean_subset" in bench.aggregations:
            continue  # ranked by subset: lb_summary itself, not the task-score sources
        for language in lb.options(name).languages:
            filters = Filters(languages=(language,))
            langs = lb._language_rows_filter(name, filters)
            params = lb._params(name, filters)
            if langs is None or params is None:
                continue
            tasks = lb.selected_tasks(name, filters)
            dropped = lb._query(DROPPED_ROWS, {"bench": name, "tasks": tasks, "langs": langs})
            dropped = dropped.column(0)[0].as_py()
            assert (params["langs"] is None) == (dropped == 0), (name, language, dropped)
            if dropped:
                kept_in += 1
                continue
            kept_out += 1
            # the rows path with the filter applied gives the same summary, bit for bit
            with_filter = {**params, "langs": langs, "public_only": bench.public_only,
                           "by_subset": False}
            with_filter.pop(EXCLUDE_LEVEL)
            sql = rankings._summary_sql(with_filter)
            for source in ("lb_task_scores_language(", "lb_task_scores_stored(",
                           "lb_task_scores_recount("):
                sql = sql.replace(source, "lb_task_scores_rows(")
            assert "lb_task_scores_rows(" in sql
            lb._cache.clear()
            assert lb._query(sql, with_filter).equals(
                lb._summary_frame(name, filters, {**params, "public_only": bench.public_only,
                                                  "by_subset": False})), (name, language)
    assert kept_out >= 1
    assert kept_in >= 1
