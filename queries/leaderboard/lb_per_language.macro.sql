-- The per-language table of a filtered benchmark frame, long: each model's mean per language
-- (lb_language_scores) and the row order of mteb's table, a Borda rank over languages: within a
-- language means rank with ties averaged, a model earns n_models - rank per language (n_models:
-- models with any non-null language score), points rank "min".
create or replace macro lb_per_language(
    bench, models, tasks, langs, langview, registry_only
) as table
    with

    means as materialized (
        from lb_language_scores(bench, models, tasks, langs, langview, registry_only)
    ),

    n_models as (
        select count(distinct model_name) as n from means
        where in_table
    ),

    ranked as (
        select
            model_name,
            rank() over (partition by language order by score desc)
            + (count(*) over (partition by language, score) - 1) / 2.0 as avg_rank
        from means
        where score is not null
    ),

    points as (
        select f.model_name, coalesce(sum((select n from n_models) - r.avg_rank), 0) as borda_points
        from (select distinct model_name from means) as f
        left join ranked as r using (model_name)
        group by f.model_name
    ),

    borda as (
        select model_name, rank() over (order by borda_points desc) as borda_rank from points
    ),

    final as (
        select m.model_name, m.language, m.score, b.borda_rank
        from means as m
        join borda as b using (model_name)
        where m.in_table
    )

    select * from final
