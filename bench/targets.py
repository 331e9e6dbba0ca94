"""Issue #16's targets, read from the JSON the bench scripts wrote in one ``run_all.py`` run.

``targets(out_dir)`` gives one row per target: what is measured, our figure, the limit, the
ratio (limit / ours for "at most" targets, so >= 1.0 is met; mteb / ours for "faster than
mteb"), and met / NOT met; a figure a step did not produce is "not measured". ``markdown(rows)``
renders them as the summary's "targets" table.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

MAIN, ALT = "MTEB(eng, v2)", "MTEB(Multilingual, v2)"


def _load(out: Path, name: str):
    try:
        return json.loads((out / name).read_text())
    except (OSError, ValueError):
        return None


def _row(target: str, value, limit, unit: str, *, ratio=None, met=None, note: str = "") -> dict:
    if value is None:
        return {"target": target, "value": None, "unit": unit, "limit": limit, "ratio": None,
                "met": None, "note": note}
    if ratio is None and limit:
        ratio = limit / value if value else float("inf")
    if met is None:
        met = value <= limit
    return {"target": target, "value": value, "unit": unit, "limit": limit, "ratio": ratio,
            "met": bool(met), "note": note}


def _table_target_ms(benchmark: str, scenario: str) -> int:
    if benchmark == MAIN:
        return 25
    return 200 if scenario.startswith(("filter_language", "filter_combo")) else 100


def targets(out: Path) -> list[dict]:
    rows: list[dict] = []
    tables = _load(out, "tables.json") or {}
    ours, mteb = tables.get("ours") or {}, tables.get("mteb") or {}
    for bench in (MAIN, ALT):
        for scenario, o in (ours.get("benchmarks") or {}).get(bench, {}).items():
            limit = _table_target_ms(bench, scenario)
            m = ((mteb.get("benchmarks") or {}).get(bench) or {}).get(scenario)
            peer = m["warm_ms"] / o["cold_ms"] if m else None
            met = o["cold_ms"] <= limit and (peer is None or peer >= 1.0)
            rows.append(_row(f"table cold, {bench} {scenario} (<= {limit} ms, >= 1.0x mteb)",
                             o["cold_ms"], limit, "ms", ratio=peer, met=met,
                             note="ratio: mteb warm / ours cold" if m else "mteb not run"))
    app = _load(out, "app.json") or {}
    filters = app.get("filter change (ms)") or {}
    rows.append(_row("dashboard filter change, cold median (<= 50 ms)",
                     filters.get("cold median"), 50, "ms"))
    rows.append(_row("dashboard filter change, every filter cold (<= 100 ms)",
                     filters.get("worst cold"), 100, "ms", note="the worst of the filters"))
    rows.append(_row(f"fresh process to the first {ALT} summary (<= 150 ms)",
                     ours.get("cold_process_ms"), 150, "ms"))
    etl = _load(out, "etl.json") or {}
    med, peer = etl.get("medians") or {}, etl.get("mteb") or {}
    full = med.get("full_s")
    stalls = (etl.get("io_stall_runs") or {}).get("full_s")
    rows.append(_row("full build (<= 20 s)", full, 20, "s",
                     note=", ".join(n for n in (
                         f"page cache {etl['page_cache']}" if etl.get("page_cache") else "",
                         f"stalled on I/O {statistics.median(stalls):.1f} s (median)"
                         if stalls else "") if n)))
    rows.append(_row("full build peak RSS (<= 2 GB)", med.get("full_rss_mb"), 2048, "MB"))
    if full and peer.get("load_s"):
        rows.append(_row("full build vs mteb load_results (>= 3x)", full, None, "s",
                         ratio=peer["load_s"] / full, met=peer["load_s"] / full >= 3,
                         note=f"mteb {peer['load_s']:.1f} s"))
    else:
        rows.append(_row("full build vs mteb load_results (>= 3x)", None, None, "s",
                         note="mteb not run" if full else ""))
    git = _load(out, "refresh_git.json") or {}
    rows.append(_row("rerun, nothing changed, git source (<= 0.5 s)",
                     (git.get("medians") or {}).get("nochange_s"), 0.5, "s",
                     note="mteb-lb refresh"))
    rows.append(_row("rerun, nothing changed, folder (<= 1 s)", med.get("nochange_s"), 1, "s",
                     note="mteb-lb etl"))
    for key, label in (("scattered_s", "scattered"), ("clustered_s", "whole model folders")):
        rows.append(_row(f"rerun, 1 % of files changed, {label} (<= 3 s)", med.get(key), 3, "s",
                         note="mteb-lb etl"))
    load = _load(out, "load.json") or {}
    note = (f"{load.get('users')} users, {load.get('seconds'):g} s, {load.get('workers')} "
            f"workers x {load.get('threads')} threads" if load else "")
    rows.append(_row("load test p95 (<= 150 ms)", load.get("p95_ms"), 150, "ms", note=note))
    rows.append(_row("load test p95 of the data requests, no static assets (<= 150 ms)",
                     load.get("p95_data_ms"), 150, "ms", note="stricter than #16's"))
    rows.append(_row("load test errors (0)", load.get("errors"), 0, "", ratio=None,
                     met=load.get("errors") == 0, note=note))
    peaks = load.get("peak_rss_mb_per_worker") or []
    rows.append(_row("load test peak RSS per worker (<= 500 MB)", max(peaks) if peaks else None,
                     500, "MB", note=note))
    return rows


def _fmt(value, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or unit in ("", "MB"):
        return f"{value:,.0f} {unit}".strip()
    return f"{value:,.3g} {unit}" if unit == "s" else f"{value:,.0f} {unit}"


def markdown(rows: list[dict]) -> str:
    lines = ["| target | ours | ratio | met | note |", "|---|---|---|---|---|"]
    for r in rows:
        met = "not measured" if r["met"] is None else ("met" if r["met"] else "NOT met")
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        lines.append(f"| {r['target']} | {_fmt(r['value'], r['unit'])} | {ratio} | {met} | "
                     f"{r['note']} |")
    return "\n".join(lines)
