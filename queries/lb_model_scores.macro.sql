-- One row per leaderboard model of a filtered benchmark frame with every summary aggregate, as
-- mteb's _create_summary_table computes them (means are NULL when any of their inputs is NULL):
-- Mean (Task), Mean (TaskType), Mean (Public), Mean (Private), Mean (Subset), the Borda points
-- and rank (over tasks, or task::subset when by_subset), the number of tasks covered, and the
-- zero-shot percentage against the tasks in the table (-1 when the training data is unknown).
create or replace macro lb_model_scores(bench, models, tasks, langs, public_only, registry_only, by_subset) as table
with

task_scores as (
    from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
),

task_columns as (
    select task_name, bool_and(is_public) as is_public
    from task_scores
    group by task_name
),

counts as (
    select
        count(*) as n_tasks,
        count(*) filter (where is_public) as n_public,
        count(*) filter (where not is_public) as n_private
    from task_columns
),

type_scores as (
    from lb_type_scores(bench, models, tasks, langs, public_only, registry_only)
),

type_means as (
    -- NULL unless the model has a non-null mean for every task type of the frame
    select model_name,
           case when count(score) = (select count(distinct task_type) from task_scores)
                then avg(score) end as mean_task_type
    from type_scores
    group by model_name
),

subset_scores as (
    from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
    where by_subset
),

subset_means as (
    select model_name, case when count(score) = count(*) then avg(score) end as mean_subset
    from subset_scores
    group by model_name
),

borda as (
    from lb_borda(bench, models, tasks, langs, public_only, registry_only,
                  case when by_subset then 'subset' else 'task' end, null)
),

trained as (
    -- tasks of the table each model was trained on (zero-shot counts against all task columns)
    select t.model_name, count(*) as n_trained
    from model_training as t
    join task_columns as c using (task_name)
    group by t.model_name
),

model_means as (
    select
        s.model_name,
        count(s.score) as tasks_covered,
        case when count(s.score) = any_value(c.n_tasks) then avg(s.score) end as mean_task,
        case when count(s.score) filter (where s.is_public) = any_value(c.n_public)
                  and any_value(c.n_public) > 0
             then avg(s.score) filter (where s.is_public) end as mean_public,
        case when count(s.score) filter (where not s.is_public) = any_value(c.n_private)
                  and any_value(c.n_private) > 0
             then avg(s.score) filter (where not s.is_public) end as mean_private
    from task_scores as s, counts as c
    where s.in_pivot
    group by s.model_name
),

final as (
    select
        m.model_name,
        m.mean_task,
        tm.mean_task_type,
        m.mean_public,
        m.mean_private,
        sm.mean_subset,
        b.borda_points,
        b.borda_rank,
        m.tasks_covered,
        (select n_tasks from counts) as tasks_total,
        case
            when r.name is null or r.training_datasets_closure is null then -1
            else cast(trunc(100 - 100 * (coalesce(tr.n_trained, 0)::double
                                         / (select n_tasks from counts))) as integer)
        end as zero_shot
    from model_means as m
    left join type_means as tm using (model_name)
    left join subset_means as sm using (model_name)
    left join borda as b using (model_name)
    left join trained as tr using (model_name)
    left join model_registry as r on r.name = m.model_name
)

select * from final
