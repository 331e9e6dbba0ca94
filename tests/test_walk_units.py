"""Small pieces of the leaderboard page's walk (issue 15) that need no browser."""

from __future__ import annotations

from app.leaderboard_view import annotate_order, order_note
from mteb_lb.rankings import Benchmark


def _bench(default_sort: str, sort_column=None) -> Benchmark:
    return Benchmark(name="X", display_name="X", kind="text", aggregations=[], mean_columns=[],
                     sort_column=sort_column, rank_column="Rank (Borda)",
                     default_sort=default_sort, public_only=False, show_zero_shot=True,
                     language_view=[], description="", reference=None, task_names=[])


def test_the_order_note_is_for_benchmarks_ordered_by_a_mean_only():
    assert order_note(_bench("Rank (Borda)")) is None
    # MIEB-like: a positional rank column in front follows the order
    assert order_note(_bench("Rank (Borda)", sort_column=["Mean (Task)"])) is None
    note = order_note(_bench("Mean (Subset)"))
    assert note.startswith("Rows are ordered by Mean (Subset), as on the official leaderboard")
    defs = [{"colId": "Rank (Borda)", "headerTooltip": "Borda count."},
            {"colId": "Model"},
            {"groupId": "g", "children": [{"colId": "Mean (Subset)"}]}]
    annotate_order(defs, note, ("Rank (Borda)", "Mean (Subset)"))
    assert defs[0]["headerTooltip"] == "Borda count. " + note
    assert "headerTooltip" not in defs[1]
    assert defs[2]["children"][0]["headerTooltip"] == note
