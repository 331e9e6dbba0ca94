-- The rows of a benchmark's summary table in the official order (lb_model_scores with the model
-- columns): position is the row's place, 1..n. By default rows follow Rank (Borda); a benchmark
-- with its own sort columns (`benchmarks.summary_sort_column`, MIEB and ViDoRe: the positional
-- rank the table shows in front) or another default sort (HUME: Mean (Subset)) orders by those
-- means, descending, NULLs last. Ties break by model name, so the order is repeatable.
-- The ordering is lb_summary_of's (one definition, also run over the request path's sources).
-- @column position: The row's place in the official order (the positional rank of benchmarks
-- with sort columns).
create or replace macro lb_summary(
    bench, models, tasks, langs, public_only, registry_only, by_subset
) as table
    with

    lb_su_model_scores as (  -- noqa: ST03
        from lb_model_scores(bench, models, tasks, langs, public_only, registry_only, by_subset)
    )

    select * from lb_summary_of('lb_su_model_scores', bench)
