-- Validity rule mixed_revisions (quality_rules): a benchmark whose rows for a model come from
-- several model revisions (the per-task choice of chosen_results mixes revision folders, as the
-- official leaderboard does). One flag per (model, benchmark).
-- @column rule: Rule code.
-- @column message: The revisions and how many tasks each contributes.
with

used as (
    select benchmark, model_name, revision, count(distinct task_name) as n_tasks
    from benchmark_results
    where not is_placeholder
    group by benchmark, model_name, revision
),

mixed as (
    select
        benchmark, model_name,
        count(*) as n_revisions,
        string_agg(
            coalesce(revision, 'NULL') || ' (' || n_tasks || ' tasks)', ', '
            order by n_tasks desc, revision asc
        ) as revisions
    from used
    group by benchmark, model_name
    having count(*) > 1
),

final as (
    select
        'mixed_revisions' as rule,
        model_name,
        cast(null as varchar) as revision,
        cast(null as varchar) as task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        benchmark,
        cast(null as varchar) as path,
        cast(null as bigint) as entry_id,
        n_revisions || ' revisions: ' || revisions as message,
        cast(n_revisions as double) as value
    from mixed
)

select * from final
