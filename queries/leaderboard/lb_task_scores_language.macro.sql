-- lb_task_scores under a language filter without a model filter or the "exclude flagged scores"
-- switch (the request path's source for that state, mteb_lb/rankings.py _task_scores_source):
-- lb_task_scores_rows' output from the build's tables (lb_language_task_means: `score_lists`
-- names benchmark_task_score_lists, `null_languages` benchmark_null_languages, `task_sets`
-- benchmark_task_language_sets, all today's build only). The same signature as lb_task_scores
-- after those three, the same output.
create or replace macro lb_task_scores_language(
    score_lists, null_languages, task_sets, bench, models, tasks, langs, public_only,
    registry_only
) as table
    with

    lb_language_means as (  -- noqa: ST03
        from lb_language_task_means(
            score_lists, null_languages, task_sets, bench, models, tasks, langs,
            public_only, registry_only
        )
    )

    select * from lb_task_scores_of('lb_language_means')
