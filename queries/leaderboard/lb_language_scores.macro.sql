-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table
-- (lb_language_scores_of: the one definition) over benchmark_language_rows, the rows already
-- exploded per language once per build, less those the "exclude flagged scores" switch drops
-- (lb_flag_excluded: none without it), summed in mteb's frame order (revision, task, entry:
-- lb_language_rows_ordered).
-- The path of a state with the switch, of a past date's schema (no benchmark_language_keyed
-- there) and of the unfiltered table (the build's means).
create or replace macro lb_language_scores(
    bench, models, tasks, langs, langview, registry_only
) as table
    with

    lb_q_language_rows as not materialized (  -- noqa: ST03
        select
            benchmark, model_name, language, task_name, in_registry, language_set, score,
            sort_key
        from lb_language_rows_ordered()
        where not lb_flag_excluded(model_name, task_name, row_order)
    )

    from lb_language_scores_of(
        'lb_q_language_rows', 'lb_q_language_rows', bench, models, tasks, langs, langview,
        registry_only
    )
