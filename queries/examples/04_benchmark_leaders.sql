-- title: Which models lead MTEB(eng, v2), and how many of its tasks did they run?
-- Mean over the benchmark's tasks of each task's score (the mean over the benchmark's splits
-- and subsets of that task, taking a model's best revision). Models that ran every task come
-- first; the others are shown with their coverage.
with bench as (
    select task_name, split, subset
    from benchmark_tasks
    where benchmark = 'MTEB(eng, v2)'
),

per_triple as (
    select s.model_name, s.task_name, s.split, s.subset, max(s.main_score) as score
    from scores as s
    join bench using (task_name, split, subset)
    where s.experiment is null and not isnan(s.main_score)
    group by all
),

per_task as (
    select model_name, task_name, avg(score) as score
    from per_triple
    group by all
),

final as (
    select
        model_name,
        count(*) as n_tasks,
        (select count(distinct task_name) from bench) as benchmark_tasks,
        round(avg(score), 4) as mean_score
    from per_task
    group by model_name
)

select * from final
order by n_tasks = benchmark_tasks desc, mean_score desc, model_name asc
limit 20
