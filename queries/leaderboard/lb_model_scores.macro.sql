-- One row per leaderboard model of a filtered benchmark frame with every summary aggregate, as
-- mteb's _create_summary_table computes them (a mean is NULL when any of its inputs is NULL):
-- Mean (Task), the per-type means (type_means, a map type -> mean) and Mean (TaskType),
-- Mean (Public), Mean (Private), Mean (Subset); the Borda points and rank (over tasks, or over
-- task::subset when by_subset); tasks covered, and the tasks no model has a complete score on
-- (they blank every Mean (Task)); the model's task scores (task_score_map: task -> score, NULL
-- when incomplete, as lb_task_scores gives them); and the zero-shot percentage against the tasks
-- of the table (-1 when the model's training data is unknown), truncated like Python's int().
-- What the Borda rank ranks beyond task_score_map, so that the rank intervals need no second
-- pass (mteb_lb.stats.BordaInputs.from_summary_frame): raw_mean_map (task -> raw mean of the
-- model's incomplete scores, NULL when none) and, on the first row by model name only,
-- outside_raw_means (the models of the frame the table leaves out, each with its raw means).
-- Means sum in a fixed order (task, type, subset names) so equal inputs give equal bits.
-- lb_model_scores_of computes all but the by-subset pieces (Mean (Subset), the Borda count over
-- task::subset), which this macro lays over it when by_subset.
create or replace macro lb_model_scores(
    bench, models, tasks, langs, public_only, registry_only, by_subset
) as table
    with

    lb_ms_task_scores as (  -- noqa: ST03
        from lb_task_scores(bench, models, tasks, langs, public_only, registry_only)
    ),

    by_task as (
        from lb_model_scores_of('lb_ms_task_scores')
    ),

    subset_means as (
        select
            model_name,
            case
                when count(score) = count(*)
                    then sum(score order by task_name, subset) / count(score)
            end as mean_subset
        from lb_subset_scores(bench, models, tasks, langs, public_only, registry_only)
        where by_subset
        group by model_name
    ),

    subset_borda as (
        select model_name, borda_points, borda_rank
        from lb_subset_borda(bench, models, tasks, langs, public_only, registry_only)
        where by_subset
    ),

    final as (
    -- by subset, the Borda count ranks the task::subset pairs instead of the tasks
        select
            t.* replace (
                sm.mean_subset as mean_subset,
                case when by_subset then sb.borda_points else t.borda_points end
                    as borda_points,
                case when by_subset then sb.borda_rank else t.borda_rank end as borda_rank
            )
        from by_task as t
        left join subset_means as sm on t.model_name = sm.model_name
        left join subset_borda as sb on t.model_name = sb.model_name
    )

    select * from final
