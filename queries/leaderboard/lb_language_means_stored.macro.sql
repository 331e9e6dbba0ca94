-- Per (model, language) means of a benchmark without a task or language filter nor the "exclude
-- flagged scores" switch, as the build stored them (benchmark_language_means: mteb's ordered sums
-- of every row), for the selected models (NULL: all) and registry models only when
-- registry_only. The one filter of those means: lb_language_scores_of takes its rows without a
-- filter, and mteb_lb/rankings.py runs lb_per_language_of over them directly for the default
-- and model-only states (the same table, without binding the rows' branches).
-- @column score: Mean main score (0-1) of the model's rows in the language (NULL when none is
--   scored).
create or replace macro lb_language_means_stored(bench, models, registry_only) as table
    select model_name, language, score
    from benchmark_language_means
    where
        benchmark = bench
        and (not registry_only or in_registry)
        and (models is null or model_name in (select unnest(models)))
