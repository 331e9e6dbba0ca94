-- @materialize per (model_name)
-- The mixed_revisions flags (flag_mixed_revisions: one per model and benchmark whose rows come
-- from several revisions), computed once per build; an incremental build recomputes the models
-- of the changed (model, task) pairs only (a scan of one model's benchmark_results rows instead
-- of all 5 M). Read them through validity_flags (quality_model_flags holds them).
-- @column rule: Rule code (quality_rules).
select
    rule, model_name, revision, task_name, split, subset, benchmark, path, entry_id, message,
    value
from flag_mixed_revisions
