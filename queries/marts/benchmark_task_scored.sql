-- @materialize per (benchmark, task_name)
-- Per (benchmark, task) with a row of a registered model (benchmark_task_means): the task's
-- columns as lb_model_scores_of reads them under a task filter of registered models
-- (task_columns: type, public flag, whether some model has a complete score), stored once per
-- build for lb_model_scores_lists. A model's score on the task is its raw mean when it scored
-- the pairs the task needs over the registered models (benchmark_task_required), as
-- lb_task_scores_of nulls it. Reads benchmark_task_required, also kept per (benchmark,
-- task_name): an incremental build refreshes such views in dependency order (etl/maintain.py).
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date runs lb_model_scores_of.
-- @column is_public: True when every registered model's row of the task is public.
-- @column has_score: True when some registered model has a complete score on the task (a
--   non-NULL score): a task without is listed in the summary's tasks_without_scores.
with

final as (
    select
        m.benchmark,
        m.task_name,
        any_value(m.task_type) as task_type,
        bool_and(m.is_public) as is_public,
        bool_or(
            m.raw_mean is not null and m.have_pairs >= coalesce(r.required_registry, 0)
        ) as has_score
    from benchmark_task_means as m
    left join benchmark_task_required as r using (benchmark, task_name)
    where m.in_registry
    group by m.benchmark, m.task_name
)

select * from final
order by benchmark, task_name
