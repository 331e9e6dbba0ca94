-- lb_model_scores_of's rows of a state whose only filter is a model selection (`models`, every
-- task, registered models, the benchmark's default public_only, ranked by task) read from the
-- default state's stored rows (`default_table` names default_summaries, today's build only,
-- bound when called like `uncovered_table`, benchmark_task_uncovered) when the selection keeps
-- the default's task scores; no rows otherwise (mteb_lb/rankings.py then runs
-- lb_model_scores_of over lb_task_scores_recount_stored). The selection keeps them when its
-- rows hold every task of the default (the same task columns, type sizes and counts) and no
-- score of a task it recounts (lb_task_uncovered_of: no selected model covers it completely,
-- so its default score is NULL) turns non-NULL under the recounted pairs
-- (lb_task_recount_stored). Then every per-model column (means, maps, zero-shot) is the
-- default row's, and only what ranks the models among each other is computed again
-- (lb_model_scores_covered: the Borda count, the models left out) with the tasks without
-- scores. The same columns as lb_model_scores_of (tests/test_ranking_sources.py compares the
-- two).
create or replace macro lb_model_scores_default(
    default_table, uncovered_table, bench, models, public_only
) as table
    with

    stored as materialized (
        from lb_task_means_stored(bench, models, null, public_only, true)
    ),

    uncovered_tasks as (
        from lb_task_uncovered_of('stored')
    ),

    recount as (
        from lb_task_recount_stored(
            uncovered_table, 'uncovered_tasks', bench, models, public_only, true
        )
    ),

    covered as (
        from lb_model_scores_covered(default_table, bench, models)
    ),

    task_names as (
        select distinct task_name from stored
    ),

    keeps as (  -- one row: whether the selection's task scores are the default's
        select
            (select count(*) from task_names) = (select any_value(tasks_total) from covered)
            and not exists (
                -- lb_task_scores_of's score under the recounted pairs
                select 1
                from stored as s
                left join recount as r using (task_name)
                where
                    s.task_name in (select task_name from uncovered_tasks)
                    and s.raw_mean is not null
                    and not coalesce(s.have_pairs < r.required_pairs, false)
            ) as keeps
    ),

    scored_tasks as (
        select distinct task_name
        from (
            select
                unnest(map_keys(task_score_map)) as task_name,
                unnest(map_values(task_score_map)) as score
            from covered
        ) as t
        where score is not null
    ),

    unscored as (  -- one row, as lb_model_scores_of's counts
        select
            list(task_name order by task_name) filter (
                where task_name not in (select task_name from scored_tasks)
            ) as tasks_without_scores
        from task_names
    ),

    final as (
        select c.* replace (u.tasks_without_scores as tasks_without_scores)
        from covered as c
        inner join keeps as k on k.keeps
        cross join unscored as u
    )

    select * from final
