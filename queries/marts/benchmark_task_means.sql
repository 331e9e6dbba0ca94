-- @materialize per (model_name, task_name)
-- Per (benchmark, model, task): the model's raw mean over its rows (summed in mteb's row order)
-- and how many distinct (subset, split) pairs it scored, computed once per build so the
-- leaderboard does not aggregate millions of rows per request. A model covers a task completely
-- when have_pairs reaches the task's benchmark_task_required.
-- @column raw_mean: Mean main score (0-1) over the model's rows of the task (NULL when none is
--   scored).
-- @column have_pairs: Distinct (subset, split) pairs the model scored.
with

per_model as (
    select
        benchmark,
        model_name,
        task_name,
        any_value(task_type) as task_type,
        bool_and(is_public) as is_public,
        bool_and(in_registry) as in_registry,
        sum(score order by row_order) / count(score) as raw_mean,
        -- count(distinct row(subset, split)) filter (where score is not null), computed per
        -- group on its own short list: half the CPU of DuckDB's distinct aggregate, which
        -- groups all 5 M rows by (benchmark, model, task, pair) first (docs/PERFORMANCE.md
        -- §Seventh pass); same NULL handling (a struct with NULL fields is a value)
        coalesce(
            list_unique(list(row(subset, split)) filter (where score is not null)), 0
        )::bigint as have_pairs
    from benchmark_results
    group by benchmark, model_name, task_name
)

select * from per_model
order by benchmark, model_name, task_name
