-- The rows of a per-language relation (`keyed`: benchmark_language_keyed, language_score_lists,
-- or a relation of the calling query with their key columns) that a task filter keeps: the
-- benchmark's rows of the selected models (NULL: all) and tasks (`tasks` is never NULL here), in
-- the benchmark's language view (NULL: all languages), registry models only when
-- registry_only. The one filter of lb_language_scores_tasks (the rows) and
-- lb_language_scores_lists (the lists).
create or replace macro lb_language_task_rows(
    keyed, bench, models, tasks, langview, registry_only
) as table
    select *
    from query_table(keyed)
    where
        benchmark = bench
        and (not registry_only or in_registry)
        and (models is null or model_name in (select unnest(models)))
        and task_name in (select unnest(tasks))
        and (langview is null or language in (select unnest(langview)))
