-- The per-(model, language) means of language rows as mteb's per-language table sums them, over
-- a relation of the calling query (`frame`: model_name, language, sort_key, score, the rows
-- already selected): the rows summed in the model's frame order (sort_key) so the last bit
-- matches polars. NULL scores (a quarter of the rows) add nothing, so they skip the ordered
-- sum's sort. One definition: lb_language_scores_of sums its rows with it, and so does
-- lb_language_scores_tasks (a task filter without a language filter).
-- @column score: Mean main score (0-1) of the model's rows in the language (NULL when none is
--   scored).
create or replace macro lb_language_sums_of(frame) as table
    select
        model_name, language,
        sum(score order by sort_key) filter (where score is not null) / count(score) as score
    from query_table(frame)
    group by model_name, language
