-- Within-task spread of a filtered benchmark frame: for each (model, task) whose chosen result
-- carries per-experiment scores of the task's main score on every row of the frame, the task
-- score of each experiment (the mean over the frame's rows, as the task score is), then their
-- mean, sample standard deviation and number. Scores on the 0-1 scale. The per-experiment
-- scores are `scores_per_experiment.<main_score>` in metric_arrays (classification tasks) or,
-- for a main score `v_measure` (clustering), `v_measures`: one v-measure per clustering
-- experiment (mteb's legacy clustering, main score their mean) or, as `v_measures.Level <i>`,
-- one list per label level (mteb's fast clustering, main score the mean of all levels'
-- values), taken level after level as one list of experiments.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
create or replace macro lb_task_spread(bench, models, tasks, langs, registry_only) as table
    with

    frame as (
        select l.model_name, l.task_name, l.row_order, l.is_placeholder, c.file_id
        from lb_long(bench, models, tasks, langs, false, registry_only) as l
        inner join chosen_results as c using (model_name, task_name)
    ),

    frame_rows as (
        select model_name, task_name, count(*) as n_rows, bool_or(is_placeholder) as incomplete
        from frame
        group by model_name, task_name
    ),

    arrays as (
        select
            f.model_name,
            f.task_name,
            f.row_order,
            flatten(list(
                a.values
                order by
                    try_cast(regexp_extract(a.metric, 'Level (\d+)$', 1) as integer)
            )) as experiment_scores
        from frame as f
        inner join tasks as t on f.task_name = t.name
        inner join metric_arrays as a
            on
                a.entry_id = (f.file_id << 20) | f.row_order
                and (
                    a.metric = 'scores_per_experiment.' || t.main_score
                    or (
                        t.main_score = 'v_measure'
                        and (a.metric = 'v_measures' or a.metric like 'v_measures.Level %')
                    )
                )
        where not f.is_placeholder
        group by f.model_name, f.task_name, f.row_order
    ),

    experiment_values as (
        select
            model_name,
            task_name,
            row_order,
            unnest(range(1, len(experiment_scores) + 1)) as experiment,
            unnest(experiment_scores) as score
        from arrays
    ),

    per_experiment as (
        select
            model_name,
            task_name,
            experiment,
            count(score) as n_values,
            sum(score order by row_order) / count(score) as score
        from experiment_values
        group by model_name, task_name, experiment
    ),

    final as (
        select
            e.model_name,
            e.task_name,
            count(*) as n_experiments,
            avg(e.score) as mean,
            stddev_samp(e.score) as sd
        from per_experiment as e
        inner join frame_rows as r using (model_name, task_name)
        where not r.incomplete
        group by e.model_name, e.task_name, r.n_rows
        having bool_and(e.n_values = r.n_rows) and not bool_or(isnan(e.score))
    )

    select * from final
