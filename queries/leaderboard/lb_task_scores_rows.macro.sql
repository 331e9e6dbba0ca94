-- lb_task_scores recomputed from the rows (lb_long): under a language filter (it removes rows)
-- or the "exclude flagged scores" switch; the means are lb_row_task_means_of's (`repeated_tasks`:
-- the tasks whose pairs it counts distinct, NULL: all). The same signature as lb_task_scores
-- after `repeated_tasks`.
create or replace macro lb_task_scores_rows(
    repeated_tasks, bench, models, tasks, langs, public_only, registry_only
) as table
    with

    long as materialized (  -- noqa: ST03
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
    ),

    lb_row_means as (  -- noqa: ST03
        from lb_row_task_means_of('long', repeated_tasks)
    )

    select * from lb_task_scores_of('lb_row_means')
