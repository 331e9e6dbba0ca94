-- The per-task table of a filtered benchmark frame, long: each leaderboard model's task scores
-- (NULL when incomplete) with its Borda rank over tasks, the order of mteb's per-task table.
create or replace macro lb_per_task(bench, models, tasks, langs, registry_only) as table
    with

    task_scores as materialized (
        from lb_task_scores(bench, models, tasks, langs, false, registry_only)
    ),

    borda as (
        select model_name, rank() over (order by coalesce(sum(borda_points), 0) desc) as borda_rank
        from task_scores
        group by model_name
    ),

    final as (
        select s.model_name, s.task_name, s.score, b.borda_rank
        from task_scores as s
        join borda as b using (model_name)
        where s.in_pivot
    )

    select * from final
