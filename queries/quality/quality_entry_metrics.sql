-- @materialize per (model_name, task_name)
-- The metrics the validity rules compare, one row per result entry that a rule could flag:
-- MRR@1, precision@1, the recalls at every k, the value of the task's declared main metric, and
-- bounded metrics (nDCG, MAP, recall, precision, MRR, hit rate at k) outside [0, 1] beyond 1e-6.
-- An entry has a row when its main metric differs from its main score, its MRR@1 and
-- precision@1 differ by more than 1e-5, a recall drops by more than 1e-5 as k grows, or a
-- bounded metric is out of range (etl/parse.py CHECK_FLOOR: 1e-5 is rounding, below every
-- rule's tolerance): 9.6 k of the 1.29 M entries of the real data. The distributions of
-- docs/QUALITY.md §Tolerances come from `metrics`, which holds every value.
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
