-- lb_model_scores of a benchmark ranked by task (not by subset): `frame` names a relation of
-- the calling query with lb_task_scores' columns (one of its sources; mteb_lb/rankings.py picks
-- the source from the state's structure). Every summary aggregate of lb_model_scores but
-- Mean (Subset), which is NULL here; the Borda count ranks the tasks. One definition:
-- lb_model_scores is this over lb_task_scores, with the by-subset pieces laid over it.
-- What the Borda rank ranks beyond task_score_map, so that the rank intervals need no second
-- pass (mteb_lb.stats.BordaInputs.from_summary_frame): raw_mean_map (task -> raw mean of the
-- model's incomplete scores, NULL when none) and, on the first row by model name only,
-- outside_raw_means (the models of the frame the table leaves out, each with its raw means).
create or replace macro lb_model_scores_of(frame) as table
    with

    task_scores as materialized (
        from query_table(frame)
    ),

    task_columns as (
        select
            task_name, any_value(task_type) as task_type, bool_and(is_public) as is_public,
            count(score) filter (where in_pivot) as n_scored
        from task_scores
        group by task_name
    ),

    counts as (  -- one row; joined, not read by scalar subqueries (each costs ~1 ms to plan)
        select
            count(*) as n_tasks,
            count(*) filter (where is_public) as n_public,
            count(*) filter (where not is_public) as n_private,
            count(distinct task_type) as n_types,
            list(task_name order by task_name) filter (where n_scored = 0) as tasks_without_scores
        from task_columns
    ),

    type_sizes as (
        select task_type, count(*) as n_tasks from task_columns
        group by task_type
    ),

    type_scores as (
        select
            s.model_name,
            s.task_type,
            case
                when count(s.score) = any_value(t.n_tasks)
                    then sum(s.score order by s.task_name) / count(s.score)
            end as score
        from task_scores as s
        join type_sizes as t using (task_type)
        where s.in_pivot
        group by s.model_name, s.task_type
    ),

    type_means as (
        select
            model_name,
            map_from_entries(list((task_type, score) order by task_type)) as type_means,
            case
                when count(score) = any_value(c.n_types)
                    then sum(score order by task_type) / count(score)
            end as mean_task_type
        from type_scores, counts as c
        group by model_name
    ),

    task_frame as (  -- noqa: ST03
        select model_name, task_name as partition_key, raw_mean as score, in_pivot as in_table
        from task_scores
    ),

    borda as (
    -- every model of the frame is ranked, including models the table leaves out, as mteb does
        select distinct model_name, borda_points, borda_rank from lb_borda('task_frame')
    ),

    trained as (
        select t.model_name, count(*) as n_trained
        from model_training as t
        join task_columns using (task_name)
        group by t.model_name
    ),

    model_means as (
        select
            s.model_name,
            count(s.score) as tasks_covered,
            case
                when count(s.score) = any_value(c.n_tasks)
                    then sum(s.score order by s.task_name) / count(s.score)
            end as mean_task,
            case
                when
                    any_value(c.n_public) > 0
                    and count(s.score) filter (where s.is_public) = any_value(c.n_public)
                    then
                        sum(s.score order by s.task_name) filter (where s.is_public)
                        / count(s.score) filter (where s.is_public)
            end as mean_public,
            case
                when
                    any_value(c.n_private) > 0
                    and count(s.score) filter (where not s.is_public) = any_value(c.n_private)
                    then
                        sum(s.score order by s.task_name) filter (where not s.is_public)
                        / count(s.score) filter (where not s.is_public)
            end as mean_private,
            map_from_entries(list((s.task_name, s.score) order by s.task_name)) as task_score_map,
            map_from_entries(list((s.task_name, s.raw_mean) order by s.task_name) filter (
                where s.score is null and s.raw_mean is not null
            )) as raw_mean_map
        from task_scores as s, counts as c
        where s.in_pivot
        group by s.model_name
    ),

    outside_models as (
    -- the models of the frame the table leaves out (no complete score): the Borda rank ranks
    -- their raw means too
        select
            model_name,
            map_from_entries(list((task_name, raw_mean) order by task_name)) as raw_means
        from task_scores
        where not in_pivot
        group by model_name
    ),

    outside as (  -- one list, carried on the first row by model name
        select
            (select min(model_name) from model_means) as first_model,
            list(
                { 'model_name': model_name, 'raw_means': raw_means } order by model_name
            ) as outside_raw_means
        from outside_models
    ),

    final as (
        select
            m.model_name,
            m.mean_task,
            tm.mean_task_type,
            tm.type_means,
            m.mean_public,
            m.mean_private,
            cast(null as double) as mean_subset,
            b.borda_points,
            b.borda_rank,
            m.tasks_covered,
            m.task_score_map,
            m.raw_mean_map,
            o.outside_raw_means,
            c.n_tasks as tasks_total,
            c.tasks_without_scores,
            case
                when r.name is null or r.training_datasets_closure is null then -1
                else cast(trunc(100 - 100 * (
                    cast(coalesce(tr.n_trained, 0) as double)
                    / c.n_tasks
                )) as integer)
            end as zero_shot
        from model_means as m
        left join type_means as tm using (model_name)
        left join borda as b using (model_name)
        left join trained as tr using (model_name)
        left join model_registry as r on m.model_name = r.name
        left join outside as o on m.model_name = o.first_model
        cross join counts as c
    )

    select * from final
