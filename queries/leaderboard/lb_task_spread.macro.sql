-- Within-task spread of a filtered benchmark frame (lb_long): for each (model, task) whose
-- chosen result carries per-experiment scores of the task's main score on every row of the
-- frame, the mean, sample standard deviation and number of the per-experiment task scores, as
-- task_spread_of defines them. Scores on the 0-1 scale.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
create or replace macro lb_task_spread(bench, models, tasks, langs, registry_only) as table
    with

    request_frame as (  -- noqa: ST03
        select
            l.benchmark, l.model_name, l.task_name, l.row_order, l.is_placeholder,
            l.in_registry, c.file_id
        from lb_long(bench, models, tasks, langs, false, registry_only) as l
        inner join chosen_results as c using (model_name, task_name)
    )

    select model_name, task_name, n_experiments, mean, sd
    from task_spread_of('request_frame')
