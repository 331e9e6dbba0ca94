-- The within-task spread of a frame of benchmark rows (`frame`, a relation of the calling query
-- with benchmark, model_name, task_name, row_order, is_placeholder, in_registry and the chosen
-- result's file_id): the one definition behind the spread stored per build (every
-- benchmark's unfiltered frame) and the leaderboard's spread macro (one filtered frame).
-- For each (benchmark, model, task) whose chosen result carries per-experiment scores of the
-- task's main score on every row of the frame: the task score of each experiment (the mean over
-- the frame's rows, summed in row order, as the task score is), then their mean, sample standard
-- deviation and number, taken over the experiments in order (list_avg, list_stddev_samp), so
-- every run gives the same bits. Scores on the 0-1 scale. The per-experiment scores are
-- `scores_per_experiment.<main_score>` in metric_arrays (classification tasks) or, for a main
-- score `v_measure` (clustering), `v_measures`: one v-measure per clustering experiment (mteb's
-- legacy clustering, main score their mean) or, as `v_measures.Level <i>`, one list per label
-- level (mteb's fast clustering, main score the mean of all levels' values), taken level after
-- level as one list of experiments.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
create or replace macro task_spread_of(frame) as table
    with

    spread_frame as materialized (
        from query_table(frame)
    ),

    frame_rows as (
        select
            benchmark, model_name, task_name,
            count(*) as n_rows,
            bool_or(is_placeholder) as incomplete,
            bool_and(in_registry) as in_registry
        from spread_frame
        group by benchmark, model_name, task_name
    ),

    arrays as (
        select
            f.benchmark,
            f.model_name,
            f.task_name,
            f.row_order,
            flatten(list(
                a.values
                order by
                    try_cast(regexp_extract(a.metric, 'Level (\d+)$', 1) as integer)
            )) as experiment_scores
        from spread_frame as f
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
        group by f.benchmark, f.model_name, f.task_name, f.row_order
    ),

    experiment_values as (
        select
            benchmark,
            model_name,
            task_name,
            row_order,
            unnest(range(1, len(experiment_scores) + 1)) as experiment,
            unnest(experiment_scores) as score
        from arrays
    ),

    per_experiment as (
        select
            benchmark,
            model_name,
            task_name,
            experiment,
            count(score) as n_values,
            sum(score order by row_order) / count(score) as score
        from experiment_values
        group by benchmark, model_name, task_name, experiment
    ),

    final as (
        select
            e.benchmark,
            e.model_name,
            e.task_name,
            any_value(r.in_registry) as in_registry,
            count(*) as n_experiments,
            list_avg(list(e.score order by e.experiment)) as mean,
            list_stddev_samp(list(e.score order by e.experiment)) as sd
        from per_experiment as e
        inner join frame_rows as r using (benchmark, model_name, task_name)
        where not r.incomplete
        group by e.benchmark, e.model_name, e.task_name, r.n_rows
        having bool_and(e.n_values = r.n_rows) and not bool_or(isnan(e.score))
    )

    select * from final
