-- The dashboard's model page: the benchmarks a model has at least one real (non-placeholder)
-- score on, with how many of the benchmark's tasks it covers.
create or replace macro app_model_benchmarks(model) as table
    with

    covered as (
        select benchmark, count(distinct task_name) as n_tasks_run
        from benchmark_results
        where model_name = model and not is_placeholder
        group by benchmark
    ),

    final as (
        select c.benchmark, c.n_tasks_run, len(b.task_names) as n_tasks
        from covered as c
        join benchmarks as b on c.benchmark = b.name
    )

    select * from final
    order by benchmark
