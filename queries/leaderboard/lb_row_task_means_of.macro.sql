-- Per (model, task) raw means recomputed from rows, one definition for lb_task_scores_rows (every
-- row of the frame) and lb_language_task_means (the rows of the tasks a language filter cuts):
-- `frame` names a relation of the calling query with lb_long's columns. raw_mean sums the model's
-- scored rows in mteb's row order; a task needs the distinct subsets x distinct splits scored by
-- any model of the frame.
-- @column have_pairs: Distinct (subset, split) pairs the model scored on the task (in the frame).
-- @column required_pairs: Pairs the task needs (over every model of the frame).
create or replace macro lb_row_task_means_of(frame) as table
    with

    means as (
        select
            model_name,
            task_name,
            any_value(task_type) as task_type,
            bool_and(is_public) as is_public,
            sum(score order by row_order) / count(score) as raw_mean,
            count(distinct row(subset, split)) filter (where score is not null) as have_pairs
        from query_table(frame)
        group by model_name, task_name
    ),

    required as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from query_table(frame)
        where score is not null
        group by task_name
    ),

    final as (
        select m.*, r.required_pairs
        from means as m
        left join required as r using (task_name)
    )

    select * from final
