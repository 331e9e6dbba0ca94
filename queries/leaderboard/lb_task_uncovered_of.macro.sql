-- The tasks of a frame of stored means (`frame`: lb_task_means_stored's rows of a state with a
-- model filter) that no model of the frame covers completely: their required pairs must be
-- recounted over the selected models (lb_task_scores_recount, lb_task_scores_recount_stored).
-- @column task_name: A task no model of the frame covers completely.
create or replace macro lb_task_uncovered_of(frame) as table
    select task_name from query_table(frame)
    group by task_name
    having not bool_or(have_pairs = required_pairs)
