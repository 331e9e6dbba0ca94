-- Per (model, task type) means for the summary's task-type columns: the mean of the model's task
-- scores of that type, NULL when any task of that type in the frame is missing or incomplete.
create or replace macro lb_type_scores(bench, models, tasks, langs, public_only, registry_only) as table
with

task_scores as (
    from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
),

type_sizes as (
    select task_type, count(distinct task_name) as n_tasks from task_scores group by task_type
),

final as (
    select
        s.model_name,
        s.task_type,
        case when count(s.score) = any_value(t.n_tasks) then avg(s.score) end as score
    from task_scores as s
    join type_sizes as t using (task_type)
    where s.in_pivot
    group by s.model_name, s.task_type
)

select * from final
