-- Per (model, task) scores of a filtered benchmark frame, as mteb's summary computes them:
-- raw_mean is the mean over the model's scored (split, subset) rows, summed in mteb's row order;
-- score is raw_mean nulled when the model scored fewer (subset, split) pairs than the task needs
-- (distinct subsets x distinct splits scored by any model in the frame); in_pivot marks models
-- with at least one non-null score (the rows of the leaderboard tables). The Borda count ranks
-- the raw means per task (lb_borda over model_name, task_name, raw_mean, in_pivot).
--
-- One of three sources, each its own macro with this signature, chosen by the state's structure:
-- without a model filter, language filter or flag exclusion everything comes from
-- benchmark_task_means and benchmark_task_required, computed per build
-- (lb_task_scores_stored); under a model filter the pairs a task needs are recounted from rows
-- for tasks that no selected model covers completely (lb_task_scores_recount); a language filter
-- removes rows, so then all of it is computed from the rows, as with the "exclude flagged
-- scores" switch (variable lb_exclude_level, lb_flag_excluded; lb_task_scores_rows). This macro
-- is their union, each guarded by its condition; the request path (mteb_lb/rankings.py) calls
-- the one source it needs directly, so that DuckDB binds and optimizes no disabled branch.
create or replace macro lb_task_scores(
    bench, models, tasks, langs, public_only, registry_only
) as table
    select * from lb_task_scores_stored(bench, models, tasks, langs, public_only, registry_only)
    where models is null and langs is null and getvariable('lb_exclude_level') is null
    union all
    select * from lb_task_scores_recount(bench, models, tasks, langs, public_only, registry_only)
    where models is not null and langs is null and getvariable('lb_exclude_level') is null
    union all
    select *
    from lb_task_scores_rows(null, bench, models, tasks, langs, public_only, registry_only)
    where langs is not null or getvariable('lb_exclude_level') is not null
