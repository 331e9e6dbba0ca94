"""The new user's walk, the gaps left (issue 15, session 5), in headless Chromium: a benchmark
switch keeps the grid's sort (or says it was dropped), every task unticked is a link, and the
SQL editor's bundle loads on /sql only. Screenshots at 1600 px and 420 px as in
tests/test_browser_walk.py (``shots_at_two_widths``)."""

from __future__ import annotations

import urllib.request

import pytest
from dash_helpers import browser_app, go, query_of, shots_at_two_widths, until
from test_browser_walk import (
    click,
    counts,
    css,
    group_button,
    menu_entry,
    open_details,
    ticked_tasks,
)
from warehouses import OTHER

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(autouse=True)
def _serve_the_fixture_warehouse(_isolated_settings, env):
    """The server runs in a thread of this process and reads the setting per request."""


@pytest.fixture(scope="module")
def duo(chromium, app_warehouse, tmp_path_factory):
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=app_warehouse) as dc:
        yield dc


def show_column(duo, column: str):
    """Scroll the grid to a column (AG Grid renders only the columns in view)."""
    duo.driver.execute_script(
        "window.dash_ag_grid.getApi('lb-grid').ensureColumnVisible(arguments[0]);", column)
    return duo.wait_for_element(f"#lb-grid .ag-header-cell[col-id='{column}']")


def header_sort(duo, column: str) -> str | None:
    show_column(duo, column)
    cells = css(duo, f"#lb-grid .ag-header-cell[col-id='{column}']")
    return cells[0].get_attribute("aria-sort") if cells else None


def sort_by(duo, column: str):
    """Click a header of the model grid as a user does (scores sort descending first)."""
    show_column(duo, column)
    click(duo, f"#lb-grid .ag-header-cell[col-id='{column}'] .ag-header-cell-label")
    until(lambda: query_of(duo).get("sort") == [f"{column}:desc"], what=f"sort on {column}")


# --------------------------------------------------------------------------------------------
# 1. a benchmark switch keeps the sort where its column exists, else says it dropped it
# --------------------------------------------------------------------------------------------

def test_switch_keeps_the_sort_when_the_column_exists_else_says_it_was_dropped(duo):
    go(duo, "/")
    duo.wait_for_element("#lb-grid .ag-header-cell[col-id='Model']")
    sort_by(duo, "STS")
    menu_entry(duo, "Other benchmark").click()
    until(lambda: duo.find_element(".lb-bench-title").text == "Other benchmark",
          what="the other benchmark")
    # Other(v1) has an STS task: the sort stays, in the URL and on the header
    until(lambda: query_of(duo).get("benchmark") == [OTHER], what="the URL of Other(v1)")
    assert query_of(duo)["sort"] == ["STS:desc"]
    until(lambda: header_sort(duo, "STS") == "descending", what="STS sorted on Other(v1)")
    assert not duo.find_element("#lb-switch-notice").is_displayed()
    # Clustering is a type of Tiny(v1) only: the switch drops the sort and says so
    menu_entry(duo, "Tiny benchmark").click()
    until(lambda: duo.find_element(".lb-bench-title").text == "Tiny benchmark", what="back")
    until(lambda: query_of(duo).get("sort") == ["STS:desc"], what="back on Tiny(v1), by STS")
    sort_by(duo, "Clustering")
    menu_entry(duo, "Other benchmark").click()
    notice = until(lambda: [n for n in css(duo, "#lb-switch-notice") if n.is_displayed()],
                   what="the switch notice")[0]
    assert notice.text == ("Switched to Other benchmark; dropped what it does not have: the "
                           "sort on Clustering. Every other filter was kept.")
    until(lambda: "sort" not in query_of(duo), what="no sort in the URL")
    shots_at_two_widths(duo, "switch_drops_sort")


# --------------------------------------------------------------------------------------------
# 2. every task unticked: a link that reads back as the same empty state
# --------------------------------------------------------------------------------------------

def test_every_task_unticked_is_a_link_that_reads_back_empty(duo):
    go(duo, "/")
    open_details(duo, "Customize this benchmark")
    for task_type in ("Classification", "Clustering", "PairClassification", "Retrieval", "STS"):
        group_button(duo, task_type, "None")
    until(lambda: query_of(duo).get("tasks") == ["none"], what="tasks=none in the URL")
    empty = duo.find_element("#lb-empty-text")
    until(lambda: empty.text.startswith("No task is left"), what="the empty notice")
    link = duo.driver.current_url
    # the link opened again: nothing ticked, the same notice, the same URL
    duo.driver.get(link)
    duo.wait_for_element("#_pages_content > *")
    open_details(duo, "Customize this benchmark")
    until(lambda: duo.find_element("#lb-empty-text").text.startswith("No task is left"),
          what="the empty notice after reload")
    assert ticked_tasks(duo) == []
    assert query_of(duo).get("tasks") == ["none"]
    shots_at_two_widths(duo, "tasks_none")
    # one tick: that task alone
    click(duo, ".lb-task-group input[value='TinySTS']")
    until(lambda: query_of(duo).get("tasks") == ["TinySTS"], what="one task in the URL")
    until(lambda: "1 of 6 tasks" in counts(duo), what="one task counted")


# --------------------------------------------------------------------------------------------
# 3. the SQL editor's bundle: fetched on /sql only, cached
# --------------------------------------------------------------------------------------------

def fetched(duo) -> list[str]:
    return duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('sql_editor.bundle'));")


def test_the_sql_editor_bundle_loads_on_the_sql_page_only(duo):
    for path in ("/", "/compare", "/status"):
        go(duo, path)
        until(lambda: css(duo, "._dash-loading") == [], what="the page rendered")
        assert fetched(duo) == [], path
        assert duo.driver.execute_script("return window.mtebSqlEditor === undefined"), path
    # from the leaderboard to the SQL console by the nav (no reload): the editor comes
    click(duo, "a.lb-nav-link[href='/sql']")
    duo.wait_for_element("#sql-editor-host .cm-content", timeout=15)
    (src,) = until(lambda: fetched(duo), what="the bundle fetched")
    assert "?v=" in src
    # a fresh load of /sql too; the bundle's URL is versioned and cached for a year
    go(duo, "/sql")
    duo.wait_for_element("#sql-editor-host .cm-content", timeout=15)
    with urllib.request.urlopen(src) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert len(response.read()) > 300_000


# --------------------------------------------------------------------------------------------
# the walk's stumbles: a long task name stays inside its group
# --------------------------------------------------------------------------------------------

def test_a_long_task_name_wraps_inside_its_group(duo):
    go(duo, "/")
    open_details(duo, "Customize this benchmark")
    duo.wait_for_element(".lb-task-group input[value='TinySTS']")
    # the real MTEB(Multilingual, v2) has names such as BulgarianStoreReviewSentiment-
    # Classification (43 characters, no space): one twice as long, whatever the window
    inside = duo.driver.execute_script("""
        var input = document.querySelector(".lb-task-group input[value='TinySTS']");
        var label = input.closest('label');
        var text = Array.from(label.querySelectorAll('*')).filter(
            e => e.children.length === 0 && e.textContent === 'TinySTS')[0];
        text.textContent = 'BulgarianStoreReviewSentimentClassification'.repeat(2);
        var group = label.closest('.lb-task-group').getBoundingClientRect();
        var range = document.createRange();
        range.selectNodeContents(text);
        var box = range.getBoundingClientRect();   // where the letters are drawn
        return [box.right <= group.right + 0.5, box.width > 0];""")
    assert inside == [True, True]


def test_a_wide_table_scrolls_in_its_box_on_a_narrow_screen(duo):
    """At 420 px the compare page's odds table (long model names as headers) was wider than
    the screen: the whole page scrolled sideways."""
    duo.driver.set_window_size(420, 1000)
    try:
        go(duo, "/compare?model=org-a/big-open&model=org-b/cross")
        duo.wait_for_element("#cmp-odds th")
        widths = duo.driver.execute_script("""
            document.querySelectorAll('#cmp-odds th').forEach(function (th, i) {
                if (i > 0) th.textContent = 'intfloat/multilingual-e5-large-instruct'; });
            var e = document.documentElement;
            return [e.scrollWidth, e.clientWidth];""")
        assert widths[0] <= widths[1]
    finally:
        duo.driver.set_window_size(1440, 1000)


def test_the_as_of_date_field_is_a_date_field_not_a_full_width_box(duo):
    go(duo, "/")
    field = duo.wait_for_element("#lb-as-of")
    row = field.find_element("xpath", "../..")     # Dash wraps the <input> in a container
    assert 140 <= field.size["width"] <= 200       # room for a date, no more
    # label, field and hint on one line at 1440 px
    tops = {round(e.location["y"] + e.size["height"] / 2) for e in
            row.find_elements("css selector", ":scope > *")}
    assert max(tops) - min(tops) <= 4
