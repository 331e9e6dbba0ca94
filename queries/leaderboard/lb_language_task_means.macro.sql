-- Per (model, task) raw means of a benchmark frame under a language filter without a model
-- filter or the "exclude flagged scores" switch (what lb_task_scores_language ranks; callers
-- guarantee that state): lb_task_scores_rows' means, but a task whose frame rows all match the
-- filter keeps them all, so it takes the build's means and required pairs (lb_task_means_stored:
-- the same ordered sum and counts over the same rows); only the other tasks' matching rows are
-- summed again in mteb's row order (under `eng`, 43 of MTEB(Multilingual, v2)'s 131 tasks hold
-- three quarters of the matching rows). A task needs the distinct subsets x distinct splits
-- scored by any model of the frame. `repeated_tasks`: lb_row_task_means_of's (the tasks whose
-- pairs are counted distinct; NULL: all). `task_sets` names benchmark_task_language_sets (today's
-- build only, bound when called as `null_languages`): a task is whole when every language set
-- of its frame's rows matches.
-- Of those tasks only the scored rows are read (a NULL score adds nothing to a mean or a pair
-- count): a (model, task) whose matching rows all lack a score is still in the frame (its task
-- counts, with a NULL mean), found in `null_languages` (benchmark_null_languages, today's build
-- only: bound when called, so the macro exists where the table does not, a past date's schema,
-- and a call there fails) by the codes of its NULL rows; it enters the rows as one NULL row.
-- @column have_pairs: Distinct (subset, split) pairs the model scored on the task (in the frame).
-- @column required_pairs: Pairs the task needs (over every model of the frame).
create or replace macro lb_language_task_means(
    repeated_tasks, null_languages, task_sets, bench, models, tasks, langs, public_only,
    registry_only
) as table
    with

    -- the language sets holding a selected language (lb_language_match's, listed once)
    matching_sets as (
        select distinct codes.language_set
        from (
            select language_set, unnest(iso_codes) as code
            from language_sets
        ) as codes
        where codes.code in (select unnest(langs))
    ),

    -- the selected tasks whose frame rows all match the filter: whole tasks, found in the
    -- frame's language sets (`task_sets`, benchmark_task_language_sets: the distinct (task,
    -- language set, registry and public flags) of the rows, read instead of the rows)
    whole_tasks as (
        select task_name
        from query_table(task_sets)
        where
            benchmark = bench
            and (tasks is null or task_name in (select unnest(tasks)))
            and (not registry_only or in_registry)
            and (not public_only or is_public)
        group by task_name
        having bool_and(coalesce(language_set in (select language_set from matching_sets), false))
    ),

    -- the other selected tasks: a semi join on them, unlike `not in` (a mark join after the
    -- language join), reaches the scan, which then skips the whole tasks' rows
    cut_tasks as (
        select distinct task_name
        from benchmark_tasks
        where
            benchmark = bench
            and (tasks is null or task_name in (select unnest(tasks)))
            and task_name not in (select task_name from whole_tasks)
    ),

    whole as (
        select *
        from lb_task_means_stored(bench, models, tasks, public_only, registry_only)
        where task_name in (select task_name from whole_tasks)
    ),

    -- the (model, task)s with a matching NULL row, by their distinct code lists (a few hundred)
    null_lists as (
        select distinct null_codes
        from query_table(null_languages)
        where benchmark = bench
    ),

    matching_null_lists as (
        select distinct lists.null_codes
        from (select null_codes, unnest(null_codes) as code from null_lists) as lists
        where lists.code in (select unnest(langs))
    ),

    partial as materialized (  -- noqa: ST03
        select model_name, task_name, task_type, is_public, row_order, split, subset, score
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
        where score is not null and task_name in (select task_name from cut_tasks)
        union all
        select
            model_name, task_name, task_type, is_public, null as row_order, null as split,
            null as subset, null::double as score
        from query_table(null_languages)
        where
            benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (not public_only or is_public)
            and task_name in (select task_name from cut_tasks)
            and null_codes in (select null_codes from matching_null_lists)
    ),

    from_rows as (
        from lb_row_task_means_of('partial', repeated_tasks)
    ),

    final as (
        select
            model_name, task_name, task_type, is_public, raw_mean, have_pairs, required_pairs
        from whole
        union all
        select
            model_name, task_name, task_type, is_public, raw_mean, have_pairs, required_pairs
        from from_rows
    )

    select * from final
