-- @materialize per (model_name, task_name)
-- Per (benchmark, model, task): the model's raw mean over its rows (summed in mteb's row order)
-- and how many distinct (subset, split) pairs it scored, computed once per build so the
-- leaderboard does not aggregate millions of rows per request. A model covers a task completely
-- when have_pairs reaches the task's benchmark_task_required.
-- @column raw_mean: Mean main score (0-1) over the model's rows of the task (NULL when none is
--   scored).
-- @column have_pairs: Distinct (subset, split) pairs the model scored.
-- have_pairs counts distinct 64-bit hashes of the pairs when the hash tells the catalog's pairs
-- apart (hash_exact; benchmark_results takes every row's pair from benchmark_tasks), which
-- costs ~0.7 s of CPU less than distinct structs; otherwise it counts the structs. Either way
-- the count is exact
-- (docs/PERFORMANCE.md §Eleventh pass: the database half (session 14, build7)).
-- The ordered sum is filtered to the scored rows: the same terms in the same order, but half the
-- rows (the placeholders, NULL) are not buffered and sorted for it (~0.3 s of CPU less,
-- docs/PERFORMANCE.md §Twelfth pass: the database half (session 15, build8)).
with

hash_exact as (
    select count(distinct hash(subset, split)) = count(*) as ok
    from (select distinct subset, split from benchmark_tasks) as t
),

-- count(distinct row(subset, split)) filter (where score is not null), computed per group on
-- its own short list: half the CPU of DuckDB's distinct aggregate, which groups all 5 M rows by
-- (benchmark, model, task, pair) first (docs/PERFORMANCE.md §Seventh pass); same NULL handling
-- (a struct with NULL fields is a value, hash() hashes NULL too). One branch reads rows: the
-- other's filter is false.
per_model as (
    select
        benchmark,
        model_name,
        task_name,
        any_value(task_type) as task_type,
        bool_and(is_public) as is_public,
        bool_and(in_registry) as in_registry,
        sum(score order by row_order) filter (where score is not null) / count(score) as raw_mean,
        coalesce(
            list_unique(list(hash(subset, split)) filter (where score is not null)), 0
        )::bigint as have_pairs
    from benchmark_results
    where (select ok from hash_exact)
    group by benchmark, model_name, task_name
    union all
    select
        benchmark,
        model_name,
        task_name,
        any_value(task_type) as task_type,
        bool_and(is_public) as is_public,
        bool_and(in_registry) as in_registry,
        sum(score order by row_order) filter (where score is not null) / count(score) as raw_mean,
        coalesce(
            list_unique(list(row(subset, split)) filter (where score is not null)), 0
        )::bigint as have_pairs
    from benchmark_results
    where not (select ok from hash_exact)
    group by benchmark, model_name, task_name
)

select * from per_model
order by benchmark, model_name, task_name
