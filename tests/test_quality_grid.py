"""Flagged scores in the per-task grid (docs/QUALITY.md §Reading the flags): on the fixture
warehouse of tests/quality_fixtures.py, the cells whose result has an error or warning flag carry
an icon and a tooltip with the rule and the offending values; a neighbour without a flag carries
neither. The expected flags are those of tests/test_quality_flags.py (derived by hand from the
fixture's values), prefixed with the entry's split/subset for an entry-level flag."""

from __future__ import annotations

import pytest
import quality_fixtures as qf
from dash_helpers import browser_app, go, until

from mteb_lb import db, lbstate, rankings

BUG = "mteb 2.18.18 < 2.18.19: mrr_tie_breaking " \
      "(https://github.com/embeddings-benchmark/mteb/issues/5092)"
# (model, task, rule, severity, message): every error/warning flag of a score on Quality(v1);
# info flags (q/norev, q/dsrev, q/mixed) and model-level ones (q/meta-bad) mark no score, the
# two flagged duplicate entries of q/dup are one line
EXPECTED = [
    ("q/bug", "WebLINXCandidatesReranking", "known_evaluator_bug", "error", BUG),
    ("q/dup", "QCls", "conflicting_duplicates", "error",
     "test/en: 2 entries with main scores from 0.7 to 0.8"),
    ("q/main", "QRet", "main_score_mismatch", "error",
     "test/default: main_score = 0.6 but ndcg_at_10 = 0.4"),
    ("q/miss", "QCls", "missing_splits", "warning", "1 (split/subset) pairs missing: test/de"),
    ("q/mrr", "QRet", "mrr_precision_at_1", "error",
     "test/default: mrr_at_1 = 0.5, precision_at_1 = 0.2"),
    ("q/nan", "QSts", "score_not_finite", "error", "test/default: main_score is nan"),
    ("q/range", "QRet", "score_out_of_range", "error",
     "test/default: precision_at_5 = 1.5 (outside its range)"),
    ("q/recall", "QRet", "recall_not_monotonic", "error",
     "test/default: recall_at_100 = 0.5 < recall_at_10 = 0.6"),
]


@pytest.fixture(scope="module")
def quality_wh(tmp_path_factory):
    return qf.build_quality_warehouse(tmp_path_factory.mktemp("quality-grid"))


@pytest.fixture(scope="module")
def lb(quality_wh):
    return rankings.Leaderboard(db.CurrentBuild(quality_wh))


def _rows(table) -> list[tuple]:
    return [(r["model_name"], r["task_name"], r["rule"], r["severity"], r["message"])
            for r in table.to_pylist()]


def test_task_flags_are_the_error_and_warning_flags_of_the_scores(lb):
    assert _rows(lb.task_flags(qf.BENCH)) == EXPECTED


def test_task_flags_follow_the_filters(lb):
    only = lbstate.Filters(models=("q/range", "q/range-ok"))
    assert _rows(lb.task_flags(qf.BENCH, only)) == [r for r in EXPECTED if r[0] == "q/range"]
    # excluded scores are gone from the table: nothing left to mark
    assert _rows(lb.task_flags(qf.BENCH, lbstate.Filters(exclude_flags="warning"))) == []


def test_mark_cells_flags_one_cell_and_joins_the_spread_tooltip(lb):
    from app import flags, grid

    state = lbstate.LeaderboardState(benchmark=qf.BENCH, view="per-task")
    data = grid.model_grid(lb.view(state), view="per-task")
    fid = data.field_of("QRet")
    leaves = {c["colId"]: c for g in data.column_defs for c in g.get("children", [g])}
    leaves["QRet"]["tooltipValueGetter"] = {"function": "'spread'"}   # as app/spread.py sets
    data = flags.mark_cells(data, lb.task_flags(qf.BENCH))
    rows = {r["model"]: r for r in data.row_data}
    assert rows["q/range"]["flags"] == {fid: [[
        "error", "score_out_of_range", "test/default: precision_at_5 = 1.5 (outside its range)"]]}
    assert "flags" not in rows["q/range-ok"]
    assert leaves["QRet"]["tooltipValueGetter"] == {
        "function": f"flagTooltip(params, '{fid}', 'spread')"}
    assert "lb-flagged" in leaves["QRet"]["cellClassRules"]
    # an info flag (q/norev) or a model-level one (q/meta-bad) marks no score
    assert "flags" not in rows["q/norev"] and "flags" not in rows["q/meta-bad"]


def test_a_filter_change_defers_the_marks_to_the_second_request(quality_wh, dash_app, monkeypatch):
    """A filter change (interval_mode "cached") answers the per-task table before the flags are
    computed: every task column gets the marking rules, no row has flags yet; the second
    request (app/spread.py ``cells``) brings exactly the rows' flags of the inline table."""
    from app import spread
    from app.leaderboard_view import compute_view

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(quality_wh))
    # a state of its own (the module's other tests cached the unfiltered one's flags)
    state = lbstate.LeaderboardState(benchmark=qf.BENCH, view="per-task",
                                     task_types=("Retrieval", "Classification", "STS"))
    first = compute_view(state, interval_mode="cached").grid
    assert all("flags" not in r for r in first.row_data)
    leaves = [c for g in first.column_defs for c in g.get("children", ())]
    assert leaves and all("lb-flagged" in c["cellClassRules"] for c in leaves)
    later = spread.cells(state)
    inline = compute_view(state).grid            # the first page load computes them inline
    shown = {r["model"] for r in inline.row_data}
    assert {m: c["flags"] for m, c in later.items() if "flags" in c and m in shown} == {
        r["model"]: r["flags"] for r in inline.row_data if "flags" in r}
    assert later["q/range"]["flags"] == {first.field_of("QRet"): [[
        "error", "score_out_of_range", "test/default: precision_at_5 = 1.5 (outside its range)"]]}


# --------------------------------------------------------------------------------------------
# in the browser
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def duo(chromium, quality_wh, tmp_path_factory):
    with browser_app(tmp_path_factory.mktemp("downloads"), warehouse=quality_wh) as dc:
        yield dc


def _cell(duo, model: str, col: str):
    for cell in duo.driver.find_elements("css selector", '#lb-grid .ag-cell[col-id="Model"]'):
        if cell.text.split("\n")[0] == model:   # the name, then the ↗ reference link
            index = cell.find_element("xpath", "./ancestor::div[@row-index][1]") \
                .get_attribute("row-index")
            return duo.driver.find_element(
                "css selector", f'#lb-grid .ag-center-cols-container .ag-row[row-index="{index}"] '
                f'.ag-cell[col-id="{col}"]')
    raise AssertionError(f"no row of {model}")


def _tooltips(duo) -> list[str]:
    return [t.text for t in duo.driver.find_elements("css selector", ".ag-tooltip") if t.text]


def _hover(duo, cell) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(duo.driver).move_to_element(cell).perform()


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_flagged_cell_has_icon_and_tooltip_neighbour_has_none(duo, _isolated_settings,
                                                              quality_wh, monkeypatch):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(quality_wh))
    go(duo, "/?benchmark=Quality%28v1%29&view=per-task")
    duo.wait_for_element('#lb-grid .ag-header-cell[col-id="QRet"]')
    until(lambda: _cell(duo, "q/range", "QRet").text != "", what="the q/range row")
    flagged, neighbour = _cell(duo, "q/range", "QRet"), _cell(duo, "q/range-ok", "QRet")
    assert "lb-flagged" in flagged.get_attribute("class").split()
    assert "lb-flagged" not in neighbour.get_attribute("class").split()
    icon = duo.driver.execute_script(
        "return getComputedStyle(arguments[0], '::before').content", flagged)
    assert icon == '"⚑ "'
    _hover(duo, flagged)
    until(lambda: _tooltips(duo) == ["⚑ error score_out_of_range: test/default: "
                                     "precision_at_5 = 1.5 (outside its range)"],
          what="the flag's tooltip")
    # the neighbour: no tooltip at all (moving onto it hides the previous one)
    _hover(duo, neighbour)
    until(lambda: _tooltips(duo) == [], what="no tooltip over the neighbour")
    _hover(duo, _cell(duo, "q/bug", "WebLINXCandidatesReranking"))
    until(lambda: _tooltips(duo) == [f"⚑ error known_evaluator_bug: {BUG}"],
          what="a file-level flag's tooltip")
    errors = [e["message"] for e in duo.driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert errors == []
