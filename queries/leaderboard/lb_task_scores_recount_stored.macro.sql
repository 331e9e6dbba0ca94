-- lb_task_scores_recount over today's build: the pairs of the tasks that no selected model
-- covers completely counted from the build's lists of the subsets and splits each incompletely
-- covering model scored (`uncovered_table` names benchmark_task_uncovered: bound when called,
-- so the macro exists where the table does not, a past date's schema, and a call there fails)
-- instead of the tasks' rows: distinct subsets x distinct splits over the selected models'
-- scored rows either way (every selected model with a scored row of such a task is in the
-- table). The same signature as lb_task_scores after the table; equal to
-- lb_task_scores_recount (tests/test_ranking_sources.py).
create or replace macro lb_task_scores_recount_stored(
    uncovered_table, bench, models, tasks, langs, public_only, registry_only
) as table
    with

    stored as materialized (
        from lb_task_means_stored(bench, models, tasks, public_only, registry_only)
    ),

    uncovered_tasks as (
        from lb_task_uncovered_of('stored')
    ),

    recount as (
        from lb_task_recount_stored(
            uncovered_table, 'uncovered_tasks', bench, models, public_only, registry_only
        )
    ),

    lb_recount_frame as (  -- noqa: ST03
        select
            s.*,
            s.task_name in (select task_name from uncovered_tasks) as uncovered,
            r.required_pairs as recounted_pairs
        from stored as s
        left join recount as r using (task_name)
    )

    select * from lb_task_scores_recounted_of('lb_recount_frame')
