"""Issue 12, the remaining surfaces: the compare page on the one leaderboard state, the
robustness numbers on /api/robustness and `mteb-lb robustness`, the task list of the "common"
missing-results mode, the reset buttons, the clustering spread (v_measures).

The fixture is the app warehouse's Tiny(v1) (tests/test_app_callbacks.py); expected values are
worked out by hand in the comments, or with scipy / scikit-posthocs.
"""

from __future__ import annotations

import pytest

from mteb_lb.lbstate import LeaderboardState


@pytest.fixture
def app_env(dash_app, env):
    from warehouses import DEFAULT

    return DEFAULT


# --------------------------------------------------------------------------------------------
# the task list of the "common" mode
# --------------------------------------------------------------------------------------------
# Tiny(v1): org-c/partial lacks TinyClustering and TinyPairClassification, so "common" keeps
# the four tasks every model has, in the benchmark's order.

COMMON_TASKS = ["TinyRetrieval", "TinyRetrieval2", "TinySTS", "TinyClassification"]


def test_task_information_shows_the_tasks_the_common_mode_keeps(app_env):
    from app.leaderboard_view import compute_view
    from mteb_lb.rankings import leaderboard

    lb = leaderboard()
    official = lb.view(LeaderboardState(benchmark=app_env, view="tasks"))
    assert len(official.column("Task Name")) == 6
    common = LeaderboardState(benchmark=app_env, view="tasks", missing="common")
    assert lb.view(common).column("Task Name").to_pylist() == COMMON_TASKS
    view = compute_view(common)
    assert [r[view.task_grid.field_of("Task Name")] for r in view.task_grid.row_data] == \
        COMMON_TASKS
    assert view.n_tasks == 4
    # "complete" keeps every task (it narrows the models)
    complete = LeaderboardState(benchmark=app_env, view="tasks", missing="complete")
    assert lb.view(complete).num_rows == 6
