"""mteb_lb.safe_sql: the gate, hostile queries, limits, export, schema and examples."""

from __future__ import annotations

import io
import json
import math
import threading
import time

import pyarrow.parquet as pq
import pytest
from sqlfixture import E5_SMALL

import queries
from mteb_lb import db, output, safe_sql

HEALTHY = "select count(*) from scores"


def assert_healthy():
    assert safe_sql.run(HEALTHY).rows == [(10,)]


# ------------------------------------------------------------------------------------------
# Positive results on the fixture


def test_select_exact_rows_and_types(sql_env):
    r = safe_sql.run("select model_name, main_score, languages from scores "
                     "where task_name = 'GermanQuAD-Retrieval' order by main_score desc")
    assert [(c.name, c.type) for c in r.columns] == [
        ("model_name", "VARCHAR"), ("main_score", "DOUBLE"), ("languages", "VARCHAR[]")]
    assert r.rows == [("org/closed-de", 0.8, ["deu-Latn"]), ("org/big-de", 0.7, ["deu-Latn"]),
                      ("org/small-de", 0.6, ["deu-Latn"])]
    assert r.truncated is False
    assert r.elapsed_ms > 0
    assert r.build == sql_env.name
    table = r.to_arrow()
    assert table.num_rows == 3
    assert table.column_names == ["model_name", "main_score", "languages"]


def test_parquet_view_and_join(sql_env):
    r = safe_sql.run("with r as (select s.revision, m.value from metrics m join scores s "
                     "using (entry_id) where m.metric = 'recall_at_100') "
                     "select * from r order by revision")
    assert r.rows == [("rev1", 0.25), ("rev2", 0.28)]


@pytest.mark.parametrize("sql, expected", [
    ("values (1, 'a'), (2, 'b')", [(1, "a"), (2, "b")]),
    ("from benchmarks select name order by name", [("MTEB(deu, v1)",), ("MTEB(eng, v2)",)]),
    ("select 1 as x -- trailing comment", [(1,)]),
    ("select 2 as x;", [(2,)]),
    ("-- leading comment\nselect 3 as x", [(3,)]),
    ("select unnest(['a', 'b']) as x", [("a",), ("b",)]),
    ("select count(*) from range(5)", [(5,)]),
    ("select column_name from duckdb_columns() where table_name = 'task_scores' "
     "order by column_index", [("model_name",), ("task_name",), ("score",)]),
    ("select * from scores pivot (count(*) for split in ('test')) where false", []),
])
def test_allowed_select_forms(sql_env, sql, expected):
    assert safe_sql.run(sql).rows == expected


def test_describe_show_summarize_explain(sql_env):
    assert ("main_score", "DOUBLE") in [r[:2] for r in safe_sql.run("describe scores").rows]
    assert ("scores",) in safe_sql.run("show tables").rows
    assert safe_sql.run("summarize files").rows[0][0] == "file_id"
    plan = safe_sql.run("explain select * from scores")
    assert [c.name for c in plan.columns] == ["explain_key", "explain_value"]
    assert safe_sql.run("explain analyze select 1").rows[0][0] == "analyzed_plan"


def test_reading_build_parquet_by_absolute_path(sql_env):
    path = f"{sql_env}/parquet/scores/*.parquet"
    assert safe_sql.run(f"select count(*) from read_parquet('{path}')").rows == [(10,)]
    assert safe_sql.run(f"select count(*) from '{sql_env}/parquet/files/part-0.parquet'"
                        ).rows == [(10,)]


def test_truncation_flag(sql_env):
    r = safe_sql.run("select * from range(10)", max_rows=3)
    assert r.rows == [(0,), (1,), (2,)] and r.truncated is True
    r = safe_sql.run("select * from range(10)", max_rows=10)
    assert len(r.rows) == 10 and r.truncated is False
    r = safe_sql.run("select * from range(10) order by range desc", max_rows=2)
    assert r.rows == [(9,), (8,)] and r.truncated
    assert safe_sql.run("select 1", max_rows=0).truncated is True


def test_max_rows_default_from_settings(sql_env, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "4")
    r = safe_sql.run("select * from range(100)")
    assert len(r.rows) == 4 and r.truncated


def test_result_to_dict_is_strict_json(sql_env):
    r = safe_sql.run("select value, text from metrics where metric in ('f1', 'gpu') "
                     "order by metric")
    assert math.isnan(r.rows[0][0])
    body = r.to_dict()
    assert body["rows"] == [[None, None], [None, "A100"]]
    json.dumps(body, allow_nan=False)
    r = safe_sql.run("select date '2024-01-02' as d, timestamp '2024-01-02 03:04:05' as t, "
                     "[1.5, 'nan'::double] as l, {'k': 1} as s, map {'a': 2} as m, "
                     "1.25::decimal(5,2) as dec, 'inf'::double as i")
    assert r.to_dict()["rows"] == [["2024-01-02", "2024-01-02T03:04:05", [1.5, None],
                                    {"k": 1}, {"a": 2}, 1.25, None]]


# ------------------------------------------------------------------------------------------
# Hostile queries: each refused with a clear message, the connection healthy afterwards

HOSTILE = [
    # writes of every kind
    ("insert into scores select * from scores", "INSERT statements are not allowed"),
    ("update scores set main_score = 1", "UPDATE statements are not allowed"),
    ("delete from scores", "DELETE statements are not allowed"),
    ("create table x as select 1", "CREATE statements are not allowed"),
    ("create view v as select 1", "CREATE statements are not allowed"),
    ("drop table scores", "DROP statements are not allowed"),
    ("alter table scores rename to s2", "ALTER statements are not allowed"),
    ("comment on table scores is 'x'", "COMMENT statements are not allowed"),
    ("merge into scores using scores s on true when matched then delete",
     "MERGE statements are not allowed"),
    ("truncate scores", "TRUNCATE statements are not allowed"),
    ("with x as (select 1) insert into scores select * from x", "INSERT statements are not"),
    # files out
    ("copy scores to '/tmp/stolen.csv'", "COPY statements are not allowed"),
    ("copy (select 1) to '/tmp/x.parquet' (format parquet)", "COPY statements are not allowed"),
    ("export database '/tmp/exported'", "EXPORT statements are not allowed"),
    # databases and extensions
    ("attach '/tmp/other.duckdb' as other", "ATTACH statements are not allowed"),
    ("attach ':memory:' as m", "ATTACH statements are not allowed"),
    ("detach lb", "DETACH statements are not allowed"),
    ("use system", "USE statements are not allowed"),
    ("install httpfs", "INSTALL statements are not allowed"),
    ("load httpfs", "LOAD statements are not allowed"),
    ("force install httpfs", "FORCE INSTALL statements are not allowed"),
    ("update extensions", "UPDATE statements are not allowed"),
    # system files
    ("select * from read_csv('/etc/passwd')", "read_csv() may not read '/etc/passwd'"),
    ("select * from read_csv_auto('/etc/passwd')", "read_csv_auto() may not read"),
    ("select * from read_text('/etc/passwd')", "read_text() may not read '/etc/passwd'"),
    ("select * from read_blob('/etc/shadow')", "read_blob() may not read '/etc/shadow'"),
    ("select * from read_json('/etc/hosts')", "read_json() may not read '/etc/hosts'"),
    ("select * from read_json_objects('/proc/self/environ')", "read_json_objects() may not"),
    ("select * from read_parquet('/etc/x.parquet')", "read_parquet() may not read"),
    ("select * from parquet_metadata('/etc/x.parquet')", "parquet_metadata() may not read"),
    ("select * from read_parquet(['/etc/a.parquet'])", "read_parquet() may not read"),
    ("select * from glob('/etc/*')", "glob() may not read '/etc/*'"),
    ("select * from glob('/root/**')", "glob() may not read"),
    ("select * from sniff_csv('/etc/passwd')", "sniff_csv() may not read"),
    ("select * from '/etc/passwd'", "reading '/etc/passwd' is not allowed"),
    ("select * from \"/etc/passwd\"", "reading '/etc/passwd' is not allowed"),
    ("from 'data.csv'", "reading 'data.csv' is not allowed"),
    ("describe '/etc/passwd'", "reading '/etc/passwd' is not allowed"),
    ("select * from read_parquet('parquet/scores/*.parquet')", "read_parquet() may not read"),
    ("select * from read_parquet('~/x.parquet')", "read_parquet() may not read"),
    ("select * from read_parquet(concat('/etc/', 'passwd'))",
     "may only read files named by string literals"),
    ("select * from read_parquet((select '/etc/passwd'))", "named by string literals"),
    ("select * from read_duckdb('/tmp/x.duckdb')", "read_duckdb() is not allowed"),
    ("select * from read_parquet('https://example.com/x.parquet')", "read_parquet() may not"),
    # settings
    ("set threads = 64", "SET statements are not allowed"),
    ("set memory_limit = '100GB'", "SET statements are not allowed"),
    ("set enable_external_access = true", "SET statements are not allowed"),
    ("reset threads", "RESET statements are not allowed"),
    ("set variable x = 1", "SET statements are not allowed"),
    ("pragma version", "PRAGMA statements are not allowed"),
    ("pragma database_list", "PRAGMA statements are not allowed"),
    ("checkpoint", "CHECKPOINT statements are not allowed"),
    ("vacuum", "VACUUM statements are not allowed"),
    ("begin transaction", "BEGIN statements are not allowed"),
    ("prepare p as select 1", "PREPARE statements are not allowed"),
    # several statements
    ("select 1; select 2", "only one SELECT statement per request; found 2 statements"),
    ("select 1; drop table scores", "only one SELECT statement per request; found 2 statements"),
    ("select 1; select 2; select 3", "found 3 statements"),
    # CALL, macros, temporary objects
    ("call pragma_version()", "CALL statements are not allowed"),
    ("call duckdb_settings()", "CALL statements are not allowed"),
    ("create macro m() as 1", "CREATE statements are not allowed"),
    ("create temp macro m(x) as x + 1", "CREATE statements are not allowed"),
    ("create temp table t as select * from scores", "CREATE statements are not allowed"),
    ("create temporary view v as select 1", "CREATE statements are not allowed"),
    # EXPLAIN of something else
    ("explain insert into scores select * from scores", "EXPLAIN is only allowed for a SELECT"),
    ("explain analyze delete from scores", "EXPLAIN is only allowed for a SELECT"),
    ("explain analyze select current_setting('threads')", "current_setting() is not allowed"),
    # functions revealing environment or settings
    ("select current_setting('allowed_directories')", "current_setting() is not allowed"),
    ("select main.current_setting('memory_limit')", "current_setting() is not allowed"),
    ("SELECT CURRENT_SETTING('threads')", "current_setting() is not allowed"),
    ("select * from duckdb_settings()", "duckdb_settings() is not allowed"),
    ("select * from system.main.duckdb_settings()", "duckdb_settings() is not allowed"),
    ("select * from pg_catalog.pg_settings", "pg_settings is not allowed"),
    ("select name from pg_settings", "pg_settings is not allowed"),
    ("select getenv('HOME')", "getenv() is not allowed"),
    ("select getvariable('x')", "getvariable() is not allowed"),
    ("select * from duckdb_extensions()", "duckdb_extensions() is not allowed"),
    ("select * from duckdb_secrets()", "duckdb_secrets() is not allowed"),
    ("select * from duckdb_memory()", "duckdb_memory() is not allowed"),
    ("select * from duckdb_temporary_files()", "duckdb_temporary_files() is not allowed"),
    ("select * from duckdb_logs", "duckdb_logs is not allowed"),
    ("select * from duckdb_optimizers()", "duckdb_optimizers() is not allowed"),
    ("select * from pragma_version()", "pragma_version() is not allowed"),
    ("select * from pragma_database_size()", "pragma_database_size() is not allowed"),
    ("select * from pragma_user_agent()", "pragma_user_agent() is not allowed"),
    ("select * from pragma_storage_info('scores')", "pragma_storage_info() is not allowed"),
    ("select * from user_agent()", "table function user_agent() is not allowed"),
    ("select * from test_all_types()", "table function test_all_types() is not allowed"),
    ("select write_log('hello')", "write_log() is not allowed"),
    # dynamic SQL
    ("select * from query('select current_setting(''threads'')')", "query() is not allowed"),
    ("select * from query_table('scores')", "query_table() is not allowed"),
    ("select * from json_execute_serialized_sql(json_serialize_sql('select 1'))",
     "json_execute_serialized_sql() is not allowed"),
    # hidden in subqueries, CTEs, lambdas, laterals
    ("select * from scores where task_name in (select current_setting('threads'))",
     "current_setting() is not allowed"),
    ("with s as (select * from read_text('/etc/passwd')) select * from s",
     "read_text() may not read"),
    ("select list_transform(['threads'], lambda s: current_setting(s))",
     "current_setting() is not allowed"),
    ("select * from scores, lateral (select * from glob('/etc/*'))", "glob() may not read"),
    ("select (select value from duckdb_settings() limit 1)", "duckdb_settings() is not allowed"),
    ("summarize select * from read_csv('/etc/passwd')", "read_csv() may not read"),
    ("describe select * from read_text('/etc/passwd')", "read_text() may not read"),
    ("show select current_setting('threads')", "current_setting() is not allowed"),
    # dynamic PIVOT (expands to several statements)
    ("pivot scores on model_name using avg(main_score)", "expands to several statements"),
]


@pytest.mark.parametrize("sql, message", HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_query_rejected(sql_env, sql, message):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run(sql)
    assert info.value.kind == "rejected", info.value.message
    assert message in info.value.message
    assert_healthy()


def test_rejections_point_at_the_culprit(sql_env):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select 1,\n  current_setting('threads')")
    pos = info.value.position
    assert (pos.line, pos.column, pos.offset) == (2, 3, 12)
    assert "^" in pos.excerpt
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select 1;\nselect 2")
    assert (info.value.position.line, info.value.position.column) == (2, 1)


def test_rejection_position_after_leading_comment(sql_env):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("-- hello\n  drop table scores")
    assert (info.value.position.line, info.value.position.column) == (2, 3)
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("/* c */ explain\n  delete from scores")
    assert (info.value.position.line, info.value.position.column) == (2, 3)


def test_python_objects_of_the_caller_are_not_reachable(sql_env):
    """DuckDB's Python client scans DataFrames/Arrow tables named in the SQL from the calling
    frame; the caller's locals must not leak into user SQL."""
    import pyarrow as pa

    secret_table = pa.table({"secret": [1]})  # noqa: F841 - what a replacement scan would read
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select * from secret_table")
    assert info.value.kind == "runtime" and "does not exist" in info.value.message


def test_check_alone_refuses_all_files_and_accepts_the_build(sql_env):
    inside = f"select * from read_parquet('{sql_env}/parquet/scores/*.parquet')"
    with pytest.raises(safe_sql.SqlError, match="only the current build's Parquet"):
        safe_sql.check(inside)
    assert safe_sql.check(inside, build_dir=sql_env) == inside
    escape = f"select * from read_parquet('{sql_env}/../../../../etc/passwd')"
    with pytest.raises(safe_sql.SqlError, match="may not read"):
        safe_sql.check(escape, build_dir=sql_env)
    sibling = f"select * from read_parquet('{sql_env}-other/parquet/x.parquet')"
    with pytest.raises(safe_sql.SqlError, match="may not read"):
        safe_sql.check(sibling, build_dir=sql_env)
    for other in (f"{sql_env}/lb.duckdb", f"{sql_env}/lb.duckdb.tmp/*", f"{sql_env}/*",
                  f"{sql_env}/parquet-x/y.parquet"):
        with pytest.raises(safe_sql.SqlError, match="may not read"):
            safe_sql.check(f"select * from read_blob('{other}')", build_dir=sql_env)


@pytest.mark.parametrize("sql, message", [
    ("", "the query is empty"),
    ("   \n ", "the query is empty"),
    ("-- just a comment", "no statement"),
    ("select 1" + " " * safe_sql.MAX_SQL_CHARS, "too long"),
])
def test_empty_and_oversized(sql_env, sql, message):
    with pytest.raises(safe_sql.SqlError, match=message) as info:
        safe_sql.run(sql)
    assert info.value.kind == "rejected"


def test_hardened_connection_is_the_second_layer(sql_env, monkeypatch):
    """With the gate switched off, DuckDB's own hardening still refuses; kind = permission."""
    with monkeypatch.context() as m:
        m.setattr(safe_sql.gate, "check", lambda sql, build_dir=None: sql)
        for sql in ("select * from read_csv('/etc/passwd')",
                    "select * from read_text('/etc/hostname')",
                    "copy scores to '/tmp/mteb-lb-should-not-exist.csv'",
                    "create table x as select 1",
                    "set threads = 64",
                    "set enable_external_access = true"):
            with pytest.raises(safe_sql.SqlError) as info:
                safe_sql.run(sql)
            assert info.value.kind == "permission", (sql, info.value.message)
    assert_healthy()


def test_temporary_objects_do_not_survive_a_request(sql_env, monkeypatch):
    """Even if a CREATE TEMP got past the gate, the next request has a fresh cursor."""
    cur = db.current().cursor()
    cur.execute("create temp table leak as select 42 as a")
    cur.execute("create temp macro leak_m() as 42")
    cur.execute("set variable leak_v = 42")
    assert cur.sql("select * from leak").fetchall() == [(42,)]
    for sql in ("select * from leak", "select leak_m()"):
        with pytest.raises(safe_sql.SqlError) as info:
            safe_sql.run(sql)
        assert info.value.kind == "runtime"
        assert "does not exist" in info.value.message
    cur.close()
    with monkeypatch.context() as m:
        m.setattr(safe_sql.gate, "check", lambda sql, build_dir=None: sql)
        safe_sql.run("create temp table t2 as select 1 as a")  # on this request's cursor
    with pytest.raises(safe_sql.SqlError, match="t2 does not exist"):
        safe_sql.run("select * from t2")
    # variables are per cursor too (getvariable itself is refused by the gate)
    assert db.current().cursor().sql("select getvariable('leak_v')").fetchall() == [(None,)]


# ------------------------------------------------------------------------------------------
# Time limits


def test_huge_cross_join_stopped_by_time_limit(sql_env):
    started = time.perf_counter()
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select sum(a.range * b.range) from range(100000000) a, "
                     "range(100000000) b", time_limit_ms=1000)
    elapsed = time.perf_counter() - started
    assert info.value.kind == "timeout"
    assert info.value.message == "query exceeded the 1 s limit"
    assert elapsed < 2.0  # interrupted before twice its limit (it would run for hours)
    assert_healthy()


def test_endless_recursive_cte_stopped(sql_env):
    started = time.perf_counter()
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("with recursive r(n) as (select 1 union all select n + 1 from r) "
                     "select count(*) from r", time_limit_ms=1000)
    assert info.value.kind == "timeout"
    assert time.perf_counter() - started < 2.0  # before twice its limit
    assert_healthy()


def test_time_limit_default_from_settings(sql_env, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_TIME_LIMIT_MS", "200")
    with pytest.raises(safe_sql.SqlError, match=r"exceeded the 0\.2 s limit"):
        safe_sql.run("select sleep_ms(5000)")


def test_time_limit_message_in_seconds(sql_env):
    with pytest.raises(safe_sql.SqlError, match=r"^query exceeded the 1 s limit$"):
        safe_sql.run("select sleep_ms(5000)", time_limit_ms=1000)


def test_slow_query_does_not_block_a_quick_one(sql_env):
    slow_done = threading.Event()
    outcome = {}

    def slow():
        try:
            safe_sql.run("select sleep_ms(2500)", time_limit_ms=1500)
        except safe_sql.SqlError as exc:
            outcome["slow"] = exc.kind
        slow_done.set()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)  # (had the slow one not started yet, the assertions would still hold)
    assert safe_sql.run("select count(*) from metrics").rows == [(17,)]
    assert not slow_done.is_set(), "the quick query waited for the slow one"
    thread.join(5)
    assert outcome == {"slow": "timeout"}


# ------------------------------------------------------------------------------------------
# Errors with positions


def test_parse_error_has_position_and_excerpt(sql_env):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select model_name\nfrom scores\nwher task_name = 'x'")
    err = info.value
    assert err.kind == "syntax"
    assert err.message == 'syntax error at or near "task_name"'
    assert (err.position.line, err.position.column, err.position.offset) == (3, 6, 35)
    assert err.position.excerpt.startswith("LINE 3: wher task_name = 'x'")
    assert "^^^^^^^^^" in err.position.excerpt
    assert "line 3, column 6" in err.describe()


def test_parse_error_position_counts_characters_not_bytes(sql_env):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select 'é', 'ü' frm x y")
    assert (info.value.position.line, info.value.position.column) == (1, 21)


def test_runtime_errors_have_positions(sql_env):
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select model_name,\n       nope\nfrom scores")
    err = info.value
    assert err.kind == "runtime"
    assert err.message.startswith('Referenced column "nope" not found')
    assert (err.position.line, err.position.column) == (2, 8)
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select * from nope")
    assert info.value.message.startswith("Table with name nope does not exist")
    assert (info.value.position.line, info.value.position.column) == (1, 15)
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.run("select 'x'::int")
    assert info.value.kind == "runtime" and "Could not convert" in info.value.message


def test_no_build_propagates_warehouse_error(no_build):
    from mteb_lb import warehouse

    with pytest.raises(warehouse.WarehouseError, match="mteb-lb etl"):
        safe_sql.run("select 1")


# ------------------------------------------------------------------------------------------
# Export


def test_export_csv_streams_the_full_result(sql_env):
    out = io.BytesIO()
    n = safe_sql.export("select range as i, range * 2 as j from range(250000)", "csv", out,
                        batch_size=10000)
    assert n == 250000
    lines = out.getvalue().decode().splitlines()
    assert lines[0] == 'i,j'
    assert lines[1] == "0,0" and lines[-1] == "249999,499998"
    assert len(lines) == 250001


def test_export_csv_nested_and_nan(sql_env):
    out = io.BytesIO()
    safe_sql.export("select model_name, languages from scores where entry_id = 1048576",
                    "csv", out)
    assert out.getvalue().decode() == 'model_name,languages\norg/small-de,"[""deu-Latn""]"\n'


def test_export_parquet_roundtrip(sql_env, tmp_path):
    path = tmp_path / "out.parquet"
    n = safe_sql.export("select entry_id, languages, main_score from scores order by entry_id",
                        "parquet", path)
    assert n == 10
    table = pq.read_table(path)
    assert table.num_rows == 10
    assert table.column("languages")[0].as_py() == ["deu-Latn"]


def test_export_json_is_strict(sql_env):
    out = io.BytesIO()
    n = safe_sql.export("select metric, value, text from metrics where entry_id = 8388608 "
                        "order by metric", "json", out)
    assert n == 4
    rows = json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert rows == [
        {"metric": "accuracy", "value": 0.8, "text": None},
        {"metric": "f1", "value": None, "text": None},
        {"metric": "gpu", "value": None, "text": "A100"},
        {"metric": "main_score", "value": 0.8, "text": None},
    ]
    out = io.BytesIO()
    assert safe_sql.export("select 1 as a where false", "json", out) == 0
    assert json.loads(out.getvalue()) == []


def test_export_is_gated_and_time_limited(sql_env, tmp_path):
    path = tmp_path / "x.csv"
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.export("select * from read_csv('/etc/passwd')", "csv", path)
    assert info.value.kind == "rejected"
    started = time.perf_counter()
    with pytest.raises(safe_sql.SqlError) as info:
        safe_sql.export("select range, sleep_ms(1) from range(100000)", "csv", path,
                        time_limit_ms=1000, batch_size=10)
    assert info.value.kind == "timeout"
    assert time.perf_counter() - started < 2.0  # before twice its limit (it would take 100 s)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temporary file either
    assert_healthy()


def test_export_max_rows(sql_env):
    out = io.BytesIO()
    assert safe_sql.export("select * from range(100)", "csv", out, max_rows=5) == 5


# ------------------------------------------------------------------------------------------
# Schema browser


def test_schema_lists_tables_and_views_with_descriptions(sql_env):
    objects = {o["name"]: o for o in safe_sql.schema()}  # (its speed: bench/bench_sql.py)
    assert set(objects) == {
        "scores", "metrics", "metric_arrays", "files", "model_meta", "tasks", "model_registry",
        "benchmarks", "benchmark_tasks", "task_scores", "model_revisions"}
    assert objects["scores"]["kind"] == "table"
    assert objects["metrics"]["kind"] == "view"
    assert objects["scores"]["description"].startswith("One row per result entry")
    main = next(c for c in objects["scores"]["columns"] if c["name"] == "main_score")
    assert main["type"] == "DOUBLE"
    assert main["description"].startswith("The task's main score, 0-1 scale.")
    value = next(c for c in objects["metrics"]["columns"] if c["name"] == "value")
    assert value["description"].startswith("Numeric value;")
    # a view documented in the build (COMMENT ON, as the ETL does)
    assert objects["task_scores"]["description"] == (
        "One score per (model, task): the mean main score over the task's splits and subsets. "
        "Experiments are left out.")
    assert objects["task_scores"]["columns"] == [
        {"name": "model_name", "type": "VARCHAR", "description": "Model name."},
        {"name": "task_name", "type": "VARCHAR", "description": "Task name."},
        {"name": "score", "type": "DOUBLE", "description": "Mean main score, 0-1."},
    ]
    # a view documented only by the header of queries/<view>.sql
    assert objects["model_revisions"]["description"] == "Revisions of each model that have results."
    assert objects["model_revisions"]["columns"][1] == {
        "name": "n_revisions", "type": "BIGINT", "description": "How many revisions."}


def test_parse_header():
    text = ("-- First line\n-- second line.\n--\n-- Second paragraph.\n"
            "-- @column a: Column a.\n-- @column b_c: Column b.\n"
            "select 1 -- not header\n-- nor this\n")
    assert queries.parse_header(text) == (
        "First line second line.\n\nSecond paragraph.", {"a": "Column a.", "b_c": "Column b."})
    assert queries.parse_header("select 1") == ("", {})


# ------------------------------------------------------------------------------------------
# Examples


def test_examples_are_loaded_with_titles():
    examples = safe_sql.EXAMPLES
    assert len(examples) >= 8
    titles = [t for t, _ in examples]
    assert "Which open model under 500M parameters is best on Retrieval in German?" in titles
    assert "How did recall@100 move between two revisions of a model?" in titles
    assert "Which results were run with mteb < 1.12?" in titles
    for title, sql in examples:
        assert title and sql.lstrip().startswith("--")
        safe_sql.check(sql)  # every example passes the gate


def _example(title_start: str) -> str:
    return next(sql for title, sql in safe_sql.examples() if title.startswith(title_start))


def test_every_example_runs_on_the_fixture(sql_env):
    for title, sql in safe_sql.examples():
        result = safe_sql.run(sql)
        assert result.columns, title


def test_example_best_small_open_german_retriever(sql_env):
    r = safe_sql.run(_example("Which open model under 500M"))
    assert r.rows == [("org/small-de", 300.0, 2, 0.45)]


def test_example_recall_between_revisions(sql_env):
    r = safe_sql.run(_example("How did recall@100 move"))
    assert [c.name for c in r.columns] == ["task_name", "split", "subset", "revision_a",
                                            "recall_a", "revision_b", "recall_b", "delta"]
    assert r.rows == [("NFCorpus", "test", "default", "rev1", 0.25, "rev2", 0.28, 0.03)]


def test_example_old_mteb_versions(sql_env):
    r = safe_sql.run(_example("Which results were run with mteb < 1.12"))
    assert r.rows == [(E5_SMALL, "1.1.0", 1), ("org/closed-de", "1.11.0", 1)]


# ------------------------------------------------------------------------------------------
# Helpers


def test_jsonable():
    import datetime as dt
    import decimal

    assert output.jsonable(float("nan")) is None
    assert output.jsonable(float("-inf")) is None
    assert output.jsonable(dt.date(2024, 1, 2)) == "2024-01-02"
    assert output.jsonable([1.0, float("inf"), {"a": float("nan")}]) == [1.0, None, {"a": None}]
    assert output.jsonable([("k", 1), ("l", 2)]) == {"k": 1, "l": 2}
    assert output.jsonable(decimal.Decimal("1.50")) == 1.5
    assert output.jsonable(decimal.Decimal("12345678901234567890")) == 12345678901234567890
    assert output.jsonable(b"\x00\xff") == "00ff"


def test_error_to_dict():
    err = safe_sql.SqlError("boom", "runtime")
    assert err.to_dict() == {"error": "boom", "kind": "runtime", "position": None}
    with pytest.raises(AssertionError):
        safe_sql.SqlError("x", "nonsense")


@pytest.mark.realdata
def test_examples_run_on_the_real_build_within_the_default_limit(real_warehouse, monkeypatch):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(real_warehouse))
    for title, sql in safe_sql.examples():
        result = safe_sql.run(sql)  # the default time limit (5 s)
        assert result.columns, title
    best = safe_sql.run(_example("Which open model under 500M")).rows
    assert best and all(params <= 500 for _, params, _, _ in best)
    objects = {o["name"]: o for o in safe_sql.schema()}  # (its speed: bench/bench_sql.py)
    assert objects["scores"]["description"] and objects["metrics"]["kind"] == "view"


@pytest.mark.parametrize("sql", ["select 42 as x; -- the answer", "select 42 as x -- note",
                                 "select 42 as x;\n-- a\n/* b */\n"])
def test_a_terminator_or_trailing_comment_does_not_break_the_query(sql):
    """The checked text is wrapped in LIMIT/OFFSET queries (paging, counting): a trailing `;`
    or line comment must not swallow the wrapper's closing parenthesis."""
    assert safe_sql.check(sql) == "select 42 as x"
