-- @materialize per (benchmark, model_name)
-- @same set of benchmark_results ("revision", "task_name", "is_placeholder")
-- The mixed_revisions flags (flag_mixed_revisions: one per model and benchmark whose rows come
-- from several revisions), computed once per build. A key's flag depends only on the distinct
-- (revision, task) of its rows that are not placeholders: an incremental build recomputes a
-- (benchmark, model) key only when the changed pairs' rows name another set of (revision, task,
-- placeholder) than before (a changed score recomputes nothing; per model it read ~5 M
-- benchmark_results rows at 1 %). Read them through validity_flags (quality_model_flags holds
-- them).
-- @column rule: Rule code (quality_rules).
select
    rule, model_name, revision, task_name, split, subset, benchmark, path, entry_id, message,
    value
from flag_mixed_revisions
