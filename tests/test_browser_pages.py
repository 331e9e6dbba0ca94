"""Issue 15, "Other pages", in headless Chromium: the 404 page, /changes on the first build,
NaN in the SQL console, the schema browser's scales, the compare page's untruncated names and
the status page's paths and timings. Each test takes screenshots at 1600 px and 420 px into
/tmp/shots/issue15/ (``<test>_1600.png``, ``<test>_420.png``).

The fixture warehouse (tests/warehouses.py) is the app's; the compare test uses the real
warehouse (long model names), like the other realdata tests.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from dash_helpers import SHOTS, browser_app, until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

ISSUE_SHOTS = SHOTS / "issue15"
WIDTHS = (1600, 420)


@pytest.fixture(scope="module")
def duo(chromium, app_warehouse, tmp_path_factory):
    """One headless browser and one app server for the module (fixture warehouse; a test may
    point MTEB_LB_WAREHOUSE elsewhere: the server reads it per request)."""
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=app_warehouse) as dc:
        yield dc


@pytest.fixture(autouse=True)
def _fixture_warehouse(_isolated_settings, env):
    """The server runs in a thread of this process and reads the setting per request."""


def go(duo, path: str, width: int = 1600):
    duo.driver.set_window_size(width, 1000)
    duo.driver.get(duo.server_url + path)
    duo.wait_for_element("#_pages_content > *", timeout=10)


def shots(duo, name: str, path: str, ready=None):
    """Screenshots of ``path`` at each width (full page height, at most 4000 px)."""
    ISSUE_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        go(duo, path, width)
        if ready is not None:
            until(lambda: ready(duo), what=f"{name} ready at {width} px")
        height = duo.driver.execute_script("return document.body.scrollHeight")
        duo.driver.set_window_size(width, min(max(height + 40, 800), 4000))
        time.sleep(0.4)
        duo.driver.save_screenshot(str(ISSUE_SHOTS / f"{name}_{width}.png"))
    duo.driver.set_window_size(1600, 1000)


def severe_logs(duo) -> list[str]:
    return [e["message"] for e in duo.driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def clipped(duo, element) -> bool:
    """Whether an element's text is cut (wider than its box)."""
    return duo.driver.execute_script(
        "return arguments[0].scrollWidth > arguments[0].clientWidth + 1;", element)


# --------------------------------------------------------------------------------------------

def test_unknown_paths_get_a_styled_404_page(duo):
    assert http_status(duo.server_url + "/no/such/page") == 404
    assert http_status(duo.server_url + "/leaderbord") == 404
    for known in ("/", "/sql", "/compare", "/changes", "/status", "/model?name=x"):
        assert http_status(duo.server_url + known) == 200, known
    assert http_status(duo.server_url + "/api/health") == 200
    go(duo, "/no/such/page")
    main = duo.wait_for_element(".lb-not-found")
    assert main.find_element("css selector", "h1").text == "Page not found"
    assert "404: there is no page at this address" in main.text
    # the site's header and navigation are there, and lead back
    nav = [a.text for a in duo.driver.find_elements("css selector", ".lb-nav-link")]
    assert nav[:2] == ["Leaderboard", "Compare"] and "SQL" in nav and "Status" in nav
    links = [a.get_attribute("href") for a in main.find_elements("css selector", "a")]
    assert links[0] == duo.server_url + "/"
    shots(duo, "not_found", "/no/such/page")
    assert severe_logs(duo) == [] or all("404" in m for m in severe_logs(duo))


def test_changes_on_the_first_build_says_so(duo):
    go(duo, "/changes")
    page = duo.wait_for_element(".lb-first-build")
    assert page.find_element("css selector", "h2").text == "This is the first build"
    assert "no earlier build to compare it with" in page.text
    assert "After the next build" in page.text and "rank moved" in page.text
    assert "Nothing changed" not in duo.find_element(".lb-pagewrap").text
    shots(duo, "changes_first_build", "/changes")
    assert severe_logs(duo) == []


def _cells(duo) -> dict[str, str]:
    cells = duo.driver.find_elements("css selector", "#sql-grid .ag-row[row-index='0'] .ag-cell")
    header = {h.get_attribute("col-id"): h.text for h in duo.driver.find_elements(
        "css selector", "#sql-grid .ag-header-cell[col-id]")}
    return {header.get(c.get_attribute("col-id")): c.text for c in cells
            if c.get_attribute("col-id") in header}


def test_sql_console_shows_nan_as_nan_not_null(duo):
    sql = ("SELECT 'nan'::DOUBLE AS not_a_number, NULL::DOUBLE AS missing, "
           "'-inf'::DOUBLE AS minus_inf, [1.5, 'nan'::DOUBLE] AS list")
    go(duo, "/sql?q=" + urllib.request.quote(sql))
    cells = until(lambda: (c := _cells(duo)) and c.get("not_a_number") and c, what="the row")
    assert cells == {"#": "1", "not_a_number": "NaN", "missing": "NULL",
                     "minus_inf": "-Infinity", "list": "[1.5, NaN]"}
    nan = duo.driver.find_element(
        "css selector", "#sql-grid .ag-row[row-index='0'] .ag-cell[col-id='c0']")
    assert "sql-nan" in nan.get_attribute("class") and "sql-null" not in nan.get_attribute("class")
    shots(duo, "sql_nan", "/sql?q=" + urllib.request.quote(sql),
          ready=lambda d: _cells(d).get("not_a_number") == "NaN")
    assert severe_logs(duo) == []


def _open_table(duo, name: str):
    for summary in duo.driver.find_elements("css selector", ".sql-table-summary"):
        if summary.find_element("css selector", ".sql-table-name").text == name:
            duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
            summary.click()
            return summary.find_element("xpath", "..")
    raise AssertionError(f"no table {name} in the schema browser")


def _badges(details) -> dict[str, str]:
    out = {}
    for li in details.find_elements("css selector", ".sql-column"):
        badge = li.find_elements("css selector", ".sql-scale")
        if badge:
            out[li.find_element("css selector", ".sql-column-name").text] = badge[0].text
    return out


def test_schema_browser_marks_the_scale_of_score_columns(duo):
    go(duo, "/sql")
    note = duo.wait_for_element(".sql-scale-note")
    assert "0–1" in note.text and "0–100" in note.text
    # mteb's raw scores are 0-1; the leaderboard's history on the board's 0-100 scale
    assert _badges(_open_table(duo, "scores")) == {"main_score": "0–1"}
    assert _badges(_open_table(duo, "benchmark_results")) == {"score": "0–1"}
    assert _badges(_open_table(duo, "leaderboard_history")) == {
        "score": "0–100", "mean_task_type": "0–100", "mean_public": "0–100",
        "mean_private": "0–100", "mean_subset": "0–100"}
    changes = _badges(_open_table(duo, "changes_since_previous"))
    assert changes == {"old_score": "0–100", "new_score": "0–100"}
    ISSUE_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        duo.driver.set_window_size(width, 1400)
        time.sleep(0.3)
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});",
                                  duo.find_element(".sql-scale-note"))
        duo.driver.save_screenshot(str(ISSUE_SHOTS / f"schema_scales_{width}.png"))
    duo.driver.set_window_size(1600, 1000)


def test_status_page_paths_keep_their_end_and_timings_are_words(duo):
    go(duo, "/status")
    page = duo.wait_for_element(".lb-pagewrap")
    assert "Time per step (seconds)" in page.text
    for words in ("Listing the files", "Parsing the result files", "Writing the Parquet tables",
                  "Building the DuckDB database", "Computing the rank intervals", "Total"):
        assert words in page.text, words
    assert "parse_s" not in page.text and "rank_intervals_s" not in page.text
    for width in WIDTHS:
        go(duo, "/status", width)
        cell = duo.wait_for_element("#status-quarantined .ag-row .ag-cell[col-id='Path']")
        tail = cell.find_element("css selector", ".lb-mid-tail")
        head = cell.find_element("css selector", ".lb-mid-head")
        # the file name is whole, inside the cell and inside the grid's visible part
        assert tail.text == "TinyBroken.json"
        assert duo.driver.execute_script(
            "var c = arguments[0].getBoundingClientRect(), t = arguments[1]"
            ".getBoundingClientRect(), g = arguments[0].closest('.ag-body-viewport')"
            ".getBoundingClientRect(); return t.right <= c.right + 1 && t.left >= c.left"
            " && t.right <= g.right + 1;", cell, tail)
        assert head.text.startswith("results/")
        if width == 420:   # a narrow column: the folders lose their middle, not the file name
            assert clipped(duo, head)
    shots(duo, "status", "/status",
          ready=lambda d: d.find_element("#status-quarantined .lb-mid-tail"))
    assert severe_logs(duo) == []


@pytest.mark.realdata
def test_compare_page_shows_whole_model_names_and_winners(duo, real_warehouse, monkeypatch):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(real_warehouse))
    long_a = "intfloat/multilingual-e5-large-instruct"
    long_b = "Alibaba-NLP/gte-Qwen2-7B-instruct"
    path = ("/compare?benchmark=MTEB%28eng%2C+v2%29&model=" + urllib.request.quote(long_a, "")
            + "&model=" + urllib.request.quote(long_b, ""))
    names = {"m0": "multilingual-e5-large-instruct", "m1": "gte-Qwen2-7B-instruct"}

    def whole() -> bool:
        """Headers and winners whole (found afresh: the grid may render again meanwhile)."""
        headers = {h.get_attribute("col-id"): h for h in duo.driver.find_elements(
            "css selector", "#cmp-task-grid .ag-header-cell[col-id]")}
        for col, name in names.items():
            text = headers[col].find_element("css selector", ".ag-header-cell-text")
            if text.text.replace("\n", "") != name or clipped(duo, text):
                return False
        winners = duo.driver.find_elements(
            "css selector", "#cmp-task-grid .ag-cell[col-id='winner']")
        shown = {w.text for w in winners}
        return (shown <= {*names.values(), "tie", ""} and names["m0"] in shown
                and not any(clipped(duo, w) for w in winners))

    for width in WIDTHS:
        go(duo, path, width)
        duo.wait_for_element("#cmp-task-grid .ag-row", timeout=60)
        until(whole, timeout=30, what=f"whole model names and winners at {width} px")
    shots(duo, "compare_long_names", path,
          ready=lambda d: d.find_element("#cmp-task-grid .ag-row"))


# --------------------------------------------------------------------------------------------
# the SQL editor (CodeMirror 6, app/assets/sql_editor.bundle.js)
# --------------------------------------------------------------------------------------------

def _completions(duo) -> list[str]:
    return [li.find_element("css selector", ".cm-completionLabel").text
            for li in duo.driver.find_elements("css selector", ".cm-tooltip-autocomplete li")]


def _textarea(duo) -> str:
    return duo.driver.execute_script("return document.getElementById('sql-editor').value")


def test_sql_editor_highlights_completes_matches_brackets_and_runs(duo):
    from selenium.webdriver.common.keys import Keys

    go(duo, "/sql")
    editor = duo.wait_for_element("#sql-editor-host .cm-content", timeout=15)
    assert not duo.find_element("#sql-editor").is_displayed()   # the textarea is replaced
    editor.click()
    # a table name from the build's schema
    editor.send_keys("select model_name, main_sc")
    until(lambda: "main_score" in _completions(duo), what="column completion")
    time.sleep(0.2)   # CodeMirror accepts only once the list has shown for 75 ms
    editor.send_keys(Keys.TAB)                      # Tab accepts
    editor.send_keys(" from model_reg")
    until(lambda: "model_registry" in _completions(duo), what="table completion")
    editor.send_keys(Keys.ESCAPE)
    editor.send_keys(Keys.BACK_SPACE * len(" from model_reg"))
    editor.send_keys(" from scor")
    until(lambda: "scores" in _completions(duo), what="table completion")
    time.sleep(0.2)
    editor.send_keys(Keys.TAB)
    editor.send_keys(Keys.ENTER, "where (main_score > 0.5")   # "(" closes itself
    until(lambda: _textarea(duo).endswith("where (main_score > 0.5)"), what="the textarea")
    assert _textarea(duo).startswith("select model_name, main_score from scores\n")
    # highlighting: keywords and numbers are styled spans; the bracket at the caret matches
    kinds = duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#sql-editor-host .cm-line span'))"
        ".map(s => [s.textContent, getComputedStyle(s).color]);")
    colours = {text: colour for text, colour in kinds}
    assert colours["select"] == colours["from"] == colours["where"]
    assert colours["select"] != colours["0.5"]
    duo.driver.execute_script(
        "var v = document.getElementById('sql-editor-host').cmView;"
        "v.dispatch({selection: {anchor: v.state.doc.length}});")
    until(lambda: len(duo.driver.find_elements(
        "css selector", "#sql-editor-host .cm-matchingBracket")) == 2, what="matched brackets")
    shots_here(duo, "sql_editor")
    # Ctrl+Enter runs it
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    status = until(lambda: duo.find_element(".sql-status").text, what="the result")
    assert "2 columns" in status
    assert "q=select+model_name" in duo.driver.current_url
    # an example loads into the editor (Dash writes the textarea, the editor follows)
    duo.find_element(".sql-example").click()
    until(lambda: "title:" in duo.find_element("#sql-editor-host .cm-content").text,
          what="the example in the editor")
    assert duo.driver.execute_script(
        "return document.getElementById('sql-editor-host').cmView.state.doc.toString()") == \
        _textarea(duo)
    assert severe_logs(duo) == []


def shots_here(duo, name: str):
    """Screenshots of the page as it is, at each width."""
    ISSUE_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        duo.driver.set_window_size(width, 1000)
        time.sleep(0.4)
        duo.driver.save_screenshot(str(ISSUE_SHOTS / f"{name}_{width}.png"))
    duo.driver.set_window_size(1600, 1000)
