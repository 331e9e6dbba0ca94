"""Validity flags (queries/quality/, docs/QUALITY.md): each rule on the fixture warehouse of
tests/quality_fixtures.py, a triggering model with its exact row and a near-miss model with none.
The expected rows are written from the fixture's values and each rule's threshold by hand."""

from __future__ import annotations

import csv
import io
import json
import math

import duckdb
import pytest
import quality_fixtures as qf

import queries
from mteb_lb import cli, warehouse

A, B = qf.A, qf.B
NO_PLACE = (None, None)  # split, subset of a file- or model-level flag


@pytest.fixture(scope="module")
def quality_wh(tmp_path_factory):
    return qf.build_quality_warehouse(tmp_path_factory.mktemp("quality"))


@pytest.fixture(scope="module")
def flags(quality_wh):
    wh = quality_wh
    con = duckdb.connect(str(warehouse.current_build(wh) / warehouse.DB_FILE), read_only=True)
    try:
        rows = con.execute(
            "SELECT model_name, rule, severity, revision, task_name, split, subset, benchmark, "
            "message, value FROM validity_flags ORDER BY model_name, rule, message").fetchall()
        rules = con.execute("SELECT rule, severity, level, scope, explanation, evidence "
                            "FROM quality_rules").fetchall()
    finally:
        con.close()
    return rows, rules


def _of(flags, model):
    return [r[1:] for r in flags[0] if r[0] == model]


CASES = {  # rule: (triggering model, its rows (rule .. message, value), near-miss model)
    "score_not_finite": ("q/nan", [
        ("score_not_finite", "error", A, "QSts", "test", "default", None,
         "main_score is nan", math.nan)], "q/nan-ok"),
    "score_out_of_range": ("q/range", [
        ("score_out_of_range", "error", A, "QRet", "test", "default", None,
         "precision_at_5 = 1.5 (outside its range)", 1.5)], "q/range-ok"),
    "main_score_mismatch": ("q/main", [
        ("main_score_mismatch", "error", A, "QRet", "test", "default", None,
         "main_score = 0.6 but ndcg_at_10 = 0.4", pytest.approx(0.2))], "q/main-ok"),
    "clustering_score_mismatch": ("q/clu", [  # value: main score minus the mean
        ("clustering_score_mismatch", "error", A, "QClu", "test", "b", None,
         "main_score = 0.45 but the mean of its 4 v_measures = 0.4", pytest.approx(0.05)),
        ("clustering_score_mismatch", "error", A, "QClu", "test", "a", None,
         "main_score = 0.52 but the mean of its 2 v_measures = 0.5", pytest.approx(0.02))],
        "q/clu-ok"),
    "mrr_precision_at_1": ("q/mrr", [
        ("mrr_precision_at_1", "error", A, "QRet", "test", "default", None,
         "mrr_at_1 = 0.5, precision_at_1 = 0.2", pytest.approx(0.3))], "q/mrr-ok"),
    "recall_not_monotonic": ("q/recall", [
        ("recall_not_monotonic", "error", A, "QRet", "test", "default", None,
         "recall_at_100 = 0.5 < recall_at_10 = 0.6", pytest.approx(0.1))], "q/recall-ok"),
    "known_evaluator_bug": ("q/bug", [
        ("known_evaluator_bug", "error", A, "WebLINXCandidatesReranking", *NO_PLACE, None,
         "mteb 2.18.18 < 2.18.19: mrr_tie_breaking "
         "(https://github.com/embeddings-benchmark/mteb/issues/5092)", None)], "q/bug-ok"),
    "conflicting_duplicates": ("q/dup", [
        ("conflicting_duplicates", "error", A, "QCls", "test", "en", None,
         "2 entries with main scores from 0.7 to 0.8", pytest.approx(0.1))] * 2, "q/dup-ok"),
    "missing_model_revision": ("q/norev", [
        ("missing_model_revision", "info", "no_revision_available", "QSts", *NO_PLACE, None,
         "model revision is no_revision_available", None)], "q/norev-ok"),
    "dataset_revision_mismatch": ("q/dsrev", [
        ("dataset_revision_mismatch", "info", A, "QSts", *NO_PLACE, None,
         f"dataset revision {qf.OTHER_DATASET_REV}, the task defines {qf.fx.DATASET_REV}",
         None)], "q/dsrev-ok"),
    "missing_splits": ("q/miss", [
        ("missing_splits", "warning", A, "QCls", *NO_PLACE, None,
         "1 (split/subset) pairs missing: test/de", 1.0)], "q/miss-ok"),
    "mixed_revisions": ("q/mixed", [
        ("mixed_revisions", "info", None, None, *NO_PLACE, qf.BENCH,
         f"2 revisions: {A} (1 tasks), {B} (1 tasks)", 2.0)], "q/mixed-ok"),
    "model_meta_mismatch": ("q/meta-bad", [
        ("model_meta_mismatch", "warning", A, None, *NO_PLACE, None,
         "embed_dim: 1024.0 in the file, 768.0 in the registry", 1024.0)], "q/meta-ok"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_flags_the_triggering_result_exactly(flags, rule):
    model, expected, _ = CASES[rule]
    got = _of(flags, model)
    if rule == "score_not_finite":  # NaN != NaN: compare the value apart
        assert [r[:-1] for r in got] == [r[:-1] for r in expected]
        assert math.isnan(got[0][-1])
    else:
        assert got == expected


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_spares_the_near_miss(flags, rule):
    assert _of(flags, CASES[rule][2]) == []


def test_every_rule_has_one_view_and_one_registry_row(flags):
    registry = {r[0]: r for r in flags[1]}
    views = {v.name.removeprefix("flag_") for v in queries.all_views()
             if v.name.startswith("flag_")}
    assert set(registry) == views == set(CASES)
    for _rule, severity, level, scope, explanation, evidence in flags[1]:
        assert level == {"error": 1, "warning": 2, "info": 3}[severity]
        assert scope in ("entry", "file", "model") and explanation and evidence


# --------------------------------------------------------------------------------------------
# mteb-lb flags


@pytest.fixture
def flags_env(quality_wh, monkeypatch):
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(quality_wh))


def _cli_csv(capsys, *args) -> list[list[str]]:
    assert cli.main(["flags", *args, "--format", "csv"]) == 0
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


def test_cli_flags_of_one_rule(flags_env, capsys):
    rows = _cli_csv(capsys, "--rule", "mrr_precision_at_1")
    assert rows[0] == ["rule", "severity", "model_name", "revision", "task_name", "split",
                       "subset", "benchmark", "message", "value", "path"]
    assert rows[1:] == [["mrr_precision_at_1", "error", "q/mrr", A, "QRet", "test", "default",
                         "", "mrr_at_1 = 0.5, precision_at_1 = 0.2", "0.3",
                         f"results/q__mrr/{A}/QRet.json"]]


def test_cli_flags_of_one_model_and_severity(flags_env, capsys):
    rows = _cli_csv(capsys, "--model", "q/norev")
    assert [r[:3] for r in rows[1:]] == [["missing_model_revision", "info", "q/norev"]]
    assert _cli_csv(capsys, "--model", "q/norev", "--severity", "warning")[1:] == []


def test_cli_flags_json_counts_every_rule(flags_env, capsys):
    assert cli.main(["flags", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert sorted({r["rule"] for r in got}) == sorted(CASES)
    assert len(got) == sum(len(case[1]) for case in CASES.values())


def test_cli_rules_lists_the_registry(flags_env, capsys):
    rows = _cli_csv(capsys, "--rules")
    assert sorted(r[0] for r in rows[1:]) == sorted(CASES)


@pytest.mark.parametrize("args, message", [
    (["--rule", "mrr_precision_at1"], "unknown rule 'mrr_precision_at1'; did you mean "
                                      "mrr_precision_at_1?"),
    (["--model", "q/mrr-okk"], "no results for model 'q/mrr-okk'; did you mean q/mrr-ok"),
])
def test_cli_bad_arguments_are_clear_errors(flags_env, capsys, args, message):
    assert cli.main(["flags", *args]) == 1
    assert message in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# the "exclude flagged scores" switch (state field exclude_flags)
#
# Per-task table of Quality(v1), by hand: every model with a complete score on a task is a row;
# q/nan (NaN) and q/miss (QCls without its de subset) have none. Dropping errors removes the
# rows of q/range, q/main, q/mrr, q/recall (QRet), q/bug (WebLINX, a file-level flag) and the two
# test/en entries of q/dup, whose QCls is then incomplete: those six models leave the table.
# Warnings add q/miss's file (already not a row); info flags (q/norev, q/dsrev) never drop.
# q/clu and q/clu-ok have only QClu, which is in no benchmark.

ALL_ROWS = sorted(set(qf.MODELS) - {"q/nan", "q/miss", "q/clu", "q/clu-ok"})
ERROR_DROPPED = {"q/range", "q/main", "q/mrr", "q/recall", "q/bug", "q/dup"}


def _per_task(capsys, *extra) -> dict[str, dict[str, str]]:
    assert cli.main(["table", "--benchmark", qf.BENCH, "--view", "per-task", "--format", "csv",
                     *extra]) == 0
    return {r["Model"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def test_exclude_none_is_the_official_table(flags_env, capsys):
    rows = _per_task(capsys)
    assert sorted(rows) == ALL_ROWS
    assert _per_task(capsys, "--exclude-flags", "none") == rows
    assert float(rows["q/dup"]["QCls"]) == pytest.approx(70.0)       # (0.7 + 0.8 + 0.6) / 3
    assert float(rows["q/mrr"]["QRet"]) == pytest.approx(50.0)


@pytest.mark.parametrize("level", ["error", "warning"])
def test_exclude_flags_drops_flagged_rows_before_ranking(flags_env, capsys, level):
    rows = _per_task(capsys, "--exclude-flags", level)
    assert sorted(rows) == sorted(set(ALL_ROWS) - ERROR_DROPPED)
    assert float(rows["q/dup-ok"]["QCls"]) == pytest.approx(200 / 3)  # (0.7 + 0.7 + 0.6) / 3
    assert float(rows["q/norev"]["QSts"]) == pytest.approx(50.0)      # info: kept


def test_exclude_flags_is_a_state_field_everywhere(flags_env):
    from mteb_lb import lbstate

    state, problems = lbstate.decode({"benchmark": qf.BENCH, "exclude_flags": "error"})
    assert problems == [] and state.exclude_flags == "error"
    assert "exclude_flags=error" in lbstate.encode(state)
    _, problems = lbstate.decode({"exclude_flags": "all"})
    assert problems == ["'exclude_flags=all' is not valid; valid values: none, error, warning."]


def test_api_table_takes_exclude_flags(quality_wh, monkeypatch):
    import flask

    from app import api
    from mteb_lb import db, rankings

    lb = rankings.Leaderboard(db.CurrentBuild(quality_wh))
    monkeypatch.setattr(rankings, "_default", lb)
    monkeypatch.setattr(db, "_current", lb.handle)
    server = flask.Flask(__name__)
    api.register(server)
    body = server.test_client().get("/api/table", query_string={
        "benchmark": qf.BENCH, "view": "per-task", "exclude_flags": "error"}).get_json()
    models = sorted(r[body["columns"].index("Model")] for r in body["rows"])
    assert models == sorted(set(ALL_ROWS) - ERROR_DROPPED)
    bad = server.test_client().get("/api/table", query_string={
        "benchmark": qf.BENCH, "exclude_flags": "some"})
    assert bad.status_code == 400
