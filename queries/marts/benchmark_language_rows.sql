-- @materialize per (model_name, task_name)
-- The rows of benchmarks with a per-language view, one per (row, language of the row) for the
-- view's languages (all of them for an "all" view): what mteb's per-language table explodes on
-- every request, done once per build. Filters keep rows by model, task and language_set.
-- @column language: Language-script code, e.g. eng-Latn.
-- @column score: Main score (0-1); NULL when not scored.
-- @column row_order: The row's position in mteb's frame order within (revision, task).
with

views as (
    select
        name as benchmark,
        case
            when language_view = '"all"' then null
            else from_json(language_view, '["VARCHAR"]')
        end as view_languages
    from benchmarks
    where language_view not in ('[]', 'null') and language_view is not null
),

-- per (view benchmark, language set): the set's languages the view shows, worked out once on the
-- 44 k sets rather than per row after the unnest; a row whose set shows none drops out in the
-- join (docs/PERFORMANCE.md §Twelfth pass: the database half (session 15, build8))
view_sets as (
    select
        v.benchmark,
        l.language_set,
        list_filter(
            l.languages,
            lambda x: x is not null
            and (v.view_languages is null or list_contains(v.view_languages, x))
        ) as languages
    from views as v, language_sets as l
),

final as (
    select
        r.benchmark, r.model_name, r.in_registry, r.task_name, r.revision, r.row_order,
        r.language_set, r.score, unnest(s.languages) as language
    from benchmark_results as r
    join view_sets as s using (benchmark, language_set)
    where len(s.languages) > 0
)

select * from final
order by benchmark, task_name
