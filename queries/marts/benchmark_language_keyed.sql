-- @materialize per (benchmark, model_name)
-- @stable set of benchmark_language_rows ("revision", "task_name")
-- benchmark_language_rows with one integer sort key per model, ordering the model's rows as
-- mteb's frame does (revision, task, entry): a per-language mean under a task or language filter
-- sums in that order by one number instead of two strings and a number
-- (lb_language_scores_keyed).
-- Stored in (benchmark, model, language, key) order: the ordered sum then sorts sorted runs.
-- Today's build only: a past date has no such table (warehouse.TODAY_ONLY_TABLES) and sums the
-- rows (lb_language_scores).
-- @column language: Language-script code, e.g. eng-Latn.
-- @column score: Main score (0-1); NULL when not scored.
-- @column sort_key: The rank of the row's (revision, task) within the model's (1, 2, ...)
--   times 2^32 plus its row_order: the model's rows ordered by it are in (revision, task,
--   entry) order; the copies of one row (one per language) share it.
with

pairs as (
    select distinct benchmark, model_name, revision, task_name from benchmark_language_rows
),

-- each (revision, task) of a model, ranked in name order (a few per model and task); row_order
-- is an entry's position (< 2^32)
revision_tasks as (
    select
        benchmark,
        model_name,
        revision,
        task_name,
        row_number() over (
            partition by benchmark, model_name order by revision, task_name
        )::bigint * 4294967296 as base
    from pairs
),

final as (
    select
        r.benchmark,
        r.model_name,
        r.language,
        r.task_name,
        r.in_registry,
        r.language_set,
        r.score,
        k.base + r.row_order as sort_key
    from benchmark_language_rows as r
    join revision_tasks as k using (benchmark, model_name, revision, task_name)
)

select * from final
order by benchmark, model_name, language, sort_key
