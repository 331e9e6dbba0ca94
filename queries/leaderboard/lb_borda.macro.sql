-- The Borda count of the leaderboard, defined once: every Borda rank of every table (summary,
-- per-task, per-language, by task or by task::subset, the points the rank intervals resample)
-- is this macro over a long frame. `frame` names a relation of the calling query (a CTE) with
-- columns model_name, partition_key, score and in_table. Within a partition scores rank
-- descending with ties averaged; a model earns n_models - its average rank there, n_models
-- being the number of models with in_table (the rows of the table); a NULL score earns nothing.
-- A model's points are the sum over partitions (0 when it scored nowhere) and its Borda rank
-- ranks the points descending with ties sharing the best rank ("min"), as mteb's
-- _borda_rank_from_long does. Every model of the frame is ranked, also those without in_table.
-- @column model_name: Model name (every model of the frame).
-- @column partition_key: The partition (a task, task::subset or language).
-- @column points: Borda points of the model in the partition (NULL when it has no score there).
-- @column borda_points: The model's points summed over the partitions.
-- @column borda_rank: The model's Borda rank.
create or replace macro lb_borda(frame) as table
    with

    frame_rows as (
        select model_name, partition_key, score, in_table
        from query_table(frame)
    ),

    n_models as (
        select count(distinct model_name) filter (where in_table) as n from frame_rows
    ),

    points as (
        select
            model_name,
            partition_key,
            case
                when score is not null then n.n - lb_tie_avg_rank(partition_key, score)
            end as points
        from frame_rows, n_models as n  -- a join, not a scalar subquery (cheaper to plan)
    ),

    totals as (
        select model_name, coalesce(sum(points), 0) as borda_points
        from points
        group by model_name
    ),

    ranked as (
        select model_name, borda_points, rank() over (order by borda_points desc) as borda_rank
        from totals
    ),

    final as (
        select p.model_name, p.partition_key, p.points, r.borda_points, r.borda_rank
        from points as p
        join ranked as r using (model_name)
    )

    select * from final
