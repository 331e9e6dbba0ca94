-- @materialize
-- The distinct language lists of result entries and benchmark subsets, with their ISO 639-3
-- codes: benchmark_results keeps only the list's hash (language_set), language filters are
-- evaluated here on a few thousand lists, and rows join back by language_set.
-- @column language_set: hash of the list (benchmark_results.language_set).
-- @column iso_codes: The list's languages without script, e.g. [eng, deu].
with

lists as (
    -- distinct first: a million result rows share a few thousand lists
    select distinct languages
    from (
        select languages from stg_scores
        union all
        select languages from benchmark_tasks
    ) as both_sources
),

final as (
    select
        hash(languages) as language_set,
        languages,
        list_distinct(list_transform(languages, lambda l: split_part(l, '-', 1))) as iso_codes
    from lists
)

select * from final
