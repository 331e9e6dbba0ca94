-- Borda points and rank over task::subset partitions (HUME), as mteb's _borda_rank_from_long on
-- the nulled per-subset means: within each partition scores rank with ties averaged and NULL
-- scores earn nothing; a model earns n_models - rank per partition, n_models being the number
-- of rows of the summary (models with a non-null task score); points rank with ties sharing
-- the best rank ("min"). Every model of the frame is ranked, as mteb ranks them. The points per
-- partition are lb_borda_points' (one definition, also resampled by the rank intervals).
create or replace macro lb_subset_borda(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    points as (
        select model_name, sum(points) as borda_points
        from lb_borda_points(bench, models, tasks, langs, public_only, registry_only, true)
        group by model_name
    ),

    final as (
        select model_name, borda_points, rank() over (order by borda_points desc) as borda_rank
        from points
    )

    select * from final
