-- @materialize per (model_name, task_name)
-- The flag marks of every benchmark's unfiltered per-task table, stored per build so that the
-- per-task grid's flag marks are a lookup: for each (benchmark, model, task) of the benchmark's
-- frame, the same rows as the leaderboard's task-flags macro without a language filter or flag
-- exclusion (which still compute them per request), by the same definition (task_flags_of).
-- Only the pairs with a flag on the board are read.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column rule: Rule code (quality_rules).
-- @column severity: `error` or `warning`.
-- @column message: What is wrong, with the offending values; the split and subset of an
--   entry-level flag lead.
-- @column level: The rule's severity level (quality_rules; 1 error, 2 warning): the order.
with

flagged as (
    select distinct model_name, task_name from quality_entry_flags
    where on_board
),

stored_frame as (  -- noqa: ST03
    select b.benchmark, b.model_name, b.task_name, b.row_order, b.is_placeholder, b.in_registry
    from benchmark_results as b
    semi join flagged using (model_name, task_name)
),

final as (
    select * from task_flags_of('stored_frame')
)

select * from final
order by benchmark, model_name, task_name, level, rule, message
