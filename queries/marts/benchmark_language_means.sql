-- @materialize per (benchmark, model_name)
-- Per (benchmark, model, language): the mean score of the model's rows whose languages include
-- that language, for benchmarks with a per-language view (restricted to the view's languages).
-- Summed in mteb's frame order (revision, task, entry), as polars does. Computed once per build
-- for the unfiltered view; a task or language filter makes lb_language_scores use the rows.
-- Read from benchmark_language_keyed (benchmark_language_rows with one integer sort key per
-- model, in that order): ordering each sum by that key costs a fifth of the CPU of ordering it
-- by (revision, task_name, row_order). A result row always has a revision (a result file lies
-- in a revision folder), so keyed holds every row. See docs/PERFORMANCE.md
-- §Ninth pass: the database half of a full build (session 12, build5)
-- @column language: Language-script code, e.g. eng-Latn.
-- @column score: Mean main score (0-1) over the rows covering the language; NULL when none is
--   scored.
with

final as (
    select
        benchmark,
        model_name,
        language,
        bool_and(in_registry) as in_registry,
        sum(score order by sort_key) / count(score) as score
    from benchmark_language_keyed
    group by benchmark, model_name, language
)

select * from final
order by benchmark, model_name
