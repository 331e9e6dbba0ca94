"""The dashboard in headless Chromium (dash[testing] + Selenium), against a tiny warehouse.

Run: ``.venv/bin/pytest tests/test_browser.py`` (or ``-m browser``). Skips when
/usr/bin/chromium or chromedriver is missing (``apt-get install chromium chromium-driver``),
fails instead with MTEB_LB_REQUIRE_REAL=1 (CI; the `chromium` fixture of conftest.py).
One app server and one browser are shared by the whole module (``dash_duo`` is overridden by a
module-scoped, always headless composite) so the suite stays fast; each test starts from a fresh
page load. Screenshots go to /tmp/shots/browser_*.png.
"""

from __future__ import annotations

import csv
import time
from urllib.parse import parse_qs, urlparse

import pytest
from dash_helpers import SHOTS, browser_app, go, query_of, until
from warehouses import DEFAULT, MODELS, OTHER, TASKS, UNREGISTERED

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _serve_the_fixture_warehouse(_isolated_settings, env):
    """The server runs in a thread of this process and reads the setting per request."""


@pytest.fixture(scope="module")
def dash_duo(chromium, app_warehouse, tmp_path_factory):
    """One headless browser and one app server for the module."""
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=app_warehouse) as dc:
        yield dc


def grid_models(duo, grid: str = "lb-grid") -> list[str]:
    rows = duo.driver.find_elements(
        "css selector", f"#{grid} .ag-pinned-left-cols-container .ag-row")
    rows = sorted(rows, key=lambda r: int(r.get_attribute("row-index")))
    return [r.find_element("css selector", ".lb-model-link").text for r in rows]


def wait_models(duo, expected, what="grid rows", ordered=True):
    """Wait until the grid shows exactly these models, in this order (``ordered=False``: as a
    set, only where the test cannot know the order)."""
    if ordered:
        return until(lambda: grid_models(duo) == list(expected), what=what)
    return until(lambda: sorted(grid_models(duo)) == sorted(expected), what=what)


def cell_text(duo, row_index: int, col_id: str, grid: str = "lb-grid") -> str:
    return duo.driver.find_element(
        "css selector",
        f'#{grid} .ag-row[row-index="{row_index}"] .ag-cell[col-id="{col_id}"]').text


def click(duo, selector: str):
    element = duo.wait_for_element(selector)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()
    return element


def open_details(duo, summary_text: str):
    for summary in duo.driver.find_elements("css selector", "summary"):
        if summary.text.startswith(summary_text):
            details = summary.find_element("xpath", "..")
            if details.get_attribute("open") is None:
                duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                                          summary)
                summary.click()
            return details
    raise AssertionError(f"no <summary> starting with {summary_text!r}")


def shot(duo, name: str, full: bool = False):
    if full:
        height = duo.driver.execute_script("return document.body.scrollHeight")
        duo.driver.set_window_size(1440, min(max(height + 40, 1000), 5000))
        time.sleep(0.4)
    duo.driver.save_screenshot(str(SHOTS / f"browser_{name}.png"))
    if full:
        duo.driver.set_window_size(1440, 1000)


def severe_logs(duo) -> list[str]:
    return [e["message"] for e in duo.driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon" not in e["message"]]


# The default table's order and the filtered ones, derived by hand in tests/test_cli_commands.py
# and tests/test_app_callbacks.py (Borda over the remaining models, ties by name).
BIG, PROP, CROSS, PARTIAL, SMALL, SPARSE = (
    "org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-c/partial",
    "org-a/small-open", "org-c/sparse-one")
ALL_REGISTRY = [BIG, PROP, CROSS, SMALL, PARTIAL, SPARSE]
OPEN = [BIG, CROSS, SMALL, PARTIAL, SPARSE]      # open weights, or known training data
RANK_1 = BIG


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------

def test_br001_default_page(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    assert grid_models(dash_duo)[0] == RANK_1
    assert cell_text(dash_duo, 0, "Rank (Borda)") == "1"
    assert "Tiny benchmark" in dash_duo.find_element(".lb-bench-title").text
    assert "active" in dash_duo.find_element(".lb-bench-btn.active").get_attribute("class")
    footer = dash_duo.find_element(".lb-footer").text
    assert "0123456789ab" in footer
    assert dash_duo.find_element(".lb-footer-link").get_attribute("href").endswith("/status")
    nav = [a.text for a in dash_duo.driver.find_elements("css selector", ".lb-nav-link")]
    assert [n for n in nav if n in ("Leaderboard", "Compare", "SQL", "Status")] == [
        "Leaderboard", "Compare", "SQL", "Status"]
    # 2-decimal display, unknown values shown as such
    row = grid_models(dash_duo).index("org-b/proprietary-api")
    assert cell_text(dash_duo, row, "Zero-shot") == "⚠️ NA"
    assert cell_text(dash_duo, row, "Total Parameters (B)") == "Unknown"
    mean = cell_text(dash_duo, 0, "Mean (Task)")
    assert len(mean.split(".")[1]) == 2
    until(lambda: dash_duo.driver.find_elements("css selector", "#lb-plot .scatterlayer .trace"),
          what="the size plot")
    shot(dash_duo, "default_page", full=True)
    assert severe_logs(dash_duo) == []


def test_br002_switch_benchmark(dash_duo):
    go(dash_duo, "/?avail=open")
    open_details(dash_duo, "More")
    button = until(lambda: [b for b in dash_duo.driver.find_elements("css selector",
                                                                      ".lb-bench-btn")
                            if b.text == "Other benchmark"], what="menu entry")[0]
    button.click()
    until(lambda: dash_duo.find_element(".lb-bench-title").text == "Other benchmark",
          what="the other benchmark's title")
    assert query_of(dash_duo)["benchmark"] == [OTHER]
    assert query_of(dash_duo)["open_weights"] == ["yes"]      # model filters are kept
    # Other(v1): Ret, STS, Cls, which every model has: the base-score order
    wait_models(dash_duo, [BIG, CROSS, PARTIAL, SMALL, SPARSE])
    tabs = [t.text for t in dash_duo.driver.find_elements("css selector", "#lb-tabs .tab")]
    assert "Performance per language" not in tabs
    assert "Other benchmark" in dash_duo.find_element(".lb-bench-btn.active").text
    shot(dash_duo, "switch_benchmark")
    assert severe_logs(dash_duo) == []


def test_br003_model_filters_apply_and_clear(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    open_details(dash_duo, "Filter models")
    cases = [
        ("#lb-avail input[value='yes']", "#lb-avail input[value='']", "open_weights", OPEN),
        ("#lb-inst input[value='yes']", "#lb-inst input[value='']", "instructions", [BIG, PROP]),
        ("#lb-zs input[value='remove_unknown']", "#lb-zs input[value='allow_all']", "zero_shot",
         OPEN),
        ("#lb-st input[value='st']", "#lb-st input[value='st']", "sentence_transformers",
         [BIG, SMALL, PARTIAL, SPARSE]),
        # unticking dense leaves the cross-encoder and the sparse model: cross wins every task
        ("#lb-mtypes input[value='dense']", "#lb-mtypes input[value='dense']", "model_types",
         [CROSS, SPARSE]),
        ("#lb-all input[value='all']", "#lb-all input[value='all']", "all_models",
         [UNREGISTERED, BIG, PROP, CROSS, SMALL, PARTIAL, SPARSE]),
    ]
    for apply, clear, key, expected in cases:
        click(dash_duo, apply)
        wait_models(dash_duo, expected, what=f"rows after {key}")
        until(lambda: key in query_of(dash_duo), what=f"{key} in the URL")
        if key != "all_models":
            assert dash_duo.find_element("#lb-chips").text.startswith("Active filters")
        click(dash_duo, clear)
        wait_models(dash_duo, ALL_REGISTRY, what=f"rows after clearing {key}")
        until(lambda: key not in query_of(dash_duo), what=f"{key} gone from the URL")
    assert severe_logs(dash_duo) == []


def test_br004_size_slider_and_unknown_sizes(dash_duo):
    go(dash_duo, "/")
    open_details(dash_duo, "Filter models")
    slider = dash_duo.wait_for_element("#lb-size")
    handles = slider.find_elements("css selector", "[role='slider']")
    assert len(handles) == 2
    from selenium.webdriver.common.action_chains import ActionChains

    width = slider.size["width"]
    ActionChains(dash_duo.driver).drag_and_drop_by_offset(handles[1], -int(width * 0.45), 0) \
        .perform()
    until(lambda: "max_params_b" in query_of(dash_duo), what="max_params_b in the URL")
    max_b = float(query_of(dash_duo)["max_params_b"][0])
    label = dash_duo.find_element("#lb-size-label").text
    assert label.startswith("any –"), label
    # as the official board: a bound drops models of unknown size
    expected = [m for m in ALL_REGISTRY if _size(m) is not None and _size(m) <= max_b * 1e9]
    # the bound depends on the drag, and the remaining models are re-ranked: compared as a set
    wait_models(dash_duo, expected, what="rows under the size bound", ordered=False)
    assert "org-a/big-open" not in grid_models(dash_duo)
    assert "org-b/proprietary-api" not in grid_models(dash_duo)   # unknown size dropped
    click(dash_duo, "#lb-size-unknown input[value='keep']")       # tick: keep unknown sizes
    until(lambda: "org-b/proprietary-api" in grid_models(dash_duo), what="unknown kept")
    assert query_of(dash_duo)["keep_unknown_size"] == ["1"]
    shot(dash_duo, "size_filter")
    click(dash_duo, "#lb-reset")
    wait_models(dash_duo, ALL_REGISTRY, what="reset")
    until(lambda: "max_params_b" not in query_of(dash_duo), what="size gone from the URL")


def _size(model: str):
    return MODELS[model][1].get("n_parameters")


def test_br005_task_filters_and_empty_state(dash_duo):
    go(dash_duo, "/")
    open_details(dash_duo, "Customize this benchmark")
    click(dash_duo, "#lb-types input[value='Retrieval']")
    until(lambda: not dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-header-cell[col-id='Retrieval']"), what="column gone")
    until(lambda: "4 of 6 tasks" in dash_duo.find_element("#lb-counts").text, what="counts")
    assert "Retrieval" not in query_of(dash_duo)["task_types"]
    click(dash_duo, "#lb-types input[value='Retrieval']")
    until(lambda: "task_types" not in query_of(dash_duo), what="types cleared")
    # languages (a searchable dropdown)
    dropdown = click(dash_duo, "#lb-langs")
    dash_duo.driver.switch_to.active_element.send_keys("deu")
    until(lambda: [o for o in dash_duo.driver.find_elements("css selector", "[role='option']")
                   if o.text.startswith("deu")], what="deu option")[0].click()
    until(lambda: query_of(dash_duo).get("languages") == ["deu"], what="languages=deu")
    until(lambda: "1 of 6 tasks" in dash_duo.find_element("#lb-counts").text,
          what="one task left (TinySTS has German)")
    assert dropdown is not None
    # every task type unticked: nothing left -> a message and a one-click reset
    for t in ("Retrieval", "STS", "Classification", "Clustering", "PairClassification"):
        click(dash_duo, f"#lb-types input[value='{t}']")
    notice = until(lambda: dash_duo.find_element("#lb-empty").is_displayed()
                   and dash_duo.find_element("#lb-empty"), what="empty-state notice")
    assert "No task is left" in notice.text
    shot(dash_duo, "empty_state")
    click(dash_duo, "#lb-reset-empty")
    wait_models(dash_duo, ALL_REGISTRY, what="rows after the one-click reset")
    until(lambda: not dash_duo.find_element("#lb-empty").is_displayed(), what="notice hidden")
    assert "languages" not in query_of(dash_duo) and "task_types" not in query_of(dash_duo)
    assert severe_logs(dash_duo) == []


def test_br006_sort_a_column_and_keep_it_on_reload(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    header = dash_duo.wait_for_element("#lb-grid .ag-header-cell[col-id='Max Tokens'] "
                                       ".ag-header-cell-label")
    header.click()                                   # numbers: descending first
    until(lambda: query_of(dash_duo).get("sort") == ["Max Tokens:desc"], what="sort in URL")
    until(lambda: cell_text(dash_duo, 0, "Max Tokens") == "32,768", what="sorted rows")
    first = grid_models(dash_duo)
    assert first[0] == "org-a/big-open"
    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#lb-grid .ag-row")
    until(lambda: grid_models(dash_duo) == first, what="same order after reload")
    header = dash_duo.find_element("#lb-grid .ag-header-cell[col-id='Max Tokens']")
    assert header.get_attribute("aria-sort") == "descending"
    # a filter change keeps the sort
    open_details(dash_duo, "Filter models")
    click(dash_duo, "#lb-avail input[value='yes']")
    until(lambda: "org-b/proprietary-api" not in grid_models(dash_duo), what="filtered")
    header = dash_duo.find_element("#lb-grid .ag-header-cell[col-id='Max Tokens']")
    assert header.get_attribute("aria-sort") == "descending"
    assert query_of(dash_duo)["sort"] == ["Max Tokens:desc"]
    assert grid_models(dash_duo)[0] == "org-a/big-open"


def test_br007_search(dash_duo):
    go(dash_duo, "/")
    box = dash_duo.wait_for_element("#lb-search")
    box.send_keys("org-c")
    wait_models(dash_duo, [PARTIAL, SPARSE], what="search results")  # ranks 4 and 6
    assert query_of(dash_duo)["search"] == ["org-c"]
    until(lambda: "2 of 6 models" in dash_duo.find_element("#lb-counts").text, what="counts")
    box.send_keys("-nothing")
    until(lambda: dash_duo.find_element("#lb-empty").is_displayed(), what="no match notice")
    assert "No model name matches" in dash_duo.find_element("#lb-empty").text
    shot(dash_duo, "search_empty")


def test_br008_download_csv(dash_duo):
    go(dash_duo, "/?avail=open&sort=Mean%20(Task):desc")
    # by Mean (Task), descending: big 82.92, cross 74.58, small 64.58, sparse 59.58, partial
    # (blank) last
    wait_models(dash_duo, [BIG, CROSS, SMALL, SPARSE, PARTIAL])
    for old in dash_duo.downloads.glob("*.csv"):
        old.unlink()
    click(dash_duo, "#lb-download-btn")
    path = until(lambda: list(dash_duo.downloads.glob("*.csv")), what="the CSV download")[0]
    until(lambda: path.stat().st_size > 0, what="a complete file")
    rows = list(csv.DictReader(path.open()))
    assert path.name == "Tiny_v1_summary.csv"
    assert [r["Model"] for r in rows] == grid_models(dash_duo)
    assert [r["Model"] for r in rows] == [BIG, CROSS, SMALL, SPARSE, PARTIAL]
    assert "Rank (Borda)" in rows[0] and "Mean (Task)" in rows[0]
    shown = cell_text(dash_duo, 0, "Mean (Task)")
    assert float(rows[0]["Mean (Task)"]) == pytest.approx(float(shown), abs=0.005)


def test_br009_tabs(dash_duo):
    go(dash_duo, "/")
    for label, tab, probe in (("Performance per task", "per-task", "TinySTS"),
                              ("Performance per language", "per-language", "deu-Latn")):
        [t for t in dash_duo.driver.find_elements("css selector", "#lb-tabs .tab")
         if t.text == label][0].click()
        dash_duo.wait_for_element(f"#lb-grid .ag-header-cell[col-id='{probe}']")
        assert query_of(dash_duo)["view"] == [tab]
        shot(dash_duo, f"tab_{tab}")
    [t for t in dash_duo.driver.find_elements("css selector", "#lb-tabs .tab")
     if t.text == "Task information"][0].click()
    until(lambda: len(dash_duo.driver.find_elements(
        "css selector", "#lb-task-grid .ag-center-cols-container .ag-row")) == len(TASKS),
        what="task rows")
    assert not dash_duo.find_element("#lb-plots").is_displayed()
    shot(dash_duo, "tab_tasks")
    assert severe_logs(dash_duo) == []


def test_br010_plots_and_selection(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    boxes = dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-pinned-left-cols-container .ag-row .ag-checkbox-input")
    boxes[1].click()
    boxes[3].click()
    until(lambda: len(query_of(dash_duo).get("selected", [])) == 2, what="selection in URL")
    [t for t in dash_duo.driver.find_elements("css selector", "#lb-plot-tabs .tab")
     if "radar" in t.text][0].click()
    until(lambda: len(dash_duo.driver.find_elements(
        "css selector", "#lb-plot .scatterpolar, #lb-plot .polarlayer .trace")) >= 2,
        what="radar traces")
    assert query_of(dash_duo)["plot"] == ["radar"]
    link = dash_duo.find_element("#lb-compare-link")
    assert link.is_displayed() and "Compare selected (2)" in link.text
    shot(dash_duo, "radar_selected", full=True)


def test_br011_model_page(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    link = [a for a in dash_duo.driver.find_elements("css selector", ".lb-model-link")
            if a.text == "org-a/small-open"][0]
    link.click()
    until(lambda: "/model" in dash_duo.driver.current_url, what="the model page")
    dash_duo.wait_for_element("#model-results .ag-row")
    assert "small-open" in dash_duo.find_element(".lb-bench-title").text
    until(lambda: "/ 6" in dash_duo.find_element("#model-ranks").text, what="ranks")
    ranks = dash_duo.find_element("#model-ranks").text
    assert "Tiny benchmark" in ranks and "Other benchmark" in ranks
    rows = dash_duo.driver.find_elements("css selector",
                                         "#model-results .ag-center-cols-container .ag-row")
    assert len(rows) == len(TASKS)
    first = dash_duo.driver.execute_script(
        "var api = dash_ag_grid.getApi('model-results');"
        "var cols = api.getColumnDefs(); var row = api.getDisplayedRowAtIndex(0).data;"
        "var out = {}; cols.forEach(function(c) { out[c.headerName] = row[c.field]; });"
        "out.url = row.url; return out;")
    assert first["Source file"].startswith("results/org-a__small-open/")
    assert first["url"].startswith("https://github.com/example/results/blob/")
    assert first["mteb version"] and first["Dataset revision"] and first["Revision folder"]
    shot(dash_duo, "model_page", full=True)
    assert severe_logs(dash_duo) == []


def test_br012_compare_two_models(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    boxes = dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-pinned-left-cols-container .ag-row .ag-checkbox-input")
    boxes[0].click()
    boxes[2].click()
    link = until(lambda: dash_duo.find_element("#lb-compare-link").is_displayed()
                 and dash_duo.find_element("#lb-compare-link"), what="compare link")
    link.click()
    until(lambda: "/compare" in dash_duo.driver.current_url, what="the compare page")
    dash_duo.wait_for_element("#cmp-task-grid .ag-row")
    text = dash_duo.find_element("#cmp-content").text
    assert "Summary on Tiny benchmark" in text and "★" in text
    assert len(query_of(dash_duo)["model"]) == 2
    assert query_of(dash_duo)["benchmark"] == [DEFAULT]
    winners = dash_duo.driver.find_elements("css selector",
                                            "#cmp-task-grid .ag-cell[col-id='winner']")
    assert len(winners) == len(TASKS)
    shot(dash_duo, "compare", full=True)
    assert severe_logs(dash_duo) == []


def test_br013_reload_a_url_with_state(dash_duo):
    url = ("/?benchmark=Tiny%28v1%29&tab=per-task&q=org&avail=open&types=Retrieval"
           "&types=STS&model=org-a%2Fbig-open&sort=TinySTS:asc")
    go(dash_duo, url)
    dash_duo.wait_for_element("#lb-grid .ag-header-cell[col-id='TinySTS']")
    until(lambda: grid_models(dash_duo), what="rows")
    before = (grid_models(dash_duo), dash_duo.find_element("#lb-counts").text,
              sorted(query_of(dash_duo).items()))
    headers = [h.get_attribute("col-id") for h in dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-header-cell[col-id]")]
    assert "TinyClassification" not in headers
    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#lb-grid .ag-header-cell[col-id='TinySTS']")
    until(lambda: (grid_models(dash_duo), dash_duo.find_element("#lb-counts").text,
                   sorted(query_of(dash_duo).items())) == before, what="the same view")
    selected = dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-pinned-left-cols-container .ag-row-selected")
    assert len(selected) == 1
    assert dash_duo.find_element("#lb-search").get_attribute("value") == "org"
    assert dash_duo.find_element("#lb-avail input[value='yes']").is_selected()
    shot(dash_duo, "reloaded_state")


def test_br014_malformed_urls(dash_duo):
    go(dash_duo, "/?benchmark=Nope(v9)")
    notice = dash_duo.wait_for_element(".lb-error")
    assert "Unknown benchmark “Nope(v9)”" in notice.text
    assert DEFAULT in notice.text and OTHER in notice.text
    shot(dash_duo, "unknown_benchmark")
    [a for a in notice.find_elements("css selector", "a") if a.text == OTHER][0].click()
    until(lambda: dash_duo.driver.find_elements("css selector", ".lb-bench-title")
          and dash_duo.find_element(".lb-bench-title").text == "Other benchmark",
          what="a valid benchmark from the list")
    go(dash_duo, "/?zs=sometimes&min_b=abc&types=Bogus&colour=red")
    warning = dash_duo.wait_for_element("#lb-warnings")
    for needle in ("zero_shot=sometimes", "min_params_b=abc", "Bogus", "colour"):
        assert needle in warning.text
    wait_models(dash_duo, ALL_REGISTRY, what="the default table despite the bad link")
    shot(dash_duo, "malformed_parameters")
    go(dash_duo, "/model?name=nobody/none")
    assert "Unknown model" in dash_duo.wait_for_element(".lb-error").text
    go(dash_duo, "/compare?model=nobody/none&benchmark=Nope")
    assert "Unknown benchmark" in dash_duo.wait_for_element(".lb-warning").text
    assert severe_logs(dash_duo) == []


def test_br015_status_page(dash_duo):
    go(dash_duo, "/status")
    text = dash_duo.wait_for_element(".lb-pagewrap").text
    assert "0123456789abcdef0123" in text and "Quarantined files (1)" in text
    dash_duo.wait_for_element("#status-quarantined .ag-row")
    assert "TinyBroken.json" in dash_duo.find_element("#status-quarantined").text
    assert "active" in [a for a in dash_duo.driver.find_elements("css selector", ".lb-nav-link")
                        if a.text == "Status"][0].get_attribute("class")
    shot(dash_duo, "status", full=True)


def test_copy_link_copies_the_url_of_exactly_this_view(dash_duo):
    """The copied text is the page's address, which encodes the state: opened afresh it shows
    the same view (proprietary models only, per-task tab)."""
    go(dash_duo, "/?tab=per-task")
    wait_models(dash_duo, ALL_REGISTRY)
    open_details(dash_duo, "Filter models")
    click(dash_duo, "#lb-avail input[value='no']")
    wait_models(dash_duo, ["org-b/proprietary-api"], what="proprietary only")
    until(lambda: query_of(dash_duo).get("open_weights") == ["no"], what="open_weights in URL")
    dash_duo.driver.execute_script(
        "window.__copied = [];"
        "navigator.clipboard.writeText = function (t) {"
        "  window.__copied.push(t); return Promise.resolve(); };")
    click(dash_duo, "#lb-copy")
    copied = until(lambda: dash_duo.driver.execute_script("return window.__copied;"),
                   what="the copied text")
    assert copied == [dash_duo.driver.current_url]
    link = urlparse(copied[0])
    assert (link.scheme + "://" + link.netloc, link.path) == (dash_duo.server_url, "/")
    # the benchmark is named (a shared link survives a change of the default benchmark)
    assert parse_qs(link.query) == {"benchmark": [DEFAULT], "view": ["per-task"],
                                    "open_weights": ["no"]}
    dash_duo.driver.get("about:blank")
    dash_duo.driver.get(copied[0])
    dash_duo.wait_for_element("#_pages_content > *", timeout=10)
    wait_models(dash_duo, ["org-b/proprietary-api"], what="the copied view, opened afresh")
    assert dash_duo.find_element("#lb-avail input[value='no']").is_selected()


def test_br016_back_button_and_copy_link(dash_duo):
    go(dash_duo, "/")
    wait_models(dash_duo, ALL_REGISTRY)
    open_details(dash_duo, "Filter models")
    click(dash_duo, "#lb-avail input[value='no']")
    wait_models(dash_duo, ["org-b/proprietary-api"], what="proprietary only")
    until(lambda: query_of(dash_duo).get("open_weights") == ["no"], what="open_weights in URL")
    click(dash_duo, "#lb-copy")
    until(lambda: "Link copied" in dash_duo.find_element("#lb-copy").text, what="copied")
    dash_duo.driver.back()                       # the previous state, rebuilt from the URL
    wait_models(dash_duo, ALL_REGISTRY, what="rows after going back")
    assert "open_weights" not in query_of(dash_duo)
    dash_duo.driver.forward()
    wait_models(dash_duo, ["org-b/proprietary-api"], what="rows after going forward")
