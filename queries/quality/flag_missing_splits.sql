-- Validity rule missing_splits (quality_rules): the result file the leaderboard uses for a
-- (model, task) (chosen_results) lacks (split, subset) pairs that a benchmark evaluates the task
-- on (the placeholder rows of benchmark_results). One flag per file, listing the pairs; the
-- benchmark tables show such a task as incomplete (docs/SEMANTICS.md §Completeness).
-- @column rule: Rule code.
-- @column message: How many pairs are missing, and the first few.
-- @column value: The number of missing (split, subset) pairs.
with

missing as (
    select distinct model_name, revision, task_name, split, subset
    from benchmark_results
    where is_placeholder
),

per_file as (
    select
        m.model_name, m.revision, m.task_name, c.path,
        count(*) as n_missing,
        list(m.split || '/' || m.subset order by m.split, m.subset)[1:5] as first_pairs
    from missing as m
    join chosen_results as c using (model_name, task_name)
    group by m.model_name, m.revision, m.task_name, c.path
),

final as (
    select
        'missing_splits' as rule,
        model_name, revision, task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        path,
        cast(null as bigint) as entry_id,
        n_missing || ' (split/subset) pairs missing: ' || array_to_string(first_pairs, ', ')
        || case when n_missing > 5 then ', ...' else '' end as message,
        cast(n_missing as double) as value
    from per_file
)

select * from final
