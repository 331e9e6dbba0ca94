-- @materialize per (benchmark, task_name)
-- Per (benchmark, task, model) whose scores cover the task incompletely (some scored (subset,
-- split) pair, fewer than the task needs over every model: 0 < have_pairs < required_all): the
-- distinct subsets and splits the model scored. Under a model filter, a task that no selected
-- model covers completely needs its pairs recounted over the selected models' scored rows
-- (lb_task_scores_recount); every selected model with a scored row of such a task is here
-- (have_pairs < required_registry <= required_all), so the recount can read these lists (a few
-- thousand rows) instead of the task's rows (lb_task_scores_recount_stored; FloresBitextMining,
-- which no model covers: 1.16 M rows and 41 k subsets in every model filter of MTEB(Multilingual,
-- v2)). Reads benchmark_task_required, also kept per (benchmark, task_name): an incremental
-- build refreshes such views in dependency order (etl/maintain.py), so this one comes after it.
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date recounts from its rows.
-- @column in_registry: True when the model is in mteb's registry.
-- @column is_public: True when every row of the model's task is public.
-- @column subsets: The distinct subsets the model scored on the task, sorted (NULL subsets left
--   out, as count(distinct subset) leaves them out). Sorted so that two builds of the same files
--   store the same lists.
-- @column splits: The distinct splits the model scored on the task, sorted (NULL splits left
--   out).
with

incomplete as (
    select m.benchmark, m.task_name, m.model_name
    from benchmark_task_means as m
    join benchmark_task_required as r using (benchmark, task_name)
    where m.have_pairs > 0 and m.have_pairs < r.required_all
),

final as (
    select
        b.benchmark,
        b.task_name,
        b.model_name,
        bool_and(b.in_registry) as in_registry,
        bool_and(b.is_public) as is_public,
        list_sort(list_distinct(list(b.subset))) as subsets,
        list_sort(list_distinct(list(b.split))) as splits
    from benchmark_results as b
    semi join incomplete using (benchmark, task_name, model_name)
    where b.score is not null
    group by b.benchmark, b.task_name, b.model_name
)

select * from final
order by benchmark, task_name, model_name
