"""Under a language filter, the per-task means (lb_language_task_means, the summary's source)
keep the build's stored means for the tasks the filter keeps whole and sum the rows again only
for the others; the per-language means (lb_language_scores) keep the build's means for the
selected languages a filter leaves whole. Whatever the state, both must equal the plain
definition restated here (every matching row summed again in mteb's order), bit for bit, on every
benchmark of the hand-built ranking warehouse (`lb` fixture), and the task shortcut must have
served some tasks (else the comparison proves nothing about it)."""

from __future__ import annotations

import pyarrow as pa

from mteb_lb.rankings import EXCLUDE_LEVEL, Filters

# the rows definition as it stood before the shortcut: every row of the filtered frame
PLAIN_TASK_MEANS = """
WITH long AS (FROM lb_long($bench, $models, $tasks, $langs, $public_only, $registry_only)),
means AS (
    SELECT model_name, task_name, any_value(task_type) AS task_type,
           bool_and(is_public) AS is_public,
           sum(score ORDER BY row_order) / count(score) AS raw_mean,
           count(DISTINCT row(subset, split)) FILTER (WHERE score IS NOT NULL) AS have_pairs
    FROM long GROUP BY model_name, task_name),
req AS (
    SELECT task_name, count(DISTINCT subset) * count(DISTINCT split) AS required_pairs
    FROM long WHERE score IS NOT NULL GROUP BY task_name)
SELECT m.*, r.required_pairs FROM means AS m LEFT JOIN req AS r USING (task_name)
"""
SHORTCUT = ("SELECT * FROM lb_language_task_means('benchmark_task_score_lists', "
            "'benchmark_null_languages', 'benchmark_task_language_sets', $bench, $models, $tasks, "
            "$langs, $public_only, $registry_only)")
PLAIN_LANGUAGE_MEANS = """
SELECT model_name, language,
       sum(score ORDER BY revision, task_name, row_order) / count(score) AS score
FROM benchmark_language_rows
WHERE benchmark = $bench AND (NOT $registry_only OR in_registry)
  AND ($models IS NULL OR model_name IN (SELECT unnest($models)))
  AND ($tasks IS NULL OR task_name IN (SELECT unnest($tasks)))
  AND lb_language_match(language_set, $langs)
  AND ($langview IS NULL OR language IN (SELECT unnest($langview)))
  AND NOT lb_flag_excluded(model_name, task_name, row_order)
GROUP BY model_name, language
"""
LANGUAGE_MEANS = ("SELECT model_name, language, score FROM lb_language_scores($bench, $models, "
                  "$tasks, $langs, $langview, $registry_only)")
WHOLE_TASKS = """
SELECT count(*) FROM (
    SELECT task_name FROM benchmark_results
    WHERE benchmark = $bench AND (NOT $registry_only OR in_registry)
      AND ($tasks IS NULL OR task_name IN (SELECT unnest($tasks)))
    GROUP BY task_name HAVING bool_and(lb_language_match(language_set, $langs)))
"""


def states(lb, name: str) -> dict[str, Filters]:
    bench = lb.benchmark(name)
    languages = lb.options(name).languages
    models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
    out = {}
    for i, language in enumerate(languages):
        out[language] = Filters(languages=(language,))
        out[language + ", all models"] = Filters(languages=(language,), all_models=True)
        out[language + ", tasks"] = Filters(languages=(language,),
                                            tasks=tuple(bench.task_names[i % 2::2]))
        out[language + ", excluded"] = Filters(languages=(language,), exclude_flags="warning")
        if models:
            out[language + ", models"] = Filters(languages=(language,), models=tuple(models[:2]))
    if len(languages) > 2:
        out["two"] = Filters(languages=tuple(languages[:2]))
    return out


def sorted_rows(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])


def test_language_shortcuts_equal_the_plain_definition(lb):
    compared, whole_served, language_compared = 0, 0, 0
    for name in lb.benchmarks():
        bench = lb.benchmark(name)
        for label, filters in states(lb, name).items():
            params = lb._params(name, filters)
            if params is None or params["langs"] is None:
                continue
            params = {**params, "public_only": bench.public_only}
            task_params = {k: params[k] for k in ("bench", "models", "tasks", "langs",
                                                   "public_only", "registry_only",
                                                   EXCLUDE_LEVEL)}
            if params["models"] is None and params[EXCLUDE_LEVEL] is None:
                # the state the request path gives lb_language_task_means
                fast = lb._query(SHORTCUT, task_params)
                plain = lb._query(PLAIN_TASK_MEANS, task_params).select(fast.schema.names)
                keys = ["model_name", "task_name"]
                assert sorted_rows(fast, keys).equals(sorted_rows(plain, keys)), (name, label)
                compared += 1
                whole_served += lb._query(WHOLE_TASKS, {k: params[k] for k in (
                    "bench", "tasks", "langs", "registry_only")}).column(0)[0].as_py()
            if bench.has_language_view:
                langview = None if bench.language_view == "all" else list(bench.language_view)
                lang_params = {**{k: params[k] for k in ("bench", "models", "tasks", "langs",
                                                          "registry_only", EXCLUDE_LEVEL)},
                               "langview": langview}
                fast = lb._query(LANGUAGE_MEANS, lang_params)
                plain = lb._query(PLAIN_LANGUAGE_MEANS, lang_params)
                keys = ["model_name", "language"]
                assert sorted_rows(fast, keys).equals(sorted_rows(plain, keys)), (name, label)
                language_compared += 1
    assert compared >= 5
    assert language_compared >= 5
    assert whole_served >= 1
