-- @materialize per (benchmark, model_name)
-- benchmark_language_rows with one integer sort key per model: the rank of the row's (revision,
-- task, entry) in the model's frame order (mteb's order), so a per-language mean under a task
-- filter sums in that order by one integer instead of two strings and a number. Stored in
-- (benchmark, model, language, key) order. Read by lb_language_scores_keyed (today's build
-- only: a past date has no such table, warehouse.TODAY_ONLY_TABLES, and uses the rows).
-- @column language: Language-script code, e.g. eng-Latn.
-- @column score: Main score (0-1); NULL when not scored.
-- @column sort_key: The row's rank in the model's frame order (revision, task, entry) within
--   the benchmark; equal for the copies of one row (one per language).
with

final as (
    select
        benchmark,
        model_name,
        language,
        task_name,
        in_registry,
        score,
        dense_rank() over (
            partition by benchmark, model_name order by revision, task_name, row_order
        )::INTEGER as sort_key
    from benchmark_language_rows
)

select * from final
order by benchmark, model_name, language, sort_key
