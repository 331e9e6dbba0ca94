"""The dashboard's filter change answers with the table first and fills the rank-interval
column in a second request (app/intervals.py, assets/intervals.js): the first answer leaves the
column empty unless this state's intervals are already cached, the second gives exactly the
cells the table would have had with them, and in a browser the column ends up filled.

Expected intervals: Tiny(v1) of the app warehouse (tests/test_app_callbacks.py), its Borda
points worked out by hand there, resampled here with numpy from the definition (README "Rank
intervals and robustness")."""

from __future__ import annotations

import sys
from urllib.parse import parse_qs

import numpy as np
import pytest
from dash_helpers import go, until
from warehouses import DEFAULT

from mteb_lb import lbstate

# models in Borda order (ties by name), tasks sorted by name (Cls, Clu, PC, Ret, Ret2, STS)
MODELS = ["org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-a/small-open",
          "org-c/partial", "org-c/sparse-one"]
POINTS = np.array([[5, 3.5, 5, 5, 5, 5], [4, 5, 4, 4, 4, 4], [3, 3.5, 3, 3, 3, 3],
                   [1, 2, 2, 1, 1, 1], [2, 0, 0, 2, 2, 2], [0, 1, 1, 0, 0, 0]])
ROWS = MODELS   # POINTS' row order


def expected(resamples: int, seed: int) -> dict[str, tuple[int, int]]:
    draws = np.random.default_rng(seed).integers(0, 6, size=(resamples, 6))
    out = {}
    for i, model in enumerate(ROWS):
        ranks = [1 + int((POINTS[:, d].sum(axis=1) > POINTS[i, d].sum()).sum()) for d in draws]
        out[model] = (int(np.percentile(ranks, 2.5, method="lower")),
                      int(np.percentile(ranks, 97.5, method="higher")))
    return out


@pytest.fixture
def lbpage(dash_app, env):
    return sys.modules["app.pages.leaderboard"]


def update(lbpage, state):
    values = lbpage.state_to_controls(state)
    return lbpage.update_view(state.benchmark, *[values[k] for k in lbpage.CONTROL_KEYS])


def page_state(lbpage, state):
    """The state as the page's callbacks read it back from its controls."""
    return lbpage.controls_to_state(state.benchmark, lbpage.state_to_controls(state))


def test_filter_change_defers_the_intervals_then_fills_them(lbpage):
    from app import intervals
    from app.leaderboard_view import compute_view

    state = lbstate.LeaderboardState(benchmark=DEFAULT, resamples=211, seed=17)
    first = update(lbpage, state)
    full = compute_view(state).grid            # the table as it is with its intervals
    fid = full.field_of(intervals.INTERVAL)
    low, high = full.field_of(intervals.LOW), full.field_of(intervals.HIGH)
    assert [r["model"] for r in first["grid_rows"]] == [r["model"] for r in full.row_data]
    assert all(low not in r and fid not in r for r in first["grid_rows"])   # not computed yet
    def shown(defs):   # the hidden number columns' heat colours depend on their values
        return [d for d in defs if not d.get("hide")]

    assert shown(first["grid_defs"]) == shown(full.column_defs)              # same columns
    cells = intervals.cells(page_state(lbpage, state))
    merged = [{**r, **cells[r["model"]]} for r in first["grid_rows"]]     # what intervals.js does
    assert merged == full.row_data
    want = expected(211, 17)
    assert {r["model"]: (r[low], r[high]) for r in merged} == want
    assert {r["model"]: r[fid] for r in merged} == {m: lo * 100_000 + hi
                                                     for m, (lo, hi) in want.items()}
    # now cached: the next filter change to this state comes with them
    again = update(lbpage, state)
    assert again["grid_rows"] == full.row_data


def test_no_second_request_without_an_interval_column(lbpage):
    from app import intervals

    for state in (lbstate.LeaderboardState(benchmark=DEFAULT, resamples=0),
                  lbstate.LeaderboardState(benchmark=DEFAULT, view="per-task")):
        assert intervals.cells(state) is None


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_browser_a_filter_change_fills_the_interval_column(chromium, app_warehouse,
                                                           tmp_path_factory, monkeypatch):
    from dash_helpers import browser_app
    from selenium.webdriver.common.keys import Keys

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(app_warehouse))
    want = expected(333, 12)
    with browser_app(tmp_path_factory.mktemp("dl"), warehouse=app_warehouse) as duo:
        go(duo, f"/?benchmark={DEFAULT}")

        def cell_text(model_index):
            rows = duo.driver.find_elements(
                "css selector", f'#lb-grid .ag-row[row-index="{model_index}"] '
                                '.ag-cell[col-id="Rank (95% interval)"]')
            return rows[0].text if rows else None

        until(lambda: cell_text(0), what="the default intervals")
        box = duo.find_element("#lb-resamples")
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        duo.driver.execute_script("arguments[0].closest('details').open = true;", box)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("333", Keys.ENTER)       # a new state: the intervals come after
        for i, model in enumerate(MODELS):
            lo, hi = want[model]
            until(lambda i=i, lo=lo, hi=hi: (cell_text(i) or "").startswith(f"{lo}–{hi}"),
                  what=f"the interval of {model}")
        assert "resamples=333" in duo.driver.current_url
        assert [e for e in duo.driver.get_log("browser") if e["level"] == "SEVERE"
                and "favicon" not in e["message"]] == []


def _find(component, cid):
    """The component of a Dash layout tree with this id, or None."""
    if getattr(component, "id", None) == cid:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, cid)
            if found is not None:
                return found
    return None


def test_a_link_to_a_filtered_state_defers_the_intervals(lbpage):
    """The routing callback (a page rendered for a URL) answers a filtered state's table like a
    filter change: no interval yet, the state's view key pending for the second request; an
    unfiltered state reads the build's intervals inline and leaves nothing pending."""
    from app import intervals
    from app.leaderboard_view import compute_view

    state = lbstate.LeaderboardState(benchmark=DEFAULT, resamples=229, seed=3)
    query = parse_qs(lbstate.encode(state).lstrip("?"))
    page = lbpage.layout(**{k: v[0] for k, v in query.items()})
    grid = _find(page, lbpage.GRID)
    full = compute_view(state).grid
    low = full.field_of(intervals.LOW)
    assert [r["model"] for r in grid.rowData] == [r["model"] for r in full.row_data]
    assert all(low not in r for r in grid.rowData)
    assert _find(page, intervals.PENDING).data == lbpage._key(state)
    cells = intervals.cells(page_state(lbpage, state))
    assert [{**r, **cells[r["model"]]} for r in grid.rowData] == full.row_data
    want = expected(229, 3)
    assert {r["model"]: (r[low], r[full.field_of(intervals.HIGH)])
            for r in full.row_data} == want
    default = lbpage.layout(benchmark=DEFAULT)
    assert _find(default, intervals.PENDING).data is None
    assert all(low in r for r in _find(default, lbpage.GRID).rowData)


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_browser_a_link_to_a_filtered_state_fills_the_interval_column(
        chromium, app_warehouse, tmp_path_factory, monkeypatch):
    from dash_helpers import browser_app

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(app_warehouse))
    want = expected(337, 12)
    with browser_app(tmp_path_factory.mktemp("dl"), warehouse=app_warehouse) as duo:
        go(duo, f"/?benchmark={DEFAULT}&resamples=337")

        def cell_text(model_index):
            rows = duo.driver.find_elements(
                "css selector", f'#lb-grid .ag-row[row-index="{model_index}"] '
                                '.ag-cell[col-id="Rank (95% interval)"]')
            return rows[0].text if rows else None

        for i, model in enumerate(MODELS):
            lo, hi = want[model]
            until(lambda i=i, lo=lo, hi=hi: (cell_text(i) or "").startswith(f"{lo}–{hi}"),
                  what=f"the interval of {model}")
        assert [e for e in duo.driver.get_log("browser") if e["level"] == "SEVERE"
                and "favicon" not in e["message"]] == []


# the per-task tab's spread tooltips (app/spread.py) come the same way: the Spread(v1)
# warehouse of tests/test_stats_surfaces.py, one/a's SpeCls experiments: mean 67, sd
# 100 sqrt(.0003), 3 experiments; two/b has none on every row
from test_stats_surfaces import spread_lb  # noqa: E402,F401 - the fixture


def test_per_task_spread_is_deferred_then_filled(spread_lb, dash_app, monkeypatch):  # noqa: F811
    from app import spread

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(spread_lb.handle._warehouse_dir))
    lbpage = sys.modules["app.pages.leaderboard"]
    state = lbstate.LeaderboardState(benchmark="Spread(v1)", view="per-task")
    first = update(lbpage, state)
    assert all("spread" not in r for r in first["grid_rows"])
    cols = {c.get("colId"): c for g in first["grid_defs"] for c in g.get("children", [g])}
    assert "tooltipValueGetter" in cols["SpeCls"] and "tooltipValueGetter" in cols["SpeRet"]
    cells = spread.cells(page_state(lbpage, state))
    fid = cols["SpeCls"]["field"]
    # sd 100 sqrt(.0003) = 1.7320..., sent as the tooltip shows it (toFixed(2))
    assert cells == {"one/a": {"spread": {fid: [67.0, 1.73, 3]}}}
    again = update(lbpage, state)         # cached now: inline
    rows = {r["model"]: r for r in again["grid_rows"]}
    assert rows["one/a"]["spread"] == cells["one/a"]["spread"] and "spread" not in rows["two/b"]
