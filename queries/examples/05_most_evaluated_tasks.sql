-- title: Which tasks have results from the most models?
select
    s.task_name,
    t.type,
    count(distinct s.model_name) as n_models,
    count(*) as n_entries
from scores as s
left join tasks as t on t.name = s.task_name
where s.experiment is null
group by s.task_name, t.type
order by n_models desc, s.task_name
limit 50
