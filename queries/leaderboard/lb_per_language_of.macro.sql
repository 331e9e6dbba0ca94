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

    -- how many languages the table shows: an aggregate joined to the rows (a DISTINCT window
    -- over them cost ~3-4 ms of one thread on 7 k rows)
    n_languages as (
        select count(distinct language) as n from shown
    ),

    final as (
        select
            s.*,
            case
                when n.n = 1 then rank() over (order by s.score desc nulls last)
                else s.borda_rank
            end as order_rank
        from shown as s, n_languages as n  -- a join, not a scalar subquery (cheaper to plan)
    )

    select * from final
