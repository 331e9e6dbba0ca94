"""Validity flags new since the previous build (docs/QUALITY.md §New flags): the nightly refresh
records them (etl/flag_changes.py, view quality_new_flags) and /changes lists them. The base
repository of tests/refresh_fixtures.py (h/A, h/B, h/C on HRet1..HRet4, all main scores in
[0, 1], ndcg_at_10 the main metric and equal to it) raises no error or warning; a file of h/D
with a NaN main score then raises exactly one new flag, score_not_finite (docs/QUALITY.md
§Rules: "main score NaN or infinite")."""

from __future__ import annotations

import duckdb
import fixtures as fx
import refresh_fixtures as rf

from etl import refresh
from mteb_lb import warehouse

NEW_FLAG = ("score_not_finite", "error", "h/D", rf.REV, "HRet1", "test", "default",
            f"results/h__D/{rf.REV}/HRet1.json", "main_score is nan")


def _new_flags(build) -> list[tuple]:
    con = duckdb.connect(str(build / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute(
            "SELECT rule, severity, model_name, revision, task_name, split, subset, path, "
            "message FROM quality_new_flags ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_refresh_records_the_flags_new_since_the_previous_build(tmp_path, monkeypatch,
                                                                _isolated_settings):
    repo, wh = tmp_path / "repo", tmp_path / "wh"
    rf.base_repo(repo)
    rf.commit(repo, "base")
    cat = rf.catalog(tmp_path / "cat")
    first = refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh)
    assert first.outcome == "published"
    b1 = warehouse.current_build(wh)
    assert _new_flags(b1) == []                         # the first build: nothing to compare
    assert warehouse.read_manifest(b1)["new_flags"]["previous_build_id"] is None

    fx.write_result(repo, "h/D", rf.REV, "HRet1", fx.simple_result("HRet1", float("nan")))
    rf.commit(repo, "a NaN score")
    second = refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh)
    assert second.outcome == "published"
    b2 = warehouse.current_build(wh)
    assert _new_flags(b2) == [NEW_FLAG]
    assert warehouse.read_manifest(b2)["new_flags"]["count"] == 1
    assert warehouse.read_manifest(b2)["new_flags"]["previous_build_id"] == b1.name

    # /changes shows it: rule, model, task, values, links to /quality and the model page
    import sys

    from app.main import create_app

    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    create_app(prewarm=False)
    page = sys.modules["app.pages.changes"]
    text = str(page.layout())
    for needle in ("New validity flags (1)", "1 error", "score_not_finite", "'h/D'", "'HRet1'",
                   "main_score is nan", "/quality", "/model?name=h%2FD"):
        assert needle in text, needle

    # a third build where nothing new is flagged: the flag is no longer new
    rf.write_score(repo, "h/A", "HRet2", 0.61)
    rf.commit(repo, "a changed score")
    assert refresh.refresh(rf.url(repo), catalog_dir=cat, warehouse_dir=wh).outcome == \
        "published"
    assert _new_flags(warehouse.current_build(wh)) == []
    assert "New validity flags (0)" in str(page.layout())
