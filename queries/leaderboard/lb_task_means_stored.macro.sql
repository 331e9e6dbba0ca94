-- Per (model, task) raw means of a filtered benchmark frame as the build stored them
-- (benchmark_task_means): the input of lb_task_scores without a language filter or flag
-- exclusion. required_pairs is the number of (subset, split) pairs the task needs counted over
-- every model of the benchmark (registered ones with registry_only: benchmark_task_required),
-- exact without a model filter (lb_task_scores_recount recounts it under one).
-- @column have_pairs: Distinct (subset, split) pairs the model scored on the task.
-- @column required_pairs: Pairs the task needs (over every model of the benchmark).
create or replace macro lb_task_means_stored(
    bench, models, tasks, public_only, registry_only
) as table
    select
        m.model_name, m.task_name, m.task_type, m.is_public, m.raw_mean, m.have_pairs,
        coalesce(
            case when registry_only then r.required_registry else r.required_all end, 0
        ) as required_pairs
    from benchmark_task_means as m
    left join benchmark_task_required as r using (benchmark, task_name)
    where
        m.benchmark = bench
        and (not registry_only or m.in_registry)
        and (models is null or m.model_name in (select unnest(models)))
        and (tasks is null or m.task_name in (select unnest(tasks)))
        and (not public_only or m.is_public)
