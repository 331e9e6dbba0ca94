"""The per-task grid's cells served cheaply: the within-task spread and the flag marks of a
benchmark's unfiltered frame are stored per build (queries/marts/benchmark_task_spread.sql,
queries/quality/benchmark_task_flags.sql) and read instead of computed (lb_task_spread joins the
frame with metric_arrays: ~0.7 s of CPU on MTEB(Multilingual, v2), lb_task_flags ~0.1 s);
the deferred answer carries the tooltip's numbers with the two decimals it shows and each
distinct flag once (app/spread.py ``shown``, ``packed``)."""

from __future__ import annotations

import math

import pytest
from test_stats_surfaces import spread_lb  # noqa: F401 - the fixture

from mteb_lb import db, lbstate, rankings

# -- what the tooltip shows ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (67.0, 67.0),
    (1.7320508, 1.73),
    # rounded to 4 decimals first (1.235, whose double is 1.23500000000000009...), then
    # toFixed(2) of that double: 1.24, not round(1.234999, 2) = 1.23
    (1.234999, 1.24),
    # toFixed takes the larger of two equally near (0.125 is exact in binary): 0.13, where
    # Python's round(0.125, 2) gives 0.12 (half to even)
    (0.125, 0.13),
    # the double nearest 2.675 lies below it (2.67499999...): toFixed(2) gives 2.67
    (2.675, 2.67),
    (1.005, 1.0),
    (23.8047614, 23.8),
    # negative: toFixed rounds the magnitude, away from zero on a half
    (-1.234999, -1.24),
    # and keeps the sign of a value that rounds to zero ("-0.00"): the value itself is sent
    (-0.0044, -0.0044),
])
def test_shown_is_the_tooltips_number(value, text):
    from app import spread

    assert spread.shown(value) == text


def test_shown_column_is_shown_of_every_value():
    import pyarrow as pa

    from app import spread

    # the halves of every step (1.235 after rounding, 0.125 exact, 2.675 below), values near
    # them, negatives, "-0.00", nulls and non-finite values (no cell)
    # 12.34499 -> 12.345 (four decimals) -> 12.35, while 12.344949 -> 12.3449 -> 12.34;
    # 0.0049999 -> 0.005, whose double lies above the half -> 0.01
    values = [67.0, 1.7320508, 1.234999, 0.125, 2.675, 1.005, -1.234999, -0.0044, 12.34499,
              12.344949, 0.0049999, None, float("nan"), float("inf")]
    column = pa.chunked_array([pa.array(values[:5], pa.float64()),
                               pa.array(values[5:], pa.float64())])
    assert spread.shown_column(column) == [
        67.0, 1.73, 1.24, 0.13, 2.67, 1.0, -1.24, -0.0044, 12.35, 12.34, 0.01, None, None, None]


def test_packed_sends_each_flag_once_and_unpacks_to_the_cells():
    from app import spread

    a = ["warning", "missing_splits", "missing: test/fra"]
    b = ["error", "score_out_of_range", "test/default: ndcg_at_10 = 1.5 (outside its range)"]
    found = {"m/one": {"spread": {"t1": [67.0, 1.73, 3]}, "flags": {"t1": [a], "t2": [a, b]}},
             "m/two": {"flags": {"t1": [a]}},
             "m/three": {"spread": {"t2": [50.0, None, 1]}}}
    out = spread.packed(found)
    assert out["flags"] == [a, b]
    assert out["cells"] == {"m/one": {"spread": {"t1": [67.0, 1.73, 3]},
                                      "flags": {"t1": [0], "t2": [0, 1]}},
                            "m/two": {"flags": {"t1": [0]}},
                            "m/three": {"spread": {"t2": [50.0, None, 1]}}}
    # what app/assets/intervals.js does with it
    back = {m: {**c, **({"flags": {f: [out["flags"][i] for i in ix]
                                   for f, ix in c["flags"].items()}} if "flags" in c else {})}
            for m, c in out["cells"].items()}
    assert back == found


# -- the stored table ----------------------------------------------------------------------------


def _recording(lb, monkeypatch) -> list[str]:
    seen: list[str] = []
    query = lb._query

    def record(sql, params=None):
        seen.append(sql)
        return query(sql, params)

    monkeypatch.setattr(lb, "_query", record)
    return seen


def test_unfiltered_spread_is_read_from_the_build(spread_lb, monkeypatch):  # noqa: F811
    # one/a's SpeCls experiments (tests/test_stats_surfaces.py): .66 .68 .67 over the frame's
    # rows -> mean 67, sd 100 sqrt(.0003); two/b lacks experiments on one row: no spread
    spread_lb._cache.clear()
    seen = _recording(spread_lb, monkeypatch)
    rows = spread_lb.task_spread("Spread(v1)").to_pylist()
    assert [(r["model_name"], r["task_name"], r["n_experiments"]) for r in rows] == [
        ("one/a", "SpeCls", 3)]
    assert rows[0]["mean"] == pytest.approx(67.0, abs=1e-9)
    assert rows[0]["sd"] == pytest.approx(100 * math.sqrt(0.0003), abs=1e-9)
    assert any("FROM benchmark_task_spread" in s for s in seen)
    assert not any("lb_task_spread" in s for s in seen)
    # a language filter changes the frame's rows: computed from them (one/a's en rows, and
    # two/b has experiments on every en row)
    eng = spread_lb.task_spread("Spread(v1)", lbstate.Filters(languages=("eng",)))
    assert eng.column("model_name").to_pylist() == ["one/a", "two/b"]
    assert any("lb_task_spread" in s for s in seen)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["MTEB(Multilingual, v2)", "MTEB(eng, v2)", "HUME(v1)"])
def test_real_stored_spread_equals_the_computed_one(real_leaderboard, name):
    lb = real_leaderboard
    lb._cache.clear()
    stored = lb.task_spread(name).to_pylist()
    computed = lb._query(
        "SELECT model_name, task_name, n_experiments, mean * 100 AS mean, sd * 100 AS sd "
        "FROM lb_task_spread($b, NULL, NULL, NULL, true) ORDER BY model_name, task_name",
        {"b": name}).to_pylist()
    assert len(stored) == len(computed)
    if name != "HUME(v1)":
        assert len(stored) > 1000
    for s, c in zip(stored, computed):
        assert (s["model_name"], s["task_name"], s["n_experiments"]) == (
            c["model_name"], c["task_name"], c["n_experiments"])
        assert s["mean"] == pytest.approx(c["mean"], abs=1e-9)
        assert (s["sd"] is None) == (c["sd"] is None)
        if s["sd"] is not None:
            assert s["sd"] == pytest.approx(c["sd"], abs=1e-9)


@pytest.fixture(scope="module")
def quality_lb(tmp_path_factory):
    import quality_fixtures as qf

    return rankings.Leaderboard(db.CurrentBuild(
        qf.build_quality_warehouse(tmp_path_factory.mktemp("quality-stored"))))


def test_unfiltered_flags_are_read_from_the_build(quality_lb, monkeypatch):
    import quality_fixtures as qf
    from test_quality_grid import EXPECTED, _rows

    seen = _recording(quality_lb, monkeypatch)
    assert _rows(quality_lb.task_flags(qf.BENCH)) == EXPECTED
    assert any("FROM benchmark_task_flags" in s for s in seen)
    assert not any("lb_task_flags" in s for s in seen)
    # a model filter keeps that model's rows of the same table
    only = lbstate.Filters(models=("q/range", "q/range-ok"))
    assert _rows(quality_lb.task_flags(qf.BENCH, only)) == [r for r in EXPECTED
                                                              if r[0] == "q/range"]
    assert not any("lb_task_flags" in s for s in seen)
    # excluding flagged scores changes the frame: computed (nothing left to mark)
    assert _rows(quality_lb.task_flags(qf.BENCH, lbstate.Filters(exclude_flags="error"))) == [
        r for r in EXPECTED if r[3] != "error"]
    assert any("lb_task_flags" in s for s in seen)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["MTEB(Multilingual, v2)", "MTEB(eng, v2)",
                                  "MTEB(Europe, v1)"])
def test_real_stored_flags_equal_the_computed_ones(real_leaderboard, name):
    lb = real_leaderboard
    lb._cache.clear()
    for all_models in (False, True):
        filters = lbstate.Filters(all_models=all_models)
        stored = lb.task_flags(name, filters).to_pylist()
        computed = lb._query("SELECT * FROM lb_task_flags($b, NULL, NULL, NULL, $r)",
                             {"b": name, "r": not all_models}).to_pylist()
        assert stored == computed
        assert len(stored) > 100


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_browser_a_link_to_a_filtered_per_task_state_gets_its_flag_tooltips(
        chromium, tmp_path_factory, monkeypatch):
    """A link to a filtered per-task state: the page comes without the marks, the second
    request brings them packed (each distinct flag once) and the grid shows the same tooltip
    as an unfiltered page (tests/test_quality_grid.py)."""
    import quality_fixtures as qf
    from dash_helpers import browser_app, go, until
    from test_quality_grid import _cell, _hover, _tooltips

    wh = qf.build_quality_warehouse(tmp_path_factory.mktemp("quality-link"))
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    state = lbstate.LeaderboardState(benchmark=qf.BENCH, view="per-task",
                                     task_types=("Retrieval", "Classification", "STS"))
    with browser_app(tmp_path_factory.mktemp("dl"), warehouse=wh) as duo:
        go(duo, "/" + lbstate.encode(state))
        duo.wait_for_element('#lb-grid .ag-header-cell[col-id="QRet"]')
        until(lambda: "lb-flagged" in _cell(duo, "q/range", "QRet").get_attribute(
            "class").split(), what="the mark of q/range's QRet score")
        _hover(duo, _cell(duo, "q/range", "QRet"))
        until(lambda: _tooltips(duo) == ["⚑ error score_out_of_range: test/default: "
                                         "precision_at_5 = 1.5 (outside its range)"],
              what="the flag's tooltip")
        assert "lb-flagged" not in _cell(duo, "q/range-ok", "QRet").get_attribute(
            "class").split()
        assert [e for e in duo.driver.get_log("browser") if e["level"] == "SEVERE"
                and "favicon" not in e["message"]] == []
