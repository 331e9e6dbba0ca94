-- lb_language_scores for a state without a language filter or the "exclude flagged scores"
-- switch (a task and/or model filter): the same ordered sum of the same rows in mteb's frame
-- order, over benchmark_language_keyed's integer sort key (one number per row instead of
-- revision, task and entry: the sort that was most of the per-language table's cost). Equal,
-- bit for bit, to lb_language_scores with langs NULL and no exclusion. `keyed` names the table
-- (benchmark_language_keyed): bound when called, so the macro exists where the table does not
-- (a past date's schema, warehouse.TODAY_ONLY_TABLES), and a call there fails instead.
create or replace macro lb_language_scores_keyed(
    keyed, bench, models, tasks, langview, registry_only
) as table
    with

    computed as (
        -- NULL scores (a quarter of the rows) add nothing, so they skip the ordered sum's sort
        select
            model_name, language,
            sum(score order by sort_key) filter (where score is not null)
            / count(score) as score
        from query_table(keyed)
        where
            benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (tasks is null or task_name in (select unnest(tasks)))
            and (langview is null or language in (select unnest(langview)))
        group by model_name, language
    ),

    final as (
        select *, bool_or(score is not null) over (partition by model_name) as in_table
        from computed
    )

    select * from final
