-- Validity rule main_score_mismatch (quality_rules): an entry whose main_score differs from the
-- value of the metric its task declares as main (tasks.main_score) by more than 1e-4
-- (docs/QUALITY.md §Tolerances). Entries without that metric are not checked.
-- @column rule: Rule code.
-- @column message: Both values.
-- @column value: main_score minus the declared metric's value.
with

declared as (
    select *
    from quality_entry_metrics
    where
        main_metric_value is not null and not isnan(main_metric_value)
        and not isnan(main_score)
),

final as (
    select
        'main_score_mismatch' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        'main_score = ' || cast(main_score as varchar) || ' but ' || main_metric || ' = '
        || cast(main_metric_value as varchar) as message,
        main_score - main_metric_value as value
    from declared
    where abs(main_score - main_metric_value) > 1e-4
)

select * from final
