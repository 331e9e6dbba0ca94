-- Validity rule conflicting_duplicates (quality_rules): the same (model, revision, task, split,
-- subset) reported by several entries (in one file or in several) whose main scores differ by
-- more than 1e-6. Every entry of the group is flagged; the leaderboard uses one file per
-- (model, task) and averages a file's repeated entries (docs/DATA.md §Entries). Such groups are
-- rare (a dozen repeated keys in 1.29 M entries of the real data): one aggregate on a hash of the
-- five keys finds the candidates (two groups sharing a hash are both kept, never lost), and only
-- their entries are read in full and grouped exactly (the aggregate reads the keys and scores
-- only: the entries' paths are read for the candidates, not for every entry).
-- @column rule: Rule code.
-- @column message: How many entries, and the lowest and highest score.
-- @column value: Highest minus lowest main score of the group.
with

keys as (
    select
        hash(model_name, revision, task_name, split, subset) as group_hash,
        main_score
    from scores
    where experiment is null and not isnan(main_score)
),

candidates as (
    select group_hash
    from keys
    group by group_hash
    having count(*) > 1 and max(main_score) - min(main_score) > 1e-6
),

groups as (
    select
        s.entry_id, s.model_name, s.revision, s.task_name, s.split, s.subset, s.path,
        count(*) over w as n,
        min(s.main_score) over w as low,
        max(s.main_score) over w as high
    from scores as s
    where
        s.experiment is null and not isnan(s.main_score)
        and hash(s.model_name, s.revision, s.task_name, s.split, s.subset)
        in (select c.group_hash from candidates as c)
    window w as (partition by s.model_name, s.revision, s.task_name, s.split, s.subset)
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
