-- @materialize per (model_name, task_name)
-- benchmark_language_rows folded per (benchmark, model, language, revision, task): the scored
-- rows' scores as one list in mteb's frame order (row_order), and how many. A per-language mean
-- under a task filter alone sums the selected tasks' rows in the model's frame order, (revision,
-- task, entry): concatenating these lists in (revision, task_name) order and summing the result
-- left to right is that same ordered sum, bit for bit (lb_language_scores_lists), without the
-- per-group sort of every row (MTEB(Multilingual, v2): 67 k lists for 1.09 M rows).
-- Stored in (benchmark, model, language) order: a model's lists are summed together.
-- Today's build only: a past date has no such table (warehouse.TODAY_ONLY_TABLES) and sums the
-- rows (lb_language_scores).
-- @column language: Language-script code, e.g. eng-Latn.
-- @column scores: The scored rows' main scores (0-1) in row_order; empty when none is scored.
-- @column n_scored: How many (the length of scores).
with

final as (
    select
        benchmark,
        model_name,
        language,
        revision,
        task_name,
        in_registry,
        coalesce(
            list(score order by row_order) filter (where score is not null), []
        ) as scores,
        count(score) as n_scored
    from benchmark_language_rows
    group by benchmark, model_name, language, revision, task_name, in_registry
)

select * from final
order by benchmark, model_name, language, revision, task_name
