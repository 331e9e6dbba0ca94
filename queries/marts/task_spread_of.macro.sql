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
-- Computed with lists, not one row per (row, experiment): each entry's experiment scores once
-- (an entry serves several benchmarks' frames), then per (benchmark, model, task) the rows' lists
-- in row order, summed experiment by experiment (list_sum adds in list order, as the ordered sum
-- did: the same bits). Grouping the unnested ~2.9 M (row, experiment) values of a full build on
-- the three names with an ordered sum cost ~1.4 s more CPU
-- (docs/PERFORMANCE.md §Twelfth pass: the database half (session 15, build8)).
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column n_experiments: Number of experiments.
-- @column mean: Mean of the per-experiment task scores.
-- @column sd: Their sample standard deviation (n - 1 in the denominator); NULL for one.
create or replace macro task_spread_of(frame) as table
    with

    -- entry_id: the key of the row's entry in metric_arrays, (file_id << 20) | entry number
    -- (etl/segments.py; row_order is the entry's position in its file), written once here
    spread_frame as materialized (
        select *, (file_id << 20) | row_order as entry_id
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

    -- each entry's experiment scores (levels in order), once
    entry_scores as (
        select
            a.entry_id,
            flatten(list(
                a.values
                order by
                    try_cast(regexp_extract(a.metric, 'Level (\d+)$', 1) as integer)
            )) as experiment_scores
        from (
            select distinct entry_id, task_name
            from spread_frame
            where not is_placeholder
        ) as f
        inner join tasks as t on f.task_name = t.name
        inner join metric_arrays as a
            on
                f.entry_id = a.entry_id
                and (
                    a.metric = 'scores_per_experiment.' || t.main_score
                    or (
                        t.main_score = 'v_measure'
                        and (a.metric = 'v_measures' or a.metric like 'v_measures.Level %')
                    )
                )
        group by a.entry_id
    ),

    task_rows as (
        select
            f.benchmark,
            f.model_name,
            f.task_name,
            count(*) as n_array_rows,
            max(len(e.experiment_scores)) as n_experiments,
            sum(list_count(e.experiment_scores)) as n_values,
            list(e.experiment_scores order by f.row_order) as row_scores
        from spread_frame as f
        inner join entry_scores as e on f.entry_id = e.entry_id
        where not f.is_placeholder
        group by f.benchmark, f.model_name, f.task_name
    ),

    -- complete frames only: every row has a (non-NULL) score for every experiment
    experiments as (
        select
            l.benchmark,
            l.model_name,
            l.task_name,
            r.in_registry,
            l.n_experiments,
            list_transform(
                range(1, l.n_experiments + 1),
                lambda e: list_sum(list_transform(l.row_scores, lambda s: s[e])) / r.n_rows
            ) as scores
        from task_rows as l
        inner join frame_rows as r using (benchmark, model_name, task_name)
        where
            not r.incomplete
            and l.n_experiments > 0
            and l.n_array_rows = r.n_rows
            and l.n_values = l.n_experiments * r.n_rows
    ),

    final as (
        select
            benchmark, model_name, task_name, in_registry, n_experiments,
            list_avg(scores) as mean,
            list_stddev_samp(scores) as sd
        from experiments
        where not list_bool_or(list_transform(scores, lambda x: isnan(x)))
    )

    select * from final
