-- lb_task_scores under a language filter without a model filter or the "exclude flagged scores"
-- switch (the request path's source for that state, mteb_lb/rankings.py _task_scores_source):
-- lb_task_scores_rows' rows, with the tasks the filter keeps whole read from the build's means
-- (lb_language_task_means; `repeated_tasks` as lb_task_scores_rows'; `null_languages` names
-- benchmark_null_languages, `task_sets` benchmark_task_language_sets, both today's build only).
-- The same signature as lb_task_scores after those three, the same output.
create or replace macro lb_task_scores_language(
    repeated_tasks, null_languages, task_sets, bench, models, tasks, langs, public_only,
    registry_only
) as table
    with

    lb_language_means as (  -- noqa: ST03
        from lb_language_task_means(
            repeated_tasks, null_languages, task_sets, bench, models, tasks, langs,
            public_only, registry_only
        )
    )

    select * from lb_task_scores_of('lb_language_means')
