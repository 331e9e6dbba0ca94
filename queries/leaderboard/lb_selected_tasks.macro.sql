-- The tasks a benchmark's tables keep under the task filters, in the benchmark's order (mteb's
-- _cache_update_task_list, the benchmark customisation): a task stays when its type is one of
-- task_types and its domains, languages and modalities (when it has any) overlap the chosen
-- ones; the explicit task list narrows further. A NULL argument does not filter.
-- @column task_name: A task of the benchmark that the filters keep.
-- @column position: Its place in the benchmark's task list (1-based).
create or replace macro lb_selected_tasks(
    bench, task_types, domains, languages, modalities, task_list
) as table
    with

    benchmark_tasks as (
        select
            unnest(task_names) as task_name,
            generate_subscripts(task_names, 1) as position
        from benchmarks
        where name = bench
    ),

    final as (
        select b.task_name, b.position
        from benchmark_tasks as b
        left join tasks as t on b.task_name = t.name
        where
            (task_types is null or list_contains(task_types, t.type))
            and (
                domains is null or len(coalesce(t.domains, [])) = 0
                or len(list_intersect(t.domains, domains)) > 0
            )
            and (
                languages is null or len(coalesce(t.languages, [])) = 0
                or len(list_intersect(t.languages, languages)) > 0
            )
            and (
                modalities is null or len(coalesce(t.modalities, [])) = 0
                or len(list_intersect(t.modalities, modalities)) > 0
            )
            and (task_list is null or list_contains(task_list, b.task_name))
    )

    select * from final
