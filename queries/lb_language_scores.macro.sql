-- Per (model, language) means of a filtered benchmark frame, as mteb's per-language table: every
-- row counts for each language in its list (restricted to the benchmark's language view unless
-- langview is NULL, meaning "all"); in_table marks models with a non-null language score.
create or replace macro lb_language_scores(bench, models, tasks, langs, langview, registry_only) as table
with

long as (
    from lb_long(bench, models, tasks, langs, false, registry_only)
),

exploded as (
    select model_name, unnest(languages) as language, score, revision, task_name, row_order
    from long
    where langview is null or len(list_intersect(languages, langview)) > 0
),

means as (
    -- summed in mteb's frame order (revision, task, entry) so the last bit matches polars
    select model_name, language,
           sum(score order by revision, task_name, row_order) / count(score) as score
    from exploded
    where language is not null and (langview is null or language in (select unnest(langview)))
    group by model_name, language
),

final as (
    select *, bool_or(score is not null) over (partition by model_name) as in_table
    from means
)

select * from final
