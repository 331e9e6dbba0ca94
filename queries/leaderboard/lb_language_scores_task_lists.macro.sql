-- lb_language_scores_lists over the build's per-(model, language) lists of lists (`task_lists`:
-- language_task_lists, today's build only: bound when called, so the macro exists where the
-- table does not and a call there fails instead): a task filter without a language filter nor
-- the "exclude flagged scores" switch. A (model, language)'s mean is its selected tasks' lists
-- (those of the registry when registry_only), kept in the stored (revision, task_name) order,
-- concatenated and summed left to right by list_sum: the same numbers in the same order as
-- lb_language_scores_lists' ordered list() of the same lists, so the same sum bit for bit,
-- without grouping and sorting ~39 k lists per request (MTEB(Multilingual, v2), half the
-- tasks). A pair with no selected list has no row; one whose selected lists are all empty has
-- a NULL mean (NULL / 0). The same table rows (lb_language_table_of); equal to
-- lb_language_scores_lists (tests/test_language_keyed.py), see
-- docs/PERFORMANCE.md §Session 22: Multilingual task filters (mltaskf)
create or replace macro lb_language_scores_task_lists(
    task_lists, bench, models, tasks, langview, registry_only
) as table
    with

    -- materialized: the lists are selected once, not again in the filter on their count
    selected as materialized (
        select
            model_name,
            language,
            list_where(
                score_lists,
                list_transform(
                    list_zip(task_names, in_registry),
                    lambda entry: list_contains(tasks, entry[1])
                    and (not registry_only or entry[2])
                )
            ) as lists
        from query_table(task_lists)
        where
            benchmark = bench
            and (models is null or model_name in (select unnest(models)))
            and (langview is null or language in (select unnest(langview)))
    ),

    task_means as (  -- noqa: ST03
        select
            model_name,
            language,
            list_sum(flatten(lists))
            / list_sum(list_transform(lists, lambda scored: len(scored)))::bigint as score
        from selected
        where len(lists) > 0
    )

    select * from lb_language_table_of('task_means')
