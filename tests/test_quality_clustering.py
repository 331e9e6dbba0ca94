"""clustering_score_mismatch is maintained by incremental builds like the other entry rules
(docs/QUALITY.md §Rules): on the fixture of tests/quality_fixtures.py, q/clu's QClu file is
corrected (main scores 0.5 and 0.4, the means of its v_measures) and q/clu-ok's entry "a" gets
main score 0.51 against v_measures [0.4, 0.6] (mean 0.5, 0.01 apart): after an incremental build
that parses those two files only, the flag has moved, and every table equals a full build's."""

from __future__ import annotations

import duckdb
import fixtures as fx
import quality_fixtures as qf
from test_etl_build import assert_same_tables

from etl import build
from mteb_lb import warehouse


def _clustering_flags(wh) -> list[tuple]:
    con = duckdb.connect(str(warehouse.current_build(wh) / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute("SELECT model_name, subset, message, round(value, 6) "
                           "FROM validity_flags WHERE rule = 'clustering_score_mismatch' "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_a_changed_clustering_file_is_checked_again(tmp_path):
    wh = qf.build_quality_warehouse(tmp_path)
    assert _clustering_flags(wh) == [
        ("q/clu", "a", "main_score = 0.52 but the mean of its 2 v_measures = 0.5", 0.02),
        ("q/clu", "b", "main_score = 0.45 but the mean of its 4 v_measures = 0.4", 0.05)]
    repo, catalog = tmp_path / "repo", tmp_path / "catalog"
    for model, entries in (
            ("q/clu", [("a", 0.5, [0.48, 0.52]),
                       ("b", 0.4, {"Level 0": [0.3, 0.5], "Level 1": [0.4, 0.4]})]),
            ("q/clu-ok", [("a", 0.51, [0.4, 0.6]), ("b", 0.9, None)])):
        fx.bump_mtime(fx.write_result(repo, model, qf.A, "QClu", qf._clu(*entries)))
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=wh,
                       workers=1)
    assert report.published and report.parsed == 2       # incremental: the two files only
    assert _clustering_flags(wh) == [
        ("q/clu-ok", "a", "main_score = 0.51 but the mean of its 2 v_measures = 0.5", 0.01)]
    full = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=tmp_path / "full",
                     workers=1)
    assert full.published
    assert_same_tables(report.build, full.build)
