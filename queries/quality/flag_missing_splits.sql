-- Validity rule missing_splits (quality_rules): the result file the leaderboard uses for a
-- (model, task) (chosen_results) lacks (split, subset) pairs that a benchmark evaluates the task
-- on (the pairs of benchmark_tasks; benchmark_results holds them as placeholder rows). One flag
-- per file, listing the first pairs in (split, subset) order; the benchmark tables show such a
-- task as incomplete (docs/SEMANTICS.md §Completeness). Without scanning benchmark_results
-- (2.6 M placeholder rows on the real data, 1.15 M of them FloresBitextMining's): a (model, task)
-- whose have_pairs (benchmark_task_means) is below what a benchmark declares is a candidate (or
-- a NaN score: checked next), and only the candidates' files are compared with the pairs; the
-- first five missing pairs are among the task's first n + 5, n the pairs the file has.
-- @column rule: Rule code.
-- @column message: How many pairs are missing, and the first few.
-- @column value: The number of missing (split, subset) pairs.
with

declared as (
    select benchmark, task_name, count(distinct row(split, subset)) as n_declared
    from benchmark_tasks
    group by benchmark, task_name
),

candidates as (
    select distinct m.model_name, m.task_name
    from benchmark_task_means as m
    join declared as d using (benchmark, task_name)
    where m.have_pairs < d.n_declared
),

files as (
    select c.model_name, c.revision, c.task_name, c.path, c.file_id
    from chosen_results as c
    semi join candidates using (model_name, task_name)
),

candidate_pairs as (
    select distinct task_name, split, subset
    from benchmark_tasks
    semi join candidates using (task_name)
),

-- every (split, subset) pair some benchmark evaluates a candidate task on, numbered in order
task_pairs as (
    select
        task_name, split, subset,
        row_number() over (partition by task_name order by split, subset) as pair_no,
        count(*) over (partition by task_name) as n_pairs
    from candidate_pairs
),

task_sizes as (
    select distinct task_name, n_pairs from task_pairs
),

-- the pairs each candidate file has (a repeated entry once)
present as (
    select distinct e.file_id, p.pair_no
    from stg_scores as e
    semi join files using (file_id)
    join task_pairs as p using (task_name, split, subset)
),

per_file as (
    select
        f.model_name, f.revision, f.task_name, f.path, f.file_id,
        any_value(t.n_pairs) - count(p.pair_no) as n_missing,
        count(p.pair_no) as n_present
    from files as f
    join task_sizes as t using (task_name)
    left join present as p using (file_id)
    group by f.model_name, f.revision, f.task_name, f.path, f.file_id
    having any_value(t.n_pairs) > count(p.pair_no)
),

-- the first five missing pairs are among the task's first n_present + 5
missing as (
    select
        f.file_id,
        list(p.split || '/' || p.subset order by p.pair_no)[1:5] as first_pairs
    from per_file as f
    join task_pairs as p on f.task_name = p.task_name and p.pair_no <= f.n_present + 5
    anti join present as h on f.file_id = h.file_id and p.pair_no = h.pair_no
    group by f.file_id
),

final as (
    select
        'missing_splits' as rule,
        f.model_name, f.revision, f.task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        f.path,
        cast(null as bigint) as entry_id,
        f.n_missing || ' (split/subset) pairs missing: ' || array_to_string(m.first_pairs, ', ')
        || case when f.n_missing > 5 then ', ...' else '' end as message,
        cast(f.n_missing as double) as value
    from per_file as f
    join missing as m using (file_id)
)

select * from final
