"""Golden comparison: our tables against mteb 2.20.0's own, on the real results repository.

tests/golden/ holds the raw tables mteb's leaderboard code builds in its default state
(bench/mteb_reference.py, run under mteb 2.20.0). These tests need a warehouse built from the
same data: `MTEB_LB_REAL_WAREHOUSE` (a warehouse folder) or `MTEB_LB_REAL_RESULTS` (a folder
holding results/, built once per session). Without either they skip.

Every model, every rank identical; every score within 1e-9 (ours are on the 0-100 scale, mteb's
raw frames on 0-1).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from pathlib import Path

import pytest

from mteb_lb.rankings import Filters

GOLDEN = Path(__file__).parent / "golden"
TOLERANCE = 1e-9
pytestmark = pytest.mark.realdata


def _manifest() -> dict:
    return json.loads((GOLDEN / "manifest.json").read_text())


def _golden_benchmarks() -> list[tuple[str, str]]:
    m = _manifest()
    out = []
    for entry in m.get("benchmarks", []):
        if isinstance(entry, dict) and entry.get("slug") and not entry.get("error"):
            out.append((entry["name"], entry["slug"]))
    return out


def _read(path: Path) -> list[dict]:
    with gzip.open(path, "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(text):
    if text in ("", None):
        return None
    return float(text)


def _close(ours, theirs, scale=1.0) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, float) and math.isnan(theirs):
        return ours is None
    return abs(ours / scale - theirs) <= TOLERANCE


BENCHMARKS = _golden_benchmarks() if (GOLDEN / "manifest.json").exists() else []


POSITIONAL_RANKS = ("Rank", "Rank (Mean Task)")


def _positional_rank_groups(rows: list[dict], rank_col: str, sort_cols: list[str]) -> dict:
    """Positional ranks grouped by sort key: mteb orders rows with equal keys (e.g. all NULL)
    arbitrarily, so only the set of ranks a group of tied rows takes is defined."""
    groups: dict[tuple, set] = {}
    for row in rows:
        key = tuple(None if row[c] in ("", None) else round(float(row[c]) / 1, 9) for c in sort_cols)
        groups.setdefault(key, set()).add(int(row[rank_col]))
    return groups


@pytest.mark.parametrize("name,slug", BENCHMARKS, ids=[s for _, s in BENCHMARKS])
def test_summary_equals_mteb(real_leaderboard, name, slug):
    path = GOLDEN / slug / "summary.csv.gz"
    ours = real_leaderboard.summary(name, Filters()).to_pylist()
    if not path.exists():  # mteb returned its "No results" frame (e.g. RTEB without public tasks)
        assert ours == [], f"mteb has no summary for {name}, we have {len(ours)} rows"
        return
    theirs = _read(path)
    if not theirs or "Model" not in theirs[0]:
        assert ours == [], f"mteb has no results for {name}"
        return
    rank_col = next((c for c in POSITIONAL_RANKS if c in theirs[0]), None)
    if rank_col is not None:
        sort_cols = real_leaderboard.benchmark(name).sort_column
        scaled = [{**r, **{c: (None if r[c] is None else r[c] / 100) for c in sort_cols}} for r in ours]
        assert _positional_rank_groups(scaled, rank_col, sort_cols) == \
            _positional_rank_groups(theirs, rank_col, sort_cols)
    assert {r["Model"] for r in ours} == {r["Model"] for r in theirs}
    by_model = {r["Model"]: r for r in ours}
    columns = [c for c in theirs[0] if c not in ("Model", rank_col)]
    assert set(columns) <= set(ours[0]), set(columns) - set(ours[0])
    mismatches = []
    for row in theirs:
        mine = by_model[row["Model"]]
        for col in columns:
            expected = row[col]
            got = mine[col]
            if col.startswith("Mean") or col not in (
                "Rank (Borda)", "Rank", "Rank (Mean Task)", "Zero-shot", "Active Parameters (B)",
                "Total Parameters (B)", "Embedding Dimensions", "Max Tokens", "Release Date",
            ):
                ok = _close(got, _num(expected), scale=100.0)
            elif col == "Release Date":
                ok = (got or "") == expected
            else:
                ok = _close(None if got is None else float(got), _num(expected))
            if not ok:
                mismatches.append((row["Model"], col, got, expected))
    assert not mismatches, f"{len(mismatches)} cells differ, first: {mismatches[:5]}"


@pytest.mark.parametrize("name,slug", BENCHMARKS, ids=[s for _, s in BENCHMARKS])
def test_per_task_equals_mteb(real_leaderboard, name, slug):
    theirs = _read(GOLDEN / slug / "per_task.csv.gz")
    ours = real_leaderboard.per_task(name, Filters()).to_pylist()
    if not theirs or "Model" not in theirs[0]:
        assert ours == []
        return
    assert [r["Model"] for r in ours if True] and {r["Model"] for r in ours} == {r["Model"] for r in theirs}
    by_model = {r["Model"]: r for r in ours}
    mismatches = []
    for row in theirs:
        for task, expected in row.items():
            if task == "Model":
                continue
            if not _close(by_model[row["Model"]].get(task), _num(expected), scale=100.0):
                mismatches.append((row["Model"], task, by_model[row["Model"]].get(task), expected))
    assert not mismatches, f"{len(mismatches)} cells differ, first: {mismatches[:5]}"


@pytest.mark.parametrize("name,slug", [b for b in BENCHMARKS
                                       if (GOLDEN / b[1] / "per_language.csv.gz").exists()],
                         ids=[b[1] for b in BENCHMARKS
                              if (GOLDEN / b[1] / "per_language.csv.gz").exists()])
def test_per_language_equals_mteb(real_leaderboard, name, slug):
    theirs = _read(GOLDEN / slug / "per_language.csv.gz")
    ours = real_leaderboard.per_language(name, Filters()).to_pylist()
    if not theirs or "Model" not in theirs[0]:
        assert ours == []
        return
    # Row order is the Borda order over languages: compare it exactly where ranks are not tied.
    assert {r["Model"] for r in ours} == {r["Model"] for r in theirs}
    by_model = {r["Model"]: r for r in ours}
    mismatches = []
    for row in theirs:
        for lang, expected in row.items():
            if lang == "Model":
                continue
            if not _close(by_model[row["Model"]].get(lang), _num(expected), scale=100.0):
                mismatches.append((row["Model"], lang, by_model[row["Model"]].get(lang), expected))
    assert not mismatches, f"{len(mismatches)} cells differ, first: {mismatches[:5]}"
