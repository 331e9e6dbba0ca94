-- The validity flags a reader asks for (`mteb-lb flags`, the /quality page, the model page):
-- validity_flags narrowed to one rule, one model and a severity at most as mild as `max_level`
-- (1 errors, 2 and warnings, 3 everything); a NULL argument does not narrow. Ordered by
-- severity, rule, model, task, split, subset.
create or replace macro quality_flags(rule_name, model, max_level) as table
    select
        rule, severity, model_name, revision, task_name, split, subset, benchmark, message, value,
        path
    from validity_flags
    where
        (rule_name is null or rule = rule_name)
        and (model is null or model_name = model)
        and (max_level is null or level <= max_level)
    order by level, rule, model_name, task_name, split, subset, path, message
