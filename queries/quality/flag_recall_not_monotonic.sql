-- Validity rule recall_not_monotonic (quality_rules): a recall@k lower than the recall at the
-- next smaller k of the same entry by more than 1e-4 (recall can only grow with k; 5-decimal
-- rounding stays below 1e-5; docs/QUALITY.md §Tolerances). One flag per drop.
-- @column rule: Rule code.
-- @column message: The two recalls.
-- @column value: How much recall drops (positive).
with

steps as (
    select
        entry_id, model_name, revision, task_name, split, subset, path,
        unnest(list_slice(recalls, 1, len(recalls) - 1)) as prev,
        unnest(list_slice(recalls, 2, len(recalls))) as cur
    from quality_entry_metrics
    where len(recalls) > 1
),

final as (
    select
        'recall_not_monotonic' as rule,
        steps.model_name, steps.revision, steps.task_name, steps.split, steps.subset,
        cast(null as varchar) as benchmark,
        steps.path, steps.entry_id,
        'recall_at_' || cur.k || ' = ' || cast(cur.value as varchar) || ' < recall_at_' || prev.k
        || ' = ' || cast(prev.value as varchar) as message,
        prev.value - cur.value as value
    from steps
    where prev.value - cur.value > 1e-4
)

select * from final
