"""The /quality page and the model page's flags in headless Chromium, against the validity-flags
fixture warehouse (tests/quality_fixtures.py; the expected flags are derived by hand in
tests/test_quality_flags.py). Skips like tests/test_browser.py without Chromium."""

from __future__ import annotations

import pytest
import quality_fixtures as qf
from dash_helpers import browser_app, go, until

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def quality_wh(tmp_path_factory):
    return qf.build_quality_warehouse(tmp_path_factory.mktemp("quality-page"))


@pytest.fixture(autouse=True)
def _serve(_isolated_settings, quality_wh, monkeypatch):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(quality_wh))


@pytest.fixture(scope="module")
def duo(chromium, quality_wh, tmp_path_factory):
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=quality_wh) as dc:
        yield dc


def _column(duo, grid: str, col: str) -> list[str]:
    cells = duo.driver.find_elements("css selector",
                                     f'#{grid} .ag-row .ag-cell[col-id="{col}"]')
    return sorted(c.text for c in cells)


def test_quality_page_counts_rules_and_lists_flags(duo):
    go(duo, "/quality")
    nav = [a for a in duo.driver.find_elements("css selector", ".lb-nav-link")
           if a.text == "Quality"]
    assert nav and "active" in nav[0].get_attribute("class")
    duo.wait_for_element("#quality-rules .ag-row")
    # every rule once, each with the one model the fixture triggers it on
    until(lambda: len(_column(duo, "quality-rules", "Rule")) == 13, what="13 rules")
    assert set(_column(duo, "quality-rules", "Models")) == {"1"}
    # default severity: errors and warnings; the fixture has 10 errors (q/dup and q/clu: 2
    # entries each), 2 warnings (q/miss, q/meta-bad)
    assert "Flags: errors and warnings (12)" in duo.find_element(".lb-pagewrap").text
    until(lambda: _column(duo, "quality-flags", "Model") == sorted(
        ["q/range", "q/main", "q/mrr", "q/recall", "q/bug", "q/dup", "q/dup", "q/nan",
         "q/clu", "q/clu", "q/miss", "q/meta-bad"]), what="flag rows")
    link = duo.driver.find_element(
        "css selector", '#quality-flags .ag-cell[col-id="Model"] a[href^="/model"]')
    assert link.get_attribute("href")


def test_quality_page_one_rule(duo):
    go(duo, "/quality?rule=missing_model_revision")
    duo.wait_for_element("#quality-flags .ag-row")
    assert "Flags: rule missing_model_revision (1)" in duo.find_element(".lb-pagewrap").text
    assert _column(duo, "quality-flags", "Model") == ["q/norev"]


def test_model_page_lists_its_flags(duo):
    go(duo, "/model?name=q/mrr")
    duo.wait_for_element("#model-flags-grid .ag-row")
    assert "Validity flags (1)" in duo.find_element("#model-flags").text
    assert _column(duo, "model-flags-grid", "Message") == [
        "mrr_at_1 = 0.5, precision_at_1 = 0.2"]
