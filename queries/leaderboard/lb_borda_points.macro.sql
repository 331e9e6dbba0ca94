-- The Borda points of a filtered benchmark frame per (model, partition), exactly as the Borda
-- rank sums them (lb_borda): the partitions are the tasks, ranked by their raw means, or
-- task::subset when by_subset (HUME), ranked by the nulled subset means; n_models is the number
-- of rows of the summary; a model without a score in a partition earns 0 there. One row per
-- (model of the frame, partition of the frame): summing points per model gives
-- lb_model_scores.borda_points, whose "min" rank is Rank (Borda). Every model of the frame is
-- listed, also those the table leaves out (mteb ranks them too; in_table is false).
-- The rank intervals of mteb_lb/stats.py resample these points.
-- @column model_name: Model name (every model of the frame, as the Borda rank ranks them).
-- @column partition_key: The partition: the task name, or task::subset when ranked by subset.
-- @column task_name: The task of the partition.
-- @column points: Borda points the model earns in the partition (0 when it has no score there).
-- @column in_table: True when the model is a row of the summary (a non-null task score).
-- @column borda_points: The model's points summed over the partitions.
-- @column borda_rank: The model's Borda rank (Rank (Borda) of the summary).
create or replace macro lb_borda_points(
    bench, models, tasks, langs, public_only, registry_only, by_subset
) as table
    with

    task_scores as materialized (
        from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
    ),

    table_models as (
        select model_name, bool_or(in_pivot) as in_table from task_scores
        group by model_name
    ),

    subset_frame as (
        select model_name, task_name, task_name || '::' || subset as partition_key, score
        from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
        where by_subset
    ),

    borda_frame as materialized (  -- noqa: ST03
    -- the partitions the Borda rank ranks: the tasks, or the task::subset pairs
        select
            model_name, task_name as partition_key, task_name, raw_mean as score,
            in_pivot as in_table
        from task_scores
        where not by_subset
        union all
        select
            f.model_name, f.partition_key, f.task_name, f.score,
            coalesce(t.in_table, false) as in_table
        from subset_frame as f
        left join table_models as t using (model_name)
    ),

    borda as materialized (
        from lb_borda('borda_frame')
    ),

    frame_models as (
        select distinct model_name, borda_points, borda_rank from borda
    ),

    in_table as (
        select model_name, bool_or(in_table) as in_table from borda_frame
        group by model_name
    ),

    partitions as (
        select distinct partition_key, task_name from borda_frame
    ),

    final as (
        select
            m.model_name, p.partition_key, p.task_name, coalesce(b.points, 0) as points,
            t.in_table, m.borda_points, m.borda_rank
        from frame_models as m
        cross join partitions as p
        join in_table as t using (model_name)
        left join borda as b using (model_name, partition_key)
    )

    select * from final
