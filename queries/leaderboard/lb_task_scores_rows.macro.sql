-- lb_task_scores recomputed from the rows (lb_long): under a language filter (it removes rows)
-- or the "exclude flagged scores" switch. The per (model, task) means and required pairs are
-- lb_language_task_means' (which keeps the build's means for the tasks a language filter keeps
-- whole). The same signature as lb_task_scores.
create or replace macro lb_task_scores_rows(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    lb_row_means as (  -- noqa: ST03
        from lb_language_task_means(bench, models, tasks, langs, public_only, registry_only)
    )

    select * from lb_task_scores_of('lb_row_means')
