-- @materialize per (model_name, task_name)
-- The flag marks of every benchmark's unfiltered per-task table, stored per build so that the
-- per-task grid's flag marks are a lookup: for each (benchmark, model, task) of the benchmark's
-- frame, the error and warning flags of the result file the board uses
-- (quality_entry_flags.on_board): a file-level flag of that file (`missing_splits` only when
-- the frame has a placeholder row for it), an entry-level flag of one of the frame's entries.
-- The same rows as the leaderboard's task-flags macro without a language filter or flag
-- exclusion (which still compute them per request).
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

board_flags as (
    select * from quality_entry_flags
    where on_board
),

flagged as (
    select distinct model_name, task_name from board_flags
),

frame as (
    select b.benchmark, b.model_name, b.task_name, b.row_order, b.is_placeholder, b.in_registry
    from benchmark_results as b
    semi join flagged using (model_name, task_name)
),

pairs as (
    select
        benchmark, model_name, task_name,
        bool_or(is_placeholder) as incomplete,
        bool_and(in_registry) as in_registry
    from frame
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
    from frame as f
    inner join board_flags as q
        on
            f.model_name = q.model_name and f.task_name = q.task_name
            and f.row_order = cast(q.entry_id & 1048575 as integer)
    where q.entry_id is not null and not f.is_placeholder
),

final as (
    select distinct
        x.benchmark, x.model_name, x.task_name, x.in_registry, x.rule, r.severity, x.message,
        r.level
    from (
        select * from file_flags
        union all
        select * from entry_flags
    ) as x
    inner join quality_rules as r using (rule)
    where r.level <= 2
)

select * from final
order by benchmark, model_name, task_name, level, rule, message
