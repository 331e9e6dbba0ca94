"""The served app under load (docs/PERFORMANCE.md §Eighth pass: the served app under load): the
cap on concurrent ranking queries, the result cache's compact tables, and the cached pages'
answers remembered per build."""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa
import pytest
from warehouses import in_fresh_process

from mteb_lb import arrow_np, db

# -- db.query_gate -------------------------------------------------------------------------


class _Recorder:
    """A stand-in connection for query_arrow: records how many executes run at once."""

    def __init__(self, barrier: threading.Barrier | None = None):
        self.active = self.most = 0
        self.lock = threading.Lock()
        self.barrier = barrier
        self.release = threading.Event()

    def execute(self, sql, params=None):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            if self.barrier is not None:
                self.barrier.wait()          # both threads inside execute at once
            else:
                self.release.wait(0.05)      # stay inside a moment: a second thread could enter
        finally:
            with self.lock:
                self.active -= 1

    def to_arrow_table(self):
        return "rows"


def _run(con, n: int) -> list:
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(db.query_arrow(con, "SELECT 1")))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_one_query_at_a_time_under_a_cap_of_one(monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_CONCURRENCY", "1")
    con = _Recorder()
    assert _run(con, 4) == ["rows"] * 4
    assert con.most == 1


def test_no_cap_by_default_queries_run_together(monkeypatch):
    monkeypatch.delenv("MTEB_LB_SQL_CONCURRENCY", raising=False)
    assert db.query_gate() is None
    # with a cap, the second thread could never reach the barrier while the first waits in it
    con = _Recorder(threading.Barrier(2, timeout=20))
    assert _run(con, 2) == ["rows"] * 2
    assert con.most == 2


def test_a_cap_of_two_lets_two_run(monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_CONCURRENCY", "2")
    con = _Recorder(threading.Barrier(2, timeout=20))
    assert _run(con, 2) == ["rows"] * 2
    assert con.most == 2


def test_a_failing_query_gives_its_turn_back(monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_CONCURRENCY", "1")
    con = duckdb.connect()
    with pytest.raises(duckdb.Error):
        db.query_arrow(con, "SELECT * FROM no_such_table")
    assert db.query_arrow(con, "SELECT 42 AS x").to_pylist() == [{"x": 42}]


def test_a_bad_cap_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_CONCURRENCY", "many")
    with pytest.raises(ValueError, match="MTEB_LB_SQL_CONCURRENCY='many' is not valid"):
        db.query_gate()


# -- arrow_np.compact ----------------------------------------------------------------------


def _big_table() -> pa.Table:
    return duckdb.connect().sql(
        "SELECT i::BIGINT AS n, 'model-' || i AS name, [i, i + 1] AS pair, "
        "CASE WHEN i % 3 = 0 THEN NULL ELSE i / 4 END AS score FROM range(100000) t(i)"
    ).to_arrow_table()


def _buffer_bytes(table: pa.Table) -> int:
    def walk(array):
        total = sum(b.size for b in array.buffers() if b is not None)
        return total
    return sum(walk(chunk) for col in table.columns for chunk in col.chunks)


def test_a_compacted_slice_holds_only_its_rows():
    big = _big_table()
    part = big.slice(500, 10)
    # a slice shares its parent's buffers: the 100,000 rows stay alive with it
    assert _buffer_bytes(part) > 1_000_000
    small = arrow_np.compact(part)
    assert small.equals(part)
    # 500 / 4 = 125.0; 501 is a multiple of 3: NULL
    assert small.to_pylist()[:2] == [
        {"n": 500, "name": "model-500", "pair": [500, 501], "score": 125.0},
        {"n": 501, "name": "model-501", "pair": [501, 502], "score": None}]
    # 10 rows of four columns: well under a kilobyte each (8-byte values, short strings)
    assert _buffer_bytes(small) < 4_000


def test_compact_keeps_the_schema_metadata_and_leaves_other_values_alone():
    table = _big_table().slice(0, 3)
    table = table.replace_schema_metadata({"lb_note": "kept"})
    assert arrow_np.compact(table).schema.metadata == {b"lb_note": b"kept"}
    empty = table.slice(0, 0)
    assert arrow_np.compact(empty).num_rows == 0
    assert arrow_np.compact(empty).schema == empty.schema
    value = {"a": 1}
    assert arrow_np.compact(value) is value


# -- cached answers of the pages -------------------------------------------------------------


@pytest.fixture
def cursors(monkeypatch):
    opened = []
    original = db.CurrentBuild.cursor

    def counting(self):
        opened.append(1)
        return original(self)
    monkeypatch.setattr(db.CurrentBuild, "cursor", counting)
    return opened


def test_the_menu_is_read_once_per_build(lb, cursors):
    first = lb.menu()
    before = len(cursors)
    assert lb.menu() == first
    assert len(cursors) == before


def test_a_model_page_rendered_again_asks_the_build_nothing(dash_app, env, cursors):
    from dash_helpers import text_of

    from app.pages import model

    first = text_of(model.layout(name="org-a/small-open"))
    assert "small-open" in first
    before = len(cursors)
    assert text_of(model.layout(name="org-a/small-open")) == first
    assert len(cursors) == before
    # the ranks card (a second request of the page) reads the same rows; its order is its own
    ranks = [r["benchmark"] for r in model.model_ranks("org-a/small-open")]
    assert ranks == [r["benchmark"] for r in model.model_ranks("org-a/small-open")]


def test_cached_answers_follow_the_build(env, lb, monkeypatch):
    import app as appmod

    other = lb.handle.build.parent.parent      # the ranking fixture's warehouse (builds/<id>)
    answers = []
    for folder in (env, other, env):
        monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(folder))
        fresh = appmod.query("app_model_links")
        assert appmod.cached_query("app_model_links") == fresh
        assert appmod.cached_query("app_model_links") == fresh
        answers.append(fresh)
    assert answers[0] != answers[1]          # two builds with other models: a real switch


# -- a worker without pandas -------------------------------------------------------------------


def test_empty_tables_are_made_without_importing_pandas(app_warehouse):
    """A state that leaves no task gives empty tables (the warm-up renders such boards):
    `pa.array([], ...)` made pyarrow import pandas, ~50 MB of a worker's memory that nothing
    else of the load test's mix imports; see
    docs/PERFORMANCE.md §Session 12: the served app (serve5)"""
    out = in_fresh_process(
        app_warehouse,
        "from mteb_lb.lbstate import Filters; none = Filters(tasks=()); "
        "t = [lb.table(b, v, none) for v in ('summary', 'per-task', 'tasks')]",
        "[(x.num_rows, [(f.name, str(f.type)) for f in x.schema]) for x in t]")
    assert out == ("[(0, [('Rank (Borda)', 'int64'), ('Model', 'string')]), "
                   "(0, [('Model', 'string')]), (0, [('Task Name', 'string')])] []")


# -- bench/memory_profile.py's accounting ---------------------------------------------------

def test_memory_profile_counts_numpy_matrices_in_cached_values():
    """The result cache's bytes count a cached BordaInputs' matrix (a float per model x
    partition), not only Arrow tables: 10 x 20 float64 = 1,600 bytes, 10 bools = 10 bytes,
    100 int64 = 800 bytes; names and other objects count nothing."""
    import importlib.util
    from pathlib import Path

    import numpy as np

    from mteb_lb import stats

    path = Path(__file__).resolve().parent.parent / "bench" / "memory_profile.py"
    spec = importlib.util.spec_from_file_location("memory_profile_under_test", path)
    memory_profile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(memory_profile)
    inputs = stats.BordaInputs(tuple(f"m{i}" for i in range(10)), tuple(f"p{j}" for j in
                               range(20)), tuple(f"t{j}" for j in range(20)),
                               np.zeros((10, 20)), np.zeros(10, dtype=bool))
    table = pa.table({"x": pa.array(range(100), pa.int64())})
    assert memory_profile.buffer_bytes(inputs) == 1_610
    assert memory_profile.buffer_bytes({"a": [inputs, table], "b": ("text", 3)}) == 2_410
