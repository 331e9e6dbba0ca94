-- Validity rule dataset_revision_mismatch (quality_rules): result files evaluated on a dataset
-- revision other than the one the task defines (tasks.dataset_revision). Files without a
-- dataset revision (NULL or the string `None`) are not checked.
-- @column rule: Rule code.
-- @column message: The file's and the task's dataset revision.
with

files_of as (
    select distinct
        s.model_name, s.revision, s.task_name, s.path, s.dataset_revision,
        t.dataset_revision as task_revision
    from scores as s
    join tasks as t on s.task_name = t.name
    where
        s.experiment is null
        and s.dataset_revision is not null and s.dataset_revision <> 'None'
        and t.dataset_revision is not null
        and s.dataset_revision <> t.dataset_revision
),

final as (
    select
        'dataset_revision_mismatch' as rule,
        model_name, revision, task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        path,
        cast(null as bigint) as entry_id,
        'dataset revision ' || dataset_revision || ', the task defines ' || task_revision
            as message,
        cast(null as double) as value
    from files_of
)

select * from final
