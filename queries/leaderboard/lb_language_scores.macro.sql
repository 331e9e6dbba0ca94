-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table: every
-- row counts for each language in its list (restricted to the benchmark's language view unless
-- langview is NULL, meaning "all"); in_table marks models with a non-null language score.
-- Without task or language filters the means come from benchmark_language_means; with them
-- (or with the "exclude flagged scores" switch: variable lb_exclude_level, lb_flag_excluded),
-- from benchmark_language_rows (the rows already exploded per language, once per build), summed
-- again in mteb's order (an ordered sum, the costly part). Under a language filter without a
-- model filter, a selected language's rows all match it: a (model, language) among those that
-- keeps all its rows (no task filter or flag drops one) takes benchmark_language_means' mean,
-- the same ordered sum of the same rows, so only the other languages' (few) matching rows are
-- summed again. A NULL score adds nothing: it skips the sort.
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

    -- the benchmark's languages whose ISO code is selected (without a model filter: a few
    -- models' rows are cheaper summed again than checked)
    chosen_languages as (
        select distinct language
        from benchmark_language_means
        where
            langs is not null and models is null and benchmark = bench
            and split_part(language, '-', 1) in (select unnest(langs))
    ),

    -- a language filter keeps every row of a selected language (its list holds that language):
    -- a (model, language) among those that no other filter (registry, tasks, flags) drops a row
    -- of takes the build's mean; only the pairs with a dropped row are summed again
    dropped as (
        select distinct model_name, language
        from benchmark_language_rows
        where
            language in (select language from chosen_languages)
            and benchmark = bench
            and (langview is null or language in (select unnest(langview)))
            and not (
                (not registry_only or in_registry)
                and (tasks is null or task_name in (select unnest(tasks)))
                and not lb_flag_excluded(model_name, task_name, row_order)
            )
    ),

    whole as (
        select model_name, language, score
        from benchmark_language_means
        where
            benchmark = bench
            and language in (select language from chosen_languages)
            and (langview is null or language in (select unnest(langview)))
            and (model_name, language) not in (select (model_name, language) from dropped)
    ),

    -- the other rows: those of the languages not selected, or of every language under a task
    -- filter or the exclude switch alone
    other_rows as (
        select model_name, language, revision, task_name, row_order, score
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
            and language not in (select language from chosen_languages)
            and not lb_flag_excluded(model_name, task_name, row_order)
    ),

    summed_rows as (
        select model_name, language, revision, task_name, row_order, score
        from benchmark_language_rows
        where
            language in (select language from chosen_languages)
            and (model_name, language) in (select (model_name, language) from dropped)
            and benchmark = bench
            and (not registry_only or in_registry)
            and (tasks is null or task_name in (select unnest(tasks)))
            and not lb_flag_excluded(model_name, task_name, row_order)
        union all
        select * from other_rows
    ),

    computed as (
    -- summed in mteb's frame order (revision, task, entry) so the last bit matches polars; NULL
    -- scores (a quarter of the rows) add nothing, so they skip the ordered sum's sort
        select
            model_name, language,
            sum(score order by revision, task_name, row_order) filter (where score is not null)
            / count(score) as score
        from summed_rows
        group by model_name, language
    ),

    means as (
        select * from precomputed
        union all
        select * from whole
        union all
        select * from computed
    ),

    final as (
        select *, bool_or(score is not null) over (partition by model_name) as in_table
        from means
    )

    select * from final
