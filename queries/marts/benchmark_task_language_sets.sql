-- @materialize per (benchmark, task_name)
-- @same set of benchmark_results ("language_set", "in_registry", "is_public")
-- Per (benchmark, task): the distinct language sets of its rows (scored or not), with the
-- rows' registry and public flags. A language filter's summary keeps a task whole (the build's
-- means, lb_language_task_means) when every row of the frame holds a selected language; these
-- combinations answer that (MTEB(Multilingual, v2): ~47 k of them against 2.29 M rows, the scan
-- of the candidate tasks' ~390 k rows under `eng`).
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date reads the rows
-- (lb_task_scores_rows). Maintained per changed (benchmark, task) by an incremental build
-- (etl/maintain.py); a changed score keeps a key's rows.
-- @column language_set: The rows' language set (language_sets.language_set).
-- @column in_registry: Whether the model of such a row is in mteb's model registry.
-- @column is_public: Whether the task is public.
with

final as (
    select distinct benchmark, task_name, language_set, in_registry, is_public
    from benchmark_results
)

select * from final
order by benchmark, task_name, language_set, in_registry, is_public
