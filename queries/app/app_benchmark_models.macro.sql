-- The dashboard's compare page: the models with at least one real score on a benchmark, with how
-- many of its tasks they cover (for the model pickers).
create or replace macro app_benchmark_models(bench) as table
    with

    covered as (
        select
            model_name, bool_or(in_registry) as in_registry,
            count(distinct task_name) as n_tasks_run
        from benchmark_results
        where benchmark = bench and not is_placeholder
        group by model_name
    )

    select * from covered
    order by model_name
