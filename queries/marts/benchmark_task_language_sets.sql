-- @materialize per (benchmark, task_name)
-- @same set of benchmark_results (language_set, in_registry, subset, split, score IS NOT NULL)
-- Per (benchmark, task): the distinct language sets of its rows (scored or not), with the
-- rows' registry and public flags, subsets, splits and whether they hold a score. A language
-- filter's summary keeps a task whole (the build's means, lb_language_task_means) when every row
-- of the frame holds a selected language; these combinations answer that (MTEB(Multilingual,
-- v2): ~54 k of them against 2.29 M rows, the scan of the candidate tasks' ~390 k rows under
-- `eng`). For the tasks it cuts, the scored combinations that match give the pairs the task
-- needs, and set_position numbers the task's language sets for benchmark_task_score_lists.
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date reads the rows
-- (lb_task_scores_rows). Maintained per changed (benchmark, task) by an incremental build
-- (etl/maintain.py); a changed score keeps a key's rows. (is_public is the task's, fixed by the
-- catalog snapshot, whose change rebuilds in full: the set leaves it out.)
-- @column language_set: The rows' language set (language_sets.language_set).
-- @column in_registry: Whether the model of such a row is in mteb's model registry.
-- @column is_public: Whether the task is public.
-- @column subset: The rows' subset.
-- @column split: The rows' split.
-- @column scored: Whether the rows hold a score (a NULL score is a placeholder or a NaN).
-- @column set_position: The language set's place (1, 2, ...) among the task's distinct language
--   sets in ascending order, NULL last: the index of a language filter's per-set mask.
with

combinations as (
    select distinct
        benchmark, task_name, language_set, in_registry, is_public, subset, split,
        score is not null as scored
    from benchmark_results
),

final as (
    select
        *,
        dense_rank() over (
            partition by benchmark, task_name order by language_set
        )::uinteger as set_position
    from combinations
)

select * from final
order by benchmark, task_name, language_set, in_registry, is_public, subset, split, scored
