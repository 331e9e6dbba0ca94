-- A past results table as of backfilled snapshot s: the rows of `events` valid at s, i.e. added
-- at or before s and not removed at or before s. `events` holds what etl/past_rows.py stores per
-- snapshot (_seq, _k, _removed, then the table's own columns) with, added when they are loaded,
-- _h (the row's hash) and _valid_to (the snapshot of the row's next event). mteb_lb/asof.py makes
-- the lb_* macros read these instead of the build's tables, so a past date answers every state.
-- Usage: SELECT * FROM lb_past_rows('past_benchmark_results', 12)
create or replace macro lb_past_rows(events, s) as table
    select * exclude (_seq, _h, _k, _removed, _valid_to)
    from query_table(events)
    where
        not _removed
        and _seq <= s
        and (_valid_to is null or _valid_to > s);
