-- The per-task table of a filtered benchmark frame, long: each leaderboard model's task scores
-- (NULL when incomplete) with its Borda rank over tasks (lb_borda of the raw means), the order
-- of mteb's per-task table.
create or replace macro lb_per_task(bench, models, tasks, langs, registry_only) as table
    with

    lb_pt_task_scores as (  -- noqa: ST03
        from lb_task_scores(bench, models, tasks, langs, false, registry_only)
    )

    select * from lb_per_task_of('lb_pt_task_scores')
