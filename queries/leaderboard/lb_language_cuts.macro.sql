-- Whether the language filter `langs` (ISO 639-3 codes) drops any row of a benchmark's tasks
-- (`tasks`, NULL meaning all of them): cut is true when some row of those tasks holds none of the
-- codes, false when every row matches (a benchmark in one language, or tasks whose every subset
-- is in a selected language). When no row is dropped the filter is a no-op for every table of
-- the state (it only removes rows), so the request path ranks without it (the build's means).
-- Every row of the tasks is checked, whatever the model and registry filters, so "no row dropped"
-- holds under all of them; an uncorrelated EXISTS stops at the first row dropped.
-- @column cut: True when the filter drops a row of the tasks.
create or replace macro lb_language_cuts(bench, tasks, langs) as table
    select exists(
        select 1
        from benchmark_results
        where
            benchmark = bench
            and (tasks is null or task_name in (select unnest(tasks)))
            and not lb_language_match(language_set, langs)
    ) as cut
