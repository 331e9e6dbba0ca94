"""Under a task or language filter (without the exclusion switch) the per-language table sums the
rows by benchmark_language_keyed's integer sort key (lb_language_scores_keyed) instead of
(revision, task, entry). The key must order every model's rows exactly as (revision, task,
entry) does, the means must equal the plain definition (every matching row summed in mteb's
order) bit for bit, and the request's per-language table must equal the one a build without
the table serves (an older build or a past date: lb_per_language over the rows), on every
benchmark of the hand-built ranking warehouse (`lb` fixture) that has a per-language view. A task
filter alone sums the build's per-task score lists (lb_language_scores_lists): the same bits."""

from __future__ import annotations

from test_language_whole import PLAIN_LANGUAGE_MEANS as PLAIN  # flags: none excluded here

from mteb_lb import warehouse
from mteb_lb.rankings import Filters

KEYED = ("SELECT model_name, language, score FROM lb_language_scores_keyed("
         "'benchmark_language_keyed', 'language_score_lists', $bench, $models, $tasks, $langs, "
         "$langview, $registry_only)")
# a task filter without a language filter: every pair summed from the tasks' rows
TASKS = ("SELECT model_name, language, score, in_table FROM lb_language_scores_tasks("
         "'benchmark_language_keyed', $bench, $models, $tasks, $langview, $registry_only)")
# the same state from the build's per-(model, language, revision, task) score lists
LISTS = ("SELECT model_name, language, score, in_table FROM lb_language_scores_lists("
         "'language_score_lists', $bench, $models, $tasks, $langview, $registry_only)")
# the same state from the build's per-(model, language) lists of those lists
TASK_LISTS = ("SELECT model_name, language, score, in_table FROM lb_language_scores_task_lists("
              "'language_task_lists', $bench, $models, $tasks, $langview, $registry_only)")
KEYED_TABLE = ("SELECT model_name, language, score, in_table FROM lb_language_scores_keyed("
               "'benchmark_language_keyed', 'language_score_lists', $bench, $models, $tasks, "
               "$langs, $langview, $registry_only)")
# how many (model, language) pairs of a selected language (no model filter) the registry or task
# filter drops some rows of, from the rows themselves: their means are summed again from the
# rows kept, not read from the build's
DROPPED = """
SELECT count(*) FROM (
    SELECT DISTINCT model_name, language FROM benchmark_language_rows
    WHERE benchmark = $bench AND $models IS NULL
        AND split_part(language, '-', 1) IN (SELECT unnest($langs))
        AND ($langview IS NULL OR language IN (SELECT unnest($langview)))
        AND NOT ((NOT $registry_only OR in_registry)
                 AND ($tasks IS NULL OR task_name IN (SELECT unnest($tasks)))))
"""
# per (benchmark, model, language): the rows' (task, score) sequence ordered by the key against
# the same rows' sequence in (revision, task, entry) order (the copies of one row, when its
# language list names a language twice, share a key: their scores are equal)
MISORDERED = """
WITH k AS (
    SELECT benchmark, model_name, language, list(row(task_name, score) ORDER BY sort_key) AS seq
    FROM benchmark_language_keyed GROUP BY ALL),
r AS (
    SELECT benchmark, model_name, language,
           list(row(task_name, score) ORDER BY revision, task_name, row_order) AS seq,
           count(DISTINCT task_name) AS tasks
    FROM benchmark_language_rows GROUP BY ALL)
SELECT count(*) FILTER (WHERE k.seq IS DISTINCT FROM r.seq) AS wrong,
       count(*) FILTER (WHERE r.tasks > 1) AS several_tasks, count(*) AS pairs
FROM r FULL JOIN k USING (benchmark, model_name, language)
"""


def _states(lb, name: str) -> dict[str, Filters]:
    tasks = sorted(lb.benchmark(name).task_names)
    models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
    languages = lb.options(name).languages
    out = {"first half": Filters(tasks=tuple(tasks[: max(1, len(tasks) // 2)])),
           "odd": Filters(tasks=tuple(tasks[1::2]) or tuple(tasks)),
           "one task": Filters(tasks=tuple(tasks[:1])),
           "half, all models": Filters(tasks=tuple(tasks[::2]), all_models=True),
           "half, two models": Filters(tasks=tuple(tasks[::2]), models=tuple(models[:2]))}
    for i, language in enumerate(languages):
        out[language] = Filters(languages=(language,))
        out[language + ", all models"] = Filters(languages=(language,), all_models=True)
        out[language + ", tasks"] = Filters(languages=(language,), tasks=tuple(tasks[i % 2::2]))
        out[language + ", two models"] = Filters(languages=(language,), models=tuple(models[:2]))
        # the task filter drops some rows of a selected language's (model, language) pairs
        out[language + ", tasks but the last"] = Filters(languages=(language,),
                                                         tasks=tuple(tasks[:-1]) or tuple(tasks))
    if len(languages) > 2:
        out["two languages"] = Filters(languages=tuple(languages[:2]))
    return out


def test_sort_key_orders_rows_as_revision_task_entry(lb):
    row = lb._query(MISORDERED).to_pylist()[0]
    assert row["wrong"] == 0
    assert row["pairs"] >= 10
    assert row["several_tasks"] >= 5


def test_keyed_means_equal_the_plain_definition_and_the_rows_path(lb):
    compared, language_filtered, tasks_filtered, dropped = 0, 0, 0, 0
    for name in lb.benchmarks():
        bench = lb.benchmark(name)
        if not bench.has_language_view:
            continue
        langview = None if bench.language_view == "all" else list(bench.language_view)
        for label, filters in _states(lb, name).items():
            params = lb._params(name, filters)
            if params is None:
                continue
            values = {**{k: params[k] for k in ("bench", "models", "tasks", "langs",
                                                 "registry_only")},
                      "langview": langview}
            keys = [("model_name", "ascending"), ("language", "ascending")]
            keyed = lb._query(KEYED, values).sort_by(keys)
            plain = lb._query(PLAIN, values).sort_by(keys)
            assert keyed.equals(plain), (name, label)
            if params["langs"] is not None:
                dropped += lb._query(DROPPED, values).column(0)[0].as_py() > 0
            if params["langs"] is None and params["tasks"] is not None:  # its own source
                tasks_only = lb._query(TASKS, values).sort_by(keys)
                assert tasks_only.select(["model_name", "language", "score"]).equals(plain), \
                    (name, label)
                scored = {r["model_name"] for r in plain.to_pylist() if r["score"] is not None}
                assert tasks_only.column("in_table").to_pylist() == [
                    m in scored for m in tasks_only.column("model_name").to_pylist()]
                assert tasks_only.equals(lb._query(KEYED_TABLE, values).sort_by(keys)), \
                    (name, label)
                # the lists concatenated and summed: the same bits as the rows' ordered sum
                assert lb._query(LISTS, values).sort_by(keys).equals(tasks_only), (name, label)
                # the per-(model, language) lists of lists: the same bits again
                assert lb._query(TASK_LISTS, values).sort_by(keys).equals(tasks_only), \
                    (name, label)
                tasks_filtered += 1
            # the request path (the lists or keyed source) against a build without the lists
            # (the keyed source) and without either table (the rows)
            served = lb.per_language(name, filters)
            tables = []
            for missing in (("task_lists", "score_lists"),
                            ("task_lists", "score_lists", "keyed_table", "keyed_language")):
                lb._cache.clear()
                lb._no_path = dict.fromkeys(missing, lb.cache_key())
                try:
                    tables.append(lb.per_language(name, filters))
                finally:
                    lb._no_path = {}
                    lb._cache.clear()
            assert served.equals(tables[0]), (name, label)
            assert served.equals(tables[1]), (name, label)
            compared += 1
            language_filtered += params["langs"] is not None
    assert compared >= 10
    assert language_filtered >= 5
    assert tasks_filtered >= 5
    assert dropped >= 1   # the pairs found in the score lists (lb_language_scores_keyed)


def test_default_and_model_states_read_the_builds_means(lb):
    """Without a task or language filter (nor the exclusion switch) the per-language table reads
    the build's means (lb_language_means_stored): they equal the plain definition (every row
    summed in mteb's order) bit for bit, and the served table equals the one of a build without
    the macro (lb_per_language) for the default, a model list, the registry off and the two
    together."""
    compared = 0
    for name in lb.benchmarks():
        bench = lb.benchmark(name)
        if not bench.has_language_view:
            continue
        langview = None if bench.language_view == "all" else list(bench.language_view)
        models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
        states = {"default": Filters(), "all models": Filters(all_models=True),
                  "two models": Filters(models=tuple(models[:2])),
                  "half the models": Filters(models=tuple(models[::2])),
                  "two models, all models": Filters(models=tuple(models[:2]), all_models=True)}
        for label, filters in states.items():
            params = lb._params(name, filters)
            values = {**{k: params[k] for k in ("bench", "models", "tasks", "langs",
                                                 "registry_only")},
                      "langview": langview}
            keys = [("model_name", "ascending"), ("language", "ascending")]
            stored = lb._query("SELECT * FROM lb_language_means_stored($bench, $models, "
                               "$registry_only)", values)
            if langview is not None:   # the build's means hold the view's languages only
                assert set(stored.column("language").to_pylist()) <= set(langview), name
            plain = lb._query(PLAIN, values).sort_by(keys)
            assert stored.sort_by(keys).equals(plain), (name, label)
            lb._cache.clear()
            served = lb.per_language(name, filters)
            lb._cache.clear()
            lb._no_path = {"means_macro": lb.cache_key()}
            try:
                general = lb.per_language(name, filters)
            finally:
                lb._no_path = {}
                lb._cache.clear()
            assert served.num_rows > 0, (name, label)
            assert served.equals(general), (name, label)
            compared += 1
    assert compared >= 10


def test_a_past_date_never_reads_todays_sort_key_nor_lists():
    assert "benchmark_language_keyed" in warehouse.TODAY_ONLY_TABLES
    assert "language_score_lists" in warehouse.TODAY_ONLY_TABLES
    assert "language_task_lists" in warehouse.TODAY_ONLY_TABLES


def test_few_rows_of_a_task_filter_read_in_task_order_equal_the_keyed_path(lb):
    """A task filter whose tasks declare few (subset, language) entries reads their rows from
    benchmark_language_rows (task order) sorted by the struct key: the same per-language table
    as the keyed table's path and as a build without it; a larger selection keeps the keyed
    path. The entry counts are checked against the catalog counted by hand in Python."""
    few, compared = 0, 0
    for name in lb.benchmarks():
        bench = lb.benchmark(name)
        if not bench.has_language_view:
            continue
        declared: dict[str, int] = {}
        for row in lb._query("SELECT task_name, languages FROM benchmark_tasks "
                             "WHERE benchmark = $b", {"b": name}).to_pylist():
            declared[row["task_name"]] = declared.get(row["task_name"], 0) + len(
                row["languages"] or [])
        for label, filters in _states(lb, name).items():
            params = lb._params(name, filters)
            if params is None or params["langs"] is not None or params["tasks"] is None:
                continue
            expected_few = sum(declared.get(t, 0) for t in params["tasks"]) <= 48
            assert lb._few_language_rows(name, params["tasks"]) is expected_few, (name, label)
            tables = []
            # the lists of lists (every task filter, a current build), then a build without
            # them: the few rows in task order, the score lists, the keyed table, the rows
            for limit, task_lists, lists, keyed in ((48, True, True, True),
                                                    (48, False, True, True),
                                                    (0, False, True, True),
                                                    (0, False, False, True),
                                                    (0, False, False, False)):
                lb._cache.clear()
                lb.FEW_LANGUAGE_ENTRIES = limit
                lb._no_path = {"task_lists": None if task_lists else lb.cache_key(),
                               "score_lists": None if lists else lb.cache_key(),
                               "keyed_table": None if keyed else lb.cache_key()}
                try:
                    tables.append(lb.per_language(name, filters))
                finally:
                    del lb.FEW_LANGUAGE_ENTRIES
                    lb._no_path = {}
                    lb._cache.clear()
            assert tables[0].num_rows > 0, (name, label)
            assert tables[0].equals(tables[1]), (name, label)   # few rows or score lists
            assert tables[0].equals(tables[2]), (name, label)   # the score lists
            assert tables[0].equals(tables[3]), (name, label)   # the keyed path
            assert tables[0].equals(tables[4]), (name, label)   # lb_per_language (rows)
            few += expected_few
            compared += 1
    assert few >= 5
    assert compared >= 5
    assert lb.FEW_LANGUAGE_ENTRIES == 48


def test_score_lists_sum_in_frame_order():
    """language_score_lists with lb_language_scores_lists, and language_task_lists with
    lb_language_scores_task_lists, on hand-made rows whose mean depends on the order of the
    additions (1e16 + 1 rounds back to 1e16): the lists are concatenated in (revision, task,
    entry) order, the frame's, and added left to right; the expected means are Python's own
    left-to-right float additions of the scores listed in that order. A model outside the
    registry counts only with the registry switch off."""
    import functools
    import operator

    import duckdb

    import queries

    con = duckdb.connect()
    con.execute("CREATE TABLE benchmark_language_rows (benchmark VARCHAR, model_name VARCHAR, "
                "in_registry BOOLEAN, task_name VARCHAR, revision VARCHAR, row_order INTEGER, "
                "language_set UBIGINT, score DOUBLE, language VARCHAR)")
    rows = [  # (model, registry, task, revision, row_order, score, language), not in frame order
        ("m", True, "B", "r1", 1, 2.0, "eng"), ("m", True, "B", "r1", 0, 1.0, "eng"),
        ("m", True, "B", "r1", 2, None, "eng"), ("m", True, "A", "r2", 0, -1e16, "eng"),
        ("m", True, "A", "r1", 0, 1e16, "eng"), ("m", True, "A", "r1", 1, None, "fra"),
        ("n", True, "B", "r1", 0, None, "eng"), ("o", False, "A", "r1", 0, 0.25, "eng"),
        ("o", False, "B", "r1", 0, 0.5, "eng")]
    con.executemany("INSERT INTO benchmark_language_rows VALUES ('b', ?, ?, ?, ?, ?, 0, ?, ?)",
                    [list(r) for r in rows])
    views = {v.name: v for v in queries.all_views()}
    queries.create_views(con, [views[n] for n in (
        "language_score_lists", "language_task_lists", "lb_language_table_of",
        "lb_language_task_rows", "lb_language_scores_lists", "lb_language_scores_task_lists")])

    def means(tasks, registry_only=True, macro="lb_language_scores_lists",
              table="language_score_lists"):
        return {(r[0], r[1]): (r[2], r[3]) for r in con.execute(
            f"SELECT model_name, language, score, in_table FROM {macro}("
            f"'{table}', 'b', NULL, ?, NULL, ?)", [tasks, registry_only]).fetchall()}

    def added(*scores):
        return functools.reduce(operator.add, scores) / len(scores)

    # frame order of m's eng rows: (r1, A, 0), (r1, B, 0), (r1, B, 1), (r2, A, 0); in another
    # order (entries, or tasks before revisions) the mean differs
    expected = added(1e16, 1.0, 2.0, -1e16)
    assert expected != added(1e16, 2.0, 1.0, -1e16)
    assert expected != added(1e16, -1e16, 1.0, 2.0)
    for macro, table in (("lb_language_scores_lists", "language_score_lists"),
                         ("lb_language_scores_task_lists", "language_task_lists")):
        def of(tasks, registry_only=True, macro=macro, table=table):
            return means(tasks, registry_only, macro, table)

        assert of(["A", "B"]) == {("m", "eng"): (expected, True), ("m", "fra"): (None, True),
                                  ("n", "eng"): (None, False)}, macro
        assert of(["B"]) == {("m", "eng"): (1.5, True), ("n", "eng"): (None, False)}, macro
        assert of(["A"])[("m", "eng")] == (added(1e16, -1e16), True), macro
        assert of(["C"]) == {}, macro
        assert of(["A", "B"], False)[("o", "eng")] == (0.375, True), macro
        assert of(["B"], False)[("o", "eng")] == (0.5, True), macro
    # one row per (model, language): m's eng lists in (revision, task) order, the tasks beside
    assert con.execute("SELECT task_names, in_registry, score_lists FROM language_task_lists "
                       "WHERE model_name = 'm' AND language = 'eng'").fetchall() == [
        (["A", "B", "A"], [True, True, True], [[1e16], [1.0, 2.0], [-1e16]])]
