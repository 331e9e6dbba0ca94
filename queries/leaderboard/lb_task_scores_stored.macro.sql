-- lb_task_scores of a state without a model filter, language filter or flag exclusion: every
-- input is stored per build (benchmark_task_means, benchmark_task_required), no row is read.
-- The same signature as lb_task_scores (langs is unused); Leaderboard picks this source from
-- the state's structure so that the query binds no branch it does not run.
create or replace macro lb_task_scores_stored(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    lb_stored_means as (  -- noqa: ST03
        from lb_task_means_stored(bench, models, tasks, public_only, registry_only)
    )

    select * from lb_task_scores_of('lb_stored_means')
