-- The per-language table of a filtered benchmark frame, long: each model's mean per language
-- (lb_language_scores) and the row order of mteb's table, the Borda rank over languages
-- (lb_borda; n_models: models with any non-null language score). mteb orders a table of a
-- single language by that language's score instead: order_rank is the rank of the row order
-- (the Borda rank, or the rank by score descending, NULLs last, when there is one language):
-- lb_per_language_of over lb_language_scores.
-- @column order_rank: The rank the rows are ordered by (ties by model name).
create or replace macro lb_per_language(
    bench, models, tasks, langs, langview, registry_only
) as table
    with

    lb_q_language_scores as (  -- noqa: ST03
        from lb_language_scores(bench, models, tasks, langs, langview, registry_only)
    )

    from lb_per_language_of('lb_q_language_scores')
