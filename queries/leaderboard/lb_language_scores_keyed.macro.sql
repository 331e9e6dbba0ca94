-- lb_language_scores for a state without the "exclude flagged scores" switch: the same means,
-- the rows summed in mteb's frame order over benchmark_language_keyed's integer sort key (one
-- number per row instead of revision, task and entry: the sort that was most of the
-- per-language table's cost under a task or language filter). As there: without a filter the
-- build's means; under a language filter without a model filter, a selected language's
-- (model, language) that no other filter (registry, tasks) drops a row of takes the build's
-- mean; the other pairs' matching rows are summed again. Equal, bit for bit, to
-- lb_language_scores with no exclusion. `keyed` names the table (benchmark_language_keyed):
-- bound when called, so the macro exists where the table does not (a past date's schema,
-- warehouse.TODAY_ONLY_TABLES), and a call there fails instead.
create or replace macro lb_language_scores_keyed(
    keyed, bench, models, tasks, langs, langview, registry_only
) as table
    with

    precomputed as (
        select model_name, language, score
        from benchmark_language_means
        where
            tasks is null and langs is null
            and benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
    ),

    -- the benchmark's languages whose ISO code is selected (without a model filter)
    chosen_languages as (
        select distinct language
        from benchmark_language_means
        where
            langs is not null and models is null and benchmark = bench
            and split_part(language, '-', 1) in (select unnest(langs))
    ),

    -- the (model, language) pairs of those that the registry or task filter drops a row of
    dropped as (
        select distinct model_name, language
        from query_table(keyed)
        where
            language in (select language from chosen_languages)
            and benchmark = bench
            and (langview is null or language in (select unnest(langview)))
            and not (
                (not registry_only or in_registry)
                and (tasks is null or task_name in (select unnest(tasks)))
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

    -- the matching rows of the other pairs (a selected language's rows always match)
    summed_rows as (
        select model_name, language, sort_key, score
        from query_table(keyed)
        where
            (tasks is not null or langs is not null)
            and benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (tasks is null or task_name in (select unnest(tasks)))
            and lb_language_match(language_set, langs)
            and (langview is null or language in (select unnest(langview)))
            and (
                language not in (select language from chosen_languages)
                or (model_name, language) in (select (model_name, language) from dropped)
            )
    ),

    computed as (
        -- NULL scores (a quarter of the rows) add nothing, so they skip the ordered sum's sort
        select
            model_name, language,
            sum(score order by sort_key) filter (where score is not null)
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
