-- @materialize per (model_name, task_name)
-- The validity flags of results (quality_rules scopes `entry` and `file`), computed once per
-- build; an incremental build recomputes the (model, task) pairs that changed. Read them
-- through validity_flags.
-- @column rule: Rule code (quality_rules).
-- @column split: The entry's split; NULL when the flag concerns the whole file.
-- @column subset: The entry's subset; NULL when the flag concerns the whole file.
-- @column entry_id: The flagged entry (scores.entry_id); NULL for a file-level flag.
-- @column on_board: Whether the flagged file is the one the leaderboards use for its (model,
--   task) (chosen_results): only those flags mark or drop a leaderboard score.
with

flags as (
    select * from flag_score_not_finite
    union all by name
    select * from flag_score_out_of_range
    union all by name
    select * from flag_main_score_mismatch
    union all by name
    select * from flag_clustering_score_mismatch
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
),

chosen as (
    select path, true as on_board from chosen_results
)

select
    f.rule, f.model_name, f.revision, f.task_name, f.split, f.subset, f.benchmark, f.path,
    f.entry_id, f.message, f.value, coalesce(c.on_board, false) as on_board
from flags as f
left join chosen as c using (path)
order by f.model_name, f.task_name
