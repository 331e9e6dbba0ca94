"""Small pieces of the leaderboard page's walk (issue 15) that need no browser."""

from __future__ import annotations

import pytest

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


# --------------------------------------------------------------------------------------------
# size/score plot labels: never two on the same rows
# --------------------------------------------------------------------------------------------

def _label_boxes(annotations, x_range, width_px=900):
    """(left, top, right, bottom) of each label in the plot area's pixels, with a generous
    7 px a character, as plotly draws them from the annotations' x, ax, ay and anchors."""
    from app import label_layout

    boxes = []
    y_lo, y_hi = annotations[0]["_y_range"] if annotations and "_y_range" in annotations[0] \
        else (None, None)
    for a in annotations:
        span = y_hi - y_lo
        y_px = (y_hi - a["y"]) / span * label_layout.AREA_H + a["ay"]
        x_px = (a["x"] - x_range[0]) / (x_range[1] - x_range[0]) * width_px + a["ax"]
        w = 7 * len(a["text"]) + 4
        left = x_px if a["xanchor"] == "left" else x_px - w
        boxes.append((left, y_px - label_layout.LABEL_H / 2 + 0.5, left + w,
                      y_px + label_layout.LABEL_H / 2 - 0.5))
    return boxes


def test_spread_keeps_labels_apart_and_near_their_points():
    from app.label_layout import spread

    # five labels wanting the same row: one block centred on it, 16 px apart
    assert spread([100, 100, 100, 100, 100]) == [68.0, 84.0, 100.0, 116.0, 132.0]
    # far apart: untouched
    assert spread([10, 200, 300]) == [10, 200, 300]
    # at the top edge: pushed inside the plot area (first centre at 8 px)
    assert spread([0, 0, 5]) == [8.0, 24.0, 40.0]
    with pytest.raises(ValueError):
        spread([0.0] * 40)


def test_size_labels_never_overlap_even_for_equal_scores_and_sizes():
    from app import plots
    from app.label_layout import boxes_intersect

    # eight models of the same size and nearly the same score: their labels would all collide
    labelled = [(1.0, {"Model": f"org/model-number-{i}", "Mean (Task)": 70 + i * 0.01})
                for i in range(8)]
    x_range, y_range = [-1.0, 1.0], [60.0, 80.0]
    notes = plots.size_labels(labelled, "Mean (Task)", x_range, y_range)
    assert len(notes) == 8
    for a in notes:
        a["_y_range"] = y_range
    boxes = _label_boxes(notes, x_range)
    assert not [(i, j) for i in range(8) for j in range(i + 1, 8)
                if boxes_intersect(boxes[i], boxes[j])]
    # the rows are 16 px apart, the block centred on the points (70.035 -> 180 - 0.6 px)
    centres = sorted(b[1] + 7.5 for b in boxes)
    assert [round(b - a, 6) for a, b in zip(centres, centres[1:])] == [16.0] * 7


def test_radar_shows_every_type_and_marks_missing_values():
    from app import plots

    rows = [{"Model": "a/full", "Retrieval": 80.0, "STS": 70.0, "Clustering": 60.0},
            {"Model": "b/gap", "Retrieval": 75.0, "STS": None, "Clustering": 65.0}]
    fig = plots.radar_figure(rows, ["Retrieval", "STS", "Clustering"], "Two")
    gap = fig["data"][1]
    assert gap["theta"] == ["Retrieval", "STS", "Clustering", "Retrieval"]
    # the missing STS at the centre of the axis (55 = 60 rounded down to 10s, minus 5)
    assert gap["r"] == [75.0, 55, 65.0, 75.0]
    assert gap["marker"]["symbol"] == ["circle", "x", "circle", "circle"]
    assert "STS: missing (no complete result on its tasks)" in gap["text"][1]
    assert fig["layout"]["title"]["text"].endswith(f"<sup>{plots.RADAR_MISSING}</sup>")
    assert fig["layout"]["polar"]["radialaxis"]["range"] == [55, 100]
    assert plots.radar_too_few(["STS", "Retrieval"]) == (
        "The radar needs at least 3 task types; this view has only STS, Retrieval.")


def test_my_benchmarks_save_keeps_the_benchmark_and_its_task_choices_only():
    from app import my_benchmarks as my

    search = "?benchmark=B&open_weights=yes&task_types=STS&tasks=T1&tasks=T2&search=e5"
    assert my.custom_href(search) == "/?benchmark=B&task_types=STS&tasks=T1&tasks=T2"
    saved, message, name = my.save(1, "  Mine ", search, [])
    assert (saved, message, name) == (
        [{"name": "Mine", "href": "/?benchmark=B&task_types=STS&tasks=T1&tasks=T2"}],
        "Saved “Mine”.", "")
    # the same name replaces; no name is refused and loses nothing
    again, message, _ = my.save(2, "Mine", "?benchmark=C", saved)
    assert again == [{"name": "Mine", "href": "/?benchmark=C"}] and message == "Replaced “Mine”."
    same, message, _ = my.save(3, " ", "?benchmark=C", saved)
    assert same == saved and message == "Type a name first."
