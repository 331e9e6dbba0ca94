-- lb_language_scores_keyed for a state with a task filter and no language filter nor the
-- "exclude flagged scores" switch: then no build's mean applies (the task filter drops rows of
-- every pair) and every pair is summed from the selected tasks' rows of `keyed`
-- (benchmark_language_keyed), as lb_language_scores_of does for such a state, without binding
-- its branches for the build's means (its precomputed, chosen_languages, dropped and whole
-- CTEs are empty then; binding them was ~4-6 ms of one thread per request). The same sums
-- (lb_language_sums_of) and table rows (lb_language_table_of); equal, bit for bit, to
-- lb_language_scores_keyed with langs NULL (tests/test_language_keyed.py).
create or replace macro lb_language_scores_tasks(
    keyed, bench, models, tasks, langview, registry_only
) as table
    with

    task_rows as (  -- noqa: ST03
        select model_name, language, sort_key, score
        from lb_language_task_rows(keyed, bench, models, tasks, langview, registry_only)
    ),

    task_means as (  -- noqa: ST03
        from lb_language_sums_of('task_rows')
    )

    select * from lb_language_table_of('task_means')
