-- lb_per_task over a relation of the calling query (`frame`, with lb_task_scores' columns):
-- lb_per_task is this over lb_task_scores; mteb_lb/rankings.py runs it over the one
-- task-score source a state needs (rankings._task_scores_source).
create or replace macro lb_per_task_of(frame) as table
    with

    task_scores as materialized (
        from query_table(frame)
    ),

    per_task_frame as (  -- noqa: ST03
        select model_name, task_name as partition_key, raw_mean as score, in_pivot as in_table
        from task_scores
    ),

    borda as (
        select distinct model_name, borda_rank from lb_borda('per_task_frame')
    ),

    final as (
        select s.model_name, s.task_name, s.score, b.borda_rank
        from task_scores as s
        join borda as b using (model_name)
        where s.in_pivot
    )

    select * from final
