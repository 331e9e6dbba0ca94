-- The tie-averaged place of the Borda count, defined once: a score's place among the scores of
-- its partition, descending, tied scores sharing the mean of the places they take together,
-- (first + last) / 2: rank() is the first, the count of rows up to the current row's peers the
-- last (one window specification, one sort). A window expression, for a SELECT over the
-- partition's rows; NULL scores come last (the callers give them no place). lb_borda gives a
-- model n_models minus it per partition; benchmark_model_tasks stores it per (model, task) for a
-- task filter's summary (lb_model_scores_lists).
create or replace macro lb_tie_avg_rank(part, score) as (
    rank() over (partition by part order by score desc)
    + count(*) over (partition by part order by score desc)
) / 2.0;
