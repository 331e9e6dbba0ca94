-- title: How did recall@100 move between two revisions of a model?
-- recall_at_100 of one model per (task, split, subset), side by side for its two revisions
-- with the most recall_at_100 values (change the model name in `params`).
with params as (
    select 'sentence-transformers/all-MiniLM-L6-v2' as model_name
),

recall as (
    select s.revision, s.task_name, s.split, s.subset, m.value
    from scores as s
    join metrics as m using (entry_id)
    where s.model_name = (select model_name from params)
      and m.metric = 'recall_at_100'
      and s.experiment is null
),

revisions as (
    select revision, row_number() over (order by count(*) desc, revision) as k
    from recall
    group by revision
),

final as (
    select
        a.task_name,
        a.split,
        a.subset,
        ra.revision as revision_a,
        a.value as recall_a,
        rb.revision as revision_b,
        b.value as recall_b,
        round(b.value - a.value, 4) as delta
    from recall as a
    join revisions as ra on ra.revision = a.revision and ra.k = 1
    join recall as b using (task_name, split, subset)
    join revisions as rb on rb.revision = b.revision and rb.k = 2
)

select * from final
order by abs(delta) desc, task_name
