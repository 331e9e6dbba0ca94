-- The Borda points of a filtered benchmark frame per (model, partition), exactly as the Borda
-- rank sums them: the partitions are the tasks (lb_task_scores.borda_points), or task::subset
-- when by_subset (HUME); within a partition the raw means rank with ties averaged and a model
-- earns n_models - its average rank, n_models being the number of rows of the summary; a model
-- without a score in a partition earns 0 there. One row per (model of the frame, partition of
-- the frame): summing points per model gives lb_model_scores.borda_points, whose "min" rank is
-- Rank (Borda). Every model of the frame is listed, also those the table leaves out (mteb ranks
-- them too; in_table is false). The rank intervals of mteb_lb/stats.py resample these points.
-- @column model_name: Model name (every model of the frame, as the Borda rank ranks them).
-- @column partition_key: The partition: the task name, or task::subset when ranked by subset.
-- @column task_name: The task of the partition.
-- @column points: Borda points the model earns in the partition (0 when it has no score there).
-- @column in_table: True when the model is a row of the summary (a non-null task score).
create or replace macro lb_borda_points(
    bench, models, tasks, langs, public_only, registry_only, by_subset
) as table
    with

    task_scores as materialized (
        from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
    ),

    subset_frame as (
        select model_name, task_name, task_name || '::' || subset as partition_key, score
        from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
        where by_subset
    ),

    table_models as (
        select model_name, bool_or(in_pivot) as in_table from task_scores
        group by model_name
    ),

    frame_models as (
    -- the models the Borda rank ranks: those of the task frame, or of the subset frame
        select model_name, in_table from table_models
        where not by_subset
        union all
        select f.model_name, coalesce(t.in_table, false) as in_table
        from (select distinct model_name from subset_frame) as f
        left join table_models as t using (model_name)
    ),

    task_points as (
        select model_name, task_name as partition_key, task_name, borda_points as points
        from task_scores
        where not by_subset
    ),

    subset_points as (
        select
            model_name,
            partition_key,
            task_name,
            (
                select count(*) from table_models
                where in_table
            )
            - (
                rank() over (partition by partition_key order by score desc)
                + (count(*) over (partition by partition_key, score) - 1) / 2.0
            ) as points
        from subset_frame
        where score is not null
    ),

    points as (
        from task_points
        union all
        from subset_points
    ),

    partitions as (
        select distinct partition_key, task_name from task_points
        union
        select distinct partition_key, task_name from subset_frame
    ),

    final as (
        select
            m.model_name, p.partition_key, p.task_name, coalesce(s.points, 0) as points,
            m.in_table
        from frame_models as m
        cross join partitions as p
        left join points as s using (model_name, partition_key)
    )

    select * from final
