"""Plot labels that never overlap: a 1-D spread of label rows in pixel space.

The size/score plot names its top (or selected) models. Each label sits beside its point, joined
by a short line; labels are moved up or down just enough that no two label rows share a pixel
(``spread``), inside the plot area. Because every pair of labels is vertically apart, no two
label boxes can intersect, whatever the x positions and the plot's width.
"""

from __future__ import annotations

LABEL_H = 16          # px: one 11 px label row with its padding
PLOT_H = 480          # the figure's height (app/plots.py _layout)
MARGIN_T, MARGIN_B = 50, 70
AREA_H = PLOT_H - MARGIN_T - MARGIN_B
MAX_LABELS = AREA_H // LABEL_H


def spread(targets: list[float], height: float = AREA_H, gap: float = LABEL_H) -> list[float]:
    """Label centres (px from the top of the plot area) as close as possible to ``targets``,
    every two at least ``gap`` apart, all within [gap / 2, height - gap / 2]. Order kept."""
    n = len(targets)
    if n == 0:
        return []
    if n * gap > height:
        raise ValueError(f"{n} labels of {gap} px do not fit in {height} px")
    order = sorted(range(n), key=lambda i: targets[i])
    lo, hi = gap / 2, height - gap / 2
    # clusters of labels that push each other, each centred on its members' targets
    clusters: list[list[int]] = []     # indices into order
    for k in range(n):
        clusters.append([k])
        while True:
            last = clusters[-1]
            start = _start(last, order, targets, gap, lo, hi)
            if len(clusters) < 2:
                break
            prev = clusters[-2]
            prev_end = _start(prev, order, targets, gap, lo, hi) + (len(prev) - 1) * gap
            if start - prev_end >= gap:
                break
            clusters[-2:] = [prev + last]
    out = [0.0] * n
    for cluster in clusters:
        start = _start(cluster, order, targets, gap, lo, hi)
        for j, k in enumerate(cluster):
            out[order[k]] = start + j * gap
    return out


def _start(cluster, order, targets, gap, lo, hi) -> float:
    """Where a cluster's first label goes: the cluster centred on the mean of its targets,
    kept inside [lo, hi]."""
    size = len(cluster)
    mean = sum(targets[order[k]] - j * gap for j, k in enumerate(cluster)) / size
    return min(max(mean, lo), hi - (size - 1) * gap)


def boxes_intersect(a: tuple[float, float, float, float],
                    b: tuple[float, float, float, float]) -> bool:
    """Two (left, top, right, bottom) boxes share an area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
