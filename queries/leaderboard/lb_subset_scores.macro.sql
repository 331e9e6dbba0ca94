-- Per (model, task, subset) means of a filtered benchmark frame, for benchmarks aggregated per
-- subset (HUME): the mean over splits, nulled when the model scored fewer splits than the task
-- has scored splits in the frame (mteb's _incomplete_subset_pairs).
create or replace macro lb_subset_scores(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    long as (
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
    ),

    scored as (
        select model_name, task_name, split, subset from long
        where score is not null
    ),

    required as (
        select task_name, count(distinct split) as required_splits from scored
        group by task_name
    ),

    have as (
        select model_name, task_name, subset, count(distinct split) as have_splits
        from scored
        group by model_name, task_name, subset
    ),

    means as (
        select
            model_name, task_name, subset,
            sum(score order by row_order) / count(score) as raw_mean
        from long
        group by model_name, task_name, subset
    ),

    final as (
        select
            m.model_name,
            m.task_name,
            m.subset,
            case when h.have_splits < r.required_splits then null else m.raw_mean end as score
        from means as m
        left join have as h using (model_name, task_name, subset)
        left join required as r using (task_name)
    )

    select * from final
