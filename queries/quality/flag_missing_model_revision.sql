-- Validity rule missing_model_revision (quality_rules): result files whose model revision is
-- missing: NULL, `no_revision_available` (old results) or `external` (copied from a model card).
-- @column rule: Rule code.
-- @column message: The revision as recorded.
with

files_of as (
    select distinct model_name, revision, task_name, path
    from scores
    where
        experiment is null
        and (revision is null or revision in ('no_revision_available', 'external'))
),

final as (
    select
        'missing_model_revision' as rule,
        model_name, revision, task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        path,
        cast(null as bigint) as entry_id,
        'model revision is ' || coalesce(revision, 'missing') as message,
        cast(null as double) as value
    from files_of
)

select * from final
