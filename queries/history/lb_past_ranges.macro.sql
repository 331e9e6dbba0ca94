-- A past results table through every backfilled snapshot at once: each row version of `events`
-- (what etl/past_rows.py stores per snapshot, with _h, the row's hash, added when read) once,
-- with the snapshots it is valid in: from `_from`, the snapshot that added it, up to but not
-- including `_to`, the next event of its identity (_h, _k): its removal, or 2147483647 while
-- it stands. A row's events alternate (added, removed, added again...), so an addition's end
-- is the first removal after it. lb_past_at(ranges, s) reads the table as of snapshot s: the
-- rows lb_past_rows(events, s) gives, from one filtered scan instead of every event up to s
-- (etl/past_rows.py export_ranges stores it; mteb_lb/asof.py serves any backfilled date
-- from it). The additions' ends are found by a join on the identities alone, so the other
-- columns are read once.
-- Usage: CREATE TABLE r AS FROM lb_past_ranges('events'); SELECT * FROM lb_past_at('r', 12)
create or replace macro lb_past_ranges(events) as table
    with ends as (
        select
            a._h,
            a._k,
            a._seq,
            min(r._seq) as _to
        from query_table(events) as a
        inner join query_table(events) as r
            on a._h = r._h and a._k = r._k and a._seq < r._seq
        where not a._removed and r._removed
        group by a._h, a._k, a._seq
    )

    select
        a.* exclude (_seq, _h, _k, _removed),
        a._seq as _from,
        coalesce(e._to, 2147483647) as _to
    from query_table(events) as a
    left join ends as e
        on a._h = e._h and a._k = e._k and a._seq = e._seq
    where not a._removed;
