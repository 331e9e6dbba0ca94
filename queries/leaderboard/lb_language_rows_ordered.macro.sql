-- benchmark_language_rows with a sort_key that orders each model's rows as mteb's frame does:
-- the struct (revision, task, entry). The one definition of that key over the rows, for the
-- frames of lb_language_scores_of (lb_language_scores, less the rows the exclusion switch drops)
-- and lb_language_scores_tasks (a task filter selecting few rows: the table is stored in
-- (benchmark, task) order, so the scan reads only the selected tasks' row groups, where
-- benchmark_language_keyed, stored in model order, is read whole for the benchmark).
-- @column sort_key: (revision, task_name, row_order): the model's rows ordered by it are in
--   mteb's frame order.
create or replace macro lb_language_rows_ordered() as table
    select
        benchmark, model_name, language, task_name, in_registry, language_set, score,
        row_order, (revision, task_name, row_order) as sort_key
    from benchmark_language_rows
