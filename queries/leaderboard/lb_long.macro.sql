-- One benchmark's long frame after the leaderboard's filters: the models kept by the model
-- filters, the tasks kept by the benchmark customisation, and (when some languages are
-- deselected) only the rows whose languages include a selected one (ISO 639-3 code, script
-- ignored), as mteb's update_tables does. A NULL argument means "no filter".
-- public_only keeps public tasks only (RTEB summaries). The "exclude flagged scores" switch
-- drops flagged rows here, before any ranking (lb_flag_excluded).
create or replace macro lb_long(bench, models, tasks, langs, public_only, registry_only) as table
    select *
    from benchmark_results
    where
        benchmark = bench
        and (not registry_only or in_registry)
        and (models is null or model_name in (select unnest(models)))
        and (tasks is null or task_name in (select unnest(tasks)))
        and lb_language_match(language_set, langs)
        and (not public_only or is_public)
        and not lb_flag_excluded(model_name, task_name, row_order)
