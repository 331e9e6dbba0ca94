"""bench/readme_perf.py writes issue #16's targets into the README: idempotent, only between its
markers, keeping the previous figure beside a changed one; bench/targets.py says met / NOT met."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


perf = _module("readme_perf")
targets = _module("targets")

MACHINE = {"cpus": 2, "cpu": "Test CPU", "memory_gib": 24.0, "python": "3.12.1"}


def summary(when: str, p95: float, build_s: float) -> dict:
    return {"when": when, "machine": MACHINE, "targets": [
        {"target": "full build (<= 20 s)", "value": build_s, "unit": "s", "limit": 20,
         "ratio": 20 / build_s, "met": build_s <= 20, "note": ""},
        {"target": "load test p95 (<= 150 ms)", "value": p95, "unit": "ms", "limit": 150,
         "ratio": 150 / p95, "met": p95 <= 150, "note": ""},
    ]}


README = ("# x\n\n## Performance\n\nintro\n\n" + perf.BEGIN + "\nplaceholder\n" + perf.END
          + "\n\n| old | table |\n|---|---|\n\n## Next\n")


def rows(text: str) -> dict[str, list[str]]:
    start, end = perf._block(text)
    out = {}
    for line in text[start:end].splitlines():
        if line.startswith("| ") and not line.startswith("| target"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[cells[0]] = cells[1:]
    return out


def test_first_run_writes_the_table_between_the_markers_only():
    text = perf.update(README, summary("2026-12-01T10:00:00Z", 120.0, 18.0))
    assert text.startswith("# x\n\n## Performance\n\nintro\n\n" + perf.BEGIN)
    assert text.endswith(perf.END + "\n\n| old | table |\n|---|---|\n\n## Next\n")
    assert "2 CPUs (Test CPU), 24.0 GiB, Python 3.12.1" in text
    assert "2026-12-01 10:00 UTC" in text
    # 20 / 18 = 1.11; 150 / 120 = 1.25; no previous figure yet
    assert rows(text) == {"full build (<= 20 s)": ["18 s", "", "1.11x", "met"],
                          "load test p95 (<= 150 ms)": ["120 ms", "", "1.25x", "met"]}
    assert "placeholder" not in text


def test_same_summary_twice_changes_nothing():
    first = perf.update(README, summary("2026-12-01T10:00:00Z", 120.0, 18.0))
    assert perf.update(first, summary("2026-12-01T10:00:00Z", 120.0, 18.0)) == first


def test_a_changed_row_keeps_the_previous_figure_and_an_unchanged_row_keeps_its_own():
    first = perf.update(README, summary("2026-12-01T10:00:00Z", 120.0, 18.0))
    second = perf.update(first, summary("2026-12-02T09:00:00Z", 200.0, 18.0))
    assert rows(second) == {
        "full build (<= 20 s)": ["18 s", "", "1.11x", "met"],
        "load test p95 (<= 150 ms)": ["200 ms", "120 ms (2026-12-01)", "0.75x", "NOT met"]}
    assert perf.update(second, summary("2026-12-02T09:00:00Z", 200.0, 18.0)) == second
    # a third run where the p95 did not move keeps the figure before it as previous
    third = perf.update(second, summary("2026-12-03T09:00:00Z", 200.0, 16.0))
    assert rows(third)["load test p95 (<= 150 ms)"][1] == "120 ms (2026-12-01)"
    assert rows(third)["full build (<= 20 s)"][:2] == ["16 s", "18 s (2026-12-02)"]


def test_missing_or_doubled_markers_are_refused():
    with pytest.raises(perf.MarkerError):
        perf.update("# x\n", summary("2026-12-01T10:00:00Z", 120.0, 18.0))
    with pytest.raises(perf.MarkerError):
        perf.update(README + README, summary("2026-12-01T10:00:00Z", 120.0, 18.0))


def test_the_readme_holds_the_block_once():
    text = (ROOT / "README.md").read_text()
    perf._block(text)
    assert isinstance(perf.read_data(text).get("now"), dict)


def test_targets_from_the_bench_json(tmp_path):
    (tmp_path / "load.json").write_text(json.dumps({
        "users": 200, "seconds": 60, "workers": 2, "threads": 4, "p95_ms": 300.0,
        "errors": 0, "peak_rss_mb_per_worker": [480.0, 510.0]}))
    (tmp_path / "etl.json").write_text(json.dumps({
        "medians": {"full_s": 15.0, "full_rss_mb": 1800.0, "nochange_s": 0.8,
                    "scattered_s": 3.5, "clustered_s": 2.5},
        "mteb": {"load_s": 60.0}}))
    (tmp_path / "tables.json").write_text(json.dumps({
        "ours": {"cold_process_ms": 140.0, "benchmarks": {
            "MTEB(eng, v2)": {"default": {"cold_ms": 20.0, "warm_ms": 10.0}},
            "MTEB(Multilingual, v2)": {"filter_language": {"cold_ms": 150.0, "warm_ms": 90.0}}}},
        "mteb": {"benchmarks": {
            "MTEB(eng, v2)": {"default": {"cold_ms": 30.0, "warm_ms": 16.0}},
            "MTEB(Multilingual, v2)": {"filter_language": {"cold_ms": 600.0,
                                                           "warm_ms": 450.0}}}}}))
    got = {r["target"]: (r["met"], None if r["ratio"] is None else round(r["ratio"], 2))
           for r in targets.targets(tmp_path)}
    # eng: 20 ms <= 25 but mteb 16 / 20 = 0.8x -> NOT met; multilingual language filter:
    # 150 <= 200 and 450 / 150 = 3.0x -> met
    assert got["table cold, MTEB(eng, v2) default (<= 25 ms, >= 1.0x mteb)"] == (False, 0.8)
    assert got["table cold, MTEB(Multilingual, v2) filter_language (<= 200 ms, >= 1.0x mteb)"] \
        == (True, 3.0)
    assert got["full build (<= 20 s)"] == (True, 1.33)
    assert got["full build vs mteb load_results (>= 3x)"] == (True, 4.0)
    assert got["rerun, nothing changed, folder (<= 1 s)"] == (True, 1.25)
    assert got["rerun, 1 % of files changed, scattered (<= 3 s)"] == (False, 0.86)
    assert got["rerun, nothing changed, git source (<= 0.5 s)"] == (None, None)
    assert got["load test p95 (<= 150 ms)"] == (False, 0.5)
    assert got["load test errors (0)"] == (True, None)
    assert got["load test peak RSS per worker (<= 500 MB)"] == (False, 0.98)
    assert got["fresh process to the first MTEB(Multilingual, v2) summary (<= 150 ms)"] \
        == (True, 1.07)
    assert got["dashboard filter change, cold median (<= 50 ms)"] == (None, None)
