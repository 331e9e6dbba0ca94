-- @materialize per (model_name, task_name)
-- The validity flags of results (quality_rules scopes `entry` and `file`), computed once per
-- build; an incremental build recomputes the (model, task) pairs that changed. Read them
-- through validity_flags.
-- @column rule: Rule code (quality_rules).
-- @column split: The entry's split; NULL when the flag concerns the whole file.
-- @column subset: The entry's subset; NULL when the flag concerns the whole file.
-- @column entry_id: The flagged entry (scores.entry_id); NULL for a file-level flag.
with

flags as (
    select * from flag_score_not_finite
    union all by name
    select * from flag_score_out_of_range
    union all by name
    select * from flag_main_score_mismatch
    union all by name
    select * from flag_mrr_precision_at_1
    union all by name
    select * from flag_recall_not_monotonic
    union all by name
    select * from flag_known_evaluator_bug
    union all by name
    select * from flag_conflicting_duplicates
    union all by name
    select * from flag_missing_model_revision
    union all by name
    select * from flag_dataset_revision_mismatch
    union all by name
    select * from flag_missing_splits
)

select
    rule, model_name, revision, task_name, split, subset, benchmark, path, entry_id, message,
    value
from flags
order by model_name, task_name
