-- Validity rule known_evaluator_bug (quality_rules): result files of a task in
-- known_evaluator_bugs written by an mteb version in the bug's range. Versions compare by their
-- numeric release part (mteb_versions.min_version: the lower end of a range, no dev suffix).
-- @column rule: Rule code.
-- @column message: The version, the bug and its reference.
with

files_of as (
    select distinct
        s.model_name, s.revision, s.task_name, s.path, v.min_version,
        list_transform(
            string_split(regexp_extract(v.min_version, '^[0-9]+(\.[0-9]+)*', 0), '.'),
            lambda x: cast(x as integer)
        ) as version
    from scores as s
    join mteb_versions as v using (mteb_version)
    where s.experiment is null and v.min_version is not null
),

bugs as (
    select
        *,
        list_transform(string_split(fixed_version, '.'), lambda x: cast(x as integer)) as fixed,
        list_transform(string_split(min_version, '.'), lambda x: cast(x as integer)) as lowest
    from known_evaluator_bugs
),

matched as (
    select
        f.model_name,
        f.revision,
        f.task_name,
        f.path,
        f.min_version,
        b.bug,
        b.fixed_version,
        b.reference
    from files_of as f
    join bugs as b using (task_name)
    where
        f.version < b.fixed
        and (b.lowest is null or f.version >= b.lowest)
),

final as (
    select
        'known_evaluator_bug' as rule,
        model_name, revision, task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        path,
        cast(null as bigint) as entry_id,
        'mteb ' || min_version || ' < ' || fixed_version || ': ' || bug || ' (' || reference
        || ')' as message,
        cast(null as double) as value
    from matched
)

select * from final
