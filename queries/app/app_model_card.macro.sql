-- The dashboard's model page header: the model's metadata (registry first, else its
-- model_meta.json) with how many result files and tasks it has. No row for an unknown name.
create or replace macro app_model_card(model) as table
    with

    result_counts as (
        select
            count(distinct path) as n_files,
            count(distinct task_name) as n_tasks,
            count(distinct revision_folder) as n_revisions
        from scores
        where model_name = model
    ),

    final as (
        select m.*, c.n_files, c.n_tasks, c.n_revisions
        from models as m, result_counts as c
        where m.name = model
    )

    select * from final
