-- The validity flags (docs/QUALITY.md) of the scores a frame of benchmark rows shows (`frame`,
-- a relation of the calling query with benchmark, model_name, task_name, row_order,
-- is_placeholder, in_registry): the one definition behind the flag marks stored per build
-- (every benchmark's unfiltered frame) and the leaderboard's task-flags macro (one filtered
-- frame). For each (benchmark, model, task) of the frame, the error and warning flags of the
-- result file the board uses (quality_entry_flags.on_board): a file-level flag of that file
-- (`missing_splits` only when the frame has a placeholder row for it, i.e. the pairs are
-- missing on this board), an entry-level flag of one of the frame's entries (its position in
-- the file). Info flags and model-level flags do not mark a score. One row per distinct flag.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column rule: Rule code (quality_rules).
-- @column severity: `error` or `warning`.
-- @column message: What is wrong, with the offending values; the split and subset of an
--   entry-level flag lead.
-- @column level: The rule's severity level (quality_rules; 1 error, 2 warning): the order.
create or replace macro task_flags_of(frame) as table
    with

    flag_frame as materialized (
        from query_table(frame)
    ),

    board_flags as (
        select * from quality_entry_flags
        where on_board
    ),

    pairs as (
        select
            benchmark, model_name, task_name,
            bool_or(is_placeholder) as incomplete,
            bool_and(in_registry) as in_registry
        from flag_frame
        group by benchmark, model_name, task_name
    ),

    file_flags as (
        select p.benchmark, p.model_name, p.task_name, p.in_registry, q.rule, q.message
        from pairs as p
        inner join board_flags as q using (model_name, task_name)
        where
            q.entry_id is null
            and (q.rule != 'missing_splits' or p.incomplete)
    ),

    entry_flags as (
        select
            f.benchmark, f.model_name, f.task_name, f.in_registry, q.rule,
            q.split || '/' || q.subset || ': ' || q.message as message
        from flag_frame as f
        inner join board_flags as q
            on
                f.model_name = q.model_name and f.task_name = q.task_name
                and f.row_order = cast(q.entry_id & 1048575 as integer)
        where q.entry_id is not null and not f.is_placeholder
    ),

    final as (
        select distinct
            x.benchmark, x.model_name, x.task_name, x.in_registry, x.rule, r.severity,
            x.message, r.level
        from (
            select * from file_flags
            union all
            select * from entry_flags
        ) as x
        inner join quality_rules as r using (rule)
        where r.level <= 2
    )

    select * from final
