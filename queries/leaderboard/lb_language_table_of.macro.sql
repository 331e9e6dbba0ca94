-- The per-language table's rows of per-(model, language) means (`frame`, a relation of the
-- calling query: model_name, language, score): in_table marks the models with a non-null
-- language score (the rows of the table). One definition for lb_language_scores_of and
-- lb_language_scores_tasks.
-- @column in_table: True when the model has a non-null score in some language.
create or replace macro lb_language_table_of(frame) as table
    select *, bool_or(score is not null) over (partition by model_name) as in_table
    from query_table(frame)
