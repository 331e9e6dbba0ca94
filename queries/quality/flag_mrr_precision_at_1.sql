-- Validity rule mrr_precision_at_1 (quality_rules): MRR@1 and precision@1 of one entry differ by
-- more than 0.1. Both are the share of queries whose first hit is relevant; rounding to 5
-- decimals and tie-breaking (mteb#5092) explain differences below 0.1, an evaluator bug the
-- ones above (mteb#5228); docs/QUALITY.md §Tolerances shows the distribution.
-- @column rule: Rule code.
-- @column message: Both values.
-- @column value: mrr_at_1 minus precision_at_1.
with

pairs as (
    select *
    from quality_entry_metrics
    where mrr_at_1 is not null and precision_at_1 is not null
),

final as (
    select
        'mrr_precision_at_1' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        'mrr_at_1 = ' || cast(mrr_at_1 as varchar) || ', precision_at_1 = '
        || cast(precision_at_1 as varchar) as message,
        mrr_at_1 - precision_at_1 as value
    from pairs
    where abs(mrr_at_1 - precision_at_1) > 0.1
)

select * from final
