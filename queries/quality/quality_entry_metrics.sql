-- @materialize per (model_name, task_name)
-- The metrics the validity rules compare, one row per result entry that has any: MRR@1,
-- precision@1, the recalls at every k, the value of the task's declared main metric, and
-- bounded metrics (nDCG, MAP, recall, precision, MRR, hit rate at k) outside [0, 1] beyond 1e-6;
-- except the entries whose only such metric is their main metric, equal to their main score
-- (most entries of the tasks that are not retrieval: nothing to flag there).
-- The parser picks them from each entry's metrics as it writes `metrics` (the `entry_checks`
-- table, etl/parse.py entry_checks), so no build rescans `metrics`; this view adds the entry's
-- identity. Experiments are left out.
-- @column main_metric: The metric the task declares as main (tasks.main_score).
-- @column main_metric_value: That metric's value in the entry (NULL when absent).
-- @column recalls: (k, value) of every recall_at_k of the entry, in order of k.
-- @column out_of_range: (metric, value) of the entry's bounded metrics outside [0, 1].
with

entries as (
    select
        s.entry_id, s.model_name, s.revision, s.task_name, s.split, s.subset, s.path,
        s.main_score, t.main_score as main_metric
    from scores as s
    left join tasks as t on s.task_name = t.name
    where s.experiment is null
),

final as (
    select
        e.entry_id, e.model_name, e.revision, e.task_name, e.split, e.subset, e.path,
        e.main_score, e.main_metric, c.main_metric_value, c.mrr_at_1, c.precision_at_1,
        c.recalls, c.out_of_range
    from entry_checks as c
    join entries as e using (entry_id)
)

select * from final
