-- @materialize per (benchmark, task_name)
-- @stable set of benchmark_results ("language_set")
-- Per (benchmark, model, task) with a scored row: the scored rows' main scores as one list in
-- mteb's row order (row_order), and beside each the place of the row's language set among the
-- task's (benchmark_task_language_sets.set_position). A language filter's summary recomputes
-- the means of the tasks it cuts (lb_language_task_means): it turns the filter into one mask per
-- task over those places, keeps the matching scores of each list and sums them left to right
-- with list_sum: the same numbers in the same order as the ordered sum over the matching rows,
-- so the same mean bit for bit, without the per-request scan, join and per-group sort of the
-- rows (MTEB(Multilingual, v2): ~1 M scored rows in ~27 k lists, ~7 k language sets).
-- Kept per (benchmark, task): the places number the task's sets over every model's rows, so a
-- key whose set of language sets changes is recomputed; one whose set is the same recomputes
-- its affected pairs' rows only (`@stable set`).
-- Today's build only (warehouse.TODAY_ONLY_TABLES): a past date reads the rows
-- (lb_task_scores_rows).
-- @column in_registry: Whether the model is in mteb's model registry.
-- @column task_type: The task's type.
-- @column is_public: Whether the task is public.
-- @column scores: The scored rows' main scores (0-1) in row_order.
-- @column set_positions: Each row's language set's place (set_position).
-- @column pairs: Each row's (subset, split), only where the model's scored rows of the task
--   repeat a pair (benchmark_pair_repeats; NULL elsewhere: its rows are its distinct pairs).
with

positions as (
    select distinct benchmark, task_name, language_set, set_position
    from benchmark_task_language_sets
),

scored as (
    select
        r.benchmark,
        r.model_name,
        r.task_name,
        r.in_registry,
        r.task_type,
        r.is_public,
        r.row_order,
        r.subset,
        r.split,
        r.score,
        p.set_position,
        x.model_name is not null as repeats
    from benchmark_results as r
    join positions as p
        on
            r.benchmark = p.benchmark
            and r.task_name = p.task_name
            and r.language_set is not distinct from p.language_set
    left join benchmark_pair_repeats as x
        on
            r.benchmark = x.benchmark
            and r.model_name = x.model_name
            and r.task_name = x.task_name
    where r.score is not null
),

final as (
    select
        benchmark,
        model_name,
        task_name,
        in_registry,
        any_value(task_type) as task_type,
        bool_and(is_public) as is_public,
        list(score order by row_order) as scores,
        list(set_position order by row_order) as set_positions,
        list(struct_pack(subset, split) order by row_order) filter (where repeats) as pairs
    from scored
    group by benchmark, model_name, task_name, in_registry
)

select * from final
order by benchmark, task_name, model_name
