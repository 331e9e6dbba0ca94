-- lb_language_scores_tasks over the build's per-(model, language, revision, task) score lists
-- (`lists`: language_score_lists, today's build only: bound when called, so the macro exists
-- where the table does not and a call there fails instead): a task filter without a language
-- filter nor the "exclude flagged scores" switch. A (model, language)'s mean is its selected
-- tasks' rows summed left to right in the model's frame order, (revision, task, entry): the
-- lists concatenated in (revision, task_name) order and summed by list_sum, which adds in list
-- order, as lb_language_sums_of's ordered sum adds in sort_key order (the same key: sort_key
-- ranks (revision, task_name) within the model, then row_order). Empty lists (no scored row)
-- add nothing, so they skip the sort (a pair with none: NULL / 0, NULL). Equal, bit for bit, to
-- lb_language_scores_tasks (tests/test_language_keyed.py); the same table rows
-- (lb_language_table_of). MTEB(Multilingual, v2), half the tasks: ~39 k lists instead of ~1 M
-- rows sorted per group, see
-- docs/PERFORMANCE.md §Session 14: Multilingual language and task filters (mlq3)
create or replace macro lb_language_scores_lists(
    lists, bench, models, tasks, langview, registry_only
) as table
    with

    task_means as (  -- noqa: ST03
        select
            model_name,
            language,
            list_sum(flatten(
                list(scores order by revision, task_name) filter (where n_scored > 0)
            ))
            / sum(n_scored)::bigint as score
        from lb_language_task_rows(lists, bench, models, tasks, langview, registry_only)
        group by model_name, language
    )

    select * from lb_language_table_of('task_means')
