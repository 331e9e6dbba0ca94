"""model_meta_mismatch is re-checked by an incremental build in which only model_meta.json files
changed (docs/QUALITY.md §Rules): on the fixture of tests/quality_fixtures.py (the registry says
embed_dim 768 for every model), q/meta-ok's file now says 1024 and q/meta-bad's is corrected to
768; the incremental rebuild parses no result file, and the flag moves from one model to the
other."""

from __future__ import annotations

import duckdb
import fixtures as fx
import quality_fixtures as qf

from etl import build
from mteb_lb import warehouse


def _meta_flags(wh) -> list[tuple]:
    con = duckdb.connect(str(warehouse.current_build(wh) / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute("SELECT model_name, revision, message FROM validity_flags "
                           "WHERE rule = 'model_meta_mismatch' ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_a_changed_model_meta_alone_is_checked_again(tmp_path):
    wh = qf.build_quality_warehouse(tmp_path)
    message = "embed_dim: 1024.0 in the file, 768.0 in the registry"
    assert _meta_flags(wh) == [("q/meta-bad", qf.A, message)]
    repo = tmp_path / "repo"
    fields = dict(qf.META["q/meta-ok"])
    for model, embed_dim in (("q/meta-ok", 1024), ("q/meta-bad", 768)):
        path = fx.write_meta(repo, model, qf.A, **dict(fields, embed_dim=embed_dim))
        fx.bump_mtime(path)
    report = build.run(repo, source=str(repo), catalog_dir=tmp_path / "catalog",
                       warehouse_dir=tmp_path / "wh", workers=1)
    assert report.published
    assert report.parsed == 0 and report.notice == ""   # incremental: no result file read
    assert _meta_flags(wh) == [("q/meta-ok", qf.A, message)]
