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
-- Stored (by a full build) in (benchmark, task, language set) order: a benchmark's or a task
-- list's rows are contiguous row groups, and a language filter's join on language_set probes
-- runs of one key (docs/PERFORMANCE.md §Language filters (seventh pass)).
-- @column in_registry: Whether the model is in mteb's model registry (the official leaderboard
--   shows only these).
with

chosen as (
    select model_name, model_folder, task_name, revision, file_id from chosen_results
),

-- languages travel as their hash (language_set): the lists themselves are in language_sets
-- pair_key: the rank of (benchmark, task_name) as one integer: the table is sorted by it and
-- language_set; sorting 5 M rows by it costs ~1 s less CPU than by the two strings
-- (docs/PERFORMANCE.md §Seventh pass)
triples as (
    select
        benchmark, task_name, split, subset, hash(languages) as language_set,
        dense_rank() over (order by benchmark, task_name) as pair_key
    from benchmark_tasks
),

entries as (
    select
        file_id, entry_no, split, subset, score,
        case when languages is not null then hash(languages) end as language_set
    from stg_scores
),

registry as (
    select name as model_name, folder from model_registry
),

expected as (
    select
        t.benchmark, c.model_name, c.model_folder, c.task_name, c.revision, c.file_id,
        t.split, t.subset, t.language_set as task_language_set, t.pair_key
    from chosen as c
    join triples as t using (task_name)
),

matched as (
    select
        x.benchmark,
        x.model_name,
        x.model_folder,
        x.task_name,
        x.revision,
        coalesce(e.entry_no, 1048576) as row_order,
        x.split,
        x.subset,
        coalesce(e.language_set, x.task_language_set) as language_set,
        e.score,
        e.file_id is null as is_placeholder,
        x.pair_key
    from expected as x
    left join entries as e
        on x.file_id = e.file_id and x.split = e.split and x.subset = e.subset
),

final as (
    select
        m.benchmark,
        m.model_name,
        m.task_name,
        m.revision,
        m.row_order,
        m.split,
        m.subset,
        m.language_set,
        m.score,
        m.is_placeholder,
        t.type as task_type,
        coalesce(t.is_public, true) as is_public,
        -- mteb loads the registry models' folders only, then keeps rows whose model name is in
        -- the registry (an inner join): both conditions make a leaderboard model.
        (r.folder is not null and m.model_name in (select model_name from registry))
            as in_registry,
        m.pair_key
    from matched as m
    left join tasks as t on m.task_name = t.name
    left join registry as r on m.model_folder = r.folder
)

select * exclude (pair_key) from final
order by pair_key, language_set
