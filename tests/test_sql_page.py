"""The SQL console page (app/pages/sql.py): callbacks as plain functions on the small warehouse
of tests/sqlfixture.py, plus one headless-Chromium test (marked ``browser``) that types a query,
presses Ctrl+Enter and sees rows in the grid (screenshot: /tmp/shots/sql.png).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sys
import time

import pyarrow.parquet as pq
import pytest
from dash_helpers import SHOTS, browser_app, find, until
from dash_helpers import text_of as raw_text
from sqlfixture import BUILD_ID, E5_SMALL

from mteb_lb.safe_sql import tokens

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

@pytest.fixture
def page(dash_app, sql_env):
    return sys.modules["app.pages.sql"]


def text_of(component) -> str:
    """All the text of a component tree (strings and numbers), space separated."""
    return re.sub(r"\s+", " ", raw_text(component)).strip()


def find_all(component, predicate) -> list:
    out = []
    if component is None or isinstance(component, (str, int, float)):
        return out
    if isinstance(component, (list, tuple)):
        for c in component:
            out += find_all(c, predicate)
        return out
    if predicate(component):
        out.append(component)
    return out + find_all(getattr(component, "children", None), predicate)


def unpack(outputs) -> dict:
    store, defs, style, message, results_class, search = outputs
    return dict(store=store, defs=defs, style=style, message=message,
                results_class=results_class, search=search)


def triggered(component_id, value=1):
    """A callback context whose trigger is ``component_id`` (as Dash sets it)."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    prop = (json.dumps(component_id, separators=(",", ":"))
            if isinstance(component_id, dict) else component_id)
    return context_value.set(AttributeDict(triggered_inputs=[
        {"prop_id": f"{prop}.n_clicks", "value": value}]))


def call_with_trigger(component_id, fn, *args):
    from dash._callback_context import context_value

    token = triggered(component_id)
    try:
        return fn(*args)
    finally:
        context_value.reset(token)


def rows_of(response) -> list:
    return [row["c0"] for row in response["rowData"]]


# --------------------------------------------------------------------------------------------
# running a query
# --------------------------------------------------------------------------------------------

def test_good_query_returns_rows_and_count(page):
    sql = "select name, n_parameters, open_weights from model_registry order by name"
    out = unpack(page.run_outputs(sql))
    store = out["store"]
    assert store["count"] == 4 and store["truncated"] is False
    assert [c["name"] for c in store["columns"]] == ["name", "n_parameters", "open_weights"]
    assert [c["type"] for c in store["columns"]] == ["VARCHAR", "BIGINT", "BOOLEAN"]
    assert store["build"] == BUILD_ID and store["elapsed_ms"] >= 0
    assert "sample" not in store                      # rows never travel in the store
    row_number, *defs = out["defs"]
    assert row_number["colId"] == "_row" and row_number["pinned"] == "left"
    assert [d["headerName"] for d in defs] == ["name", "n_parameters", "open_weights"]
    assert [d["field"] for d in defs] == ["c0", "c1", "c2"]
    assert defs[1]["type"] == "rightAligned" and "type" not in defs[0]
    assert "BIGINT" in defs[1]["headerTooltip"]
    assert out["results_class"] == "sql-results"
    status = text_of(out["message"])
    assert "4 rows" in status and "3 columns" in status and "ran in" in status
    assert "Truncated" not in status

    response, error = page.get_rows({"startRow": 0, "endRow": 100, "sortModel": []}, store)
    assert error is None and response["rowCount"] == 4
    assert response["rowData"][0] == {"c0": E5_SMALL, "c1": 117_700_000, "c2": True}
    assert rows_of(response) == [E5_SMALL, "org/big-de", "org/closed-de", "org/small-de"]


def test_values_are_json_safe_for_the_grid(page):
    store = page.run_outputs(
        "select 'nan'::double as x, [1, 2] as l, {'a': 1} as s, null as n, "
        "9007199254740993::bigint as big, date '2024-01-02' as d")[0]
    response, _ = page.get_rows({"startRow": 0, "endRow": 100}, store)
    # NaN as the text NaN (JSON has no NaN; null would read as SQL's NULL, like c3)
    assert response["rowData"] == [{"c0": "NaN", "c1": "[1, 2]", "c2": '{"a": 1}', "c3": None,
                                    "c4": "9007199254740993", "c5": "2024-01-02"}]
    json.dumps(response, allow_nan=False)


def test_rejected_query_shows_the_error_with_kind_and_no_rows(page):
    out = unpack(page.run_outputs("DROP TABLE scores"))
    assert out["store"] is None and out["defs"] == []
    assert "sql-hidden" in out["results_class"]
    text = text_of(out["message"])
    assert "Query not allowed" in text and "rejected" in text and "DROP" in text
    assert "Traceback" not in text
    assert page.get_rows({"startRow": 0, "endRow": 100}, None) == (
        {"rowData": [], "rowCount": 0}, None)


@pytest.mark.parametrize("sql, kind", [
    ("select * from scores; select 1", "rejected"),
    ("select * from read_csv('/etc/passwd')", "rejected"),
    ("select current_setting('memory_limit')", "rejected"),
    ("", "rejected"),
    ("select * from no_such_table", "runtime"),
])
def test_other_failures_are_panels_not_exceptions(page, sql, kind):
    out = unpack(page.run_outputs(sql))
    assert out["store"] is None
    panel = out["message"]
    assert "lb-error" in panel.className
    assert kind in text_of(panel)


def test_syntax_error_shows_line_column_and_excerpt(page):
    sql = "select model_name\nfrom scores\nwher main_score > 0.5"
    out = unpack(page.run_outputs(sql))
    assert out["store"] is None
    panel = out["message"]
    text = text_of(panel)
    assert "Syntax error" in text and "syntax" in text
    assert "Line 3, column 6" in text
    excerpt = find_all(panel, lambda c: "sql-excerpt" in (getattr(c, "className", "") or ""))
    assert len(excerpt) == 1
    assert "LINE 3: wher main_score > 0.5" in excerpt[0].children
    assert "^" in excerpt[0].children
    goto = find_all(panel, lambda c: "sql-goto" in (getattr(c, "className", "") or ""))
    offset = int(getattr(goto[0], "data-offset"))
    assert sql[offset:].startswith("main_score")


def test_binder_error_position_is_in_the_userstext_of(page):
    out = unpack(page.run_outputs("select\n  nope\nfrom scores"))
    assert "Line 2, column 3" in text_of(out["message"])


def test_trailing_semicolon_and_comment(page):
    store = page.run_outputs("select 42 as answer; -- the answer\n")[0]
    assert store["count"] == 1
    response, _ = page.get_rows({"startRow": 0, "endRow": 100}, store)
    assert rows_of(response) == [42]


def test_no_build_is_a_clear_message(dash_app, no_build):
    page = sys.modules["app.pages.sql"]
    out = unpack(page.run_outputs("select 1"))
    assert out["store"] is None
    text = text_of(out["message"])
    assert "No data available" in text and "mteb-lb etl" in text
    layout = page.layout()
    assert find(layout, page.EDITOR) is not None
    assert "No published build" in text_of(layout)


# --------------------------------------------------------------------------------------------
# the infinite row model
# --------------------------------------------------------------------------------------------

@pytest.fixture
def spy(page, monkeypatch):
    """Records every (sql, max_rows) given to safe_sql.run."""
    from mteb_lb import safe_sql

    calls = []
    real = safe_sql.run

    def run(sql, **kw):
        calls.append((sql, kw.get("max_rows")))
        return real(sql, **kw)

    monkeypatch.setattr(safe_sql, "run", run)
    return calls


def test_block_requests_return_the_right_slice(page, spy):
    store = page.run_outputs("select range as x from range(1000) order by x")[0]
    assert store["count"] == 1000 and not store["truncated"]
    spy.clear()
    response, error = page.get_rows({"startRow": 200, "endRow": 300, "sortModel": []}, store)
    assert error is None and response["rowCount"] == 1000
    assert rows_of(response) == list(range(200, 300))
    # Only the block was fetched: LIMIT/OFFSET on the checked query, capped at the block.
    assert len(spy) == 1
    sql, max_rows = spy[0]
    assert sql.rstrip().endswith("LIMIT 100 OFFSET 200") and max_rows == 100
    last, _ = page.get_rows({"startRow": 900, "endRow": 1000}, store)
    assert rows_of(last) == list(range(900, 1000))
    beyond, _ = page.get_rows({"startRow": 1000, "endRow": 1100}, store)
    assert beyond == {"rowData": [], "rowCount": 1000}


def test_block_requests_sort_on_the_server(page):
    store = page.run_outputs("select range as x, range % 3 as m from range(300)")[0]
    desc, _ = page.get_rows({"startRow": 0, "endRow": 5,
                             "sortModel": [{"colId": "c0", "sort": "desc"}]}, store)
    assert rows_of(desc) == [299, 298, 297, 296, 295]
    by_m, _ = page.get_rows({"startRow": 0, "endRow": 3,
                             "sortModel": [{"colId": "c1", "sort": "asc"}]}, store)
    assert [r["c1"] for r in by_m["rowData"]] == [0, 0, 0]
    assert rows_of(by_m) == [0, 3, 6]                 # other columns break the ties
    # Unknown column ids and directions are ignored, never put into SQL.
    odd, error = page.get_rows({"startRow": 0, "endRow": 3, "sortModel": [
        {"colId": "c0; drop table scores", "sort": "desc"}, {"colId": "c9", "sort": "asc"},
        {"colId": "c0", "sort": "sideways"}]}, store)
    assert error is None and rows_of(odd) == [0, 1, 2]


def test_count_is_capped_by_sql_max_rows(page, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "250")
    out = unpack(page.run_outputs("select range as x from range(1000) order by x"))
    store = out["store"]
    assert store["count"] == 250 and store["truncated"] is True
    text = text_of(out["message"])
    assert "250+ rows" in text and "Truncated" in text and "250" in text
    partial, _ = page.get_rows({"startRow": 200, "endRow": 300}, store)
    assert rows_of(partial) == list(range(200, 250)) and partial["rowCount"] == 250
    empty, _ = page.get_rows({"startRow": 300, "endRow": 400}, store)
    assert empty["rowData"] == []


def test_statement_that_cannot_be_a_subquery_still_pages(page):
    store = page.run_outputs("EXPLAIN SELECT 1")[0]
    assert store["pageable"] is False and store["count"] >= 1
    response, error = page.get_rows({"startRow": 0, "endRow": 100}, store)
    assert error is None and len(response["rowData"]) == store["count"]


def test_block_failure_is_shown_not_raised(page):
    store = page.run_outputs("select 1 as x")[0]
    broken = dict(store, sql="select * from no_such_table", count=10)
    response, error = page.get_rows({"startRow": 0, "endRow": 100}, broken)
    assert response == {"rowData": [], "rowCount": 0}
    assert "no_such_table" in text_of(error)


# --------------------------------------------------------------------------------------------
# downloads
# --------------------------------------------------------------------------------------------

def _decoded(data: dict) -> bytes:
    return base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()


def test_download_returns_the_full_csv(page, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "50")
    store = page.run_outputs("select range as x, 'r' || range as label from range(1000) "
                             "order by x")[0]
    assert store["truncated"] and store["count"] == 50
    data, note = page.download(1, None, store, "ignored", "csv")
    assert data["filename"] == "query.csv"
    rows = list(csv.reader(io.StringIO(_decoded(data).decode())))
    assert rows[0] == ["x", "label"] and len(rows) == 1001
    assert rows[1] == ["0", "r0"] and rows[-1] == ["999", "r999"]
    assert "1,000 rows" in text_of(note)


def test_download_parquet_and_through_the_trigger(page):
    store = page.run_outputs("select name, open_weights from model_registry")[0]
    data, _ = call_with_trigger(page.PARQUET_BUTTON, page.download, None, 1, store, None)
    assert data["filename"] == "query.parquet"
    table = pq.read_table(io.BytesIO(_decoded(data)))
    assert table.num_rows == 4 and table.column_names == ["name", "open_weights"]


def test_download_errors_are_clear(page, monkeypatch):
    data, panel = page.download(1, None, None, "DROP TABLE scores", "csv")
    assert data is page.no_update
    assert "download failed" in text_of(panel) and "rejected" in text_of(panel)
    data, hint = page.download(1, None, None, "  ", "csv")
    assert data is page.no_update and "run a query first" in text_of(hint).lower()
    monkeypatch.setattr(page, "DOWNLOAD_MAX_BYTES", 1000)
    data, panel = page.download(1, None, {"sql": "select * from range(100000)"}, None, "csv")
    assert data is page.no_update and "too large to download" in text_of(panel)


def test_download_timeout_is_clear(page, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_TIME_LIMIT_MS", "100")
    slow = "select count(*) from range(100000000000) a(x) where x % 7 = 3"
    data, panel = page.download(1, None, {"sql": slow}, None, "parquet")
    assert data is page.no_update
    text = text_of(panel)
    assert "timed out" in text and "timeout" in text and "0.1 s" in text


# --------------------------------------------------------------------------------------------
# URL state, examples, schema
# --------------------------------------------------------------------------------------------

def test_url_round_trips_the_query(page):
    from dash._pages import _parse_query_string

    sql = "select name, 'a&b=c?' as odd -- #1 + 2\nfrom model_registry\nwhere name like 'org/%'"
    search = page.encode_url(sql)
    assert search.startswith("?q=")
    params = _parse_query_string(search)
    assert page.decode_url(params["q"]) == sql
    layout = page.layout(**params)                    # as Dash's router calls it
    assert find(layout, page.EDITOR).value == sql
    store = find(layout, page.STORE).data             # the link also ran the query
    assert store["count"] == 3 and [c["name"] for c in store["columns"]] == ["name", "odd"]
    assert find(layout, page.GRID).columnDefs[1]["headerName"] == "name"
    # A run writes the query back to the address bar.
    editor, *outputs = call_with_trigger(page.RUN, page.run_query, 1, [], [], sql)
    assert editor == sql and unpack(outputs)["search"] == search
    assert page.decode_url(["select 1", "select 2"]) == "select 2"
    assert page.encode_url("") == "" and page.encode_url("x" * 10_000) == ""


def test_empty_page_has_editor_examples_and_schema(page):
    from mteb_lb import safe_sql

    layout = page.layout()
    assert find(layout, page.EDITOR).value == ""
    assert find(layout, page.STORE).data is None
    assert find(layout, page.GRID).rowModelType == "infinite"
    text = text_of(layout)
    for title, _ in safe_sql.examples():
        assert title in text
    for table in safe_sql.schema():
        assert table["name"] in text
        for col in table["columns"]:
            assert col["name"] in text and col["type"] in text
    details = find_all(layout, lambda c: type(c).__name__ == "Details")
    assert len(details) == len(safe_sql.schema())
    # descriptions: from COMMENT ON, and from a view's SQL header
    assert "Mean main score, 0-1." in text and "How many revisions." in text


def test_example_click_loads_it_into_the_editor_and_runs_it(page):
    examples = page.examples()
    index = next(i for i, (t, _, _) in enumerate(examples) if "most models" in t)
    clicks = [0] * len(examples)
    clicks[index] = 1
    editor, *outputs = call_with_trigger({"type": page.EXAMPLE, "index": index},
                                         page.run_query, 0, clicks, [], "select 1")
    assert editor == examples[index][2]
    out = unpack(outputs)
    assert out["store"]["count"] == 4 and out["store"]["sql"].startswith("-- title:")


def test_every_example_runs_and_pages(page):
    from mteb_lb import safe_sql

    for title, _, sql in page.examples():
        store = unpack(page.run_outputs(sql))["store"]
        assert store is not None, title
        expected = [[page._cell(v) for v in row] for row in safe_sql.run(sql).rows]
        response, error = page.get_rows({"startRow": 0, "endRow": 100}, store)
        assert error is None, title
        got = [[row[f"c{i}"] for i in range(len(store["columns"]))]
               for row in response["rowData"]]
        assert got == expected and store["count"] == len(expected), title


def test_statement_helpers(dash_app):
    page = sys.modules["app.pages.sql"]
    assert tokens.strip_terminator("select 1;") == "select 1"
    # closing semicolons and the comments after the last token go; a ';' in a string stays
    assert tokens.strip_terminator("select 1 ; -- note\n;\n") == "select 1"
    assert tokens.strip_terminator("select ';' as s -- x;") == "select ';' as s"
    assert tokens.has_top_level_order("select * from t order by 1")
    assert not tokens.has_top_level_order(
        "with a as (select * from t order by 1) select row_number() over (order by x) from a")
    assert page.order_by([], 3, ["INTEGER"] * 3) == ""
    assert page.order_by([{"colId": "c1", "sort": "desc"}], 3,
                         ["INTEGER", "VARCHAR", "INTEGER[]"]) == " ORDER BY 2 DESC NULLS LAST, 1"


def test_unordered_big_result_gets_an_order_hint(page):
    unordered = unpack(page.run_outputs("select range as x from range(500)"))
    assert "ORDER BY" in text_of(unordered["message"])
    ordered = unpack(page.run_outputs("select range as x from range(500) order by x"))
    assert "ORDER BY" not in text_of(ordered["message"])


def test_table_preview_runs_select_star(page):
    editor, *outputs = call_with_trigger({"type": page.PREVIEW, "name": "tasks"},
                                         page.run_query, 0, [], [1], "")
    assert editor == 'SELECT *\nFROM "tasks"\nLIMIT 100'
    assert unpack(outputs)["store"]["count"] == 4


def test_callbacks_are_registered(dash_app, sql_env):
    deps = dash_app.server.test_client().get("/_dash-dependencies").get_json()
    outputs = " ".join(d["output"] for d in deps)
    for needle in ("sql-grid.getRowsResponse", "sql-download.data", "sql-url.search",
                   "sql-result.data", "sql-refreshed.data"):
        assert needle in outputs


# --------------------------------------------------------------------------------------------
# in a browser
# --------------------------------------------------------------------------------------------

@pytest.fixture
def dash_duo(chromium, sql_env, tmp_path):
    """A headless Chromium and the app in a thread, serving the SQL fixture."""
    with browser_app(tmp_path, wait_timeout=15) as dc:
        yield dc


def _cells(duo, col_id="c0") -> list[str]:
    cells = duo.driver.find_elements(
        "css selector", f'#sql-grid .ag-center-cols-container .ag-row .ag-cell[col-id="{col_id}"]')
    return [c.text for c in cells]


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_browser_ctrl_enter_runs_the_query(dash_duo):
    from selenium.webdriver.common.keys import Keys

    duo = dash_duo
    duo.driver.get(duo.server_url + "/sql")
    # the code editor over the query's textarea (assets/sql_editor.bundle.js)
    editor = duo.wait_for_element("#sql-editor-host .cm-content", timeout=15)
    editor.click()
    editor.send_keys("select name, n_parameters, open_weights\nfrom model_registry\n"
                     "order by n_parameters desc")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    until(lambda: _cells(duo) == ["org/big-de", "org/small-de", E5_SMALL, "org/closed-de"],
           what="the result rows")
    assert "4 rows" in duo.find_element(".sql-status").text
    assert "q=select" in duo.driver.current_url       # shareable link
    time.sleep(0.3)
    duo.driver.save_screenshot(str(SHOTS / "sql.png"))

    # A rejected query replaces the grid with the error and its position.
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("DROP TABLE scores")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    error = until(lambda: duo.find_element(".sql-error"), what="the error panel")
    assert "Query not allowed" in error.text and "Line 1, column 1" in error.text
    assert not duo.find_element("#sql-results").is_displayed()
    duo.driver.save_screenshot(str(SHOTS / "sql_error.png"))

    # From the error, a new query through the Run button: the grid comes back with new rows,
    # and a header click sorts on the server.
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("select name from tasks order by name")
    duo.find_element("#sql-run").click()
    until(lambda: _cells(duo) == ["Banking77Classification", "GermanQuAD-Retrieval",
                                   "NFCorpus", "XMarket"], what="the new rows")
    assert duo.find_element("#sql-results").is_displayed()
    duo.find_element('#sql-grid .ag-header-cell[col-id="c0"] .ag-header-cell-label').click()
    duo.find_element('#sql-grid .ag-header-cell[col-id="c0"] .ag-header-cell-label').click()
    until(lambda: _cells(duo)[0] == "XMarket", what="rows sorted descending")

    # The link of a bigger result pages from the server as the grid scrolls.
    duo.driver.get(duo.server_url + "/sql?q=select+range+as+x+from+range(5000)+order+by+x")
    until(lambda: _cells(duo)[:3] == ["0", "1", "2"], what="the first block")
    assert "5,000 rows" in duo.find_element(".sql-status").text
    duo.driver.execute_script(
        "document.querySelector('#sql-grid .ag-body-viewport').scrollTop = 36 * 2500")
    until(lambda: "2500" in _cells(duo), what="a block from the middle")
    duo.driver.save_screenshot(str(SHOTS / "sql_scrolled.png"))
