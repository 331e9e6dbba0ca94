-- @materialize
-- Per (benchmark, model, language): the mean score of the model's rows whose languages include
-- that language, for benchmarks with a per-language view (restricted to the view's languages).
-- Summed in mteb's frame order (revision, task, entry), as polars does. Computed once per build
-- for the unfiltered view; a task or language filter makes lb_language_scores use the rows.
-- @column language: Language-script code, e.g. eng-Latn.
-- @column score: Mean main score (0-1) over the rows covering the language; NULL when none is scored.
with

views as (
    select
        name as benchmark,
        case when language_view = '"all"' then null
             else from_json(language_view, '["VARCHAR"]') end as view_languages
    from benchmarks
    where language_view not in ('[]', 'null') and language_view is not null
),

exploded as (
    select r.benchmark, r.model_name, r.in_registry, unnest(l.languages) as language,
           r.score, r.revision, r.task_name, r.row_order, v.view_languages
    from benchmark_results as r
    join views as v using (benchmark)
    join language_sets as l using (language_set)
),

final as (
    select
        benchmark,
        model_name,
        language,
        bool_and(in_registry) as in_registry,
        sum(score order by revision, task_name, row_order) / count(score) as score
    from exploded
    where language is not null
      and (view_languages is null or list_contains(view_languages, language))
    group by benchmark, model_name, language
)

select * from final
order by benchmark, model_name
