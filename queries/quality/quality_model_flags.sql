-- @materialize
-- The validity flags of models (quality_rules scope `model`: mixed revisions on a benchmark,
-- model_meta.json against the registry), computed in full by every build (a few thousand rows):
-- the mixed revisions from their own table, quality_revision_flags, which an incremental build
-- maintains per model; model_meta.json changes name no changed (model, task) pair, so the
-- metadata flags (a few hundred, from small tables) are recomputed. Read them through
-- validity_flags.
-- @column rule: Rule code (quality_rules).
with

flags as (
    select * from quality_revision_flags
    union all by name
    select * from flag_model_meta_mismatch
)

select
    rule, model_name, revision, task_name, split, subset, benchmark, path, entry_id, message,
    value
from flags
order by model_name
