"""Switching benchmark on the leaderboard page keeps what applies and names what it drops
(app/bench_switch.py); the values below are chosen by hand, no warehouse needed."""

from __future__ import annotations

from app.bench_switch import carry_over, notice_text, sort_applies
from mteb_lb.lbstate import LeaderboardState

OLD = {"task_types": ["Classification", "Retrieval", "STS"], "domains": ["Legal", "Web"],
       "modalities": ["text"], "languages": ["deu", "eng", "fra"],
       "tasks": ["A", "B", "C", "D"], "views": ["summary", "per-task", "per-language", "tasks"]}
NEW = {"task_types": ["Retrieval", "STS"], "domains": ["Web"], "modalities": ["text"],
       "languages": ["eng"], "tasks": ["B", "C", "E"], "views": ["summary", "per-task", "tasks"]}


def test_size_model_filters_and_offered_task_filters_are_kept():
    state = LeaderboardState(benchmark="old", open_weights="yes", search="e5", min_params_b=0.1,
                             max_params_b=1.0, task_types=("Retrieval", "Classification"),
                             domains=("Web",), selected=("a/b",), view="per-task")
    moved, dropped = carry_over(state, "new", OLD, NEW)
    assert moved == LeaderboardState(benchmark="new", open_weights="yes", search="e5",
                                     min_params_b=0.1, max_params_b=1.0,
                                     task_types=("Retrieval",), selected=("a/b",),
                                     view="per-task")
    # Web is all the new benchmark's domains: no selection left, and nothing said about it
    assert dropped == ["task types Classification"]


def test_what_does_not_apply_is_dropped_and_named():
    state = LeaderboardState(benchmark="old", languages=("fra",), domains=("Legal",),
                             view="per-language", sort=("A", "desc"))
    moved, dropped = carry_over(state, "new", OLD, NEW)
    assert moved == LeaderboardState(benchmark="new")
    assert dropped == ["domains Legal", "languages fra", "the sort on A",
                       "the 'Performance per language' view (not offered)"]
    assert notice_text("New", dropped) == (
        "Switched to New; dropped what it does not have: domains Legal; languages fra; the sort "
        "on A; the 'Performance per language' view (not offered). Every other filter was kept.")
    assert notice_text("New", []) == ""


def test_tasks_left_out_stay_left_out_where_the_new_benchmark_has_them():
    # A and B left out; the new benchmark has B (left out again) and C, E (kept)
    state = LeaderboardState(benchmark="old", tasks=("C", "D"), sort=("Mean (Task)", "desc"))
    moved, dropped = carry_over(state, "new", OLD, NEW)
    assert (moved.tasks, moved.sort, dropped) == (("C", "E"), ("Mean (Task)", "desc"), [])
    # only A left out: not in the new benchmark, so every task of it is shown
    moved, dropped = carry_over(LeaderboardState(benchmark="old", tasks=("B", "C", "D")),
                                "new", OLD, NEW)
    assert (moved.tasks, dropped) == (None, [])
    # "none selected" stays none selected
    moved, _ = carry_over(LeaderboardState(benchmark="old", task_types=()), "new", OLD, NEW)
    assert moved.task_types == ()
    moved, dropped = carry_over(LeaderboardState(benchmark="old", tasks=()), "new", OLD, NEW)
    assert (moved.tasks, dropped) == ((), [])


def test_sort_applies_when_a_column_of_the_grid_carries_it():
    plain = [{"colId": "Model"}, {"colId": "STS", "sort": "asc"}]
    grouped = [{"colId": "Model"}, {"groupId": "type:STS", "children": [
        {"colId": "TinySTS"}, {"colId": "STS22", "sort": "desc"}]}]
    assert sort_applies(plain) and sort_applies(grouped)
    assert not sort_applies([{"colId": "Model"}, {"groupId": "g", "children": [{"colId": "x"}]}])
    assert not sort_applies([])
