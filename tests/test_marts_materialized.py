"""How three marts are materialized (docs/PERFORMANCE.md §Seventh pass) must not change what they
hold: benchmark_results sorts integer keys only (the rank of (benchmark, task_name) first) and
looks its strings up by key after the sort (see docs/PERFORMANCE.md
§Tenth pass: the database half (session 13, build6)): each row must keep its own strings, and
the table must still be stored in (benchmark, task) order (requests prune row groups);
benchmark_task_means counts the distinct (subset, split) pairs a model scored per group on its
own list instead of DuckDB's distinct aggregate, and must count as `count(DISTINCT ...)` does:
a repeated pair once, a pair without a score not at all, a NULL subset or split as a value; it
lists the pairs' hashes when the hash tells the catalog's pairs apart, their structs otherwise;
benchmark_language_keyed sorts integer keys and the language only and looks its other strings
up by key after the sort, like benchmark_results
(docs/PERFORMANCE.md §Eleventh pass: the database half (session 14, build7)); task_spread_of
sums the experiments from lists and must keep the spread's definition."""

from __future__ import annotations

import random

import duckdb
import pytest

import queries

PAIR_HASH = "hash(subset, split)"
LANGUAGES = ["eng-Latn", "fra-Latn", "deu-Latn"]


def _mart(con, name: str, sql: str | None = None) -> None:
    view = next(v for v in queries.all_views() if v.name == name)
    con.execute(f'CREATE TABLE "{name}" AS\n{sql or view.sql}')


# the mart as it is, and with a hash that does not tell the pairs below apart (it ignores the
# subset): the count must fall back to the structs and stay exact
@pytest.mark.parametrize("pair_hash", [PAIR_HASH, "hash(split)"])
def test_task_means_have_pairs_counts_distinct_scored_pairs(pair_hash):
    sql = next(v for v in queries.all_views() if v.name == "benchmark_task_means").sql
    assert sql.count(PAIR_HASH) == 2   # the check and the count use the same hash
    con = duckdb.connect()
    con.execute("""CREATE TABLE benchmark_results (
        benchmark VARCHAR, model_name VARCHAR, task_name VARCHAR, task_type VARCHAR,
        is_public BOOLEAN, in_registry BOOLEAN, score DOUBLE, row_order INTEGER,
        subset VARCHAR, split VARCHAR)""")
    rows = [
        # m1: (s1, test) twice, (s2, test) unscored, (s3, dev): 2 pairs
        ("m1", 0.5, 0, "s1", "test"), ("m1", 0.7, 1, "s1", "test"),
        ("m1", None, 2, "s2", "test"), ("m1", 0.1, 3, "s3", "dev"),
        # m2: no score at all: 0 pairs
        ("m2", None, 0, "s1", "test"), ("m2", None, 1, "s2", "test"),
        # m3: (NULL, test) twice, (NULL, NULL), (s1, NULL), ('', test): 4 pairs
        ("m3", 0.2, 0, None, "test"), ("m3", 0.4, 1, None, "test"),
        ("m3", 0.6, 2, None, None), ("m3", 0.8, 3, "s1", None), ("m3", 1.0, 4, "", "test"),
    ]
    con.executemany("INSERT INTO benchmark_results VALUES ('B', ?, 'T', 'Retrieval', true, "
                    "true, ?, ?, ?, ?)", rows)
    # the catalog's pairs (benchmark_results takes its rows' pairs from there)
    con.execute("CREATE TABLE benchmark_tasks AS SELECT DISTINCT 'B' AS benchmark, "
                "'T' AS task_name, split, subset, ['eng-Latn'] AS languages "
                "FROM benchmark_results")
    _mart(con, "benchmark_task_means", sql.replace(PAIR_HASH, pair_hash))
    got = con.execute("SELECT model_name, have_pairs, typeof(have_pairs) "
                      "FROM benchmark_task_means ORDER BY model_name").fetchall()
    assert got == [("m1", 2, "BIGINT"), ("m2", 0, "BIGINT"), ("m3", 4, "BIGINT")]


def test_benchmark_results_stored_in_benchmark_scored_task_order():
    """Stored by benchmark, its scored rows before its rows without a score (a language
    filter's scan of the scored rows skips the others' row groups), then by task."""
    rng = random.Random(16)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    benchmarks = [f"B{i:02d}" for i in range(12)]
    tasks = [f"T{i:03d}" for i in range(60)]
    triples = [(b, t, split, "default", ["eng-Latn"])
               for b in benchmarks for t in rng.sample(tasks, 25) for split in ("dev", "test")]
    rng.shuffle(triples)
    con.execute("CREATE TABLE benchmark_tasks (benchmark VARCHAR, task_name VARCHAR, "
                "split VARCHAR, subset VARCHAR, languages VARCHAR[])")
    con.executemany("INSERT INTO benchmark_tasks VALUES (?, ?, ?, ?, ?)", triples)
    models = [f"m{i:02d}" for i in range(40)]
    # revisions and registry membership vary by model, the task type by task: the strings
    # looked up after the sort (by key) must be each row's own
    chosen = [(m, m, t, f"r{int(m[1:]) % 3}", n) for n, (m, t) in
              enumerate((m, t) for m in models for t in tasks)]
    con.execute("CREATE TABLE chosen_results (model_name VARCHAR, model_folder VARCHAR, "
                "task_name VARCHAR, revision VARCHAR, file_id BIGINT)")
    con.executemany("INSERT INTO chosen_results VALUES (?, ?, ?, ?, ?)", chosen)
    con.execute("CREATE TABLE stg_scores AS SELECT file_id, 0 AS entry_no, 'test' AS split, "
                "'default' AS subset, 0.5 AS score, ['eng-Latn'] AS languages "
                "FROM chosen_results")
    registered = models[::2]
    con.execute("CREATE TABLE model_registry (name VARCHAR, folder VARCHAR)")
    con.executemany("INSERT INTO model_registry VALUES (?, ?)", [(m, m) for m in registered])
    con.execute("CREATE TABLE tasks (name VARCHAR, type VARCHAR, is_public BOOLEAN)")
    con.executemany("INSERT INTO tasks VALUES (?, ?, ?)",
                    [(t, "Retrieval" if int(t[1:]) % 2 else "Clustering", int(t[1:]) % 5 > 0)
                     for t in tasks])
    _mart(con, "benchmark_results")
    stored = con.execute("SELECT benchmark, score IS NULL, task_name FROM benchmark_results "
                         "ORDER BY rowid").fetchall()
    # every (model, triple) once: 40 models x 12 benchmarks x 25 tasks x 2 splits
    assert len(stored) == 40 * 12 * 25 * 2
    assert stored == sorted(stored)
    assert con.execute("SELECT count(*) FROM benchmark_results WHERE is_placeholder").fetchone() \
        == (40 * 12 * 25,)   # the dev split: no entry
    expected = sorted((b, m, t, f"r{int(m[1:]) % 3}", split, split == "dev",
                       "Retrieval" if int(t[1:]) % 2 else "Clustering", int(t[1:]) % 5 > 0,
                       m in registered)
                      for b, t, split, _subset, _langs in triples for m in models)
    assert sorted(con.execute(
        "SELECT benchmark, model_name, task_name, revision, split, is_placeholder, task_type, "
        "is_public, in_registry FROM benchmark_results").fetchall()) == expected


def test_language_keyed_rows_sorted_with_their_own_strings():
    """Each row keeps its benchmark, model and task (looked up by key after the sort); the
    sort key ranks the model's (revision, task) pairs in name order within the benchmark; the
    table is stored in (benchmark, model, language, sort key) order."""
    rng = random.Random(14)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE benchmark_language_rows (benchmark VARCHAR, model_name VARCHAR, "
                "in_registry BOOLEAN, task_name VARCHAR, revision VARCHAR, row_order INTEGER, "
                "language_set UBIGINT, score DOUBLE, language VARCHAR)")
    rows = []
    for b in ("MTEB(B, v1)", "A"):
        for m in rng.sample([f"org/model-{i:02d}" for i in range(30)], 20):
            revisions = rng.sample(["r1", "r2", "r3"], rng.randint(1, 2))
            for t in rng.sample([f"Task{i:02d}" for i in range(25)], 8):
                rev = rng.choice(revisions)
                for row_order in rng.sample(range(1, 50), 3):
                    languages, language_set = rng.sample(LANGUAGES, 2), rng.randrange(1000)
                    for lang in languages:
                        rows.append((b, m, int(m[-2:]) % 2 == 0, t, rev, row_order,
                                     language_set, rng.random(), lang))
    rng.shuffle(rows)
    con.executemany("INSERT INTO benchmark_language_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows)
    _mart(con, "benchmark_language_keyed")
    ranks = {}
    for b, m, _r, t, rev, *_ in rows:
        ranks.setdefault((b, m), set()).add((rev, t))
    ranks = {k: {p: i + 1 for i, p in enumerate(sorted(v))} for k, v in ranks.items()}
    expected = sorted((b, m, lang, ranks[b, m][rev, t] * 2**32 + row_order, t, r, s, score)
                      for b, m, r, t, rev, row_order, s, score, lang in rows)
    stored = con.execute("SELECT benchmark, model_name, language, sort_key, task_name, "
                         "in_registry, language_set, score FROM benchmark_language_keyed "
                         "ORDER BY rowid").fetchall()
    assert sorted(stored) == expected
    assert [r[:4] for r in stored] == [r[:4] for r in expected]


def test_task_spread_needs_every_experiment_on_every_row():
    """task_spread_of works on lists (docs/PERFORMANCE.md
    §Twelfth pass: the database half (session 15, build8)): a (benchmark, model, task) has a
    spread only when each row of its frame has a score for each experiment; the experiment's
    task score is the mean over the rows; levels are taken in numeric order. Expected values by
    hand."""
    con = duckdb.connect()
    con.execute("CREATE TABLE tasks AS SELECT * FROM (VALUES ('Cls', 'accuracy'), "
                "('Clu', 'v_measure')) AS t(name, main_score)")
    con.execute("CREATE TABLE metric_arrays (entry_id BIGINT, metric VARCHAR, "
                "values DOUBLE[])")
    con.execute("CREATE TABLE frame (benchmark VARCHAR, model_name VARCHAR, task_name VARCHAR, "
                "row_order INTEGER, is_placeholder BOOLEAN, in_registry BOOLEAN, "
                "file_id BIGINT)")
    acc = "scores_per_experiment.accuracy"
    arrays = [
        # m1: two rows; f1 is not the main score
        (1, 0, acc, [0.70, 0.74, 0.72]), (1, 1, acc, [0.60, 0.62, 0.64]),
        (1, 0, "scores_per_experiment.f1", [9.0, 9.0, 9.0]),
        (2, 0, acc, [0.5, 0.6]), (2, 1, acc, [0.5]),                       # m2: lengths differ
        (3, 0, acc, [0.5, None]), (3, 1, acc, [0.5, 0.5]),                 # m3: a NULL
        (4, 0, acc, [float("nan"), 0.5]), (4, 1, acc, [0.5, 0.5]),         # m4: a NaN
        (5, 0, "v_measures.Level 10", [0.9]), (5, 0, "v_measures.Level 2", [0.1, 0.2]),
        (6, 0, acc, [0.5, 0.5]),                                           # m6: + a placeholder
    ]
    con.executemany("INSERT INTO metric_arrays VALUES ((? << 20) | ?, ?, ?)", arrays)
    frame = [("B1", "m1", "Cls", 0, False, False, 1), ("B1", "m1", "Cls", 1, False, False, 1),
             ("B2", "m1", "Cls", 0, False, False, 1),   # the same entry in another benchmark
             ("B1", "m2", "Cls", 0, False, True, 2), ("B1", "m2", "Cls", 1, False, True, 2),
             ("B1", "m3", "Cls", 0, False, True, 3), ("B1", "m3", "Cls", 1, False, True, 3),
             ("B1", "m4", "Cls", 0, False, True, 4), ("B1", "m4", "Cls", 1, False, True, 4),
             ("B1", "m5", "Clu", 0, False, True, 5),
             ("B1", "m6", "Cls", 0, False, True, 6), ("B1", "m6", "Cls", 1048576, True, True, 6)]
    con.executemany("INSERT INTO frame VALUES (?, ?, ?, ?, ?, ?, ?)", frame)
    con.execute(next(v for v in queries.all_views() if v.name == "task_spread_of").sql)
    got = con.execute("SELECT * FROM task_spread_of('frame') "
                      "ORDER BY benchmark, model_name").fetchall()
    # m1 in B1: per experiment (.70+.60)/2, (.74+.62)/2, (.72+.64)/2 = .65, .68, .68: mean .67,
    # sd sqrt((.02^2 + .01^2 + .01^2) / 2); in B2 its row 0 alone: mean .72, sd .02;
    # m5: levels 2 then 10: .1, .2, .9: mean .4, sd sqrt((.09 + .04 + .25) / 2)
    assert [r[:5] for r in got] == [("B1", "m1", "Cls", False, 3), ("B1", "m5", "Clu", True, 3),
                                    ("B2", "m1", "Cls", False, 3)]
    assert [r[5:] for r in got] == [
        pytest.approx((0.67, 0.0003 ** 0.5), abs=1e-12),
        pytest.approx((0.4, 0.19 ** 0.5), abs=1e-12),
        pytest.approx((0.72, 0.02), abs=1e-12)]
