"""A new user's walk through the leaderboard page (issue 15), in headless Chromium.

Each test is one stumble of the walk, fixed: it drives the page as a user would, asserts what the
user sees, and saves screenshots at 1600 px and 420 px (``dash_helpers.shots_at_two_widths``:
$MTEB_LB_TEST_ARTIFACTS, else tests/artifacts). The app and the browser are shared by the module
(as in tests/test_browser.py); the fixture warehouse and its hand-derived numbers are those of
tests/warehouses.py and tests/test_app_callbacks.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from dash_helpers import artifacts_dir, browser_app, go, query_of, shots_at_two_widths, until
from warehouses import DEFAULT, OTHER, TASKS

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


def css(duo, selector: str):
    return duo.driver.find_elements("css selector", selector)


def click(duo, selector: str):
    element = duo.wait_for_element(selector)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()
    return element


def open_details(duo, summary_text: str):
    for summary in css(duo, "summary"):
        if (summary.get_attribute("textContent") or "").startswith(summary_text):
            details = summary.find_element("xpath", "..")
            if details.get_attribute("open") is None:
                duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                                          summary)
                summary.click()
            return details
    raise AssertionError(f"no <summary> starting with {summary_text!r}")


def counts(duo) -> str:
    return duo.find_element("#lb-counts").text


def ticked_tasks(duo) -> list[str]:
    return sorted(i.get_attribute("value") for i in css(duo, ".lb-task-group input")
                  if i.is_selected())


def group_button(duo, task_type: str, label: str):
    head = [h for h in css(duo, ".lb-task-group-head")
            if h.find_element("css selector", ".lb-task-group-title").text.startswith(task_type)]
    button = [b for b in head[0].find_elements("css selector", "button") if b.text == label][0]
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


ALL_TASKS = sorted(TASKS)


# --------------------------------------------------------------------------------------------
# 1. tasks shown as selected, grouped by type; the blank-means notice drops its tasks
# --------------------------------------------------------------------------------------------

def test_tasks_start_selected_and_one_click_removes_one(duo):
    go(duo, "/")
    open_details(duo, "Customize this benchmark")
    # the benchmark's six tasks, ticked, in one group per task type with its task count
    until(lambda: ticked_tasks(duo) == ALL_TASKS, what="every task ticked")
    titles = [t.text for t in css(duo, ".lb-task-group-title")]
    assert titles == ["Classification (1)", "Clustering (1)", "PairClassification (1)",
                      "Retrieval (2)", "STS (1)"]
    assert "tasks" not in query_of(duo)
    # one click removes one task
    click(duo, ".lb-task-group input[value='TinySTS']")
    until(lambda: "5 of 6 tasks" in counts(duo), what="five tasks left")
    until(lambda: sorted(query_of(duo).get("tasks", [])) == sorted(set(ALL_TASKS) - {"TinySTS"}),
          what="the five tasks in the URL")
    assert not css(duo, "#lb-grid .ag-header-cell[col-id='STS']")
    shots_at_two_widths(duo, "tasks_one_removed")
    # ticking it again is the published benchmark: the URL says nothing about tasks
    click(duo, ".lb-task-group input[value='TinySTS']")
    until(lambda: "tasks" not in query_of(duo), what="no custom selection")
    until(lambda: "6 of 6 tasks" in counts(duo), what="six tasks")
    # None / All per task type
    group_button(duo, "Retrieval", "None")
    until(lambda: "4 of 6 tasks" in counts(duo), what="Retrieval tasks unticked")
    assert ticked_tasks(duo) == sorted(set(ALL_TASKS) - {"TinyRetrieval", "TinyRetrieval2"})
    until(lambda: len(query_of(duo).get("tasks", [])) == 4, what="four tasks in the URL")
    group_button(duo, "Retrieval", "All")
    until(lambda: "tasks" not in query_of(duo), what="all ticked again")
    assert ticked_tasks(duo) == ALL_TASKS
    # a reload of a link with a custom selection ticks exactly those
    go(duo, "/?tasks=TinySTS&tasks=TinyClustering")
    open_details(duo, "Customize this benchmark")
    until(lambda: ticked_tasks(duo) == ["TinyClustering", "TinySTS"], what="two ticked")
    assert "2 of 6 tasks" in counts(duo)


BLANKING = ("TinyClustering", "TinyPairClassification")


@pytest.fixture
def blanking_tasks(monkeypatch):
    """The fixture has no task without a complete score (the SQL that finds them is tested in
    tests/test_rankings.py): the rankings are told that two tasks of Tiny(v1) have none, while
    they are selected. The app server runs in a thread of this process, so it sees the patch."""
    from mteb_lb import rankings

    def fake(self, benchmark, filters=None):
        if benchmark != DEFAULT:
            return []
        return [t for t in BLANKING if filters is None or filters.tasks is None
                or t in filters.tasks]

    monkeypatch.setattr(rankings.Leaderboard, "tasks_without_scores", fake)


def test_blank_means_notice_drops_its_tasks(duo, blanking_tasks):
    go(duo, "/")
    notice = until(lambda: duo.find_element("#lb-blank").is_displayed()
                   and duo.find_element("#lb-blank"), what="the blank-means notice")
    assert notice.text.startswith("No model has a complete result on TinyClustering, "
                                  "TinyPairClassification, so the means over all tasks are blank")
    assert duo.find_element("#lb-drop-blank").text == "Drop these tasks"
    assert "complete result" not in counts(duo)            # the toolbar stays one short line
    shots_at_two_widths(duo, "blank_means_notice")
    click(duo, "#lb-drop-blank")
    until(lambda: "4 of 6 tasks" in counts(duo), what="the two tasks dropped")
    until(lambda: not duo.find_element("#lb-blank").is_displayed(), what="notice gone")
    assert sorted(query_of(duo)["tasks"]) == [
        "TinyClassification", "TinyRetrieval", "TinyRetrieval2", "TinySTS"]
    open_details(duo, "Customize this benchmark")
    assert ticked_tasks(duo) == [
        "TinyClassification", "TinyRetrieval", "TinyRetrieval2", "TinySTS"]
    # org-c/partial, which lacks the two, now has a mean: (65 + 67 + 66.5 + 71) / 4 = 67.375
    rows = css(duo, "#lb-grid .ag-pinned-left-cols-container .ag-row")
    index = [r.get_attribute("row-index") for r in rows
             if r.find_element("css selector", ".lb-model-link").text == "org-c/partial"][0]
    mean = duo.find_element(
        f'#lb-grid .ag-row[row-index="{index}"] .ag-cell[col-id="Mean (Task)"]').text
    assert mean in ("67.38", "67.37")     # 67.375 rounded to 2 decimals (float ties)


# --------------------------------------------------------------------------------------------
# 2. switching benchmark keeps what applies and says what was dropped
# --------------------------------------------------------------------------------------------

def grid_models(duo) -> list[str]:
    rows = sorted(css(duo, "#lb-grid .ag-pinned-left-cols-container .ag-row"),
                  key=lambda r: int(r.get_attribute("row-index")))
    return [r.find_element("css selector", ".lb-model-link").text for r in rows]


def menu_entry(duo, label: str):
    open_details(duo, "More")
    entry = until(lambda: [b for b in css(duo, ".lb-bench-btn")
                           if b.get_attribute("textContent") == label],
                  what=f"menu entry {label}")[0]
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", entry)
    return entry


def test_switching_benchmark_keeps_what_applies_and_says_what_was_dropped(duo):
    # at most 1B (known sizes), the Medical domain (TinyRetrieval2, not in Other(v1)), and the
    # per-language view, which Other(v1) does not have
    go(duo, "/?max_params_b=1&domains=Medical&view=per-language")
    duo.wait_for_element("#lb-grid .ag-header-cell[col-id='deu-Latn']")
    menu_entry(duo, "Other benchmark").click()
    until(lambda: duo.find_element(".lb-bench-title").text == "Other benchmark",
          what="the other benchmark")
    notice = duo.find_element("#lb-switch-notice")
    assert notice.is_displayed()
    assert notice.text == ("Switched to Other benchmark; dropped what it does not have: domains "
                           "Medical; the 'Performance per language' view (not offered). Every "
                           "other filter was kept.")
    query = query_of(duo)
    assert query["benchmark"] == [OTHER] and query["max_params_b"] == ["1"]
    assert "domains" not in query and "view" not in query
    # known sizes up to 1B: cross .3B, partial .5B, small .1B, sparse .05B; on Other(v1)'s three
    # tasks they keep their base-score order
    until(lambda: grid_models(duo) == ["org-b/cross", "org-c/partial", "org-a/small-open",
                                       "org-c/sparse-one"], what="the size bound kept")
    shots_at_two_widths(duo, "switch_benchmark_notice")
    # a switch that drops nothing says nothing
    menu_entry(duo, "Tiny benchmark").click()
    until(lambda: duo.find_element(".lb-bench-title").text == "Tiny benchmark", what="back")
    assert not duo.find_element("#lb-switch-notice").is_displayed()
    assert query_of(duo)["max_params_b"] == ["1"]


# --------------------------------------------------------------------------------------------
# 3. no console error or AG Grid warning on any page
# --------------------------------------------------------------------------------------------

CONSOLE_HOOK = """
window.__lbConsole = [];
['error', 'warn'].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
        var text = Array.prototype.map.call(arguments, function (a) {
            try { return typeof a === 'string' ? a : (a && a.message) || JSON.stringify(a); }
            catch (e) { return String(a); }
        }).join(' ');
        window.__lbConsole.push(level + ': ' + text);
        return original.apply(console, arguments);
    };
});
window.addEventListener('error', function (e) { window.__lbConsole.push('error: ' + e.message); });
"""

PAGES = ["/", "/?view=per-task", "/?view=per-language", "/?view=tasks", "/?plot=radar",
         "/?plot=time", f"/?benchmark={OTHER}", "/compare",
         "/compare?model=org-a/big-open&model=org-b/cross", "/changes", "/sql", "/status",
         "/model?name=org-a/small-open", "/?benchmark=Nope(v9)"]


def console_of(duo) -> list[str]:
    messages = duo.driver.execute_script("return window.__lbConsole || [];")
    severe = [e["message"] for e in duo.driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    return list(messages) + severe


@pytest.fixture
def console_hook(duo):
    result = duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                        {"source": CONSOLE_HOOK})
    duo.driver.get_log("browser")          # start from an empty log
    yield
    duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                               {"identifier": result["identifier"]})


def settle(duo):
    """Wait until Dash has no callback in flight (then a little for the grids to render)."""
    until(lambda: duo.driver.execute_script(
        "var r = window.dash_clientside && document.querySelector('._dash-loading');"
        "return !r;"), what="callbacks done")
    import time

    time.sleep(1.0)


def test_no_console_error_or_grid_warning_on_any_page(duo, console_hook):
    found = {}
    for path in PAGES:
        go(duo, path)
        settle(duo)
        if path == "/":   # the tabs switched in place too
            for label in ("Performance per task", "Task information", "Summary"):
                [t for t in css(duo, "#lb-tabs .tab") if t.text == label][0].click()
                settle(duo)
        slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
        shots_at_two_widths(duo, f"page_{slug}")       # and no warning at 420 px either
        messages = console_of(duo)
        if messages:
            found[path] = messages
    assert found == {}


# --------------------------------------------------------------------------------------------
# 4. a toolbar that stays in place across tabs; headers wrap between words
# --------------------------------------------------------------------------------------------

TOOLBAR = ("#lb-search", "#lb-counts", "#lb-fullscreen", "#lb-download-btn", "#lb-copy")


def boxes(duo, selectors) -> dict:
    return duo.driver.execute_script(
        "var out = {}; arguments[0].forEach(function (s) {"
        "  var r = document.querySelector(s).getBoundingClientRect();"
        "  out[s] = [Math.round(r.left), Math.round(r.top + window.scrollY),"
        "            Math.round(r.width), Math.round(r.height)]; });"
        "return out;", list(selectors))


def broken_headers(duo) -> list[str]:
    """Header texts that do not fit their cell: with words never broken (walk.css) a word wider
    than its column overflows, so "Classificatio/n" shows up here."""
    return duo.driver.execute_script(
        "var api = dash_ag_grid.getApi('lb-grid');"
        "api.setGridOption('suppressColumnVirtualisation', true);"   # every header rendered
        "return Array.from(document.querySelectorAll("
        "  '#lb-grid .ag-header-cell-text, #lb-grid .ag-header-group-text'))"
        ".filter(function (e) { return e.offsetParent && e.scrollWidth > e.clientWidth + 1; })"
        ".map(function (e) { return e.textContent; });")


@pytest.mark.parametrize("width", [1600, 420])
def test_toolbar_stays_in_place_across_tabs_and_headers_wrap_between_words(duo, width):
    duo.driver.set_window_size(width, 1000)
    try:
        go(duo, "/")
        duo.wait_for_element("#lb-grid .ag-row")
        seen = {}
        for label in ("Summary", "Performance per task", "Performance per language",
                      "Task information", "Summary"):
            [t for t in css(duo, "#lb-tabs .tab") if t.text == label][0].click()
            if label == "Task information":
                duo.wait_for_element("#lb-task-grid .ag-row")
            else:
                until(lambda: css(duo, "#lb-grid .ag-row"), what=f"rows of {label}")
            settle(duo)
            place = boxes(duo, TOOLBAR[2:])            # the buttons: x, y, width, height
            row = boxes(duo, TOOLBAR[:2])
            seen[label] = (place, {k: v[1] for k, v in row.items()})
            if label != "Task information":
                assert broken_headers(duo) == [], label
        first = seen["Summary"]
        for label, where in seen.items():
            assert where == first, (label, where, first)
        if width == 1600:   # one row: the buttons on the counts' line
            place, row = first
            assert {v[1] for v in place.values()} == {place["#lb-fullscreen"][1]}
            assert abs(row["#lb-counts"] - place["#lb-fullscreen"][1]) < 20
        # the per-task ⚠ is explained under the toolbar, not in it
        [t for t in css(duo, "#lb-tabs .tab") if t.text == "Performance per task"][0].click()
        until(lambda: duo.find_element("#lb-trained-note").is_displayed(), what="the ⚠ note")
        assert "⚠" not in counts(duo)
        shots_at_two_widths(duo, "toolbar_per_task")
    finally:
        duo.driver.set_window_size(1440, 1000)


# --------------------------------------------------------------------------------------------
# 5. narrow screens: the menu behind a toggle, the nav usable, the grid gets the width
# --------------------------------------------------------------------------------------------

def test_narrow_screen_menu_toggle_nav_and_grid_width(duo):
    duo.driver.set_window_size(420, 900)
    try:
        go(duo, "/")
        duo.wait_for_element("#lb-grid .ag-row")
        settle(duo)
        inner = duo.driver.execute_script("return document.documentElement.clientWidth")
        # nothing wider than the screen: no sideways scrolling of the page
        assert duo.driver.execute_script(
            "return document.documentElement.scrollWidth") <= inner
        # every nav entry is on screen and is what a tap there hits
        for link in css(duo, ".lb-nav-link"):
            assert duo.driver.execute_script(
                "var r = arguments[0].getBoundingClientRect();"
                "var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
                "return r.left >= 0 && r.right <= arguments[1] && arguments[0].contains(hit);",
                link, inner), link.text
        # the menu is folded behind its toggle; the content has the width
        assert not duo.find_element("#lb-sidebar").is_displayed()
        body = boxes(duo, ["#lb-body", "#lb-grid"])
        assert body["#lb-body"][2] >= inner - 2 and body["#lb-grid"][2] >= inner - 24
        # the grid shows scores, not only the pinned model names: the pinned part (checkbox
        # and Model, 44 + 160 px) leaves the rest of the grid to the scrolling columns
        until(lambda: boxes(duo, ["#lb-grid .ag-pinned-left-header"])[
            "#lb-grid .ag-pinned-left-header"][2] <= 44 + 160 + 2, what="a narrow pinned part")
        until(lambda: css(duo, "#lb-grid .ag-center-cols-viewport .ag-cell[col-id='Zero-shot']"),
              what="scores beside the names")
        # in screen order (AG Grid positions header cells; their DOM order may differ)
        pinned = [h.get_attribute("col-id") for h in sorted(
            css(duo, "#lb-grid .ag-pinned-left-header .ag-header-cell"),
            key=lambda h: h.rect["x"])]
        assert pinned == ["ag-Grid-SelectionColumn", "Model"]     # the checkbox stays first
        shots_at_two_widths(duo, "narrow_menu_closed")
        duo.driver.set_window_size(420, 900)
        click(duo, "#lb-sidebar-toggle")
        until(lambda: duo.find_element("#lb-sidebar").is_displayed(), what="the menu")
        duo.driver.save_screenshot(str(artifacts_dir() / "narrow_menu_open_420.png"))
        menu_entry(duo, "Other benchmark").click()
        until(lambda: duo.find_element(".lb-bench-title").text == "Other benchmark",
              what="the other benchmark")
        until(lambda: not duo.find_element("#lb-sidebar").is_displayed(), what="menu folded")
        # wide again: the menu is back beside the table, Rank and Model pinned as designed
        duo.driver.set_window_size(1600, 1000)
        until(lambda: duo.find_element("#lb-sidebar").is_displayed(), what="menu at 1600")
        assert not duo.find_element("#lb-sidebar-toggle").is_displayed()
    finally:
        duo.driver.set_window_size(1440, 1000)


@pytest.fixture
def ordered_by_mean(env):
    """Tiny(v1) ordered by Mean (Task) as HUME is by Mean (Subset) on the official board (the
    fixture has no by-subset benchmark): the rankings' cached tables are dropped around it."""
    from mteb_lb.rankings import leaderboard

    lb = leaderboard()
    bench = lb.benchmark(DEFAULT)
    with pytest.MonkeyPatch.context() as mp:
        lb._cache.clear()
        mp.setattr(bench, "default_sort", "Mean (Task)")
        yield
    lb._cache.clear()


def test_an_order_by_a_mean_is_explained_in_the_notice_and_the_header_tooltip(
        duo, ordered_by_mean):
    go(duo, "/")
    # The rows' order itself comes from lb_summary (SQL, from the build's benchmarks table, which
    # this fixture cannot change): the golden tests check it against mteb on HUME. Here: the page
    # explains such an order wherever the benchmark's definition says it has one.
    until(lambda: grid_models(duo), what="rows")
    note = duo.find_element("#lb-order-note")
    assert note.is_displayed() and note.text.startswith(
        "Rows are ordered by Mean (Task), as on the official leaderboard for this benchmark; "
        "Rank (Borda) counts the models each one beats task by task, so it does not follow")
    tips = duo.driver.execute_script(
        "var api = dash_ag_grid.getApi('lb-grid'); return ['Rank (Borda)', 'Mean (Task)']"
        ".map(function (c) { return api.getColumn(c).getColDef().headerTooltip; });")
    assert all(t.endswith(note.text) for t in tips), tips
    shots_at_two_widths(duo, "order_by_mean_note")


# --------------------------------------------------------------------------------------------
# 6. sidebar benchmarks are links carrying the state
# --------------------------------------------------------------------------------------------

def menu_links(duo) -> dict:
    return duo.driver.execute_script(
        "var out = {}; document.querySelectorAll('.lb-sidebar a.lb-bench-btn')"
        ".forEach(function (a) { if (a.textContent) { out[a.textContent] = a.href; } });"
        "return out;")


def test_sidebar_benchmarks_are_links_with_the_state(duo):
    go(duo, "/")
    open_details(duo, "More")
    links = until(lambda: menu_links(duo), what="menu links")
    assert links == {"Tiny benchmark": duo.server_url + "/?benchmark=Tiny%28v1%29",
                     "Other benchmark": duo.server_url + "/?benchmark=Other%28v1%29"}
    # a model filter: every link carries it (the benchmark's own choices stay behind)
    open_details(duo, "Filter models")
    click(duo, "#lb-avail input[value='yes']")
    until(lambda: menu_links(duo).get("Other benchmark") ==
          duo.server_url + "/?benchmark=Other%28v1%29&open_weights=yes", what="links updated")
    # a plain click swaps the body in place (no page load: the marker survives)
    duo.driver.execute_script("window.__samePage = true;")
    menu_entry(duo, "Other benchmark").click()
    until(lambda: duo.find_element(".lb-bench-title").text == "Other benchmark", what="switched")
    assert duo.driver.execute_script("return window.__samePage === true;")
    assert query_of(duo)["open_weights"] == ["yes"]
    # ctrl-click opens the link in a new tab; this one stays
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    before = duo.driver.window_handles
    entry = menu_entry(duo, "Tiny benchmark")
    ActionChains(duo.driver).key_down(Keys.CONTROL).click(entry).key_up(Keys.CONTROL).perform()
    new = until(lambda: [h for h in duo.driver.window_handles if h not in before],
                what="a new tab")[0]
    assert duo.find_element(".lb-bench-title").text == "Other benchmark"
    duo.driver.switch_to.window(new)
    try:
        duo.wait_for_element("#lb-grid .ag-row")
        assert duo.find_element(".lb-bench-title").text == "Tiny benchmark"
        assert query_of(duo)["open_weights"] == ["yes"]
    finally:
        duo.driver.close()
        duo.driver.switch_to.window(before[0])
    shots_at_two_widths(duo, "sidebar_links")


# --------------------------------------------------------------------------------------------
# 7. plot labels never overlap; the radar shows every type; the compare page's empty radar
# --------------------------------------------------------------------------------------------

def rendered_label_boxes(duo) -> list[tuple[str, list[float]]]:
    return duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#lb-plot g.annotation-text-g'))"
        ".map(function (g) { var r = g.getBoundingClientRect();"
        "  return [g.textContent, [r.left, r.top, r.right, r.bottom]]; });")


def _intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width", [1600, 420])
def test_size_plot_labels_never_overlap(duo, width):
    duo.driver.set_window_size(width, 1000)
    try:
        # every registered and unregistered model; then only the tasks where big, cross and
        # the unregistered model score close together
        for path in ("/?all_models=1", "/?all_models=1&tasks=TinyClustering",
                     "/?selected=org-a/big-open&selected=org-b/cross&selected=org-a/small-open"
                     "&selected=org-c/sparse-one"):
            go(duo, path)
            labels = until(lambda: rendered_label_boxes(duo), what=f"labels of {path}")
            settle(duo)
            labels = rendered_label_boxes(duo)
            names = [t for t, _ in labels]
            assert len(names) == len(set(names)) >= 3, names
            clash = [(a[0], b[0]) for i, a in enumerate(labels) for b in labels[i + 1:]
                     if _intersect(a[1], b[1])]
            assert clash == [], (path, clash)
        assert sorted(names) == ["big-open", "cross", "small-open", "sparse-one"]
        duo.driver.execute_script("document.getElementById('lb-plots').scrollIntoView();")
        shots_at_two_widths(duo, "size_plot_labels")
    finally:
        duo.driver.set_window_size(1440, 1000)


def test_radar_shows_every_task_type_and_marks_missing_values(duo):
    go(duo, "/?plot=radar")
    until(lambda: css(duo, "#lb-plot .polarlayer .trace"), what="the radar")
    fig = duo.driver.execute_script(
        "var g = document.querySelector('#lb-plot .js-plotly-plot');"
        "return {title: g.layout.title.text, data: g.data.map(function (t) {"
        "  return {name: t.name, theta: t.theta, symbols: t.marker.symbol}; })};")
    # the top five; partial lacks TinyClustering and TinyPairClassification
    types = ["Retrieval", "STS", "Classification", "Clustering", "PairClassification"]
    for trace in fig["data"]:
        assert sorted(trace["theta"][:-1]) == sorted(types), trace["name"]
    partial = next(t for t in fig["data"] if t["name"] == "partial")
    marked = sorted(t for t, s in zip(partial["theta"], partial["symbols"]) if s == "x")
    assert marked == ["Clustering", "PairClassification"]
    assert "× marks a task type on which the model has no complete result" in fig["title"]
    duo.driver.execute_script("document.getElementById('lb-plots').scrollIntoView();")
    shots_at_two_widths(duo, "radar_every_type")


def test_compare_page_hides_a_radar_with_too_few_types(duo, monkeypatch):
    from app import plots

    go(duo, f"/compare?model=org-a/big-open&model=org-b/cross&benchmark={OTHER}")
    duo.wait_for_element("#cmp-task-grid .ag-row")
    assert css(duo, "#cmp-content .js-plotly-plot")          # Ret, STS, Cls: a radar
    # two of Other(v1)'s three types left out of radars: one line instead of an empty radar
    monkeypatch.setattr(plots, "RADAR_EXCLUDED_TYPES", ("STS", "Classification"))
    go(duo, f"/compare?model=org-a/big-open&model=org-b/cross&benchmark={OTHER}")
    duo.wait_for_element("#cmp-task-grid .ag-row")
    reason = duo.find_element("#cmp-radar-reason")
    assert reason.text == ("The radar needs at least 3 task types; this view has only "
                           "Retrieval.")
    assert not css(duo, "#cmp-content .js-plotly-plot")
    shots_at_two_widths(duo, "compare_no_radar")


# --------------------------------------------------------------------------------------------
# 8. my benchmarks: saved in the browser, listed as links, renamed, deleted
# --------------------------------------------------------------------------------------------

def my_entries(duo) -> list[tuple[str, str]]:
    return duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#lb-my-list a.lb-my-link'))"
        ".map(function (a) { return [a.textContent, a.href]; });")


def test_my_benchmarks_saved_listed_renamed_deleted(duo):
    go(duo, "/")
    duo.driver.execute_script("window.localStorage.clear();")
    go(duo, "/?open_weights=yes")
    until(lambda: "None yet" in duo.find_element("#lb-my-list").text, what="an empty list")
    # a custom benchmark: Tiny(v1) without TinySTS
    open_details(duo, "Customize this benchmark")
    click(duo, ".lb-task-group input[value='TinySTS']")
    until(lambda: "5 of 6 tasks" in counts(duo), what="five tasks")
    duo.find_element("#lb-my-name").send_keys("No STS")
    click(duo, "#lb-my-save")
    entries = until(lambda: my_entries(duo), what="the saved entry")
    five = sorted(set(ALL_TASKS) - {"TinySTS"})
    assert [e[0] for e in entries] == ["No STS"]
    link = urlparse(entries[0][1])
    # the benchmark and its task choice; the model filter is not part of a benchmark
    assert parse_qs(link.query) == {"benchmark": [DEFAULT], "tasks": five}
    assert duo.find_element("#lb-my-message").text == "Saved “No STS”."
    # kept by the browser: there after a reload, and the link opens the custom benchmark
    go(duo, "/")
    until(lambda: [e[0] for e in my_entries(duo)] == ["No STS"], what="kept after reload")
    shots_at_two_widths(duo, "my_benchmarks")
    duo.driver.get(my_entries(duo)[0][1])
    duo.wait_for_element("#lb-grid .ag-row")
    until(lambda: "5 of 6 tasks" in counts(duo), what="the custom benchmark opened")
    # rename (the browser asks for the new name)
    click(duo, "#lb-my-list button[title='Rename']")
    alert = until(lambda: duo.driver.switch_to.alert, what="the rename prompt")
    alert.send_keys("Without STS")
    alert.accept()
    until(lambda: [e[0] for e in my_entries(duo)] == ["Without STS"], what="renamed")
    go(duo, "/")
    until(lambda: [e[0] for e in my_entries(duo)] == ["Without STS"], what="rename kept")
    # delete
    click(duo, "#lb-my-list button[title='Delete']")
    until(lambda: my_entries(duo) == [], what="deleted")
    go(duo, "/")
    until(lambda: "None yet" in duo.find_element("#lb-my-list").text, what="delete kept")
