-- The per-task table of a filtered benchmark frame, long: each leaderboard model's task scores
-- (NULL when incomplete) with its Borda rank over tasks (lb_borda of the raw means), the order
-- of mteb's per-task table.
create or replace macro lb_per_task(bench, models, tasks, langs, registry_only) as table
    with

    task_scores as materialized (
        from lb_task_scores(bench, models, tasks, langs, false, registry_only)
    ),

    per_task_frame as (  -- noqa: ST03
        select model_name, task_name as partition_key, raw_mean as score, in_pivot as in_table
        from task_scores
    ),

    borda as (
        select distinct model_name, borda_rank from lb_borda('per_task_frame')
    ),

    final as (
        select s.model_name, s.task_name, s.score, b.borda_rank
        from task_scores as s
        join borda as b using (model_name)
        where s.in_pivot
    )

    select * from final
