-- The models a benchmark's tables keep under the leaderboard's model filters (mteb's
-- _filter_models): parameter range in billions (unknown sizes drop out once a bound is set,
-- unless keep_unknown_size), open weights, instruction use, sentence-transformers compatibility,
-- model types (any overlap), and the zero-shot setting against the selected tasks
-- ('allow_all', 'remove_unknown', 'only_zero_shot'). NULL arguments do not filter.
create or replace macro lb_models(
    bench, min_params_b, max_params_b, keep_unknown_size,
    open_weights_only, instructions, st_only, model_types,
    zero_shot, tasks, registry_only) as table
    with

    candidates as (
    -- benchmark_task_means: a row per (model, task) of benchmark_results, in_registry as theirs
        select distinct model_name
        from benchmark_task_means
        where benchmark = bench and (not registry_only or in_registry)
    ),

    trained as (
        select model_name, count(*) as n_trained_selected
        from model_training
        where tasks is not null and task_name in (select unnest(tasks))
        group by model_name
    ),

    final as (
        select m.name as model_name
        from candidates as c
        join models as m on c.model_name = m.name
        left join trained as t on m.name = t.model_name
        where (
            min_params_b is null and max_params_b is null
            or m.n_parameters is null and keep_unknown_size
            or m.n_parameters is not null
            and (min_params_b is null or m.n_parameters >= min_params_b * 1e9)
            and (max_params_b is null or m.n_parameters <= max_params_b * 1e9)
        )
        and (open_weights_only is null or m.open_weights = open_weights_only)
        and (instructions is null or m.use_instructions = instructions)
        and (not st_only or list_contains(m.framework, 'Sentence Transformers'))
        and (model_types is null or len(list_intersect(m.model_type, model_types)) > 0)
        and (
            zero_shot = 'allow_all'
            or zero_shot = 'remove_unknown'
            and (m.training_known or len(coalesce(tasks, [])) = 0)
            or zero_shot = 'only_zero_shot'
            and (
                len(coalesce(tasks, [])) = 0
                or m.training_known and coalesce(t.n_trained_selected, 0) = 0
            )
        )
    )

    select * from final
