-- title: How did recall@100 move between two revisions of a model?
-- recall_at_100 of one model per (task, split, subset), side by side for the model's two
-- revisions with the most recall_at_100 values (change the model name in `params`). Rows where
-- both revisions were evaluated come first, largest change first; a NULL delta means only one
-- of the two revisions has that task (common: re-runs often cover new tasks only).
with params as (
    select 'intfloat/multilingual-e5-small' as model_name
),

recall as (
    select s.revision, s.task_name, s.split, s.subset, m.value
    from scores as s
    join metrics as m using (entry_id)
    where
        s.model_name = (select model_name from params)
        and m.metric = 'recall_at_100'
        and s.experiment is null
),

revisions as (
    select revision, row_number() over (order by count(*) desc, revision) as k
    from recall
    group by revision
),

rev_a as (
    select r.* from recall as r join revisions as v using (revision)
    where v.k = 1
),

rev_b as (
    select r.* from recall as r join revisions as v using (revision)
    where v.k = 2
),

final as (
    select
        coalesce(a.task_name, b.task_name) as task_name,
        coalesce(a.split, b.split) as split,
        coalesce(a.subset, b.subset) as subset,
        (
            select revision from revisions
            where k = 1
        ) as revision_a,
        a.value as recall_a,
        (
            select revision from revisions
            where k = 2
        ) as revision_b,
        b.value as recall_b,
        round(b.value - a.value, 4) as delta
    from rev_a as a
    full join rev_b as b
        on a.task_name = b.task_name and a.split = b.split and a.subset = b.subset
)

select * from final
order by delta is null, abs(delta) desc, task_name, split asc, subset asc
