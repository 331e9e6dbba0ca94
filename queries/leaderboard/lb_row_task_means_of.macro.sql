-- Per (model, task) raw means recomputed from rows, the definition lb_task_scores_rows runs over
-- every row of its frame (lb_language_task_means sums the same rows from the build's score
-- lists): `frame` names a relation of the calling query with lb_long's columns. raw_mean sums
-- the model's scored rows in mteb's row order (a NULL score skips the ordered sum's sort: it adds
-- nothing); a task needs the distinct subsets x distinct splits scored by any model of the frame.
-- have_pairs counts a model's distinct scored (subset, split) pairs. Only a task of
-- `repeated_tasks` (the benchmark's tasks where some model's scored rows repeat a pair,
-- benchmark_pair_repeats) counts them distinct; on any other task a model's scored rows are its
-- distinct pairs, in any subset of them too, so count(score) is the same number. NULL: every
-- task counted distinct (an older build, or a past date its store recorded without the
-- table). The four-string distinct over every scored row was the largest step of a language
-- filter's summary (docs/PERFORMANCE.md §Session 13: the distinct pairs (langcount)).
-- @column have_pairs: Distinct (subset, split) pairs the model scored on the task (in the frame).
-- @column required_pairs: Pairs the task needs (over every model of the frame).
create or replace macro lb_row_task_means_of(frame, repeated_tasks) as table
    with

    means as (
        select
            model_name,
            task_name,
            any_value(task_type) as task_type,
            bool_and(is_public) as is_public,
            sum(score order by row_order) filter (where score is not null)
            / count(score) as raw_mean,
            count(score) as scored_rows
        from query_table(frame)
        group by model_name, task_name
    ),

    -- a filter, not a join: a join's probe of the frame made DuckDB buffer the frame for its
    -- readers (~1.1x the summary's CPU instead of ~0.8x)
    repeated as (
        select model_name, task_name, count(*) as have_pairs
        from (
            select distinct model_name, task_name, subset, split
            from query_table(frame)
            where
                score is not null
                and (repeated_tasks is null or list_contains(repeated_tasks, task_name))
        ) as pairs
        group by model_name, task_name
    ),

    required as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from query_table(frame)
        where score is not null
        group by task_name
    ),

    final as (
        select
            m.model_name, m.task_name, m.task_type, m.is_public, m.raw_mean,
            coalesce(p.have_pairs, m.scored_rows) as have_pairs, r.required_pairs
        from means as m
        left join repeated as p using (model_name, task_name)
        left join required as r using (task_name)
    )

    select * from final
