-- lb_model_scores_of's rows of a state whose filters select tasks only (registered models, no
-- model, language or flag filter, ranked by task), read from the build's per-model lists
-- (`model_tasks` names benchmark_model_tasks, `task_table` benchmark_task_scored; today's
-- build only, bound when called like lb_model_scores_default's tables). Under such a filter
-- every (model, task) score, raw mean and tie-averaged rank within the task is the default
-- state's: only which tasks count changes. So each model's row keeps its lists' selected places
-- (`tasks`, NULL for all; the public ones with public_only) and computes the columns from them:
-- the means as the left-to-right sum of the selected scores in task_name order (the same terms
-- in the same order as lb_model_scores_of's sum(score order by task_name), so the same sum bit
-- for bit), the per-type means per type in that order, the maps, and the Borda points as the
-- number of table rows times the selected raw means minus the sum of their stored ranks (every
-- term a multiple of 0.5: exact, as lb_borda's sum of n - rank). One row per model, no
-- per-request group-by over (model, task) rows. The same columns as lb_model_scores_of
-- (tests/test_ranking_sources.py compares the two); mteb_lb/rankings.py runs lb_summary_of on
-- top, and lb_model_scores_of over lb_task_scores_stored on a build without the tables.
create or replace macro lb_model_scores_lists(model_tasks, task_table, bench, tasks, public_only)
as table
    with

    picked as (
        select task_name, task_type, is_public, has_score
        from query_table(task_table)
        where
            benchmark = bench
            and (tasks is null or list_contains(tasks, task_name))
            and (not public_only or is_public)
    ),

    counts as (  -- one row: the table's tasks (those with a registered model's row)
        select
            count(*) as n_tasks,
            count(*) filter (where is_public) as n_public,
            count(*) filter (where not is_public) as n_private,
            list(task_name order by task_name) as names,
            list(task_name order by task_name) filter (where not has_score)
                as tasks_without_scores,
            list(task_type) as all_types,
            list_sort(list_distinct(list(task_type))) as types
        from picked
    ),

    masked as (
        select
            m.*,
            list_transform(m.task_names, lambda t: list_contains(c.names, t)) as mask
        from query_table(model_tasks) as m, counts as c
        where m.benchmark = bench
    ),

    selected as (  -- the models of the frame: a row on some selected task
        select
            model_name,
            zero_shot_known,
            trained,
            list_where(task_names, mask) as tn,
            list_where(task_types, mask) as ty,
            list_where(task_public, mask) as pub,
            list_where(raw_means, mask) as rm,
            list_where(scores, mask) as sc,
            list_where(avg_ranks, mask) as ar,
            list_count(list_where(scores, mask)) > 0 as in_table
        from masked
        where list_bool_or(mask)
    ),

    borda as (
    -- every model of the frame is ranked, including models the table leaves out, as mteb does
        select
            s.*,
            coalesce(n.n * list_count(s.rm) - list_sum(s.ar), 0) as borda_points
        from selected as s,
            (select count(*) filter (where in_table) as n from selected) as n
    ),

    ranked as materialized (
        select *, rank() over (order by borda_points desc) as borda_rank from borda
    ),

    outside as (  -- one list of the models the table leaves out, with their raw means
        select
            list(
                { 'model_name': model_name, 'raw_means': map(tn, rm) } order by model_name
            ) as outside_raw_means
        from ranked
        where not in_table
    ),

    typed as (  -- per row, its types (sorted) and each type's selected scores in task order
        select
            r.*,
            c.*,
            list_sort(list_distinct(r.ty)) as row_types,
            list_transform(
                list_sort(list_distinct(r.ty)),
                lambda x: list_where(r.sc, list_transform(r.ty, lambda y: y = x))
            ) as type_lists
        from ranked as r, counts as c
        where r.in_table
    ),

    type_scored as (
        select
            *,
            list_transform(
                list_zip(row_types, type_lists),
                lambda e: case
                    when list_count(e[2]) = len(list_filter(all_types, lambda z: z = e[1]))
                        then list_sum(e[2]) / list_count(e[2])
                end
            ) as type_scores,
            list_transform(
                list_zip(sc, rm), lambda e: e[1] is null and e[2] is not null
            ) as raw_only,
            len(list_filter(trained, lambda x: list_contains(names, x))) as n_trained,
            list_where(sc, pub) as public_scores,
            list_where(sc, list_transform(pub, lambda p: not p)) as private_scores
        from typed
    ),

    final as (
        select
            t.model_name,
            case
                when list_count(t.sc) = t.n_tasks then list_sum(t.sc) / list_count(t.sc)
            end as mean_task,
            case
                when list_count(t.type_scores) = len(t.types)
                    then list_sum(t.type_scores) / list_count(t.type_scores)
            end as mean_task_type,
            map(t.row_types, t.type_scores) as type_means,
            case
                when t.n_public > 0 and list_count(t.public_scores) = t.n_public
                    then list_sum(t.public_scores) / list_count(t.public_scores)
            end as mean_public,
            case
                when t.n_private > 0 and list_count(t.private_scores) = t.n_private
                    then list_sum(t.private_scores) / list_count(t.private_scores)
            end as mean_private,
            cast(null as double) as mean_subset,
            t.borda_points,
            t.borda_rank,
            cast(list_count(t.sc) as bigint) as tasks_covered,
            map(t.tn, t.sc) as task_score_map,
            case
                when list_bool_or(t.raw_only)
                    then map(list_where(t.tn, t.raw_only), list_where(t.rm, t.raw_only))
            end as raw_mean_map,
            case
                when t.model_name = min(t.model_name) over () then o.outside_raw_means
            end as outside_raw_means,
            t.n_tasks as tasks_total,
            t.tasks_without_scores,
            case
                when not t.zero_shot_known then -1
                else cast(trunc(100 - 100 * (
                    cast(t.n_trained as double)
                    / t.n_tasks
                )) as integer)
            end as zero_shot
        from type_scored as t, outside as o
    )

    select * from final
