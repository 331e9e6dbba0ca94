-- Borda points and rank over task::subset partitions (HUME), as mteb's _borda_rank_from_long on
-- the nulled per-subset means: lb_borda_points by subset, one row per model (one definition,
-- also resampled by the rank intervals).
create or replace macro lb_subset_borda(
    bench, models, tasks, langs, public_only, registry_only
) as table
    select distinct model_name, borda_points, borda_rank
    from lb_borda_points(bench, models, tasks, langs, public_only, registry_only, true)
