-- The required pairs of the tasks in `frame` (a relation of the calling query with a
-- task_name column: tasks that no selected model covers completely) recounted over the selected
-- models from today's build's lists of the subsets and splits each incompletely covering model
-- scored (`uncovered_table` names benchmark_task_uncovered, bound when called): distinct subsets
-- x distinct splits. One definition for lb_task_scores_recount_stored and
-- lb_model_scores_default.
-- @column task_name: A task of `frame` that some selected model scored.
-- @column required_pairs: The pairs the task needs, counted over the selected models.
create or replace macro lb_task_recount_stored(
    uncovered_table, frame, bench, models, public_only, registry_only
) as table
    select
        task_name,
        len(list_distinct(flatten(list(subsets))))
        * len(list_distinct(flatten(list(splits)))) as required_pairs
    from query_table(uncovered_table)
    where
        benchmark = bench
        and (not registry_only or in_registry)
        and (models is null or model_name in (select unnest(models)))
        and (not public_only or is_public)
        and task_name in (select task_name from query_table(frame))
    group by task_name
