-- lb_summary's ordering and model columns over a relation of the calling query (`frame`, with
-- lb_model_scores' columns) of benchmark `bench`: lb_summary is this over lb_model_scores;
-- mteb_lb/rankings.py runs it over lb_model_scores_of and the task-score source the state needs.
-- @column position: The row's place in the official order (the positional rank of benchmarks
-- with sort columns).
create or replace macro lb_summary_of(frame, bench) as table
    with

    sort_keys as (
        select
            case
                when summary_sort_column is null then []
                when json_type(summary_sort_column) = 'ARRAY'
                    then from_json(summary_sort_column, '["VARCHAR"]')
                else [summary_sort_column ->> '$']
            end
            || case
                when summary_sort_column is null and summary_default_sort != 'Rank (Borda)'
                    then [summary_default_sort]
                else []
            end as keys
        from benchmarks
        where name = bench
    ),

    model_scores as (
        from query_table(frame)
    ),

    scores as (
        select
            s.*, m.active_params_b, m.total_params_b, m.embed_dim, m.max_tokens,
            m.release_date
        from model_scores as s
        join models as m on s.model_name = m.name
    ),

    keyed as (
        select
            s.*,
            len(k.keys) as n_keys,
            [
                case key
                    when 'Mean (Task)' then s.mean_task
                    when 'Mean (TaskType)' then s.mean_task_type
                    when 'Mean (Public)' then s.mean_public
                    when 'Mean (Private)' then s.mean_private
                    when 'Mean (Subset)' then s.mean_subset
                end
                for key in k.keys
            ] as sort_values
        from scores as s, sort_keys as k
    ),

    final as (
        select
            * exclude (n_keys, sort_values),
            row_number() over (
                order by
                    case when n_keys = 0 then borda_rank end asc nulls last,
                    sort_values[1] desc nulls last,
                    sort_values[2] desc nulls last,
                    sort_values[3] desc nulls last,
                    model_name asc
            ) as position
        from keyed
    )

    select * from final
