-- Rank change of every model of a benchmark's leaderboard between the previous build and the
-- current one, from leaderboard_history (default filters, registered models, the rank column the
-- leaderboard shows). rank_delta = previous_rank - rank: positive when the model moved up, 0 when
-- it stayed, NULL when it is new (is_new) or there is no previous build.
-- Usage: SELECT model_name, rank_delta FROM lb_rank_change('MTEB(eng, v2)')
create or replace macro lb_rank_change(bench) as table
    with

    builds as (
        select build_seq from leaderboard_history_builds
    ),

    cur as (
        select max(build_seq) as seq from builds
    ),

    prev as (
        select max(build_seq) as seq from builds
        where build_seq < (select seq from cur)
    ),

    model_rows as (
        select * from leaderboard_history
        where benchmark = bench and key = ''
    ),

    now_state as (
        select model_name, rank, removed from model_rows
        qualify row_number() over (partition by model_name order by build_seq desc) = 1
    ),

    then_state as (
        select model_name, rank, removed from model_rows
        where build_seq <= (select seq from prev)
        qualify row_number() over (partition by model_name order by build_seq desc) = 1
    )

    select
        n.model_name,
        n.rank,
        case when not t.removed then t.rank end as previous_rank,
        case when not t.removed then t.rank - n.rank end as rank_delta,
        (select seq from prev) is not null and (t.model_name is null or t.removed) as is_new
    from now_state as n
    left join then_state as t using (model_name)
    where not n.removed
