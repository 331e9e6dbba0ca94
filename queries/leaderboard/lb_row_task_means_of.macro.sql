-- Per (model, task) raw means recomputed from rows, one definition for lb_task_scores_rows (every
-- row of the frame) and lb_language_task_means (the rows of the tasks a language filter cuts):
-- `frame` names a relation of the calling query with lb_long's columns. raw_mean sums the model's
-- scored rows in mteb's row order; a task needs the distinct subsets x distinct splits scored by
-- any model of the frame. The pairs are counted over the scored rows only, deduplicated once
-- (a language filter's frame is two thirds NULL placeholders), and a NULL score skips the
-- ordered sum's sort (it adds nothing): the same values, about half the work.
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
            sum(score order by row_order) filter (where score is not null)
            / count(score) as raw_mean
        from query_table(frame)
        group by model_name, task_name
    ),

    scored_pairs as materialized (
        select distinct model_name, task_name, subset, split
        from query_table(frame)
        where score is not null
    ),

    have as (
        select model_name, task_name, count(*) as have_pairs
        from scored_pairs
        group by model_name, task_name
    ),

    required as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from scored_pairs
        group by task_name
    ),

    final as (
        select
            m.model_name, m.task_name, m.task_type, m.is_public, m.raw_mean,
            coalesce(h.have_pairs, 0) as have_pairs, r.required_pairs
        from means as m
        left join have as h using (model_name, task_name)
        left join required as r using (task_name)
    )

    select * from final
