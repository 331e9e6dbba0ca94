-- The last step of lb_task_scores, one definition for its three sources (stored means, stored
-- means with a recount, rows): `frame` names a relation of the calling query with columns
-- model_name, task_name, task_type, is_public, raw_mean, have_pairs, required_pairs. score is
-- raw_mean nulled when the model scored fewer pairs than the task needs; in_pivot marks models
-- with at least one non-null score (the rows of the leaderboard tables).
create or replace macro lb_task_scores_of(frame) as table
    with

    nulled as (
        select
            model_name, task_name, task_type, is_public, raw_mean,
            case when have_pairs < required_pairs then null else raw_mean end as score
        from query_table(frame)
    ),

    final as (
        select *, bool_or(score is not null) over (partition by model_name) as in_pivot
        from nulled
    )

    select * from final
