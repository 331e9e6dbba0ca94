-- Whether the language filter `langs` (ISO 639-3 codes) drops any row of a benchmark's tasks
-- (`tasks`, NULL meaning all of them): cut is true when some row of those tasks holds none of the
-- codes, false when every row matches (a benchmark in one language, or tasks whose every subset
-- is in a selected language). When no row is dropped the filter is a no-op for every table of
-- the state (it only removes rows), so the request path ranks without it (the build's means).
-- Every row of the tasks is checked, whatever the model and registry filters, so "no row dropped"
-- holds under all of them; an uncorrelated EXISTS stops at the first row dropped. `task_sets`
-- names the relation read, with benchmark_results' benchmark, task_name and language_set:
-- benchmark_task_language_sets (their distinct combinations, ~2 % of MTEB(Multilingual, v2)'s
-- rows; today's build) or benchmark_results itself (a build without that table, a past date).
-- @column cut: True when the filter drops a row of the tasks.
create or replace macro lb_language_cuts(task_sets, bench, tasks, langs) as table
    select exists(
        select 1
        from query_table(task_sets)
        where
            benchmark = bench
            and (tasks is null or task_name in (select unnest(tasks)))
            and not lb_language_match(language_set, langs)
    ) as cut
