-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table, over
-- a relation of the calling query (`frame`: benchmark_language_rows' rows, those dropped by the
-- "exclude flagged scores" switch already left out, with a sort_key ordering each model's rows
-- as mteb's frame does): the one definition that lb_language_scores (the rows, keyed by
-- (revision, task, entry)) and lb_language_scores_keyed (benchmark_language_keyed, one integer
-- key) both run. Every row counts for each language in its list (restricted to the benchmark's
-- language view unless langview is NULL, meaning "all"); in_table marks models with a non-null
-- language score.
-- Without task or language filters (nor the switch: variable lb_exclude_level) the means come
-- from benchmark_language_means; with them, the frame's matching rows are summed again in
-- mteb's order (an ordered sum, the costly part). Under a language filter without a model
-- filter or the switch, a selected language's rows all match it: a (model, language) among
-- those that keeps all its rows (no registry or task filter drops one) takes
-- benchmark_language_means' mean, the same ordered sum of the same rows, so only the other
-- pairs' (few) matching rows are summed again. A NULL score adds nothing: it skips the sort.
-- `pairs` names a relation with the frame's (benchmark, model_name, language, task_name,
-- in_registry) combinations, from which the pairs that a registry or task filter drops a row of
-- are found: the frame itself (lb_language_scores), or language_score_lists (one row per
-- (model, language, revision, task) of benchmark_language_keyed: 67 k rows instead of 1.09 M
-- for MTEB(Multilingual, v2); lb_language_scores_keyed).
create or replace macro lb_language_scores_of(
    frame, pairs, bench, models, tasks, langs, langview, registry_only
) as table
    with

    precomputed as (
        from lb_language_means_stored(bench, models, registry_only)
        where tasks is null and langs is null and getvariable('lb_exclude_level') is null
    ),

    -- the benchmark's languages whose ISO code is selected (without a model filter: a few
    -- models' rows are cheaper summed again than checked; without the switch: the frame lacks
    -- the rows it drops)
    chosen_languages as (
        select distinct language
        from benchmark_language_means
        where
            langs is not null and models is null and getvariable('lb_exclude_level') is null
            and benchmark = bench
            and split_part(language, '-', 1) in (select unnest(langs))
    ),

    -- the (model, language) pairs of those that the registry or task filter drops a row of
    dropped as (
        select distinct model_name, language
        from query_table(pairs)
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

    -- the matching rows of the other pairs (a selected language's rows always match): those of
    -- the languages not selected, or of every language under a task filter or the exclude
    -- switch alone
    summed_rows as (  -- noqa: ST03
        select model_name, language, sort_key, score
        from query_table(frame)
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
            and (
                language not in (select language from chosen_languages)
                or (model_name, language) in (select (model_name, language) from dropped)
            )
    ),

    computed as (  -- summed in mteb's frame order (lb_language_sums_of)
        from lb_language_sums_of('summed_rows')
    ),

    means as (  -- noqa: ST03
        select * from precomputed
        union all
        select * from whole
        union all
        select * from computed
    )

    select * from lb_language_table_of('means')
