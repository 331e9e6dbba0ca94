-- @materialize per (benchmark, model_name, language)
-- language_score_lists folded once more, per (benchmark, model, language): the model's lists of
-- that language in mteb's frame order, (revision, task_name), with the task and the registry
-- flag of each. A task filter's per-language mean concatenates its selected tasks' lists in that
-- order and sums the result left to right (lb_language_scores_task_lists): the same numbers in
-- the same order as lb_language_scores_lists' ordered list() of the selected lists, so the same
-- sum bit for bit, with the group-by and its per-group sort done here once per build instead of
-- on every request (MTEB(Multilingual, v2): ~7.9 k rows holding the 67 k lists).
-- The three lists share one order, (revision, task_name, in_registry): language_score_lists'
-- key within a (benchmark, model, language), so their places match.
-- Stored in (benchmark, model, language) order. Kept per (benchmark, model_name, language), its
-- row's key: an incremental build recomputes the rows of the languages whose lists changed, not
-- the model's every language of the benchmark
-- (docs/PERFORMANCE.md §Session 22: the 1 % rerun (rerun15)).
-- Today's build only: a past date has no such table (warehouse.TODAY_ONLY_TABLES) and sums the
-- rows (lb_language_scores).
-- @column language: Language-script code, e.g. eng-Latn.
-- @column task_names: The task of each list, in (revision, task_name) order (a task repeats
--   when the model has results of it under two revisions).
-- @column in_registry: Each list's registry flag (language_score_lists.in_registry).
-- @column score_lists: The lists: each (revision, task)'s scored rows' main scores (0-1) in
--   row_order; an empty list when none is scored.
with

final as (
    select
        benchmark,
        model_name,
        language,
        list(task_name order by revision, task_name, in_registry) as task_names,
        list(in_registry order by revision, task_name, in_registry) as in_registry,
        list(scores order by revision, task_name, in_registry) as score_lists
    from language_score_lists
    group by benchmark, model_name, language
)

select * from final
order by benchmark, model_name, language
