-- lb_model_scores_default's rows when the selection (`models`) covers every task: each task of
-- the default state has a selected model with a score in the stored default rows
-- (`default_table` names default_summaries, bound when called). Then no task has its pairs
-- recounted (a model with a score has every pair the task requires), so every per-model
-- column is the default row's, no task lacks a score, and only what ranks the models among each
-- other is computed again: the Borda count (lb_borda over the selected models' raw means: the
-- task scores, raw_mean_map and the default's outside_raw_means) and the models left out.
-- mteb_lb/rankings.py checks the cover from the same stored rows before it calls this;
-- lb_model_scores_default is this with that check made in SQL (and the recount when it fails).
-- The same columns as lb_model_scores_of (tests/test_ranking_sources.py compares the two).
create or replace macro lb_model_scores_covered(default_table, bench, models) as table
    with

    defaults as (
        select
            * exclude (
                benchmark, active_params_b, total_params_b, embed_dim, max_tokens,
                release_date, position
            )
        from query_table(default_table)
        where benchmark = bench
    ),

    selected as (
        select * from defaults
        where model_name in (select unnest(models))
    ),

    outside_models as (  -- the selected models the default table leaves out
        select o.model_name, o.raw_means
        from (select unnest(outside_raw_means) as o from defaults) as d
        where o.model_name in (select unnest(models))
    ),

    task_frame as (  -- noqa: ST03
        select
            model_name,
            task_name as partition_key,
            coalesce(score, map_extract_value(raw_mean_map, task_name)) as score,
            true as in_table
        from (
            select
                model_name,
                raw_mean_map,
                unnest(map_keys(task_score_map)) as task_name,
                unnest(map_values(task_score_map)) as score
            from selected
        ) as t
        union all
        select model_name, task_name as partition_key, raw_mean as score, false as in_table
        from (
            select
                model_name,
                unnest(map_keys(raw_means)) as task_name,
                unnest(map_values(raw_means)) as raw_mean
            from outside_models
        ) as o
    ),

    borda as (
        select distinct model_name, borda_points, borda_rank from lb_borda('task_frame')
    ),

    outside as (  -- one list, carried on the first row by model name
        select
            (select min(model_name) from selected) as first_model,
            list(
                { 'model_name': model_name, 'raw_means': raw_means } order by model_name
            ) as outside_raw_means
        from outside_models
    ),

    final as (
        select
            s.model_name,
            s.mean_task,
            s.mean_task_type,
            s.type_means,
            s.mean_public,
            s.mean_private,
            s.mean_subset,
            b.borda_points,
            b.borda_rank,
            s.tasks_covered,
            s.task_score_map,
            s.raw_mean_map,
            o.outside_raw_means,
            s.tasks_total,
            cast(null as varchar[]) as tasks_without_scores,
            s.zero_shot
        from selected as s
        left join borda as b using (model_name)
        left join outside as o on s.model_name = o.first_model
    )

    select * from final
