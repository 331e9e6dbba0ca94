-- What changed on the leaderboards between two times (UTC): the states leaderboard_as_of gives
-- for ts_from and ts_to compared, one row per change, as changes_since_previous lists them for
-- the last two builds: a model new to or gone from a benchmark's board (new_model,
-- removed_model; its task scores are not listed again), a task score that appeared, changed or
-- disappeared for a model on both (new_result, changed_result, removed_result), and models
-- whose rank moved (rank_up, rank_down). Scores on the 0-100 scale.
-- Usage: SELECT * FROM lb_changes_between(TIMESTAMP '2026-01-01', TIMESTAMP '2026-02-01')
create or replace macro lb_changes_between(ts_from, ts_to) as table
    with

    old as (
        select benchmark, model_name, key, rank, score
        from leaderboard_as_of(ts_from)
    ),

    new as (
        select benchmark, model_name, key, rank, score
        from leaderboard_as_of(ts_to)
    ),

    paired as (
        select
            benchmark,
            model_name,
            key,
            o.model_name is null as was_absent,
            n.model_name is null as gone,
            o.score as old_score,
            n.score as new_score,
            o.rank as old_rank,
            n.rank as new_rank
        from old as o
        full outer join new as n using (benchmark, model_name, key)
    ),

    models as (
        select
            benchmark,
            model_name,
            bool_or(key = '' and was_absent) as is_new,
            bool_or(key = '' and gone) as is_gone
        from paired
        group by benchmark, model_name
    ),

    classified as (
        select
            p.*,
            lb_change_kind(
                p.key, p.gone, p.was_absent, p.old_rank, p.new_rank, p.old_score, p.new_score,
                m.is_new, m.is_gone
            ) as change
        from paired as p
        inner join models as m using (benchmark, model_name)
    )

    select
        benchmark,
        model_name,
        nullif(key, '') as task_name,
        change,
        old_score,
        new_score,
        old_rank,
        new_rank,
        case when not was_absent and not gone then old_rank - new_rank end as rank_delta
    from classified
    where change is not null
    order by benchmark, change, model_name, task_name
