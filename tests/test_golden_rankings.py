"""Golden comparison: our tables against mteb 2.20.0's own, on the real results repository.

tests/golden/ holds the raw tables mteb's leaderboard code builds (bench/mteb_reference.py, run
under mteb 2.20.0; the manifest records the version and the exact calls): every benchmark of the
catalog we serve in its default state, and non-default UI states (task, model and language
subsets, each model filter) described in mteb's terms in manifest["states"]. These tests need a
warehouse built from the same data: `MTEB_LB_REAL_WAREHOUSE` (a warehouse folder) or
`MTEB_LB_REAL_RESULTS` (a folder holding results/, built once per session). Without either they
skip.

For each table: the same columns (none missing, none extra), the same models, the rows in the
same order (up to rows tied on mteb's sort key, see _assert_order), every score within 1e-9
(ours are on the 0-100 scale, mteb's raw frames on 0-1), every rank and metadata cell identical.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
from pathlib import Path

import pytest

from mteb_lb.rankings import Filters

GOLDEN = Path(__file__).parent / "golden"
CATALOG = Path(__file__).parent.parent / "etl" / "catalog" / "benchmarks.json"
BENCH = Path(__file__).parent.parent / "bench"
TOLERANCE = 1e-9
MIN_MODEL_SIZE, MAX_MODEL_SIZE = 0, 100_000  # mteb's leaderboard/app.py, millions of parameters
# summary columns that are not scores (compared unscaled)
NOT_SCORES = {"Rank (Borda)", "Rank", "Rank (Mean Task)", "Zero-shot", "Active Parameters (B)",
              "Total Parameters (B)", "Embedding Dimensions", "Max Tokens", "Release Date"}


def _manifest() -> dict:
    path = GOLDEN / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


MANIFEST = _manifest()


def _our_filters(state: dict) -> Filters:
    """The one place a golden state (mteb's UI inputs, documented in manifest["state_fields"])
    becomes our filters. A selection of everything is no filter, as in mteb's app."""
    default = MANIFEST["default_state"]

    def chosen(key):
        value = state[key]
        if value is None or (default[key] is not None and sorted(value) == sorted(default[key])):
            return None
        return tuple(value)

    if set(state["compatibility"]) - {"Sentence Transformers"}:
        raise ValueError(f"no such filter of ours: compatibility {state['compatibility']}")
    low, high = state["min_model_size"], state["max_model_size"]
    if low != MIN_MODEL_SIZE and high == MAX_MODEL_SIZE:
        raise ValueError("mteb ignores a lower size bound without an upper one "
                         "(manifest state_notes)")
    return Filters(
        min_params_b=None if low == MIN_MODEL_SIZE else low / 1000,
        max_params_b=None if high == MAX_MODEL_SIZE else high / 1000,
        keep_unknown_size=False,  # mteb drops unknown sizes once a bound is set
        open_weights=state["availability"],
        instructions=state["instructions"],
        sentence_transformers=bool(state["compatibility"]),
        model_types=chosen("model_type_select"),
        zero_shot=state["zero_shot"],
        task_types=chosen("type_select"),
        domains=chosen("domain_select"),
        modalities=chosen("modality_select"),
        languages=chosen("lang_select"),
        tasks=chosen("task_select"),
        models=chosen("models_to_keep"),
    )


def _cases() -> list[tuple[str, str, dict, dict]]:
    """(id, benchmark, state, manifest entry): every benchmark's default state, then the states."""
    if not MANIFEST:
        return []
    cases = [(e["slug"], e["name"], MANIFEST["default_state"], e) for e in MANIFEST["benchmarks"]]
    cases += [(s["id"], s["benchmark"], s["state"], s) for s in MANIFEST["states"]]
    return cases


CASES = _cases()
IDS = [c[0] for c in CASES]


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


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


def _assert_order(ours: list[dict], theirs: list[dict], key: dict) -> None:
    """Rows in the same order up to ties. mteb sorts with polars' (unstable) sort on its key
    (Rank (Borda) ascending, or the benchmark's sort columns / a single language descending, nulls
    last) and nothing else, so rows with equal keys come out in arbitrary order, which changes
    between runs (manifest "reproducibility"); ours break ties by model name. So the sequence of
    mteb's keys read along our rows must equal the sequence along mteb's rows: the same tie groups
    in the same order, any order inside a group."""
    assert [key[r["Model"]] for r in ours] == [key[r["Model"]] for r in theirs]


def _assert_sorted(theirs: list[dict], key: dict, descending: bool) -> None:
    """The key the manifest names is the one mteb's rows are sorted by (nulls last)."""
    keys = [key[r["Model"]] for r in theirs]
    nulls_last = [tuple((v is None, -v if descending and v is not None else v) for v in k)
                  for k in keys]
    assert nulls_last == sorted(nulls_last)


def _compare_cells(ours: list[dict], theirs: list[dict], columns, scaled) -> None:
    by_model = {r["Model"]: r for r in ours}
    mismatches = []
    for row in theirs:
        mine = by_model[row["Model"]]
        for col in columns:
            expected, got = row[col], mine[col]
            if col == "Release Date":
                ok = (got or "") == expected
            elif scaled(col):
                ok = _close(got, _num(expected), scale=100.0)
            else:
                ok = _close(None if got is None else float(got), _num(expected))
            if not ok:
                mismatches.append((row["Model"], col, got, expected))
    assert not mismatches, f"{len(mismatches)} cells differ, first: {mismatches[:5]}"


def _same_models(ours: list[dict], theirs: list[dict]) -> None:
    models = [r["Model"] for r in ours]
    assert len(models) == len(set(models)), "a model appears twice in our table"
    assert set(models) == {r["Model"] for r in theirs}


def test_manifest_covers_everything_we_serve():
    """One mteb version, no benchmark or state mteb failed on, every served benchmark, and the
    scenarios of bench/scenarios.py on both benchmarks they name."""
    if not MANIFEST:
        pytest.fail("tests/golden/manifest.json is missing: run bench/mteb_reference.py")
    assert MANIFEST["mteb_version"] == "2.20.0"
    assert MANIFEST["errors"] == []
    assert not [c[0] for c in CASES if "error" in c[3]]
    served = {b["name"] for b in json.loads(CATALOG.read_text())}
    assert len(served) == 76
    assert {e["name"] for e in MANIFEST["benchmarks"]} == served
    spec = importlib.util.spec_from_file_location("scenarios", BENCH / "scenarios.py")
    scenarios = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scenarios)
    for bench in (scenarios.MAIN, scenarios.ALT):
        names = {s["name"] for s in MANIFEST["states"] if s["benchmark"] == bench}
        # table_build is the default state, compared with every benchmark's
        assert {s[0] for s in scenarios.SCENARIOS} - {"table_build"} <= names, bench


def test_default_state_is_our_default():
    """mteb's default UI state maps to our unfiltered view, so the default comparisons check
    what the dashboard shows first."""
    assert _our_filters(MANIFEST["default_state"]) == Filters()


@pytest.mark.realdata
@pytest.mark.parametrize("case_id,name,state,entry", CASES, ids=IDS)
def test_summary_equals_mteb(real_leaderboard, case_id, name, state, entry):
    table = real_leaderboard.summary(name, _our_filters(state))
    ours = table.to_pylist()
    path = GOLDEN / entry["files"]["summary"] if "summary" in entry["files"] else None
    if path is None:  # mteb returned its "No results" frame (e.g. RTEB without public tasks)
        assert entry["summary"]["is_empty"]
        assert ours == [], f"mteb has no summary for {case_id}, we have {len(ours)} rows"
        return
    columns, theirs = _read(path)
    assert set(table.column_names) == set(columns)
    _same_models(ours, theirs)
    sort = entry["summary_sort"]
    key = {r["Model"]: tuple(_num(r[c]) for c in sort["columns"]) for r in theirs}
    _assert_sorted(theirs, key, sort["descending"])
    _assert_order(ours, theirs, key)
    rank_col = sort["positional_rank_column"]
    if rank_col is not None:  # 1..n down the rows; which model gets which is _assert_order's
        assert [int(r[rank_col]) for r in theirs] == list(range(1, len(theirs) + 1))
        assert [r[rank_col] for r in ours] == list(range(1, len(ours) + 1))
    _compare_cells(ours, theirs, [c for c in columns if c not in ("Model", rank_col)],
                   scaled=lambda c: c.startswith("Mean") or c not in NOT_SCORES)


def _compare_pivot(ours_table, entry: dict, kind: str) -> None:
    ours = ours_table.to_pylist()
    if kind not in entry["files"]:
        assert entry[kind]["is_empty"]
        assert ours == []
        return
    columns, theirs = _read(GOLDEN / entry["files"][kind])
    assert set(ours_table.column_names) == set(columns)
    _same_models(ours, theirs)
    if f"{kind}_rank" in entry["files"]:  # the Borda rank mteb sorted by, then dropped
        _, ranks = _read(GOLDEN / entry["files"][f"{kind}_rank"])
        assert [r["Model"] for r in ranks] == [r["Model"] for r in theirs]
        key = {r["Model"]: (_num(r["Rank (Borda)"]),) for r in ranks}
        _assert_sorted(theirs, key, descending=False)
        if kind == "per_language":  # mteb's order has float noise (see NOISE): ours is noise-free
            exact, low, high = _noise_free_borda(theirs, columns[1:])
            assert all(low[m] <= k[0] <= high[m] for m, k in key.items()), "mteb's rank unexplained"
            assert [exact[r["Model"]] for r in ours] == sorted(exact.values())
            _compare_cells(ours, theirs, columns[1:], scaled=lambda c: True)
            return
    else:  # a single language: sorted by its score
        assert kind == "per_language" and len(columns) == 2, columns
        key = {r["Model"]: (_num(r[columns[1]]),) for r in theirs}
        _assert_sorted(theirs, key, descending=True)
        key = _merge_float_noise_ties(theirs, columns[1:], key)
    _assert_order(ours, theirs, key)
    _compare_cells(ours, theirs, [c for c in columns if c != "Model"], scaled=lambda c: True)


# mteb's per-language means come from a streaming polars group-by whose summation order varies
# between calls: models with identical scores (e.g. jina-embeddings-v5-omni-small and -text-small)
# get means a few ulps apart, at random (observed: the same call on the same frame gave
# 0.3566863829620942 for both, then ...504 for one), and that noise decides Borda points. Ours are
# equal. So the per-language order is checked against mteb's Borda rule applied to mteb's cells
# with scores this close counted as equal. (Per-task means come from an in-memory group-by that
# sums in row order: no noise there, mteb's own rank is used.)
NOISE = 1e-12


def _merge_float_noise_ties(theirs: list[dict], columns: list[str], key: dict) -> dict:
    """Adjacent mteb rows whose cells all agree within NOISE form one tie group."""
    merged = dict(key)
    for prev, row in zip(theirs, theirs[1:]):
        a = [_num(prev[c]) for c in columns]
        b = [_num(row[c]) for c in columns]
        if all((x is None and y is None)
               or (x is not None and y is not None and abs(x - y) <= NOISE)
               for x, y in zip(a, b)):
            merged[row["Model"]] = merged[prev["Model"]]
    return merged


def _noise_free_borda(theirs: list[dict], columns: list[str]) -> tuple[dict, dict, dict]:
    """mteb's rule (_borda_rank_from_long): per column the models with a score ranked by it,
    descending, tied ones sharing the average position; a model earns n - rank per column it has
    a score in (n = rows of the table); the final rank is 1 + the number of models with more
    points. Scores within NOISE of the next lower one count as tied. Returns that rank per model
    (1-tuples, like the other keys) and the lowest and highest rank the noise could give it (each
    group of near-equal scores ordered any way)."""
    n = len(theirs)
    mid, top, bottom = ({r["Model"]: 0.0 for r in theirs} for _ in range(3))
    for col in columns:
        scored = sorted(((_num(r[col]), r["Model"]) for r in theirs if r[col] != ""), reverse=True)
        i = 0
        while i < len(scored):
            j = i + 1
            while j < len(scored) and scored[j - 1][0] - scored[j][0] <= NOISE:
                j += 1
            for _, model in scored[i:j]:  # positions i+1 .. j share their average
                mid[model] += n - (i + 1 + j) / 2
                top[model] += n - (i + 1)
                bottom[model] += n - j
            i = j
    exact = {m: (1 + sum(p > mid[m] for p in mid.values()),) for m in mid}
    low = {m: 1 + sum(bottom[x] > top[m] for x in mid if x != m) for m in mid}
    high = {m: 1 + sum(top[x] > bottom[m] for x in mid if x != m) for m in mid}
    return exact, low, high


@pytest.mark.realdata
@pytest.mark.parametrize("case_id,name,state,entry", CASES, ids=IDS)
def test_per_task_equals_mteb(real_leaderboard, case_id, name, state, entry):
    _compare_pivot(real_leaderboard.per_task(name, _our_filters(state)), entry, "per_task")


@pytest.mark.realdata
@pytest.mark.parametrize("case_id,name,state,entry", CASES, ids=IDS)
def test_per_language_equals_mteb(real_leaderboard, case_id, name, state, entry):
    if not entry["has_language_view"]:
        assert not real_leaderboard.benchmark(name).has_language_view
        return
    _compare_pivot(real_leaderboard.per_language(name, _our_filters(state)), entry, "per_language")
