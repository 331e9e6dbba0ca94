-- Every validity flag of the build (docs/QUALITY.md): the union of the rules' views
-- (queries/quality/flag_*.sql), computed in the build (quality_entry_flags,
-- quality_model_flags), with each rule's severity from quality_rules.
-- @column rule: Rule code (quality_rules.rule).
-- @column severity: `error`, `warning` or `info`.
-- @column level: 1 error, 2 warning, 3 info.
-- @column model_name: The model.
-- @column revision: The model revision of the flagged result or model_meta.json.
-- @column task_name: The task; NULL for a model-level flag.
-- @column split: The split; NULL for a file- or model-level flag.
-- @column subset: The subset; NULL for a file- or model-level flag.
-- @column benchmark: The benchmark of a mixed_revisions flag, else NULL.
-- @column path: The result file or model_meta.json (its provenance); NULL for mixed_revisions.
-- @column entry_id: The flagged entry (scores.entry_id) of an entry-level flag.
-- @column message: What is wrong, with the offending values.
-- @column value: The offending number, when there is one.
with

flags as (
    select * from quality_entry_flags
    union all by name
    select * from quality_model_flags
),

final as (
    select
        f.rule, r.severity, r.level, f.model_name, f.revision, f.task_name, f.split,
        f.subset, f.benchmark, f.path, f.entry_id, f.message, f.value
    from flags as f
    join quality_rules as r using (rule)
)

select * from final
