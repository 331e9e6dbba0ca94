-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table: every
-- row counts for each language in its list (restricted to the benchmark's language view unless
-- langview is NULL, meaning "all"); in_table marks models with a non-null language score.
-- Without task or language filters the means come from benchmark_language_means (per build).
create or replace macro lb_language_scores(bench, models, tasks, langs, langview, registry_only) as table
with

precomputed as (
    select model_name, language, score
    from benchmark_language_means
    where tasks is null and langs is null
      and benchmark = bench
      and (not registry_only or in_registry)
      and (models is null or model_name in (select unnest(models)))
),

long as (
    from lb_long(bench, models, tasks, langs, false, registry_only)
    where (tasks is not null or langs is not null)
      and (langview is null or language_set in (
          select language_set from language_sets where list_has_any(languages, langview)))
),

exploded as (
    select r.model_name, unnest(l.languages) as language, r.score, r.revision, r.task_name,
           r.row_order
    from long as r
    join language_sets as l using (language_set)
),

computed as (
    -- summed in mteb's frame order (revision, task, entry) so the last bit matches polars
    select model_name, language,
           sum(score order by revision, task_name, row_order) / count(score) as score
    from exploded
    where language is not null and (langview is null or language in (select unnest(langview)))
    group by model_name, language
),

means as (
    select * from precomputed
    union all
    select * from computed
),

final as (
    select *, bool_or(score is not null) over (partition by model_name) as in_table
    from means
)

select * from final
