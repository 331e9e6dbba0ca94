-- The per-language table of a filtered benchmark frame, long: each model's mean per language
-- (lb_language_scores) and the row order of mteb's table, the Borda rank over languages
-- (lb_borda; n_models: models with any non-null language score). mteb orders a table of a
-- single language by that language's score instead: order_rank is the rank of the row order
-- (the Borda rank, or the rank by score descending, NULLs last, when there is one language).
-- @column order_rank: The rank the rows are ordered by (ties by model name).
create or replace macro lb_per_language(
    bench, models, tasks, langs, langview, registry_only
) as table
    with

    means as materialized (
        from lb_language_scores(bench, models, tasks, langs, langview, registry_only)
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
