-- Per (model, task) scores of a filtered benchmark frame, as mteb's summary computes them:
-- raw_mean is the mean over the model's scored (split, subset) rows, summed in mteb's row order;
-- score is raw_mean nulled when the model scored fewer (subset, split) pairs than the task needs
-- (distinct subsets x distinct splits scored by any model in the frame); in_pivot marks models
-- with at least one non-null score (the rows of the leaderboard tables). The Borda count ranks
-- the raw means per task (lb_borda over model_name, task_name, raw_mean, in_pivot).
--
-- Without a language filter everything comes from benchmark_task_means and
-- benchmark_task_required (computed per build);
-- the pairs a task needs are recounted from rows only under a model filter, for tasks that no
-- selected model covers completely (without one, benchmark_task_required counts the same rows).
-- A language filter removes rows, so then all of it is computed from the rows; so does the
-- "exclude flagged scores" switch (variable lb_exclude_level, lb_flag_excluded).
create or replace macro lb_task_scores(
    bench, models, tasks, langs, public_only, registry_only
) as table
    with

    selected as (
        select
            m.*, coalesce(r.required_registry, 0) as required_registry,
            coalesce(r.required_all, 0) as required_all
        from benchmark_task_means as m
        left join benchmark_task_required as r using (benchmark, task_name)
        where
            langs is null and getvariable('lb_exclude_level') is null
            and benchmark = bench
            and (not registry_only or in_registry)
            and (models is null or model_name in (select unnest(models)))
            and (tasks is null or task_name in (select unnest(tasks)))
            and (not public_only or is_public)
    ),

    long as (
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
        where langs is not null or getvariable('lb_exclude_level') is not null
    ),

    means as (
        select model_name, task_name, task_type, is_public, raw_mean, have_pairs
        from selected
        union all
        select
            model_name,
            task_name,
            any_value(task_type) as task_type,
            bool_and(is_public) as is_public,
            sum(score order by row_order) / count(score) as raw_mean,
            count(distinct row(subset, split)) filter (where score is not null) as have_pairs
        from long
        group by model_name, task_name
    ),

    full_required as (
        select
            task_name,
            any_value(case when registry_only then required_registry else required_all end)
                as required_pairs,
            models is null or bool_or(have_pairs = case
                when registry_only then required_registry
                else required_all
            end) as covered
        from selected
        group by task_name
    ),

    recount as (
    -- rows of tasks that no selected model covers (or of every task under a language filter)
        select task_name, split, subset
        from lb_long(bench, models, tasks, langs, public_only, registry_only)
        where
            score is not null
            and (
                langs is not null or getvariable('lb_exclude_level') is not null
                -- without a model filter benchmark_task_required counted these same rows
                or models is not null and task_name in (
                    select task_name from full_required
                    where not covered
                )
            )
    ),

    required as (
        select task_name, required_pairs from full_required
        where covered
        union all
        select task_name, count(distinct subset) * count(distinct split) as required_pairs
        from recount
        group by task_name
    ),

    nulled as (
        select
            m.model_name,
            m.task_name,
            m.task_type,
            m.is_public,
            m.raw_mean,
            case when m.have_pairs < r.required_pairs then null else m.raw_mean end as score
        from means as m
        left join required as r using (task_name)
    ),

    final as (
        select *, bool_or(score is not null) over (partition by model_name) as in_pivot
        from nulled
    )

    select * from final
