-- The validity flags (docs/QUALITY.md) of the scores a filtered per-task table shows: for each
-- (model, task) of the frame, the error and warning flags of the result file the board uses
-- (quality_entry_flags.on_board): a file-level flag of that file (`missing_splits` only
-- when the frame has a placeholder row for it, i.e. the pairs are missing on this board), an
-- entry-level flag of one of the frame's entries (its position in the file). Info flags and
-- model-level flags do not mark a score. One row per distinct flag, most severe first.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column rule: Rule code (quality_rules).
-- @column severity: `error` or `warning`.
-- @column message: What is wrong, with the offending values; the split and subset of an
--   entry-level flag lead.
create or replace macro lb_task_flags(bench, models, tasks, langs, registry_only) as table
    with

    frame as (
        select model_name, task_name, row_order, is_placeholder
        from lb_long(bench, models, tasks, langs, false, registry_only)
    ),

    pairs as (
        select model_name, task_name, bool_or(is_placeholder) as incomplete
        from frame
        group by model_name, task_name
    ),

    board_flags as (
        select * from quality_entry_flags
        where on_board
    ),

    file_flags as (
        select p.model_name, p.task_name, q.rule, q.message
        from pairs as p
        inner join board_flags as q using (model_name, task_name)
        where
            q.entry_id is null
            and (q.rule != 'missing_splits' or p.incomplete)
    ),

    entry_flags as (
        select
            f.model_name, f.task_name, q.rule,
            q.split || '/' || q.subset || ': ' || q.message as message
        from frame as f
        inner join board_flags as q
            on
                f.model_name = q.model_name and f.task_name = q.task_name
                and f.row_order = cast(q.entry_id & 1048575 as integer)
        where q.entry_id is not null and not f.is_placeholder
    ),

    final as (
        select distinct
            x.model_name, x.task_name, x.rule, r.severity, x.message, r.level
        from (
            select * from file_flags
            union all
            select * from entry_flags
        ) as x
        inner join quality_rules as r using (rule)
        where r.level <= 2
    )

    select model_name, task_name, rule, severity, message
    from final
    order by model_name, task_name, level, rule, message
