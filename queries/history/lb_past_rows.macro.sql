-- A past results table as of backfilled snapshot s: the rows of `events` (a table of the events
-- etl/past_rows.py stores per snapshot: _seq, _h, _k, _removed, then the table's own columns,
-- with _valid_to, the snapshot of the row's next event, added when the events are loaded)
-- valid at s, i.e. added at or before s and not removed at or before s. mteb_lb/asof.py makes
-- the lb_* macros read these instead of the build's tables, so a past date answers every state.
-- Usage: SELECT * FROM lb_past_rows('past_benchmark_results', 12)
create or replace macro lb_past_rows(events, s) as table
    select * exclude (_seq, _h, _k, _removed, _valid_to)
    from query_table(events)
    where
        not _removed
        and _seq <= s
        and (_valid_to is null or _valid_to > s);
