-- @materialize per (model_name, task_name)
-- Per (benchmark, model, task) whose scored rows repeat a (subset, split) pair (a result file
-- holding two entries of one subset and split): more scored rows than distinct scored pairs
-- (benchmark_task_means.have_pairs). Everywhere else a model's scored rows of a task are its
-- distinct pairs, under any filter too (a subset of rows without a repeat has none), so a
-- request recomputing the means from rows counts them with count(score), and counts distinct
-- only on these tasks (lb_row_task_means_of; mteb_lb/rankings.py reads the table once per
-- build). On the real data: one model and task, in three benchmarks.
-- Recorded per snapshot by the backfill (warehouse.PAST_LATER): a past date before a store
-- recorded it counts every pair distinct.
-- @column scored_rows: The model's scored rows of the task.
-- @column have_pairs: The distinct (subset, split) pairs among them.
with

scored as (
    select benchmark, model_name, task_name, count(*) as scored_rows
    from benchmark_results
    where score is not null
    group by benchmark, model_name, task_name
),

final as (
    select s.benchmark, s.model_name, s.task_name, s.scored_rows, m.have_pairs
    from scored as s
    join benchmark_task_means as m using (benchmark, model_name, task_name)
    where s.scored_rows > m.have_pairs
)

select * from final
order by benchmark, model_name, task_name
