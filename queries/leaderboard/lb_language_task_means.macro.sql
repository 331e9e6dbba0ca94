-- Per (model, task) raw means of a benchmark frame under a language filter without a model
-- filter or the "exclude flagged scores" switch (what lb_task_scores_language ranks; callers
-- guarantee that state): lb_task_scores_rows' means, from the build's tables instead of the rows.
-- A task whose frame rows all match the filter keeps them all, so it takes the build's means and
-- required pairs (lb_task_means_stored: the same ordered sum and counts over the same rows).
-- The other tasks' means come from their score lists (`score_lists`:
-- benchmark_task_score_lists): the filter becomes one mask per task over its language sets'
-- places, each list keeps the scores its mask keeps, in row order, and list_sum adds them left
-- to right: the ordered sum of lb_row_task_means_of over the matching rows, bit for bit, without
-- reading the rows (docs/PERFORMANCE.md §Session 32: language filters from score lists). A task
-- needs the distinct subsets x distinct splits scored by any model of the frame, counted over
-- its matching scored combinations (`task_sets`: benchmark_task_language_sets, whose
-- set_position the lists' places are; a task is whole when every language set of its frame's
-- combinations matches). A model's scored rows of a task are its distinct pairs unless they
-- repeat one (the list's `pairs`, then counted distinct).
-- A (model, task) whose matching rows all lack a score is still in the frame (its task counts,
-- with a NULL mean), found in `null_languages` (benchmark_null_languages) by the codes of its
-- NULL rows. The three tables are today's build only, bound when called: the macro exists
-- where they do not (a past date's schema), and a call there fails.
-- @column have_pairs: Distinct (subset, split) pairs the model scored on the task (in the frame).
-- @column required_pairs: Pairs the task needs (over every model of the frame).
create or replace macro lb_language_task_means(
    score_lists, null_languages, task_sets, bench, models, tasks, langs, public_only,
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

    -- the selected tasks' combinations, each with whether its language set matches
    combinations as materialized (
        select
            task_name, set_position, in_registry, is_public, subset, split, scored,
            coalesce(language_set in (select language_set from matching_sets), false) as keep
        from query_table(task_sets)
        where
            benchmark = bench
            and (tasks is null or task_name in (select unnest(tasks)))
    ),

    -- the frame's combinations (the registry and public filters)
    in_frame as (
        select *
        from combinations
        where (not registry_only or in_registry) and (not public_only or is_public)
    ),

    -- the selected tasks whose frame rows all match the filter, and the others
    task_cuts as (
        select task_name, not bool_and(keep) as cut
        from in_frame
        group by task_name
    ),

    whole_tasks as (
        select task_name from task_cuts
        where not cut
    ),

    cut_tasks as (
        select task_name from task_cuts
        where cut
    ),

    whole as (
        select *
        from lb_task_means_stored(bench, models, tasks, public_only, registry_only)
        where task_name in (select task_name from whole_tasks)
    ),

    -- per cut task, whether each of its language sets matches, by place (a task none of whose
    -- sets matches keeps no list: it has no mask)
    masks as (
        select task_name, list(keep order by set_position) as mask
        from (
            select distinct task_name, set_position, keep
            from combinations
            where task_name in (select task_name from cut_tasks)
        ) as places
        group by task_name
        having bool_or(keep)
    ),

    required as (
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from in_frame
        where keep and scored and task_name in (select task_name from cut_tasks)
        group by task_name
    ),

    -- each list of a cut task with its mask, by its rows' places
    masked as (
        select
            l.model_name,
            l.task_name,
            l.task_type,
            l.is_public,
            l.scores,
            l.pairs,
            list_transform(l.set_positions, lambda p: m.mask[p]) as keep
        from query_table(score_lists) as l
        join masks as m using (task_name)
        where
            l.benchmark = bench
            and (not registry_only or l.in_registry)
            and (models is null or l.model_name in (select unnest(models)))
            and (not public_only or l.is_public)
    ),

    kept as (
        select
            model_name,
            task_name,
            task_type,
            is_public,
            list_where(scores, keep) as scores,
            list_where(pairs, keep) as pairs
        from masked
    ),

    -- materialized: the lists are masked once, not again in a filter on their lengths that
    -- DuckDB would push below the projection (a list without a kept score has no row)
    from_lists as materialized (
        select
            model_name,
            task_name,
            task_type,
            is_public,
            list_sum(scores) / len(scores) as raw_mean,
            coalesce(len(list_distinct(pairs)), len(scores)) as have_pairs
        from kept
    ),

    -- the lists that kept a score
    listed as (
        select * from from_lists
        where have_pairs > 0
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

    -- those without a matching scored row: a NULL mean
    from_nulls as (
        select
            model_name, task_name, task_type, is_public, null::double as raw_mean,
            0::bigint as have_pairs
        from query_table(null_languages)
        where
            benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (not public_only or is_public)
            and task_name in (select task_name from cut_tasks)
            and null_codes in (select null_codes from matching_null_lists)
            and (model_name, task_name) not in (select model_name, task_name from listed)
    ),

    cut_means as (
        select * from listed
        union all
        select * from from_nulls
    ),

    final as (
        select
            model_name, task_name, task_type, is_public, raw_mean, have_pairs, required_pairs
        from whole
        union all
        select
            c.model_name, c.task_name, c.task_type, c.is_public, c.raw_mean, c.have_pairs,
            r.required_pairs
        from cut_means as c
        left join required as r using (task_name)
    )

    select * from final
