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

exploded as (
    select
        r.benchmark, r.model_name, r.in_registry, r.task_name, r.revision, r.row_order,
        r.language_set, r.score, unnest(l.languages) as language, v.view_languages
    from benchmark_results as r
    join views as v using (benchmark)
    join language_sets as l using (language_set)
),

final as (
    select
        benchmark, model_name, in_registry, task_name, revision, row_order, language_set,
        score, language
    from exploded
    where
        language is not null
        and (view_languages is null or list_contains(view_languages, language))
)

select * from final
order by benchmark, task_name
