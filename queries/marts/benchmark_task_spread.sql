-- @materialize per (model_name, task_name)
-- Within-task spread of every benchmark's unfiltered frame, stored per build so that the
-- per-task grid's spread tooltips are a lookup: per (benchmark, model, task) whose chosen result
-- carries per-experiment scores of the task's main score on every row of the benchmark's frame,
-- the same numbers as the leaderboard's task-spread macro without a language filter or flag
-- exclusion (which still compute them per request): the task score of each experiment (the
-- mean over the frame's rows, summed in row order), then their mean, sample standard deviation
-- and number. Scores on the
-- 0-1 scale; the mean and sd are taken over the experiments in order (list_avg,
-- list_stddev_samp), so a rebuild gives the same bits.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
with

arrays as (
    select
        c.model_name,
        c.task_name,
        cast(a.entry_id & 1048575 as integer) as row_order,
        flatten(list(
            a.values
            order by
                try_cast(regexp_extract(a.metric, 'Level (\d+)$', 1) as integer)
        )) as experiment_scores
    from chosen_results as c
    inner join tasks as t on c.task_name = t.name
    inner join metric_arrays as a
        on
            a.entry_id >> 20 = c.file_id
            and (
                a.metric = 'scores_per_experiment.' || t.main_score
                or (
                    t.main_score = 'v_measure'
                    and (a.metric = 'v_measures' or a.metric like 'v_measures.Level %')
                )
            )
    group by c.model_name, c.task_name, a.entry_id
),

pairs as (
    select distinct model_name, task_name from arrays
),

frame as (
    select b.benchmark, b.model_name, b.task_name, b.row_order, b.is_placeholder, b.in_registry
    from benchmark_results as b
    semi join pairs using (model_name, task_name)
),

frame_rows as (
    select
        benchmark, model_name, task_name,
        count(*) as n_rows,
        bool_or(is_placeholder) as incomplete,
        bool_and(in_registry) as in_registry
    from frame
    group by benchmark, model_name, task_name
),

experiment_values as (
    select
        f.benchmark,
        f.model_name,
        f.task_name,
        f.row_order,
        unnest(range(1, len(a.experiment_scores) + 1)) as experiment,
        unnest(a.experiment_scores) as score
    from frame as f
    inner join arrays as a using (model_name, task_name, row_order)
    where not f.is_placeholder
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
order by benchmark, model_name, task_name
