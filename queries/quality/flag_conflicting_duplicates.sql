-- Validity rule conflicting_duplicates (quality_rules): the same (model, revision, task, split,
-- subset) reported by several entries (in one file or in several) whose main scores differ by
-- more than 1e-6. Every entry of the group is flagged; the leaderboard uses one file per
-- (model, task) and averages a file's repeated entries (docs/DATA.md §Entries).
-- @column rule: Rule code.
-- @column message: How many entries, and the lowest and highest score.
-- @column value: Highest minus lowest main score of the group.
with

entries as (
    select entry_id, model_name, revision, task_name, split, subset, path, main_score
    from scores
    where experiment is null and not isnan(main_score)
),

groups as (
    select
        *,
        count(*) over w as n,
        min(main_score) over w as low,
        max(main_score) over w as high
    from entries
    window w as (partition by model_name, revision, task_name, split, subset)
),

final as (
    select
        'conflicting_duplicates' as rule,
        model_name, revision, task_name, split, subset,
        cast(null as varchar) as benchmark,
        path, entry_id,
        n || ' entries with main scores from ' || cast(low as varchar) || ' to '
        || cast(high as varchar) as message,
        high - low as value
    from groups
    where n > 1 and high - low > 1e-6
)

select * from final
