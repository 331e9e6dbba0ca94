"""Excluding flagged scores is exact (docs/QUALITY.md §Excluding flagged scores): a flag drops
the rows of the result file the board uses, never those of another file that shares its
(model, revision, task). q/twin has two files of QRet with revision A: the one in folder A
(mteb 1.14.0, clean) is the board's (join_revisions: same priority, newer mteb version), the one
in folder `other` (its model_meta.json says revision A; mteb 1.12.0; the same main score, so no
conflicting duplicate) has MRR@1 0.5 against precision@1 0.2, an error flag. q/solo has only
such a file; q/clean only a clean one."""

from __future__ import annotations

import csv
import io

import duckdb
import fixtures as fx
import pytest

from mteb_lb import cli, db, rankings, warehouse

A = fx.SHA_A
E = ("eng-Latn",)
BENCH = "Twin(v1)"


def _ret(main: float, version: str, **metrics) -> dict:
    values = {"ndcg_at_10": main, "mrr_at_1": 0.4, "precision_at_1": 0.4, "recall_at_1": 0.2,
              "recall_at_10": 0.5}
    values.update(metrics)
    return fx.current("QRet", {"test": [fx.entry("default", E, main, **values)]},
                      mteb_version=version)


@pytest.fixture(scope="module")
def twin_wh(tmp_path_factory):
    from etl import build

    base = tmp_path_factory.mktemp("twin")
    repo = base / "repo"
    fx.write_result(repo, "q/twin", A, "QRet", _ret(0.6, "1.14.0"))
    fx.write_result(repo, "q/twin", "other", "QRet",
                    _ret(0.6, "1.12.0", mrr_at_1=0.5, precision_at_1=0.2))
    fx.write_meta(repo, "q/twin", A, folder_revision="other", embed_dim=768,
                  n_parameters=100_000_000, max_tokens=512.0, release_date="2024-01-01")
    fx.write_result(repo, "q/solo", A, "QRet", _ret(0.7, "1.14.0", mrr_at_1=0.5,
                                                    precision_at_1=0.2))
    fx.write_result(repo, "q/clean", A, "QRet", _ret(0.5, "1.14.0"))
    catalog = fx.write_catalog(
        base / "catalog", tasks=[fx.make_task("QRet", "Retrieval", "ndcg_at_10")],
        benchmarks=[fx.make_benchmark(BENCH, ["QRet"])],
        models=[fx.make_model(m, A, training_datasets=[])
                for m in ("q/twin", "q/solo", "q/clean")])
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=base / "wh",
                       workers=1)
    assert report.published and not report.quarantined
    return base / "wh"


def test_both_files_are_flagged_where_they_are(twin_wh):
    con = duckdb.connect(str(warehouse.current_build(twin_wh) / warehouse.DB_FILE),
                         read_only=True)
    try:
        rows = con.execute("SELECT model_name, revision, path, on_board FROM quality_entry_flags "
                           "WHERE rule = 'mrr_precision_at_1' ORDER BY path").fetchall()
    finally:
        con.close()
    assert rows == [("q/solo", A, f"results/q__solo/{A}/QRet.json", True),
                    ("q/twin", A, "results/q__twin/other/QRet.json", False)]


def _per_task(capsys, *extra) -> dict[str, str]:
    assert cli.main(["table", "--benchmark", BENCH, "--view", "per-task", "--format", "csv",
                     *extra]) == 0
    return {r["Model"]: r["QRet"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def test_a_flag_on_a_file_the_board_does_not_use_drops_nothing(twin_wh, monkeypatch, capsys,
                                                               _isolated_settings):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(twin_wh))
    official = _per_task(capsys)
    assert {m: float(v) for m, v in official.items()} == pytest.approx(
        {"q/twin": 60.0, "q/solo": 70.0, "q/clean": 50.0})
    # errors excluded: q/solo's only file goes; q/twin keeps the score of the file it uses
    excluded = _per_task(capsys, "--exclude-flags", "error")
    assert {m: float(v) for m, v in excluded.items()} == pytest.approx(
        {"q/twin": 60.0, "q/clean": 50.0})


def test_the_grid_marks_only_the_board_files_flag(twin_wh):
    lb = rankings.Leaderboard(db.CurrentBuild(twin_wh))
    assert lb.task_flags(BENCH).to_pylist() == [{
        "model_name": "q/solo", "task_name": "QRet", "rule": "mrr_precision_at_1",
        "severity": "error", "message": "test/default: mrr_at_1 = 0.5, precision_at_1 = 0.2"}]
