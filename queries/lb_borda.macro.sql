-- Borda points and rank as mteb's _borda_rank_from_long over subset or language partitions:
-- part = 'subset' (HUME: nulled per-subset means) or 'language' (per-language table); the task
-- partition, the common case, is computed once inside lb_task_scores. Within each partition
-- scores rank with ties averaged and NULL scores earn nothing; a model earns n_models - rank per partition it has,
-- where n_models is the number of rows of the leaderboard table (not the partition size); the
-- points rank with ties sharing the best rank ("min"). Every model of the frame is ranked,
-- including models the table later leaves out, because mteb ranks them too.
create or replace macro lb_borda(bench, models, tasks, langs, public_only, registry_only, part, langview) as table
with

frame as (
    select model_name, task_name || '::' || subset as partition_key, score
    from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
    where part = 'subset'
    union all
    select model_name, language, score
    from lb_language_scores(bench, models, tasks, langs, langview, registry_only)
    where part = 'language'
),

n_models as (
    select count(distinct model_name) as n
    from (
        select model_name
        from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
        where part = 'subset' and in_pivot
        union all
        select model_name
        from lb_language_scores(bench, models, tasks, langs, langview, registry_only)
        where part = 'language' and in_table
    )
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
