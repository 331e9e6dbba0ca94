-- The /quality page's per-benchmark counts: how many of the results a benchmark ranks (chosen
-- (model, task) files of its frame, registry models and others) carry an error or a warning,
-- and how many models those belong to.
-- @column n_results: (model, task) results of the benchmark's frame.
-- @column n_flagged: Of those, results with an error or warning flag (entry or file level).
-- @column n_models_flagged: Models with at least one such result.
with

results as (
    select distinct benchmark, model_name, revision, task_name
    from benchmark_results
),

flagged as (
    select distinct model_name, revision, task_name
    from validity_flags
    where level <= 2 and task_name is not null
),

final as (
    select
        r.benchmark,
        count(*) as n_results,
        count(f.task_name) as n_flagged,
        count(distinct r.model_name) filter (where f.task_name is not null) as n_models_flagged
    from results as r
    left join flagged as f
        on
            r.model_name = f.model_name and r.task_name = f.task_name
            and r.revision is not distinct from f.revision
    group by r.benchmark
)

select * from final
order by n_flagged desc, benchmark asc
