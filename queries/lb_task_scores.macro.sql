-- Per (model, task) scores of a filtered benchmark frame, as mteb's summary computes them:
-- raw_mean is the mean over the model's scored (split, subset) rows (what Borda ranks), score is
-- raw_mean nulled when the model scored fewer (subset, split) pairs than the task needs
-- (distinct subsets x distinct splits scored by any model in the frame). in_pivot marks models
-- with at least one non-null score: the rows of the leaderboard tables.
create or replace macro lb_task_scores(bench, models, tasks, langs, public_only, registry_only) as table
with

long as (
    from lb_long(bench, models, tasks, langs, public_only, registry_only)
),

scored as (
    select model_name, task_name, split, subset from long where score is not null
),

required as (
    select task_name, count(distinct subset) * count(distinct split) as required_pairs
    from scored
    group by task_name
),

have as (
    select model_name, task_name, count(distinct (subset, split)) as have_pairs
    from scored
    group by model_name, task_name
),

means as (
    select model_name, task_name, any_value(task_type) as task_type,
           bool_and(is_public) as is_public,
           -- summed in mteb's frame order: the last bit decides ties in Borda
           sum(score order by row_order) / count(score) as raw_mean
    from long
    group by model_name, task_name
),

nulled as (
    select
        m.model_name,
        m.task_name,
        m.task_type,
        m.is_public,
        m.raw_mean,
        case when h.have_pairs < r.required_pairs then null else m.raw_mean end as score
    from means as m
    left join have as h using (model_name, task_name)
    left join required as r using (task_name)
),

final as (
    select *, bool_or(score is not null) over (partition by model_name) as in_pivot
    from nulled
)

select * from final
