-- lb_task_scores of a state with a model filter but no language filter or flag exclusion: the
-- stored means, with the (subset, split) pairs a task needs recounted from the selected models'
-- rows for the tasks that no selected model covers completely (for the others the stored count
-- is the same number). The same signature as lb_task_scores. The recounted rows are lb_long's
-- without its language match and flag exclusion, which are off whenever this source is chosen
-- (langs is NULL, no exclusion level): reading benchmark_results with the other filters spares
-- binding their subqueries on every request. Today's build recounts from the build's lists
-- instead (lb_task_scores_recount_stored, the same numbers); the two share the rest
-- (lb_task_scores_recounted_of).
create or replace macro lb_task_scores_recount(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    stored as materialized (
        from lb_task_means_stored(bench, models, tasks, public_only, registry_only)
    ),

    uncovered_tasks as (
        from lb_task_uncovered_of('stored')
    ),

    recount as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from benchmark_results
        where
            benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (not public_only or is_public)
            and score is not null
            and task_name in (select task_name from uncovered_tasks)
        group by task_name
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
