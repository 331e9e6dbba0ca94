-- The last step of lb_task_scores_recount and lb_task_scores_recount_stored: `frame` names a
-- relation of the calling query with lb_task_means_stored's rows of the state and the required
-- pairs recounted over the selected models (recounted_pairs, NULL for a task not recounted). A
-- task that no model of the frame covers completely (lb_task_uncovered_of) takes the recounted
-- count (NULL when no selected model scored it), the others keep the stored count (the same
-- number); then lb_task_scores_of.
create or replace macro lb_task_scores_recounted_of(frame) as table
    with

    recount_frame as materialized (
        from query_table(frame)
    ),

    lb_recounted_means as (  -- noqa: ST03
        select
            model_name, task_name, task_type, is_public, raw_mean, have_pairs,
            case
                when task_name in (select task_name from lb_task_uncovered_of('recount_frame'))
                    then recounted_pairs
                else required_pairs
            end as required_pairs
        from recount_frame
    )

    select * from lb_task_scores_of('lb_recounted_means')
