-- Validity rule conflicting_duplicates (quality_rules): the same (model, revision, task, split,
-- subset) reported by several entries (in one file or in several) whose main scores differ by
-- more than 1e-6. Every entry of the group is flagged; the leaderboard uses one file per
-- (model, task) and averages a file's repeated entries (docs/DATA.md §Entries). Such groups are
-- rare (a dozen repeated keys in 1.29 M entries of the real data): one aggregate on a hash of the
-- five keys finds the candidates (two groups sharing a hash are both kept, never lost), and only
-- their entries are grouped exactly.
-- @column rule: Rule code.
-- @column message: How many entries, and the lowest and highest score.
-- @column value: Highest minus lowest main score of the group.
with

entries as (
    select
        entry_id, model_name, revision, task_name, split, subset, path, main_score,
        hash(model_name, revision, task_name, split, subset) as group_hash
    from scores
    where experiment is null and not isnan(main_score)
),

candidates as (
    select group_hash
    from entries
    group by group_hash
    having count(*) > 1 and max(main_score) - min(main_score) > 1e-6
),

groups as (
    select
        e.*,
        count(*) over w as n,
        min(e.main_score) over w as low,
        max(e.main_score) over w as high
    from entries as e
    semi join candidates using (group_hash)
    window w as (partition by e.model_name, e.revision, e.task_name, e.split, e.subset)
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
