-- The leaderboards as they stood at time ts (UTC): the state left by the last build published at
-- or before ts, rebuilt from the delta-encoded leaderboard_history (per benchmark, model and key,
-- the newest row up to that build, unless it is a removal). key is '' for a model's summary row
-- (rank, Mean (Task) as score, the other means) and the task name for a per-task score. Scores
-- are on the 0-100 scale the leaderboard shows. No rows when ts is before the first build.
-- Usage: SELECT * FROM leaderboard_as_of(TIMESTAMP '2026-01-31 00:00')
--        WHERE benchmark = 'MTEB(eng, v2)' AND key = '' ORDER BY rank
create or replace macro leaderboard_as_of(ts timestamp) as table
    with

    as_of_build as (
        select build_seq, build_id
        from leaderboard_history_builds
        where built_at <= ts
        order by build_seq desc
        limit 1
    ),

    latest as (
        select h.*
        from leaderboard_history as h
        where h.build_seq <= (select build_seq from as_of_build)
        qualify row_number() over (
            partition by h.benchmark, h.model_name, h.key
            order by h.build_seq desc
        ) = 1
    )

    select
        (select build_id from as_of_build) as as_of_build_id,
        benchmark,
        model_name,
        key,
        rank,
        score,
        mean_task_type,
        mean_public,
        mean_private,
        mean_subset,
        build_id as changed_in_build_id,
        built_at as changed_at
    from latest
    where not removed
