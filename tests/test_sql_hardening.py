"""Issue #11: hostile requests stay inside the SQL limits; damaged builds are reported.

Each test uses the exact input the issue names, plus more of the same kind."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from mteb_lb import csvsafe, output, safe_sql, warehouse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def client():
    import flask

    from app import api

    server = flask.Flask(__name__)
    api.register(server)
    return server.test_client()


# -- the byte cap ------------------------------------------------------------------------------

def test_the_issues_list_of_structs_is_truncated_not_converted(sql_env, client):
    resp = client.post("/api/sql", json={"sql": "SELECT list({'a': x}) FROM range(12000000) t(x)"})
    assert resp.status_code == 200
    body = resp.get_json()
    # the one row holds 12 M structs (~93 MB of Arrow data): it is not sent
    assert body["rows"] == [] and body["truncated"] is True and body["truncated_by"] == "bytes"


def test_byte_cap_keeps_the_rows_that_fit(sql_env, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_BYTES", "10000")
    # each row: 1,000 characters + a 4-byte offset; k rows take 4 (k + 1) + 1000 k bytes:
    # 9 rows = 9,040 bytes fit, 10 rows = 10,044 do not
    r = safe_sql.run("SELECT repeat('x', 1000) AS s FROM range(100)")
    assert len(r.rows) == 9 and r.truncated and r.truncated_by == "bytes"
    assert r.to_dict()["truncated_by"] == "bytes"
    r = safe_sql.run("SELECT repeat('x', 1000) AS s FROM range(9)")
    assert len(r.rows) == 9 and not r.truncated and r.truncated_by is None
    assert "truncated_by" not in r.to_dict()


def test_nested_values_count_for_their_python_cost(sql_env, monkeypatch):
    # a list of 100 BIGINTs: 800 bytes of Arrow data + 100 x 64 = 7,200 bytes counted
    monkeypatch.setenv("MTEB_LB_SQL_MAX_BYTES", "20000")
    r = safe_sql.run("SELECT range(100) AS l FROM range(10)")
    assert 1 <= len(r.rows) <= 2 and r.truncated_by == "bytes"


def test_row_cap_still_says_rows(sql_env):
    r = safe_sql.run("SELECT x FROM range(50) t(x)", max_rows=20)
    assert [v for (v,) in r.rows] == list(range(20)) and r.truncated_by == "rows"


def test_time_limit_covers_fetching_and_converting(sql_env):
    with pytest.raises(safe_sql.SqlError) as err:
        safe_sql.run("SELECT x, x::VARCHAR FROM range(20000000) t(x)", max_rows=20_000_000,
                      max_bytes=2**40, time_limit_ms=200)
    assert err.value.kind == "timeout"


def test_export_refuses_a_row_larger_than_the_cap(sql_env, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_BYTES", "100000")
    for fmt in ("json", "csv", "parquet"):
        with pytest.raises(safe_sql.SqlError) as err:
            safe_sql.export("SELECT list({'a': x}) AS l FROM range(1000000) t(x)", fmt,
                            io.BytesIO())
        assert "sql_max_bytes" in err.value.message
    out = io.BytesIO()   # many small rows are streamed in slices, all of them
    assert safe_sql.export("SELECT repeat('y', 500) FROM range(2000)", "json", out) == 2000
    assert len(json.loads(out.getvalue())) == 2000


# -- the /sql grid trusts nothing from the browser ------------------------------------------------

STORE = {"sql": "SELECT x, 'row ' || x AS label FROM range(3000000) t(x)", "count": 3000000,
         "pageable": True, "max_rows": 3000000,
         "columns": [{"name": "x", "type": "BIGINT"}, {"name": "label", "type": "VARCHAR"}]}


def test_grid_block_is_capped_on_the_server(sql_env, monkeypatch):
    from app.main import create_app

    create_app(prewarm=False)   # Dash registers the pages when an app is made
    from app.pages import sql as page

    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "250")
    rows = page.fetch_block(STORE, 0, 3000000)
    assert len(rows) == page.BLOCK_SIZE
    assert page.fetch_block(STORE, 200, 3000000)[-1]["c0"] == 249   # never past the row cap
    assert page.fetch_block(STORE, 250, 3000000) == []


def test_crafted_callback_request_gets_one_block(sql_env):
    from app.main import create_app

    client = create_app(prewarm=False).server.test_client()
    body = {"output": "..sql-grid.getRowsResponse...sql-block-error.children..",
            "outputs": [{"id": "sql-grid", "property": "getRowsResponse"},
                        {"id": "sql-block-error", "property": "children"}],
            "inputs": [{"id": "sql-grid", "property": "getRowsRequest",
                        "value": {"startRow": 0, "endRow": 3000000}}],
            "state": [{"id": "sql-result", "property": "data", "value": STORE}],
            "changedPropIds": ["sql-grid.getRowsRequest"]}
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200
    data = resp.get_json()["response"]["sql-grid"]["getRowsResponse"]
    assert [r["c0"] for r in data["rowData"]] == list(range(100))
    assert data["rowCount"] == 10000   # the sql_max_rows default, not the 3,000,000 sent


# -- the allow-list: nothing evaluates a string as a relation or a query ------------------------

def _macros() -> list[str]:
    return sorted(p.name.removesuffix(".macro.sql") for p in (ROOT / "queries").glob("*.macro.sql"))


def _arguments(build: Path) -> list[str]:
    return ["'pg_settings'", "'pg_catalog.pg_settings'", "'duckdb_settings'",
            f"'{build}/manifest.json'", "'manifest.json'", f"'{build}/lb.duckdb'",
            "'pg_' || 'settings'", "concat('pg_', 'settings')"]


@pytest.mark.parametrize("name", sorted(safe_sql.SAFE_TABLE_FUNCTIONS) + _macros())
def test_no_allowed_function_reads_a_relation_named_by_a_string(sql_env, name):
    for arg in _arguments(sql_env):
        for sql in (f"SELECT * FROM {name}({arg})", f"SELECT * FROM {name}({arg}, name)"):
            try:
                result = safe_sql.run(sql)
            except safe_sql.SqlError:
                continue   # refused or failed: nothing leaked
            text = json.dumps(result.to_dict())
            assert "memory_limit" not in text, sql        # a row of pg_settings
            assert "row_counts" not in text, sql          # the manifest's content
            assert "fixture" not in text.replace(str(sql_env), ""), sql


@pytest.mark.parametrize("sql, message", [
    ("SELECT * FROM histogram('pg_settings', name)", "pg_settings is not allowed"),
    ("SELECT * FROM histogram_values('pg_settings', name)", "pg_settings is not allowed"),
    ("SELECT * FROM histogram('pg_catalog.pg_settings', name)", "only the current build"),
    ("SELECT * FROM histogram('{build}/manifest.json', build_id)", "only the current build"),
    ("SELECT * FROM histogram_values('{build}/segments.parquet', segment)",
     "only the current build"),
    ("SELECT * FROM histogram('sc' || 'ores', task_name)", "string literal"),
    ("SELECT * FROM histogram(getvariable('t'), task_name)", "string literal"),
    ("SELECT * FROM pragma_table_info('pg_' || 'settings')", "string literal"),
    ("SELECT * FROM histogram(['scores', 'pg_settings'], name)", "pg_settings is not allowed"),
])
def test_histogram_reaches_only_allowed_relations(sql_env, sql, message):
    with pytest.raises(safe_sql.SqlError) as err:
        safe_sql.run(sql.format(build=sql_env))
    assert err.value.kind == "rejected" and message in err.value.message


def test_every_builtin_macro_that_runs_a_string_as_sql_is_covered():
    """DuckDB's own macros: any that hands an argument to query()/query_table()/a file reader,
    directly or through another such macro (histogram calls histogram_values), is either
    refused or has that argument checked as a relation (a new one fails this test)."""
    import re

    import duckdb

    macros = duckdb.connect().sql(
        "SELECT function_name, function_type, macro_definition FROM duckdb_functions() "
        "WHERE function_type IN ('table_macro', 'macro')").fetchall()
    evaluating = {"query", "query_table", *safe_sql.FILE_FUNCTIONS}
    while True:
        more = {name for name, _, body in macros if name not in evaluating and any(
            re.search(rf"\b{re.escape(f)}\(", body or "") for f in evaluating)}
        if not more:
            break
        evaluating |= more
    found = {(name, kind) for name, kind, _ in macros if name in evaluating}
    assert {("histogram", "table_macro"), ("histogram_values", "table_macro")} <= found
    for name, kind in found:
        allowed_table = kind == "table_macro" and name in safe_sql.SAFE_TABLE_FUNCTIONS
        assert not allowed_table or name in safe_sql.RELATION_ARGUMENT_FUNCTIONS, name
        if kind == "macro":   # a scalar macro may not evaluate strings as relations
            assert name == "current_query", name


def test_histogram_of_a_table_still_works(sql_env):
    r = safe_sql.run("SELECT bin, count FROM histogram('scores', model_name) ORDER BY bin")
    assert dict(r.rows)["org/small-de"] == 3


# -- inputs that crashed the gate -----------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT " + "abs(" * 500 + "1" + ")" * 500,
    "SELECT " + "+".join(["1"] * 1000),
    "SELECT " + "CASE WHEN true THEN " * 500 + "1" + " END" * 500,
    "SELECT * FROM " + "(SELECT * FROM " * 500 + "range(1)" + ") t" * 500,
    "SELECT " + "(" * 3000 + "1" + ")" * 3000,
])
def test_deeply_nested_queries_are_400(sql_env, client, sql):
    resp = client.post("/api/sql", json={"sql": sql})
    assert resp.status_code == 400
    body = resp.get_json()
    assert ("nested too deeply" in body["error"] or "expression depth" in body["error"])
    assert "SET " not in body["error"]


def test_lone_surrogate_is_400(sql_env, client):
    resp = client.post("/api/sql", data=b'{"sql": "SELECT \'\\ud800\'"}',
                       content_type="application/json")
    assert resp.status_code == 400
    body = json.loads(resp.get_data(as_text=True))
    assert "lone surrogate" in body["error"] and "U+D800" in body["error"]
    with pytest.raises(safe_sql.SqlError, match="U\\+DFFF"):
        safe_sql.check("SELECT 1 -- \udfff")


@pytest.mark.parametrize("payload", [b'{"sql": ' + b"[" * 100000 + b"]" * 100000 + b"}",
                                     b"[" * 50000, b'{"sql": "x"', b"\xff\xfe"])
def test_bad_json_bodies_are_400(sql_env, client, payload):
    resp = client.post("/api/sql", data=payload, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["kind"] == "rejected"


def test_large_bodies_are_413(sql_env, monkeypatch):
    monkeypatch.setenv("MTEB_LB_MAX_REQUEST_BYTES", "5000")
    import flask

    from app import api

    server = flask.Flask(__name__)
    api.register(server)
    client = server.test_client()
    resp = client.post("/api/sql", json={"sql": "SELECT 1 -- " + "x" * 6000})
    assert resp.status_code == 413
    assert "5,000 bytes" in resp.get_json()["error"]
    assert client.post("/api/sql", json={"sql": "SELECT 1 -- " + "x" * 4000}).status_code == 200


# -- messages never tell the user to SET anything -----------------------------------------------

def test_duckdb_setting_advice_is_removed():
    oom = ("failed to allocate data of size 16.0 MiB (32.3 MiB/47.6 MiB used)\nDatabase is "
           "launched in in-memory mode and no temporary directory is specified.\n\nPossible "
           "solutions:\n* Reducing the number of threads (SET threads=X)\n* Increasing the "
           "memory limit (SET memory_limit='...GB')")
    assert safe_sql.without_setting_advice(oom) == (
        "failed to allocate data of size 16.0 MiB (32.3 MiB/47.6 MiB used)")
    spill = ("failed to offload data block of size 32.0 KiB (960.0 KiB/976.5 KiB used).\nYou "
             "can adjust this setting, by using (for example) PRAGMA "
             "max_temp_directory_size='10GiB'")
    assert safe_sql.without_setting_advice(spill) == (
        "failed to offload data block of size 32.0 KiB (960.0 KiB/976.5 KiB used).")
    depth = ('Max expression depth limit of 1000 exceeded. Use "SET max_expression_depth TO x" '
             'to increase the maximum expression depth.')
    assert safe_sql.without_setting_advice(depth) == (
        "Max expression depth limit of 1000 exceeded.")
    assert safe_sql.without_setting_advice("Table x does not exist") == "Table x does not exist"
    err = safe_sql.SqlError("Out of Memory Error: x (SET memory_limit='1GB')", "runtime")
    assert "SET" not in err.message


# -- CSV formulas ---------------------------------------------------------------------------------

FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "=HYPERLINK(\"x\")"]


def test_csv_cells_are_neutralised_but_numbers_are_not():
    assert [csvsafe.cell(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert [csvsafe.cell(v) for v in ("-1.5", "+3", "-2e-3", "plain", "", -7, -1.5, None)] == \
        ["-1.5", "+3", "-2e-3", "plain", "", -7, -1.5, None]
    table = pa.table({"text": FORMULAS + ["ok", None], "n": [-1.5] * (len(FORMULAS) + 2)})
    rows = list(csv.reader(io.StringIO(output.to_text(table, "csv"))))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in FORMULAS] + ["ok", ""]
    assert {r[1] for r in rows[1:]} == {"-1.5"}


def test_every_sql_csv_neutralises_formulas(sql_env, client):
    sql = "SELECT '=1+2' AS \"=f\", -3 AS n, -2.5::DOUBLE AS d, '@x' AS a"
    expected = "'=f,n,d,a\n'=1+2,-3,-2.5,'@x\n"
    assert safe_sql.run(sql).to_csv() == expected
    resp = client.post("/api/sql?format=csv", json={"sql": sql})
    assert resp.get_data(as_text=True) == expected
    out = io.BytesIO()
    safe_sql.export(sql, "csv", out)
    assert out.getvalue().decode() == expected   # the one writer: the same bytes


def test_leaderboard_tables_neutralise_formulas():
    """`mteb-lb table`, /api/table and the page's download write with mteb_lb.output."""
    table = pa.table({"model": ["=evil()", "org/m", "+cmd"], "score": [-1.25, 3.0, -0.5]})
    assert output.to_text(table, "csv") == "model,score\n'=evil(),-1.25\norg/m,3.0\n'+cmd,-0.5\n"


# -- spill folders --------------------------------------------------------------------------------

SPILL_CHILD = """
import os, signal, sys
from mteb_lb import db
path = db._spill_dir()
print(path, oct(os.stat(path).st_mode & 0o777), flush=True)
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_spill_folder_is_private_and_removed_at_exit(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", SPILL_CHILD, "exit"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    path = Path(out[0])
    assert path.parent == tmp_path and path.name.startswith("mteb-lb-spill-")
    assert len(path.name.split("-")[-1]) >= 8   # mkdtemp's random part
    assert out[1] == "0o700"
    assert not path.exists()


def test_spill_folder_of_a_killed_process_is_removed_by_the_next(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", SPILL_CHILD, "kill"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL
    left = Path(proc.stdout.split()[0])
    assert left.is_dir()
    alive = tmp_path / f"mteb-lb-spill-{os.getpid()}-keepme"
    alive.mkdir()
    from mteb_lb import db

    assert db.remove_orphan_spill_dirs(tmp_path) == [left]
    assert not left.exists() and alive.is_dir()


# -- links from metadata ------------------------------------------------------------------------

HOSTILE_URLS = ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
                "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example/x",
                "/relative", "https:", "http://", "", None, 42]


def test_external_url_accepts_only_http_and_https():
    from app.grid import external_url

    for url in HOSTILE_URLS:
        assert external_url(url) is None, url
    for url in ("https://huggingface.co/org/m", "http://example.org/a?b=c#d",
                "HTTPS://EXAMPLE.ORG"):
        assert external_url(url) == url


def _page_text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


@pytest.mark.parametrize("reference", ["javascript:alert(1)", "data:text/html,x", "/x"])
def test_grid_rows_and_model_page_drop_hostile_references(reference, monkeypatch):
    from app import grid
    from app.main import create_app

    create_app(prewarm=False)   # Dash registers the pages when an app is made
    from app.pages import model as model_page

    data = grid.task_info_grid(pa.table({"Task Name": ["A", "B"],
                                         "Reference": [reference, "https://ok.org/t"]}))
    assert [r.get("ref") for r in data.row_data] == [None, "https://ok.org/t"]
    data = grid.model_grid(pa.table({"Rank (Borda)": [1, 2], "Model": ["org/a", "org/b"]}),
                           links={"org/a": reference, "org/b": "https://hf.co/org/b"})
    assert [r.get("ref") for r in data.row_data] == [None, "https://hf.co/org/b"]

    def page(ref):
        card = {"reference": ref, "in_registry": True, "n_files": 1, "n_tasks": 1}
        monkeypatch.setattr(model_page, "_all_models", lambda: ["org/a"])
        monkeypatch.setattr(model_page, "query",
                            lambda name, params=None: [card] if name == "app_model_card" else [])
        return _page_text(model_page.layout(name="org/a"))

    assert reference not in page(reference) and "Model card" not in page(reference)
    assert '"href": "https://hf.co/org/a"' in page("https://hf.co/org/a")


JS_HARNESS = r"""
const fs = require("fs");
global.window = {};
global.React = {createElement: (tag, props, ...children) => ({tag, props, children})};
eval(fs.readFileSync(process.argv[2], "utf8"));
const f = window.dashAgGridComponentFunctions;
const urls = JSON.parse(process.argv[3]);
const hrefs = (node, out) => {
  if (node && typeof node === "object") {
    if (node.props && node.props.href !== undefined) out.push(node.props.href);
    (node.children || []).flat(5).forEach(c => hrefs(c, out));
  }
  return out;
};
const result = urls.map(u => ({
  model: hrefs(f.ModelLink({value: "org/m", data: {ref: u}}), []),
  task: hrefs(f.TaskLink({value: "T", data: {ref: u}}), []),
  row: hrefs(f.RowLink({value: "file", data: {url: u}, hrefField: "url"}), []),
}));
console.log(JSON.stringify(result));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_grid_cell_renderers_drop_hostile_references(tmp_path):
    script = tmp_path / "harness.js"
    script.write_text(JS_HARNESS)
    urls = [u for u in HOSTILE_URLS if isinstance(u, str) and u != "/relative"] + [
        "https://huggingface.co/org/m", "/model?name=org%2Fm"]
    renderers = ROOT / "app/assets/dashAgGridComponentFunctions.js"
    out = subprocess.run(["node", str(script), str(renderers), json.dumps(urls)],
                         capture_output=True, text=True, check=True).stdout
    result = dict(zip(urls, json.loads(out)))
    for url in urls[:-2]:
        assert result[url] == {"model": ["/model?name=org%2Fm"], "task": [], "row": []}, url
    assert result["https://huggingface.co/org/m"] == {
        "model": ["/model?name=org%2Fm", "https://huggingface.co/org/m"],
        "task": ["https://huggingface.co/org/m"], "row": ["https://huggingface.co/org/m"]}
    assert result["/model?name=org%2Fm"]["row"] == ["/model?name=org%2Fm"]


# -- a damaged build ------------------------------------------------------------------------------

def _damage(kind: str, build: Path) -> str:
    db_file = build / "lb.duckdb"
    if kind == "truncated":
        with open(db_file, "r+b") as fh:
            fh.truncate(db_file.stat().st_size // 2 + 100)
        return "when published (truncated?)"   # the manifest records the size
    if kind == "zeroed":
        db_file.write_bytes(b"\0" * db_file.stat().st_size)
        return "not a DuckDB database"
    if kind == "empty":
        db_file.write_bytes(b"")
        return "not a DuckDB database"
    if kind == "missing-db":
        db_file.unlink()
        return "lb.duckdb is missing"
    if kind == "missing-parquet":
        for f in (build / "parquet" / "metrics").glob("*.parquet"):
            f.unlink()
        return "Parquet files when published"
    if kind == "cut-parquet":
        f = next((build / "parquet" / "scores").glob("*.parquet"))
        f.write_bytes(f.read_bytes()[:100])
        return "Parquet files changed size since it was published (truncated?)"
    if kind == "missing-segment":   # one table's segment file is gone
        next((build / "parquet" / "scores").glob("*.parquet")).unlink()
        return "Parquet files when published, "
    raise AssertionError(kind)


@pytest.fixture(params=["truncated", "zeroed", "empty", "missing-db", "missing-parquet",
                        "cut-parquet", "missing-segment"])
def damaged(request, sql_warehouse, tmp_path, monkeypatch):
    """A copy of the fixture warehouse whose current build is damaged; yields the reason."""
    copy = tmp_path / "damaged-warehouse"
    shutil.copytree(sql_warehouse / "warehouse", copy, symlinks=True)
    build = (copy / "current").resolve()
    assert warehouse.check_build(build) is None
    reason = _damage(request.param, build)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(copy))
    from app import api
    from mteb_lb import db

    monkeypatch.setattr(db, "_current", None)
    monkeypatch.setattr(api, "_checked", {})
    return reason


def test_damaged_build_is_detected(damaged):
    assert damaged in warehouse.check_build(warehouse.current_build())


def test_damaged_build_health_and_sql_are_503(damaged, client):
    resp = client.get("/api/health")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "damaged" and damaged in resp.get_json()["error"]
    resp = client.post("/api/sql", json={"sql": "SELECT count(*) FROM scores"})
    assert resp.status_code == 503
    assert resp.get_json()["kind"] == "damaged" and damaged in resp.get_json()["error"]


@pytest.mark.parametrize("argv", [["sql", "SELECT 1"], ["table", "--benchmark", "B"]])
def test_damaged_build_cli_prints_one_line(damaged, argv):
    proc = subprocess.run([sys.executable, "-m", "mteb_lb.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == warehouse.EXIT_DAMAGED == 5
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and damaged in lines[0] and "Traceback" not in proc.stderr


def test_damaged_build_pages_show_one_notice(damaged, dash_app):
    from app.pages import leaderboard, sql, status

    for page in (leaderboard.layout(), status.layout()):
        text = json.dumps(page.to_plotly_json(), default=lambda o: o.to_plotly_json())
        assert text.count("The leaderboard data is damaged") == 1
    _, _, _, message, _, _ = sql.run_outputs("SELECT 1")
    text = json.dumps(message.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "The leaderboard data is damaged" in text and damaged in text


@pytest.mark.realdata
def test_real_build_is_not_damaged(real_warehouse):
    assert warehouse.check_build(warehouse.current_build(real_warehouse)) is None


def test_get_api_sql_is_405_json_in_the_whole_app(sql_env):
    from app.main import create_app

    client = create_app(prewarm=False).server.test_client()
    resp = client.get("/api/sql")
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"
    assert resp.get_json()["kind"] == "rejected"


def test_out_of_memory_message_has_no_set_advice(sql_warehouse, tmp_path, monkeypatch):
    copy = tmp_path / "small-memory-warehouse"   # a new path: a new hardened connection
    shutil.copytree(sql_warehouse / "warehouse", copy, symlinks=True)
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(copy))
    monkeypatch.setenv("MTEB_LB_SQL_MEMORY_LIMIT", "40MB")
    monkeypatch.setenv("MTEB_LB_SQL_SPILL_LIMIT", "1MB")
    from mteb_lb import db

    monkeypatch.setattr(db, "_current", None)
    with pytest.raises(safe_sql.SqlError) as err:
        safe_sql.run("SELECT list(x::VARCHAR || repeat('a', 100)) FROM range(3000000) t(x)")
    assert err.value.kind == "runtime"
    assert "needs more memory than this server allows" in err.value.message
    assert "SET" not in err.value.message and "PRAGMA" not in err.value.message
