-- What changed on the leaderboards between the previous build and the current one (the last two
-- builds of leaderboard_history_builds), one row per change: a model new to or gone from a
-- benchmark's leaderboard (new_model, removed_model; its task scores are not listed again),
-- a task score that appeared, changed or disappeared for a model already there (new_result,
-- changed_result, removed_result: old and new score), and models whose rank moved (rank_up,
-- rank_down). Scores on the 0-100 scale; empty for the first build of the history.
-- @column benchmark: Benchmark name.
-- @column model_name: Model name.
-- @column task_name: The task of a result change; NULL for model-level changes.
-- @column change: new_model, removed_model, new_result, changed_result, removed_result, rank_up or
--   rank_down.
-- @column old_score: Task score (result changes) or Mean (Task) (model changes) before, 0-100
--   scale; NULL when new.
-- @column new_score: The same in the current build (0-100); NULL when removed.
-- @column old_rank: The model's rank before (model-level rows).
-- @column new_rank: The model's rank now (model-level rows).
-- @column rank_delta: old_rank - new_rank: positive when the model moved up.
-- @column build_id: The current build.
-- @column previous_build_id: The build compared against.
with

builds as (
    select build_seq, build_id from leaderboard_history_builds
),

cur as (
    select build_seq, build_id from builds
    order by build_seq desc limit 1
),

prev as (
    select build_seq, build_id from builds
    where build_seq < (select build_seq from cur)
    order by build_seq desc
    limit 1
),

delta as (
    select * from leaderboard_history
    where
        build_seq = (select build_seq from cur)
        and (select build_seq from prev) is not null
),

old as (
    select h.*
    from leaderboard_history as h
    semi join delta using (benchmark, model_name, key)
    where h.build_seq <= (select build_seq from prev)
    qualify row_number() over (
        partition by benchmark, model_name, key
        order by build_seq desc
    ) = 1
),

paired as (
    select
        d.benchmark,
        d.model_name,
        d.key,
        d.removed as gone,
        o.benchmark is null or o.removed as was_absent,
        o.score as old_score,
        d.score as new_score,
        o.rank as old_rank,
        d.rank as new_rank
    from delta as d
    left join old as o using (benchmark, model_name, key)
),

models as (
    select
        benchmark,
        model_name,
        bool_or(key = '' and was_absent and not gone) as is_new,
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
    join models as m using (benchmark, model_name)
)

select
    benchmark,
    model_name,
    nullif(key, '') as task_name,
    change,
    case when was_absent then null else old_score end as old_score,
    new_score,
    case when was_absent then null else old_rank end as old_rank,
    new_rank,
    case when not was_absent and not gone then old_rank - new_rank end as rank_delta,
    (select build_id from cur) as build_id,
    (select build_id from prev) as previous_build_id
from classified
where change is not null
order by benchmark, change, model_name, task_name
