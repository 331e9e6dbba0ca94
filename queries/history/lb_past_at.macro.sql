-- A past results table as of backfilled snapshot s, from its ranges (lb_past_ranges: every row
-- version with the snapshots it is valid in, [_from, _to)): the rows valid at s, the same as
-- lb_past_rows(events, s). `ranges` names the table (qualified, as a string). The filter is on
-- plain columns, so the scan of a query that narrows it (one benchmark) skips the other row
-- groups (mteb_lb/asof.py serves a past date's temp views with it).
-- Usage: SELECT * FROM lb_past_at('r', 12)
create or replace macro lb_past_at(ranges, s) as table
    select * exclude (_from, _to)
    from query_table(ranges)
    where _from <= s and _to > s;
