-- The last step of lb_task_scores_recount and lb_task_scores_recount_stored: `frame` names a
-- relation of the calling query with lb_task_means_stored's rows of the state, whether no model
-- of the state covers the row's task completely (uncovered: lb_task_uncovered_of) and the
-- required pairs recounted over the selected models (recounted_pairs, NULL for a task not
-- recounted or that no selected model scored). An uncovered task takes the recounted count, the
-- others keep the stored count (the same number); then lb_task_scores_of.
create or replace macro lb_task_scores_recounted_of(frame) as table
    with

    lb_recounted_means as (  -- noqa: ST03
        select
            model_name, task_name, task_type, is_public, raw_mean, have_pairs,
            case when uncovered then recounted_pairs else required_pairs end as required_pairs
        from query_table(frame)
    )

    select * from lb_task_scores_of('lb_recounted_means')
