-- @materialize per (benchmark, task_name)
-- @same set of benchmark_results ("split", "subset", "in_registry", "score" IS NOT NULL)
-- Per (benchmark, task): the (subset, split) pairs the task needs, as mteb's summary counts
-- them: distinct scored subsets x distinct scored splits, over registry models and over all
-- models. A model whose have_pairs (benchmark_task_means) is lower gets no score for the task.
-- Maintained per changed (benchmark, task) by an incremental build (etl/maintain.py).
-- @column required_registry: Pairs the task needs when only registry models are shown.
-- @column required_all: Pairs the task needs when every model is shown.
with

scored as (
    select benchmark, task_name, split, subset, in_registry
    from benchmark_results
    where score is not null
),

final as (
    select
        benchmark,
        task_name,
        count(distinct subset) filter (where in_registry)
        * count(distinct split) filter (where in_registry) as required_registry,
        count(distinct subset) * count(distinct split) as required_all
    from scored
    group by benchmark, task_name
)

select * from final
order by benchmark, task_name
