-- The validity flags of this build that the previous build did not have, as
-- docs/QUALITY.md §New flags
-- describes them: validity_flags without the flags whose keys (a hash of the columns below but
-- severity, level, entry_id and value) quality_previous_flags holds (filled when the build is
-- published, etl/flag_changes.py), a flag being the same rule on the same result or model with
-- the same message (its offending values). Empty on the first build. The /changes page lists
-- them.
-- @column rule: Rule code (quality_rules.rule).
-- @column severity: `error`, `warning` or `info`.
-- @column level: 1 error, 2 warning, 3 info.
-- @column path: The result file or model_meta.json (its provenance); NULL for mixed_revisions.
-- @column message: What is wrong, with the offending values.
with

previous as (
    select flag_key from quality_previous_flags
),

final as (
    select
        v.rule, v.severity, v.level, v.model_name, v.revision, v.task_name, v.split,
        v.subset, v.benchmark, v.path, v.entry_id, v.message, v.value
    from validity_flags as v
    where
        hash(
            v.rule, v.model_name, v.revision, v.task_name, v.split, v.subset, v.benchmark,
            v.path, v.message
        ) not in (select p.flag_key from previous as p)
)

select * from final
