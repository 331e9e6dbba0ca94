"""mixed_revisions is maintained per (benchmark, model) by incremental builds
(quality_revision_flags, docs/QUALITY.md §Rules): on the fixture of tests/quality_fixtures.py,
q/mixed (QRet from revision A, QSts from B) gets its QSts from A instead, and q/mixed-ok (both
from A) gets its QSts from B instead. After an incremental build that reads those four files
only, the flag has moved from q/mixed to q/mixed-ok, and every table equals a full build's. A
changed score moves no revision: no flag is recomputed (`@same set`), and the flag stays."""

from __future__ import annotations

import duckdb
import fixtures as fx
import quality_fixtures as qf
from test_etl_build import assert_same_tables

from etl import build
from mteb_lb import warehouse


def _mixed_flags(wh) -> list[tuple]:
    con = duckdb.connect(str(warehouse.current_build(wh) / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute("SELECT model_name, benchmark, message FROM validity_flags "
                           "WHERE rule = 'mixed_revisions' ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_a_model_whose_revisions_mix_or_unmix_is_checked_again(tmp_path):
    wh = qf.build_quality_warehouse(tmp_path)
    two = f"2 revisions: {qf.A} (1 tasks), {qf.B} (1 tasks)"
    assert _mixed_flags(wh) == [("q/mixed", qf.BENCH, two)]
    repo, catalog = tmp_path / "repo", tmp_path / "catalog"
    for model, old, new in (("q/mixed", qf.B, qf.A), ("q/mixed-ok", qf.A, qf.B)):
        fx.write_result(repo, model, old, "QSts", qf._sts(0.5)).unlink()
        fx.bump_mtime(fx.write_result(repo, model, new, "QSts", qf._sts(0.5)))
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=wh,
                       workers=1)
    assert report.published and report.parsed == 2   # incremental: the two new files only
    maintained = warehouse.read_manifest(report.build)["database"]["updated"]
    assert maintained["quality_revision_flags"] == 1    # recomputed for the changed models
    assert _mixed_flags(wh) == [("q/mixed-ok", qf.BENCH, two)]
    full = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=tmp_path / "full",
                     workers=1)
    assert full.published
    assert _mixed_flags(tmp_path / "full") == [("q/mixed-ok", qf.BENCH, two)]
    assert_same_tables(report.build, full.build)


def test_a_changed_score_recomputes_no_flag(tmp_path):
    wh = qf.build_quality_warehouse(tmp_path)
    two = f"2 revisions: {qf.A} (1 tasks), {qf.B} (1 tasks)"
    repo, catalog = tmp_path / "repo", tmp_path / "catalog"
    # the flagged model's scores change, its revisions and tasks do not
    fx.bump_mtime(fx.write_result(repo, "q/mixed", qf.B, "QSts", qf._sts(0.7)))
    fx.bump_mtime(fx.write_result(repo, "q/mixed", qf.A, "QRet", qf._ret(0.6)))
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=wh,
                       workers=1)
    assert report.published and report.parsed == 2
    maintained = warehouse.read_manifest(report.build)["database"]["updated"]
    assert maintained["quality_revision_flags"] == 0   # per model: q/mixed's 1 row again
    assert _mixed_flags(wh) == [("q/mixed", qf.BENCH, two)]
    full = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=tmp_path / "full",
                     workers=1)
    assert full.published
    assert_same_tables(report.build, full.build)
