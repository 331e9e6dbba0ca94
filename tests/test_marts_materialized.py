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
(docs/PERFORMANCE.md §Eleventh pass: the database half (session 14, build7))."""

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


def test_benchmark_results_stored_in_benchmark_task_order():
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
    stored = con.execute("SELECT benchmark, task_name FROM benchmark_results "
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
