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
-- The rows are sorted with integer keys and the language (a short string) only, their other
-- strings looked up after the sort by position in short lists, as benchmark_results does (a
-- projection keeps the sorted order): sorting them as payload cost ~40 % more CPU
-- (docs/PERFORMANCE.md §Eleventh pass: the database half (session 14, build7)).
with

pairs as (
    select distinct benchmark, model_name, revision, task_name from benchmark_language_rows
),

-- each (revision, task) of a model, ranked in name order (a few per model and task); row_order
-- is an entry's position (< 2^32). model_key: the rank of (benchmark, model_name), the sort's
-- first key; task_key: the rank of the task name. Both 32-bit (uinteger): the sort moves narrower
-- rows, ~0.6 s of CPU less than dense_rank's bigint
-- (docs/PERFORMANCE.md §Thirteenth pass: the database half (session 16, build9))
revision_tasks as (
    select
        benchmark,
        model_name,
        revision,
        task_name,
        row_number() over (
            partition by benchmark, model_name order by revision, task_name
        )::bigint * 4294967296 as base,
        dense_rank() over (order by benchmark, model_name)::uinteger as model_key,
        dense_rank() over (order by task_name)::uinteger as task_key
    from pairs
),

sorted as (
    select
        k.model_key,
        r.language,
        k.task_key,
        r.in_registry,
        r.language_set,
        r.score,
        k.base + r.row_order as sort_key
    from benchmark_language_rows as r
    join revision_tasks as k using (benchmark, model_name, revision, task_name)
    order by k.model_key, r.language, sort_key
),

-- the strings by key: one row each, list position = key
models as (
    select
        list(benchmark order by model_key) as benchmark,
        list(model_name order by model_key) as model_name
    from (select distinct benchmark, model_name, model_key from revision_tasks) as k
),

tasks as (
    select list(task_name order by task_key) as task_name
    from (select distinct task_name, task_key from revision_tasks) as k
)

select
    m.benchmark[s.model_key] as benchmark,
    m.model_name[s.model_key] as model_name,
    s.language,
    t.task_name[s.task_key] as task_name,
    s.in_registry,
    s.language_set,
    s.score,
    s.sort_key
from sorted as s, models as m, tasks as t
