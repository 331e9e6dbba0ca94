-- @materialize per (model_name, task_name)
-- The long frame every leaderboard table starts from: per benchmark, the chosen result of each
-- (model, task) restricted to the (task, split, subset) triples the benchmark declares. Like
-- mteb's TaskResult.validate_and_filter_scores, a declared triple the chosen file lacks becomes
-- a placeholder row with a NULL score and the subset's languages from the task metadata.
-- @column benchmark: Benchmark name.
-- @column score: Main score (0-1); NULL for a placeholder or a NaN score.
-- @column is_placeholder: True when the chosen file has no entry for this triple.
-- @column row_order: mteb's frame order within a (model, task): the entry's position in its file
-- (placeholders last). Means sum in this order, as polars does, so ties break identically.
-- @column language_set: hash of the row's languages (the entry's, or the subset's for a
-- placeholder); language_sets holds the lists (filters test a few thousand lists, not rows).
-- Stored (by a full build) in (benchmark, score is NULL, task, language set) order: a
-- benchmark's rows are contiguous row groups, its scored rows first, so a language filter's scan
-- of the scored rows (lb_long's, under a model filter too) skips the placeholders' row groups
-- (docs/PERFORMANCE.md §Session 19: Multilingual language filters (mllang)); within each half a
-- task list's rows are contiguous, and a language filter's join on language_set probes runs of
-- one key (docs/PERFORMANCE.md §Language filters (seventh pass)).
-- @column in_registry: Whether the model is in mteb's model registry (the official leaderboard
--   shows only these).
-- The rows are sorted with integer keys only and their strings looked up after the sort, by
-- position in short lists (a projection keeps the sorted order; a join would not): sorting
-- 5 M rows with their strings as payload cost ~30 % more CPU and ~0.7 GB more memory
-- (docs/PERFORMANCE.md §Tenth pass: the database half (session 13, build6)). The keys are
-- 32-bit (uinteger; ranks of catalog triples or chosen results): the sort moves narrower rows,
-- ~1 s of CPU less than with dense_rank's bigint
-- (docs/PERFORMANCE.md §Thirteenth pass: the database half (session 16, build9))
with

registry as (
    select name as model_name, folder from model_registry
),

-- model_key: the rank of (model, revision, in_registry), what the rows take from their file
chosen as (
    select
        *, dense_rank() over (order by model_name, revision, in_registry)::uinteger as model_key
    from (
        select
            c.model_name, c.task_name, c.revision, c.file_id,
            -- mteb loads the registry models' folders only, then keeps rows whose model name
            -- is in the registry (an inner join): both conditions make a leaderboard model.
            (r.folder is not null and c.model_name in (select model_name from registry))
                as in_registry
        from chosen_results as c
        left join registry as r on c.model_folder = r.folder
    ) as c
),

-- languages travel as their hash (language_set): the lists themselves are in language_sets
-- bench_key, pair_key: the ranks of benchmark and (benchmark, task_name) as integers: the table
-- is sorted by them, the score's nullness and language_set (docs/PERFORMANCE.md §Seventh pass);
-- split_key: the rank of (split, subset)
triples as (
    select
        benchmark, task_name, split, subset, hash(languages) as language_set,
        dense_rank() over (order by benchmark)::uinteger as bench_key,
        dense_rank() over (order by benchmark, task_name)::uinteger as pair_key,
        dense_rank() over (order by split, subset)::uinteger as split_key
    from benchmark_tasks
),

entries as (
    select
        file_id, entry_no, split, subset, score,
        case when languages is not null then hash(languages) end as language_set
    from stg_scores
),

expected as (
    select
        c.file_id, c.model_key, t.split, t.subset, t.language_set as task_language_set,
        t.bench_key, t.pair_key, t.split_key
    from chosen as c
    join triples as t using (task_name)
),

matched as (
    select
        x.pair_key,
        coalesce(e.language_set, x.task_language_set) as language_set,
        x.model_key,
        x.split_key,
        coalesce(e.entry_no, 1048576) as row_order,
        e.score,
        e.file_id is null as is_placeholder
    from expected as x
    left join entries as e
        on x.file_id = e.file_id and x.split = e.split and x.subset = e.subset
    order by x.bench_key, e.score is null, x.pair_key, language_set
),

-- the strings by key: one row each, list position = key
pairs as (
    select
        list(p.benchmark order by p.pair_key) as benchmark,
        list(p.task_name order by p.pair_key) as task_name,
        list(t.type order by p.pair_key) as task_type,
        list(coalesce(t.is_public, true) order by p.pair_key) as is_public
    from (select distinct benchmark, task_name, pair_key from triples) as p
    left join tasks as t on p.task_name = t.name
),

splits as (
    select
        list(split order by split_key) as split,
        list(subset order by split_key) as subset
    from (select distinct split, subset, split_key from triples) as t
),

models as (
    select
        list(model_name order by model_key) as model_name,
        list(revision order by model_key) as revision,
        list(in_registry order by model_key) as in_registry
    from (select distinct model_name, revision, in_registry, model_key from chosen) as c
)

select
    p.benchmark[m.pair_key] as benchmark,
    o.model_name[m.model_key] as model_name,
    p.task_name[m.pair_key] as task_name,
    o.revision[m.model_key] as revision,
    m.row_order,
    s.split[m.split_key] as split,
    s.subset[m.split_key] as subset,
    m.language_set,
    m.score,
    m.is_placeholder,
    p.task_type[m.pair_key] as task_type,
    p.is_public[m.pair_key] as is_public,
    o.in_registry[m.model_key] as in_registry
from matched as m, pairs as p, splits as s, models as o
