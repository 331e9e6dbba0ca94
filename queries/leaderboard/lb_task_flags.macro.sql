-- The validity flags (docs/QUALITY.md) of the scores a filtered per-task table shows (lb_long),
-- as task_flags_of defines them: for each (model, task) of the frame, the error and warning
-- flags of the result file the board uses. One row per distinct flag, most severe first.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column rule: Rule code (quality_rules).
-- @column severity: `error` or `warning`.
-- @column message: What is wrong, with the offending values; the split and subset of an
--   entry-level flag lead.
create or replace macro lb_task_flags(bench, models, tasks, langs, registry_only) as table
    with

    request_frame as (  -- noqa: ST03
        select benchmark, model_name, task_name, row_order, is_placeholder, in_registry
        from lb_long(bench, models, tasks, langs, false, registry_only)
    )

    select model_name, task_name, rule, severity, message
    from task_flags_of('request_frame')
    order by model_name, task_name, level, rule, message
