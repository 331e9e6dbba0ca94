-- A past results table as of backfilled snapshot s: the rows of `events` valid at s, i.e. whose
-- last event at or before s adds them. `events` holds what etl/past_rows.py stores per snapshot
-- (_seq, _k, _removed, then the table's own columns) with _h (the row's hash), added when they
-- are read: a row's identity is (_h, _k). Only the events of snapshots <= s are needed:
-- mteb_lb/asof.py reads those files alone into the snapshot's state, which the lb_* macros read
-- instead of the build's tables, so a past date answers every state.
-- Usage: SELECT * FROM lb_past_rows('events', 12)
create or replace macro lb_past_rows(events, s) as table
    select * exclude (_seq, _h, _k, _removed)
    from query_table(events)
    where _seq <= s
    qualify
        row_number() over (partition by _h, _k order by _seq desc) = 1
        and not _removed;
