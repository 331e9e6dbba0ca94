-- @materialize per (model_name, task_name)
-- Per (benchmark, model, task) with rows of NULL score (placeholders, NaN scores): the ISO 639-3
-- codes of those rows' languages. A language filter keeps a (model, task) in its frame when one
-- of its rows holds a selected code; a row without a score adds nothing else to the task means
-- (the ordered sum, the pairs and the required pairs read scored rows only). So the summary under
-- a language filter sums the scored rows of the cut tasks (benchmark_task_score_lists) and
-- learns from these lists which (model, task) also has a matching placeholder
-- (lb_language_task_means). Today's build only (warehouse.TODAY_ONLY_TABLES): a past
-- date reads the rows (lb_task_scores_rows).
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column is_public: Whether the task is public.
-- @column null_codes: The distinct ISO 639-3 codes of the NULL-score rows' languages, sorted.
-- The codes are paired with the rows before the distinct: ~0.6 s of build CPU, against ~2.4 s
-- for a distinct over (row key, language set) first
-- (docs/PERFORMANCE.md §Session 19: Multilingual language filters (mllang)).
with

set_codes as (
    select language_set, unnest(iso_codes) as code
    from language_sets
),

codes as (
    select distinct
        r.benchmark, r.model_name, r.task_name, r.in_registry, r.is_public, r.task_type, s.code
    from benchmark_results as r
    join set_codes as s using (language_set)
    where r.score is null
),

final as (
    select
        benchmark, model_name, task_name, in_registry, is_public, task_type,
        list(code order by code) as null_codes
    from codes
    group by benchmark, model_name, task_name, in_registry, is_public, task_type
)

select * from final
order by benchmark, task_name, model_name
