"""Issue 12 in headless Chromium: the rank-interval column, the "Rank intervals" plot, the
compare page's odds and the robustness panel (the app warehouse of tests/warehouses.py; the
helpers and the module-scoped browser as in tests/test_browser.py)."""

from __future__ import annotations

import numpy as np
import pytest
from dash_helpers import SHOTS, browser_app, go, until
from warehouses import DEFAULT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

BIG, PROP, CROSS, PARTIAL, SMALL, SPARSE = (
    "org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-c/partial",
    "org-a/small-open", "org-c/sparse-one")
ALL_REGISTRY = [BIG, PROP, CROSS, SMALL, PARTIAL, SPARSE]


@pytest.fixture(autouse=True)
def _serve_the_fixture_warehouse(_isolated_settings, env):
    """The server runs in a thread of this process and reads the setting per request."""


@pytest.fixture(scope="module")
def dash_duo(chromium, app_warehouse, tmp_path_factory):
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=app_warehouse) as dc:
        yield dc


def grid_models(duo) -> list[str]:
    rows = duo.driver.find_elements("css selector",
                                    "#lb-grid .ag-pinned-left-cols-container .ag-row")
    rows = sorted(rows, key=lambda r: int(r.get_attribute("row-index")))
    return [r.find_element("css selector", ".lb-model-link").text for r in rows]


def cell(duo, row_index: int, col_id: str):
    return duo.driver.find_element(
        "css selector", f'#lb-grid .ag-row[row-index="{row_index}"] .ag-cell[col-id="{col_id}"]')


def severe_logs(duo) -> list[str]:
    return [e["message"] for e in duo.driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def expected_interval(model_index: int, resamples: int, seed: int) -> tuple[int, int]:
    """Tiny(v1)'s Borda points per task (tests/test_app_callbacks.py), tasks sorted by name
    (Cls, Clu, PC, Ret, Ret2, STS), models big, prop, cross, small, partial, sparse."""
    points = np.array([[5, 3.5, 5, 5, 5, 5], [4, 5, 4, 4, 4, 4], [3, 3.5, 3, 3, 3, 3],
                       [1, 2, 2, 1, 1, 1], [2, 0, 0, 2, 2, 2], [0, 1, 1, 0, 0, 0]])
    draws = np.random.default_rng(seed).integers(0, 6, size=(resamples, 6))
    ranks = []
    for draw in draws:
        total = points[:, draw].sum(axis=1)
        ranks.append(1 + int((total > total[model_index]).sum()))
    return (int(np.percentile(ranks, 2.5, method="lower")),
            int(np.percentile(ranks, 97.5, method="higher")))


def test_brs01_interval_column_marker_and_sort(dash_duo):
    go(dash_duo, f"/?benchmark={DEFAULT}&resamples=300&seed=4")
    until(lambda: grid_models(dash_duo) == ALL_REGISTRY, what="grid rows")
    # big-open (row 0): its interval includes rank 1, marked ≈1
    lo, hi = expected_interval(0, 300, 4)
    assert lo == 1
    text = cell(dash_duo, 0, "Rank (95% interval)").text
    assert text == f"{lo}–{hi} ≈1"
    assert "lb-tied-leader" in cell(dash_duo, 0, "Rank (95% interval)").get_attribute("class")
    lo, hi = expected_interval(5, 300, 4)      # sparse-one, last
    assert cell(dash_duo, 5, "Rank (95% interval)").text == f"{lo}–{hi}"
    # the number columns are hidden in the grid
    headers = [h.get_attribute("col-id") for h in dash_duo.driver.find_elements(
        "css selector", "#lb-grid .ag-header-cell")]
    assert "Rank (95% interval)" in headers and "P(rank 1)" not in headers
    # sorting by the interval column: by low, then high (descending: the worst first)
    header = dash_duo.find_element('#lb-grid .ag-header-cell[col-id="Rank (95% interval)"] '
                                   '.ag-header-cell-label')
    header.click()
    header.click()
    until(lambda: grid_models(dash_duo)[0] == SPARSE, what="sorted by interval, desc")
    until(lambda: "sort=Rank+%2895%25+interval%29%3Adesc" in dash_duo.driver.current_url
          or "Rank (95% interval):desc" in dash_duo.driver.current_url, what="sort in URL")
    dash_duo.driver.save_screenshot(str(SHOTS / "browser_rank_intervals.png"))
    assert severe_logs(dash_duo) == []


def test_brs02_rank_intervals_plot(dash_duo):
    go(dash_duo, f"/?benchmark={DEFAULT}&plot=intervals")
    until(lambda: dash_duo.driver.find_elements("css selector", "#lb-plot .barlayer .trace"),
          what="the interval bars")
    title = dash_duo.find_element("#lb-plot .gtitle").text
    assert title.startswith("95% rank intervals, 6 of 6 models in Borda order")
    dash_duo.driver.save_screenshot(str(SHOTS / "browser_rank_intervals_plot.png"))
    assert severe_logs(dash_duo) == []


def test_brs03_compare_odds(dash_duo):
    go(dash_duo, f"/compare?model={BIG}&model={CROSS}&benchmark={DEFAULT}")
    table = dash_duo.wait_for_element("#cmp-odds")
    text = table.text
    assert "P(A ranks above B)" in text and "5 / 1 / 0" in text and "0.062" in text
    assert severe_logs(dash_duo) == []


def test_brs04_robustness_panel(dash_duo):
    go(dash_duo, f"/?benchmark={DEFAULT}")
    until(lambda: grid_models(dash_duo) == ALL_REGISTRY, what="grid rows")
    summary = dash_duo.find_element("#lb-robust summary")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    dash_duo.wait_for_element("#lb-robust-grid .ag-row", timeout=15)
    until(lambda: "τ-b = 1.000" in dash_duo.find_element("#lb-robust-kendall").text,
          what="Kendall tau")
    until(lambda: dash_duo.driver.find_elements("css selector", "#lb-robust-cd .scatterlayer"),
          what="the critical-difference diagram")
    assert "Friedman χ²" in dash_duo.find_element("#lb-robust-cd .gtitle").text
    dash_duo.driver.save_screenshot(str(SHOTS / "browser_robustness.png"))
    assert severe_logs(dash_duo) == []
