-- @materialize per (model_name, task_name)
-- The metrics the validity rules compare, one row per result entry that has any, read from
-- `metrics` in one scan per build (the rules then read this small table): MRR@1, precision@1,
-- the recalls at every k, the value of the task's declared main metric, and bounded metrics
-- (nDCG, MAP, recall, precision, MRR, hit rate at k) outside [0, 1] beyond 1e-6.
-- Experiments are left out.
-- @column main_metric: The metric the task declares as main (tasks.main_score).
-- @column main_metric_value: That metric's value in the entry (NULL when absent).
-- @column recalls: (k, value) of every recall_at_k of the entry, in order of k.
-- @column out_of_range: (metric, value) of the entry's bounded metrics outside [0, 1].
with

main_metrics as (
    select distinct main_score as metric from tasks
    where main_score is not null
),

picked as (
    select
        entry_id, metric, value,
        case
            when metric like 'recall\_at\_%' escape '\' then try_cast(substr(metric, 11) as integer)
        end as k,
        (value < -1e-6 or value > 1 + 1e-6) and not isnan(value) and not isinf(value)
        and regexp_full_match(metric, '(ndcg|map|recall|precision|mrr|hit_rate)_at_[0-9]+')
            as out_of_range
    from metrics
    where
        metric in ('mrr_at_1', 'precision_at_1')
        or metric like 'recall\_at\_%' escape '\'
        or metric in (select metric from main_metrics)
        or (
            (value < -1e-6 or value > 1 + 1e-6) and not isnan(value) and not isinf(value)
            and regexp_full_match(metric, '(ndcg|map|recall|precision|mrr|hit_rate)_at_[0-9]+')
        )
),

entries as (
    select
        s.entry_id, s.model_name, s.revision, s.task_name, s.split, s.subset, s.path,
        s.main_score, t.main_score as main_metric
    from scores as s
    left join tasks as t on s.task_name = t.name
    where s.experiment is null
),

per_entry as (
    select
        p.entry_id,
        max(p.value) filter (where p.metric = 'mrr_at_1') as mrr_at_1,
        max(p.value) filter (where p.metric = 'precision_at_1') as precision_at_1,
        max(p.value) filter (where p.metric = e.main_metric) as main_metric_value,
        list({ 'k': p.k, 'value': p.value } order by p.k) filter (
            where p.k is not null and not isnan(p.value)
        ) as recalls,
        list({ 'metric': p.metric, 'value': p.value } order by p.metric) filter (
            where p.out_of_range
        ) as out_of_range
    from picked as p
    join entries as e using (entry_id)
    where
        p.metric = e.main_metric
        or p.metric in ('mrr_at_1', 'precision_at_1')
        or p.k is not null
        or p.out_of_range
    group by p.entry_id
),

final as (
    select
        e.entry_id, e.model_name, e.revision, e.task_name, e.split, e.subset, e.path,
        e.main_score, e.main_metric, p.main_metric_value, p.mrr_at_1, p.precision_at_1,
        p.recalls, p.out_of_range
    from per_entry as p
    join entries as e using (entry_id)
)

select * from final
order by model_name, task_name
