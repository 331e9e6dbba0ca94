"""The warehouse built from the real results repository holds every number docs/DATA.md §Counts
gives.

Runs when MTEB_LB_REAL_RESULTS (a folder holding the pinned results/) or MTEB_LB_REAL_WAREHOUSE
is set; `.ci/run` unpacks ../shared's tarball and sets the first.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def con(real_leaderboard):
    # the session's read-only connection: DuckDB refuses a second one to the same file with
    # another configuration in one process
    cursor = real_leaderboard.handle.cursor()
    yield cursor
    cursor.close()


def one(con, sql):
    return con.execute(sql).fetchone()


def test_every_file_is_accounted_for(con):
    rows = dict(((k, s), n) for k, s, n in con.execute(
        "SELECT kind, status, count(*) FROM files GROUP BY ALL").fetchall())
    # docs/DATA.md §Counts: 103,790 result files + 852 model_meta.json; none is invalid JSON or
    # quarantined.
    assert rows[("result", "loaded")] == 103_790
    assert rows[("model_meta", "loaded")] == 852
    assert ("result", "quarantined") not in rows and ("model_meta", "quarantined") not in rows
    # everything else under results/ (run_settings.jsonl, out.log, a stray script) is skipped
    # with a reason, never silently dropped
    assert one(con, "SELECT count(*) FROM files "
                    "WHERE status = 'skipped' AND reason IS NULL") == (0,)
    assert one(con, "SELECT count(*) FROM files "
                    "WHERE kind = 'other' AND path LIKE '%.json'") == (0,)


def test_entries_per_layout(con):
    counts = dict(con.execute("SELECT file_format, count(*) FROM scores GROUP BY ALL").fetchall())
    # docs/DATA.md §Counts
    assert counts == {"current": 1_290_668, "legacy": 2_750}
    assert one(con, "SELECT count(DISTINCT path) FROM scores "
                    "WHERE file_format = 'legacy'") == (1823,)
    assert one(con, "SELECT count(DISTINCT model_folder) FROM scores") == (673,)


def test_nan_values_are_kept(con):
    # docs/DATA.md §Values: main_score is NaN in exactly 12 entries (AFQMC, mteb 1.12.75)
    assert one(con, "SELECT count(*) FROM scores WHERE isnan(main_score)") == (12,)
    assert one(con, "SELECT count(DISTINCT task_name) FROM scores WHERE isnan(main_score)") == (1,)
    # docs/DATA.md §Values: 1,091,373 NaN values among the top-level scalar keys of
    # current-layout entries (bare NaN tokens; the string "nan" is counted apart), and 213 more
    # inside nested dicts (InstructionRetrieval's og / changed metrics), which we flatten rather
    # than drop
    nan_counts = dict(con.execute("""
        SELECT metric LIKE '%.%' AS nested, count(*) FROM metrics m JOIN scores s USING (entry_id)
        WHERE s.file_format = 'current' AND isnan(m.value) AND m.text IS NULL
        GROUP BY ALL""").fetchall())
    assert nan_counts == {False: 1_091_373, True: 213}
    # the 26 string "nan" values of Lajavaness' SyntecRetrieval files are kept as text
    assert one(con, "SELECT count(*) FROM metrics WHERE text = 'nan' AND isnan(value)") == (26,)


def test_experiments_are_kept_and_marked(con):
    experiments = {r[0] for r in con.execute(
        "SELECT DISTINCT experiment FROM scores WHERE experiment IS NOT NULL").fetchall()}
    assert experiments == {"model_kwargs_{}", "vector_type_multi_vector",
                           "use_image_modality_False"}
    assert one(con, "SELECT count(DISTINCT path) FROM scores WHERE experiment IS NOT NULL") == (58,)
    # and never reach the rankings
    assert one(con, "SELECT count(*) FROM stg_scores s JOIN scores x USING (entry_id) "
                    "WHERE x.experiment IS NOT NULL") == (0,)


def test_model_identity_comes_from_model_meta(con):
    # a folder whose name cannot be inverted (spaces, parentheses) keeps its real model name
    assert one(con, """SELECT DISTINCT model_name FROM scores
                       WHERE model_folder = 'Cohere__Cohere-embed-v4.0_(output_dtype=binary)'""") \
        == ("Cohere/Cohere-embed-v4.0 (output_dtype=binary)",)
    # legacy task names are renamed as mteb renames them
    assert one(con, "SELECT count(*) FROM scores WHERE task_name = 'PPC'") == (0,)
    assert one(con, "SELECT count(*) > 0 FROM scores WHERE file_task_name = 'PPC' "
                    "AND task_name = 'PpcPC'") == (True,)


def test_metric_counts(con):
    total = one(con, "SELECT count(*) FROM metrics")[0]
    assert 35_600_000 <= total <= 35_800_000   # docs/DATA.md §Counts: about 35.7 M
    # pre-1.12.48 pair classification dicts are flattened with mteb's names
    assert one(con, "SELECT count(*) FROM metrics WHERE metric = 'cos_sim.ap'") == (0,)
    assert one(con, "SELECT count(*) > 0 FROM metrics WHERE metric = 'cosine_ap'") == (True,)
