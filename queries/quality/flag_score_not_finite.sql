-- Validity rule score_not_finite (quality_rules): entries whose main score is NaN or infinite.
-- The rankings read such a score as missing. Experiments are left out, as everywhere.
-- @column rule: Rule code.
-- @column message: The offending value.
-- @column value: The main score as written (NaN or +-Infinity).
with

entries as (
    select entry_id, model_name, revision, task_name, split, subset, path, main_score
    from scores
    where experiment is null and (isnan(main_score) or isinf(main_score))
),

final as (
    select
        'score_not_finite' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        'main_score is ' || cast(main_score as varchar) as message,
        main_score as value
    from entries
)

select * from final
