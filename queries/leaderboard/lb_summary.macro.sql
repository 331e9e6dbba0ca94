-- The rows of a benchmark's summary table in the official order (lb_model_scores with the model
-- columns): position is the row's place, 1..n. By default rows follow Rank (Borda); a benchmark
-- with its own sort columns (`benchmarks.summary_sort_column`, MIEB and ViDoRe: the positional
-- rank the table shows in front) or another default sort (HUME: Mean (Subset)) orders by those
-- means, descending, NULLs last. Ties break by model name, so the order is repeatable.
-- @column position: The row's place in the official order (the positional rank of benchmarks
-- with sort columns).
create or replace macro lb_summary(
    bench, models, tasks, langs, public_only, registry_only, by_subset
) as table
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
        from lb_model_scores(bench, models, tasks, langs, public_only, registry_only, by_subset)
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
