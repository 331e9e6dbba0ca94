"""Issue 12's remaining surfaces in headless Chromium (the app warehouse of tests/warehouses.py;
the helpers and the module-scoped browser as in tests/test_browser.py): "Reset all filters"
keeps the ranking options and "Reset ranking options" sets them back; the compare page reads
and writes the one leaderboard state."""

from __future__ import annotations

import pytest
from dash_helpers import SHOTS, browser_app, go, query_of, until
from warehouses import DEFAULT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

BIG, CROSS, PARTIAL = "org-a/big-open", "org-b/cross", "org-c/partial"


@pytest.fixture(autouse=True)
def _serve_the_fixture_warehouse(_isolated_settings, env):
    """The server runs in a thread of this process and reads the setting per request."""


@pytest.fixture(scope="module")
def dash_duo(chromium, app_warehouse, tmp_path_factory):
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=app_warehouse) as dc:
        yield dc


def click(duo, selector: str):
    element = duo.wait_for_element(selector)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()
    return element


def severe_logs(duo) -> list[str]:
    return [e["message"] for e in duo.driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def test_brs11_reset_all_filters_keeps_the_ranking_options(dash_duo):
    go(dash_duo, f"/?benchmark={DEFAULT}&task_types=Retrieval,STS&open_weights=yes"
                 "&missing=common&resamples=300&seed=4")
    until(lambda: "4 of 6 tasks" not in dash_duo.find_element("#lb-counts").text
          and dash_duo.find_element("#lb-counts").text, what="counts")
    click(dash_duo, "#lb-reset")
    until(lambda: "task_types" not in query_of(dash_duo), what="task types reset")
    query = query_of(dash_duo)
    assert "open_weights" not in query
    assert (query["missing"], query["resamples"], query["seed"]) == (["common"], ["300"], ["4"])
    # the common mode over every model: the four tasks all six have
    until(lambda: "6 models · 4 of 6 tasks" in dash_duo.find_element("#lb-counts").text,
          what="common tasks after the reset")
    click(dash_duo, "#lb-reset-ranking")
    until(lambda: "missing" not in query_of(dash_duo), what="ranking options reset")
    query = query_of(dash_duo)
    assert "resamples" not in query and "seed" not in query
    until(lambda: dash_duo.find_element("#lb-counts").text.startswith("6 models · 6 of 6 tasks"),
          what="all tasks again")
    dash_duo.driver.save_screenshot(str(SHOTS / "browser_reset_ranking.png"))
    assert severe_logs(dash_duo) == []


def test_brs12_compare_page_on_the_leaderboard_state(dash_duo):
    go(dash_duo, f"/compare?model={BIG}&model={CROSS}&benchmark={DEFAULT}&task_types=Retrieval")
    until(lambda: "2 / 0 / 0" in dash_duo.wait_for_element("#cmp-odds").text,
          what="Retrieval only: big wins both tasks")
    assert "Task types: Retrieval" in dash_duo.find_element("#cmp-chips").text
    # a ranking option on the page: the URL carries it, with the filters it had
    click(dash_duo, "#cmp-ranking summary")        # the options are folded at their defaults
    click(dash_duo, "#cmp-missing input[value='common']")
    until(lambda: query_of(dash_duo).get("missing") == ["common"], what="missing in the URL")
    assert query_of(dash_duo)["task_types"] == ["Retrieval"]
    link = dash_duo.find_element("#cmp-api-link").get_attribute("href")
    assert "missing=common" in link and "task_types=Retrieval" in link
    # the leaderboard link takes the same state back (the compared models are not a filter)
    board = dash_duo.find_element("#cmp-board-link").get_attribute("href")
    assert "task_types=Retrieval" in board and "missing=common" in board and "model=" not in board
    dash_duo.driver.save_screenshot(str(SHOTS / "browser_compare_state.png"))
    assert severe_logs(dash_duo) == []


def test_brs13_the_flagged_scores_option_is_a_control_that_travels_in_the_url(dash_duo):
    """exclude_flags (#13) has its control in the ranking options: a link opens with it set and
    the card open, a click changes the URL, and "Reset ranking options" sets it back."""
    go(dash_duo, f"/?benchmark={DEFAULT}&exclude_flags=error")
    checked = "#lb-exclude-flags input[value='{}']"
    until(lambda: dash_duo.find_element(checked.format("error")).is_selected(),
          what="the option from the link")
    click(dash_duo, checked.format("warning"))
    until(lambda: query_of(dash_duo).get("exclude_flags") == ["warning"], what="warning in URL")
    click(dash_duo, "#lb-reset")                    # filters only: the option stays
    until(lambda: dash_duo.find_element("#lb-counts").text, what="counts")
    assert query_of(dash_duo).get("exclude_flags") == ["warning"]
    click(dash_duo, "#lb-reset-ranking")
    until(lambda: "exclude_flags" not in query_of(dash_duo), what="option reset")
    assert dash_duo.find_element(checked.format("none")).is_selected()
    assert severe_logs(dash_duo) == []
