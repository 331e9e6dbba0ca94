-- lb_per_language over a relation of the calling query (`frame`, with lb_language_scores'
-- columns: model_name, language, score, in_table): lb_per_language is this over
-- lb_language_scores; mteb_lb/rankings.py runs it over lb_language_scores_keyed for a task or
-- language filter without exclusion (the same means, sorted by one integer).
-- @column order_rank: The rank the rows are ordered by (ties by model name).
create or replace macro lb_per_language_of(frame) as table
    with

    means as materialized (
        from query_table(frame)
    ),

    per_language_frame as (  -- noqa: ST03
        select model_name, language as partition_key, score, in_table from means
    ),

    borda as (
        select distinct model_name, borda_rank from lb_borda('per_language_frame')
    ),

    shown as (
        select m.model_name, m.language, m.score, b.borda_rank
        from means as m
        join borda as b using (model_name)
        where m.in_table
    ),

    final as (
        select
            *,
            case
                when count(distinct language) over () = 1
                    then rank() over (order by score desc nulls last)
                else borda_rank
            end as order_rank
        from shown
    )

    select * from final
