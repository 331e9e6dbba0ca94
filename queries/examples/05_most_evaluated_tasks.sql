-- title: Which tasks have results from the most models?
select
    s.task_name,
    t.type,
    count(distinct s.model_name) as n_models,
    count(*) as n_entries
from scores as s
left join tasks as t on s.task_name = t.name
where s.experiment is null
group by s.task_name, t.type
order by n_models desc, s.task_name asc
limit 50
