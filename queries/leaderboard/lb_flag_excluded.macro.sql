-- Whether a row of a benchmark frame (benchmark_results, benchmark_language_rows) is dropped by
-- the "exclude flagged scores" switch (state field exclude_flags, docs/QUALITY.md): the
-- session variable lb_exclude_level (set by mteb_lb/rankings.py on the query's own cursor; NULL,
-- the default, drops nothing) is the mildest severity level dropped (1 errors, 2 and warnings).
-- A row goes when the result file the board uses for its (model, task) (quality_entry_flags
-- .on_board: the frame's rows of a (model, task) all come from that one file) has a flag of that
-- level: a file-level flag drops all its rows, an entry-level flag the row of that entry
-- (row_order is the entry's position in its file). A flag on another file of the same (model,
-- revision, task) drops nothing. Model-level flags drop nothing. The subqueries are
-- uncorrelated: the arguments are column names of the caller's frame.
create or replace macro lb_flag_excluded(model, task, entry_no) as
getvariable('lb_exclude_level') is not null
and (
    row(model, task) in (
        select row(f.model_name, f.task_name)
        from quality_entry_flags as f
        join quality_rules as r using (rule)
        where
            r.level <= getvariable('lb_exclude_level') and f.entry_id is null and f.on_board
    )
    or row(model, task, entry_no) in (
        select row(f.model_name, f.task_name, cast(f.entry_id & 1048575 as integer))
        from quality_entry_flags as f
        join quality_rules as r using (rule)
        where
            r.level <= getvariable('lb_exclude_level') and f.entry_id is not null
            and f.on_board
    )
);
