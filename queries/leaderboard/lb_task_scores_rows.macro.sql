-- lb_task_scores recomputed from the rows (lb_long): under a language filter (it removes rows)
-- or the "exclude flagged scores" switch. raw_mean sums the model's scored rows in mteb's row
-- order; a task needs the distinct subsets x distinct splits scored by any model of the frame.
-- The same signature as lb_task_scores.
create or replace macro lb_task_scores_rows(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    long as materialized (
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
    ),

    means as (
        select
            model_name,
            task_name,
            any_value(task_type) as task_type,
            bool_and(is_public) as is_public,
            sum(score order by row_order) / count(score) as raw_mean,
            count(distinct row(subset, split)) filter (where score is not null) as have_pairs
        from long
        group by model_name, task_name
    ),

    required as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from long
        where score is not null
        group by task_name
    ),

    lb_row_means as (  -- noqa: ST03
        select m.*, r.required_pairs
        from means as m
        left join required as r using (task_name)
    )

    select * from lb_task_scores_of('lb_row_means')
