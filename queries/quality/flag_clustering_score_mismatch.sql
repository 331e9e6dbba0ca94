-- Validity rule clustering_score_mismatch (quality_rules): a clustering entry whose main score
-- differs by more than 1e-4 from the mean of its own `v_measures` (metric_arrays: one v-measure
-- per clustering experiment, or one list per label level, `v_measures.Level <i>`, all levels'
-- values together), which mteb reports as the main score (v_measure). Entries without
-- v_measures, or with a NaN or null among them, are not checked (docs/QUALITY.md §Tolerances).
-- @column rule: Rule code.
-- @column message: The main score, and the mean and number of the v_measures.
-- @column value: main_score minus the mean of the v_measures.
with

v_measures as (
    select
        entry_id,
        sum(list_sum(values)) as total,
        sum(len(values)) as n,
        bool_or(list_count(values) < len(values) or isnan(list_sum(values))) as has_missing
    from metric_arrays
    where metric = 'v_measures' or metric like 'v_measures.Level %'
    group by entry_id
),

entries as (
    select
        s.model_name, s.revision, s.task_name, s.split, s.subset, s.path, s.entry_id,
        s.main_score, v.n, v.total / v.n as mean
    from v_measures as v
    join scores as s using (entry_id)
    where
        s.experiment is null and not isnan(s.main_score) and v.n > 0 and not v.has_missing
),

final as (
    select
        'clustering_score_mismatch' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        'main_score = ' || cast(main_score as varchar) || ' but the mean of its ' || n
        || ' v_measures = ' || cast(mean as varchar) as message,
        main_score - mean as value
    from entries
    where abs(main_score - mean) > 1e-4
)

select * from final
