"""The `-- @stable set` / `-- @same set` annotations of a keyed materialized view (queries/
module docstring): parsed from the view's header into the sets etl/maintain.py keeps across an
incremental update (their effect: tests/test_incremental_maintain.py), a malformed one refused
with an error naming the view and the expected form."""

from __future__ import annotations

import pytest

import queries

PAIRS = "-- @materialize per (model_name, task_name)\nselect 1 as model_name, 2 as task_name\n"
KEYED = "-- @materialize per (benchmark, model_name)\n{}\n-- A keyed view.\nselect 1 as benchmark\n"


def _views(monkeypatch, tmp_path, annotation, first="-- @materialize per (benchmark, model_name)"):
    (tmp_path / "pairs.sql").write_text(PAIRS)
    (tmp_path / "keyed.sql").write_text(KEYED.format(annotation).replace(
        "-- @materialize per (benchmark, model_name)", first, 1))
    monkeypatch.setattr(queries, "files", lambda: {"keyed": tmp_path / "keyed.sql",
                                                   "pairs": tmp_path / "pairs.sql"})
    return {v.name: v for v in queries.all_views()}


def test_the_marts_declare_their_sets():
    views = {v.name: v for v in queries.all_views()}
    assert views["benchmark_language_keyed"].stable_set == (
        "benchmark_language_rows", ('"revision"', '"task_name"'))
    assert views["benchmark_task_required"].same_set == (
        "benchmark_results", ('"split"', '"subset"', '"in_registry"', '"score" IS NOT NULL'))
    assert views["quality_revision_flags"].same_set == (
        "benchmark_results", ('"revision"', '"task_name"', '"is_placeholder"'))
    assert views["benchmark_task_language_sets"].same_set == (
        "benchmark_results", ("language_set", "in_registry", "subset", "split",
                              "score IS NOT NULL"))
    assert views["benchmark_task_score_lists"].stable_set == (
        "benchmark_results", ('"language_set"',))
    assert [v.name for v in views.values() if v.stable_set or v.same_set] == [
        "benchmark_language_keyed", "benchmark_task_language_sets", "benchmark_task_required",
        "benchmark_task_score_lists", "quality_revision_flags"]


def test_an_expression_keeps_its_inner_commas(monkeypatch, tmp_path):
    keyed = _views(monkeypatch, tmp_path,
                   "-- @same set of pairs (coalesce(a, 'x,y'), \"b\" IS NULL)")["keyed"]
    assert keyed.same_set == ("pairs", ("coalesce(a, 'x,y')", '"b" IS NULL'))
    assert keyed.stable_set is None
    assert keyed.doc == "A keyed view."   # not part of the description


@pytest.mark.parametrize("annotation, message", [
    ("-- @stable set pairs (a)", "write `-- @stable set of <table> (<expr>, ...)`"),
    ("-- @same set of pairs", "write `-- @stable set of <table>"),
    ("-- @same set of pairs (a,, b)", "write `-- @stable set of <table>"),
    ("-- @same set of pairs (lower(a)", "write `-- @stable set of <table>"),
    ("-- @same set of pairs (a))", "write `-- @stable set of <table>"),
    ("-- @same set of pairs ('a)", "write `-- @stable set of <table>"),
    ("-- @stable set of pairs (a)\n-- @same set of pairs (a)", "one set annotation, not 2"),
    ("-- @same set of keyed (a)", "names 'keyed', not a view materialized per (model_name, "
                                  "task_name)"),
])
def test_a_malformed_annotation_is_refused(monkeypatch, tmp_path, annotation, message):
    with pytest.raises(ValueError, match="^view keyed: ") as caught:
        _views(monkeypatch, tmp_path, annotation)
    assert message in str(caught.value)


@pytest.mark.parametrize("first", ["-- @materialize", "-- @materialize per (model_name)",
                                   "-- not materialized"])
def test_only_a_view_of_another_key_declares_a_set(monkeypatch, tmp_path, first):
    with pytest.raises(ValueError, match="only a view materialized per another key"):
        _views(monkeypatch, tmp_path, "-- @same set of pairs (a)", first)
