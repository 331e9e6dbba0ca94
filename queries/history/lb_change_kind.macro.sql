-- The kind of one leaderboard change, from a (benchmark, model, key) row compared between two
-- states: the one classification of changes_since_previous and lb_changes_between. key '' is
-- the model's summary row (removed_model, new_model, rank_up, rank_down), else a task score
-- (removed_result, new_result, changed_result), not listed when the whole model is new or gone
-- (model_new, model_gone). gone: absent from the new state; was_absent: from the old one.
-- NULL when nothing changed.
create or replace macro lb_change_kind(
    key, gone, was_absent, old_rank, new_rank, old_score, new_score, model_new, model_gone
) as
case
    when key = '' and gone then 'removed_model'
    when key = '' and was_absent then 'new_model'
    when key = '' and new_rank < old_rank then 'rank_up'
    when key = '' and new_rank > old_rank then 'rank_down'
    when key = '' then null
    when model_new or model_gone then null
    when gone then 'removed_result'
    when was_absent then 'new_result'
    when (old_score is distinct from new_score) then 'changed_result'
end;
