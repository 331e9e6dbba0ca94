-- A benchmark's leaderboard through the snapshots of leaderboard_history: per snapshot, the
-- number of models on the board, the leader (rank 1) and its Mean (Task) (0-100).
-- Usage: SELECT built_at, n_models, leader FROM lb_benchmark_history('MTEB(eng, v2)')
create or replace macro lb_benchmark_history(bench) as table
    with

    model_rows as (
        select build_seq, model_name, rank, score, removed
        from leaderboard_history
        where benchmark = bench and key = ''
    ),

    states as (
        select
            b.build_seq,
            b.build_id,
            b.built_at,
            r.model_name,
            r.rank,
            r.score,
            r.removed
        from leaderboard_history_builds as b
        inner join model_rows as r on b.build_seq >= r.build_seq
        qualify row_number() over (
            partition by b.build_seq, r.model_name
            order by r.build_seq desc
        ) = 1
    )

    select
        build_seq,
        build_id,
        built_at,
        count(*) filter (where not removed) as n_models,
        arg_min(model_name, rank) filter (where not removed) as leader,
        arg_min(score, rank) filter (where not removed) as leader_score
    from states
    group by build_seq, build_id, built_at
    order by build_seq
