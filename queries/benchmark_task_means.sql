-- @materialize
-- Per (benchmark, model, task): the model's raw mean over its rows (summed in mteb's row order)
-- and how many distinct (subset, split) pairs it scored, computed once per build so the
-- leaderboard does not aggregate millions of rows per request. required_* are the pairs a task
-- needs (distinct scored subsets x distinct scored splits) over registry models and over all
-- models; a model scoring that many pairs covers the task completely.
-- @column raw_mean: Mean main score over the model's rows of the task (NULL when none is scored).
-- @column have_pairs: Distinct (subset, split) pairs the model scored.
-- @column required_registry: Pairs the task needs when only registry models are shown.
-- @column required_all: Pairs the task needs when every model is shown.
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
        count(distinct (subset, split)) filter (where score is not null) as have_pairs
    from benchmark_results
    group by benchmark, model_name, task_name
),

required as (
    select
        benchmark,
        task_name,
        count(distinct subset) filter (where in_registry)
            * count(distinct split) filter (where in_registry) as required_registry,
        count(distinct subset) * count(distinct split) as required_all
    from benchmark_results
    where score is not null
    group by benchmark, task_name
),

final as (
    select p.*, coalesce(r.required_registry, 0) as required_registry,
           coalesce(r.required_all, 0) as required_all
    from per_model as p
    left join required as r using (benchmark, task_name)
)

select * from final
order by benchmark, model_name, task_name
