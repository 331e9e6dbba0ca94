-- title: Which metrics does a task record, and how often?
-- Every metric name stored for NFCorpus (change the task name), with how many entries have it.
select
    m.metric,
    count(*) as n_entries,
    count(m.value) as n_numeric,
    round(avg(m.value), 4) as mean_value
from metrics as m
join scores as s using (entry_id)
where s.task_name = 'NFCorpus'
group by m.metric
order by n_entries desc, m.metric asc
