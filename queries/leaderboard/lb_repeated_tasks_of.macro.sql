-- Per benchmark, the tasks where some model's scored rows repeat a (subset, split) pair: the
-- `repeated_tasks` of lb_row_task_means_of. `frame` names benchmark_pair_repeats (bound when
-- called, so the macro exists where the table does not, an older build or a past date a store
-- recorded before it, and a call there fails: mteb_lb/rankings.py Leaderboard._repeated_tasks
-- then binds NULL).
-- @column benchmark: A benchmark with a repeated pair.
-- @column tasks: Its tasks with a repeated pair, in name order.
create or replace macro lb_repeated_tasks_of(frame) as table
    select
        benchmark,
        list(distinct task_name order by task_name) as tasks
    from query_table(frame)
    group by benchmark
