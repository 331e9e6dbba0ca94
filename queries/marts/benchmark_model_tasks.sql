-- @materialize per (benchmark)
-- Per (benchmark, registered model): the model's rows of benchmark_task_means as parallel lists
-- in task_name order, with each task's score (the raw mean, NULL when the model scored fewer
-- pairs than the task needs over the registered models, as lb_task_scores_of) and its average
-- rank among the registered models' raw means of the task (lb_tie_avg_rank, as lb_borda), the
-- tasks of the benchmark it was trained on and whether its zero-shot share is known. Everything
-- in it is independent of a task filter: under one, lb_model_scores_lists keeps each list's
-- selected places and computes lb_model_scores_of's columns per row, without a per-request
-- group-by, window per task or join back
-- (docs/PERFORMANCE.md §Session 23: task and model filters (engf2)).
-- Kept per benchmark: a task's ranks and required pairs depend on every model's rows of it, so
-- a changed (model, task) changes the other models' rows of each benchmark holding the task. An
-- incremental build recomputes the benchmarks with a changed row of benchmark_task_means (all
-- their rows, from all their models' rows) and keeps the others: 10 scattered files recomputed
-- 8,705 of the 14,991 rows, 1 % of the files all of them
-- (docs/PERFORMANCE.md §Session 30: the suite on session 29's code).
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date runs lb_model_scores_of.
-- @column task_names: The model's tasks with a row, in task_name order (the other lists' order).
-- @column task_types: Each task's type.
-- @column task_public: Each task's public flag.
-- @column raw_means: Each task's raw mean (NULL when no row is scored).
-- @column scores: Each task's score: the raw mean, or NULL when the model scored fewer (subset,
--   split) pairs than the task needs over the registered models.
-- @column avg_ranks: Each task's tie-averaged rank of the raw mean among the registered models'
--   rows of the task, descending (NULL with the raw mean); the Borda points of the task are the
--   number of ranked models minus this.
-- @column trained: The benchmark's tasks (those with a registered model's row) the model was
--   trained on (model_training), sorted.
-- @column zero_shot_known: True when the model is in the registry with its training data
--   declared (the zero-shot share is -1 otherwise).
with

task_rows as (
    select
        m.benchmark,
        m.model_name,
        m.task_name,
        m.task_type,
        m.is_public,
        m.raw_mean,
        case when m.have_pairs < coalesce(r.required_registry, 0) then null else m.raw_mean end
            as score,
        case
            when m.raw_mean is not null
                then lb_tie_avg_rank(row(m.benchmark, m.task_name), m.raw_mean)
        end as avg_rank
    from benchmark_task_means as m
    left join benchmark_task_required as r using (benchmark, task_name)
    where m.in_registry
),

bench_tasks as (
    select distinct benchmark, task_name from task_rows
),

trained as (
    select b.benchmark, t.model_name, list(t.task_name order by t.task_name) as trained
    from model_training as t
    join bench_tasks as b using (task_name)
    group by b.benchmark, t.model_name
),

folded as (
    -- one list per model, sorted by task_name (the structs' first field, unique in a list: the
    -- order of `order by task_name`, for ~20 % less CPU than the ordered aggregate), unpacked
    -- below
    select
        r.benchmark,
        r.model_name,
        list_sort(list({
            'task_name': r.task_name, 'task_type': r.task_type, 'is_public': r.is_public,
            'raw_mean': r.raw_mean, 'score': r.score, 'avg_rank': r.avg_rank
        })) as entries,
        coalesce(any_value(t.trained), []) as trained,
        coalesce(
            any_value(g.name is not null and g.training_datasets_closure is not null), false
        ) as zero_shot_known
    from task_rows as r
    left join trained as t using (benchmark, model_name)
    left join model_registry as g on r.model_name = g.name
    group by r.benchmark, r.model_name
),

final as (
    select
        f.benchmark,
        f.model_name,
        list_transform(f.entries, lambda e: e.task_name) as task_names,
        list_transform(f.entries, lambda e: e.task_type) as task_types,
        list_transform(f.entries, lambda e: e.is_public) as task_public,
        list_transform(f.entries, lambda e: e.raw_mean) as raw_means,
        list_transform(f.entries, lambda e: e.score) as scores,
        list_transform(f.entries, lambda e: e.avg_rank) as avg_ranks,
        f.trained,
        f.zero_shot_known
    from folded as f
)

select * from final
order by benchmark, model_name
