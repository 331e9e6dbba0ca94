"""Two warehouses whose builds carry the same id (built in the same second by the same process,
as two test fixtures or a second warehouse beside the first) never share cached answers: the
process-wide board keys its caches on the build's path, not its id. CI once served one fixture
warehouse's benchmark list for another's (`unknown benchmark 'Quality(v1)'; valid benchmarks:
Twin(v1)`) because both builds were named `<second>-000-local-<pid>`."""

from __future__ import annotations

import fixtures as fx
import pytest

from mteb_lb import rankings, warehouse

SAME_ID = "20260101T000000Z-000-local-1"


def _warehouse(base, bench: str, task: str, score: float):
    from etl import build

    repo = base / "repo"
    fx.write_result(repo, "a/model", fx.SHA_A, task, fx.simple_result(task, score))
    catalog = fx.write_catalog(
        base / "catalog", tasks=[fx.make_task(task, "Classification", "accuracy")],
        benchmarks=[fx.make_benchmark(bench, [task])],
        models=[fx.make_model("a/model", fx.SHA_A, training_datasets=[])])
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=base / "wh",
                       workers=1)
    assert report.published
    return base / "wh"


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setattr(warehouse, "new_build_id", lambda *args, **kwargs: SAME_ID)
    try:
        first = _warehouse(tmp_path_factory.mktemp("first"), "First(v1)", "TaskOne", 0.25)
        second = _warehouse(tmp_path_factory.mktemp("second"), "Second(v1)", "TaskTwo", 0.75)
    finally:
        patch.undo()
    assert warehouse.current_build(first).name == warehouse.current_build(second).name == SAME_ID
    return first, second


def test_the_default_board_answers_for_the_warehouse_the_setting_names(twins, monkeypatch):
    first, second = twins
    board = rankings.Leaderboard()      # the process-wide handle, as the CLI and the app use
    seen = []
    for folder, bench, task in ((first, "First(v1)", "TaskOne"), (second, "Second(v1)", "TaskTwo"),
                                (first, "First(v1)", "TaskOne")):
        monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(folder))
        assert board.build_id() == SAME_ID
        names = list(board.benchmarks())
        table = board.per_task(bench).to_pylist()
        seen.append((names, [(r["Model"], r[task]) for r in table]))
    assert seen == [(["First(v1)"], [("a/model", 25.0)]),
                    (["Second(v1)"], [("a/model", 75.0)]),
                    (["First(v1)"], [("a/model", 25.0)])]
