-- A past results table as of backfilled snapshot s: the rows of `events` valid at s, i.e. the
-- rows added at or before s and not removed after that and at or before s. `events` holds what
-- etl/past_rows.py stores per snapshot (_seq, _k, _removed, then the table's own columns) with
-- _h (the row's hash), added when they are read: a row's identity is (_h, _k), its events
-- alternate (added, removed, added again...). Only the events of snapshots <= s are needed:
-- mteb_lb/asof.py reads those files alone into the snapshot's state, which the lb_* macros read
-- instead of the build's tables, so a past date answers every state. The removals are few: an
-- anti join on them, not a window over every event.
-- Usage: SELECT * FROM lb_past_rows('events', 12)
create or replace macro lb_past_rows(events, s) as table
    with ev as (
        select * from query_table(events)
        where _seq <= s
    ),

    removals as (
        select
            _h,
            _k,
            _seq
        from ev
        where _removed
    )

    select a.* exclude (_seq, _h, _k, _removed)
    from ev as a
    anti join removals as r
        on a._h = r._h and a._k = r._k and a._seq < r._seq
    where not a._removed;
