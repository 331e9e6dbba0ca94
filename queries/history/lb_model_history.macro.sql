-- One model's rows of leaderboard_history, oldest first: every snapshot in which its summary row
-- (key '': rank, Mean (Task) as score) or one of its task scores (key = the task) was added,
-- changed or removed, on every benchmark. The history is delta-encoded, so each row is a step:
-- the value holds until the model's next row for the same benchmark and key.
-- Usage: SELECT * FROM lb_model_history('intfloat/multilingual-e5-large') WHERE key = ''
create or replace macro lb_model_history(model) as table
    select
        benchmark,
        key,
        build_seq,
        build_id,
        built_at,
        rank,
        score,
        removed
    from leaderboard_history
    where model_name = model
    order by benchmark, key, build_seq
