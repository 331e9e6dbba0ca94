-- title: Which results were run with mteb < 1.12?
-- Result files whose top-level mteb_version is below 1.12, per model and version. Versions
-- are compared numerically (1.9 < 1.11); files without a version (the legacy layout) are left
-- out because their version is unknown.
with versions as (
    select distinct
        path,
        model_name,
        mteb_version,
        [
            try_cast(part as integer)
            for part in string_split(regexp_extract(mteb_version, '^[0-9]+(\.[0-9]+)*'), '.')]
            as version_parts
    from scores
    where regexp_matches(mteb_version, '^[0-9]')
),

final as (
    select model_name, mteb_version, count(*) as n_files
    from versions
    where version_parts < [1, 12]
    group by model_name, mteb_version
)

select * from final
order by model_name, mteb_version
