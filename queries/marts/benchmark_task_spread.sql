-- @materialize per (model_name, task_name)
-- Within-task spread of every benchmark's unfiltered frame, stored per build so that the
-- per-task grid's spread tooltips are a lookup: per (benchmark, model, task), the same numbers
-- as the leaderboard's task-spread macro without a language filter or flag exclusion (which
-- still compute them per request), by the same definition (task_spread_of). Only the pairs
-- whose chosen result holds any metric array are read.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
with

with_arrays as (
    select c.model_name, c.task_name, c.file_id
    from chosen_results as c
    where c.file_id in (select distinct a.entry_id >> 20 from metric_arrays as a)
),

stored_frame as (  -- noqa: ST03
    select
        b.benchmark, b.model_name, b.task_name, b.row_order, b.is_placeholder, b.in_registry,
        w.file_id
    from benchmark_results as b
    inner join with_arrays as w using (model_name, task_name)
),

final as (
    select * from task_spread_of('stored_frame')
)

select * from final
order by benchmark, model_name, task_name
