-- The (split, subset, language) entries each task of a benchmark declares (benchmark_tasks, the
-- catalog): a task filter whose tasks declare few of them reads their rows in task order for
-- the per-language table (mteb_lb/rankings.py Leaderboard._few_language_rows).
-- @column task_name: A task of the benchmark.
-- @column entries: Its declared entries: the languages of each of its (split, subset) pairs,
--   counted.
create or replace macro lb_task_language_entries(bench) as table
    select
        task_name,
        sum(len(languages))::bigint as entries
    from benchmark_tasks
    where benchmark = bench
    group by task_name
