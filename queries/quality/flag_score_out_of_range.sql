-- Validity rule score_out_of_range (quality_rules): a bounded metric outside [0, 1]. Bounded:
-- nDCG, MAP, recall, precision, MRR and hit rate at k, and the main score unless the task's main
-- metric can be negative (correlations, p-MRR: then outside [-1, 1]). NaN and infinity are
-- score_not_finite's. Values within 1e-6 of the bounds pass (docs/QUALITY.md §Tolerances).
-- Tasks unknown to the catalog (the speed tasks report seconds) are not checked.
-- @column rule: Rule code.
-- @column message: Metric and value.
-- @column value: The offending value.
with

exploded as (
    select
        entry_id, model_name, revision, task_name, split, subset, path,
        unnest(out_of_range) as bad
    from quality_entry_metrics
    where out_of_range is not null
),

metric_values as (
    select
        entry_id, model_name, revision, task_name, split, subset, path,
        struct_extract(bad, 'metric') as metric, struct_extract(bad, 'value') as value
    from exploded
),

main_values as (
    select
        s.entry_id, s.model_name, s.revision, s.task_name, s.split, s.subset, s.path,
        'main_score' as metric, s.main_score as value
    from scores as s
    inner join tasks as t on s.task_name = t.name
    where
        s.experiment is null and t.main_score is not null
        and not isnan(s.main_score) and not isinf(s.main_score)
        and (
            s.main_score > 1 + 1e-6
            or s.main_score < -1 - 1e-6
            or (
                s.main_score < -1e-6
                and not regexp_matches(t.main_score, 'spearman|pearson|kendall|p-MRR|corr')
            )
        )
),

final as (
    select
        'score_out_of_range' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        metric || ' = ' || cast(value as varchar) || ' (outside its range)' as message,
        value
    from (
        select * from metric_values
        union all by name
        select * from main_values
    ) as bad_values
)

select * from final
