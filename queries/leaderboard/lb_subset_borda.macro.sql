-- Borda points and rank over task::subset partitions (HUME), as mteb's _borda_rank_from_long on
-- the nulled per-subset means: within each partition scores rank with ties averaged and NULL
-- scores earn nothing; a model earns n_models - rank per partition, n_models being the number
-- of rows of the summary (models with a non-null task score); points rank with ties sharing
-- the best rank ("min"). Every model of the frame is ranked, as mteb ranks them.
create or replace macro lb_subset_borda(bench, models, tasks, langs, public_only, registry_only) as table
with

frame as (
    select model_name, task_name || '::' || subset as partition_key, score
    from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
),

n_models as (
    select count(distinct model_name) as n
    from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
    where in_pivot
),

ranked as (
    select
        model_name,
        rank() over (partition by partition_key order by score desc)
            + (count(*) over (partition by partition_key, score) - 1) / 2.0 as avg_rank
    from frame
    where score is not null
),

points as (
    select f.model_name, coalesce(sum((select n from n_models) - r.avg_rank), 0) as borda_points
    from (select distinct model_name from frame) as f
    left join ranked as r using (model_name)
    group by f.model_name
),

final as (
    select model_name, borda_points, rank() over (order by borda_points desc) as borda_rank
    from points
)

select * from final
