-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table: every
-- row counts for each language in its list (restricted to the benchmark's language view unless
-- langview is NULL, meaning "all"); in_table marks models with a non-null language score.
-- Without task or language filters the means come from benchmark_language_means; with them,
-- from benchmark_language_rows (the rows already exploded per language, once per build), as
-- with the "exclude flagged scores" switch (variable lb_exclude_level, lb_flag_excluded).
create or replace macro lb_language_scores(
    bench, models, tasks, langs, langview, registry_only
) as table
    with

    precomputed as (
        select model_name, language, score
        from benchmark_language_means
        where
            tasks is null and langs is null and getvariable('lb_exclude_level') is null
            and benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
    ),

    filtered_rows as (
        select *
        from benchmark_language_rows
        where
            (
                tasks is not null or langs is not null
                or getvariable('lb_exclude_level') is not null
            )
            and benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (tasks is null or task_name in (select unnest(tasks)))
            and lb_language_match(language_set, langs)
            and (langview is null or language in (select unnest(langview)))
            and not lb_flag_excluded(model_name, task_name, row_order)
    ),

    computed as (
    -- summed in mteb's frame order (revision, task, entry) so the last bit matches polars
        select
            model_name, language,
            sum(score order by revision, task_name, row_order) / count(score) as score
        from filtered_rows
        group by model_name, language
    ),

    means as (
        select * from precomputed
        union all
        select * from computed
    ),

    final as (
        select *, bool_or(score is not null) over (partition by model_name) as in_table
        from means
    )

    select * from final
