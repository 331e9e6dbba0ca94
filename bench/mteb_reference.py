"""Golden reference tables computed by mteb's own leaderboard code (mteb 2.20.0).

Runs under an interpreter with mteb 2.20.0 installed (NOT the project's venv; see README, "The
catalog", for `.mteb-venv`), from the repository root:

    .mteb-venv/bin/python bench/mteb_reference.py --results <folder holding results/>
        [--out tests/golden] [--benchmarks "MTEB(eng, v2)" --benchmarks "BEIR" ...] [--no-states]

``--results`` is a folder holding ``results/<org>__<model>/<revision>/*.json`` (a checkout of
embeddings-benchmark/results). Without ``--benchmarks`` every benchmark of ``mteb.get_benchmarks()``
(the catalog this project serves: the leaderboard menu and the rest) gets its default-state
tables, and every state of ``STATES`` below its tables; the manifest is rewritten. With
``--benchmarks`` only those benchmarks (and the states on them) are recomputed and merged into the
existing manifest. The script reproduces what ``mteb/leaderboard/app.py`` does when it rebuilds
from a full repository, minus the network and the UI:

1. Load (``ResultCache._rebuild_from_full_repository`` without its ``download_from_remote()``
   git step and without writing the quick-cache JSON)::

       cache = ResultCache(cache_path=TMP)          # TMP/remote -> --results (symlink)
       cache.load_results(models=[m.name for m in get_model_metas() if m.name is not None],
                          only_main_score=True, require_model_meta=False, include_remote=True)

   (``load_experiments`` keeps its default MATCH_KWARGS, which with string model names drops
   every experiment result.)

2. Per benchmark::

       frame = all_results._to_results_df(benchmark.tasks)

3. A UI state (the default one of ``on_benchmark_select``, or one of ``STATES``) replays the app's
   callback chain: ``update_scores_on_lang_change`` (when languages are chosen) ->
   ``_cache_update_task_list`` (task types, domains, languages, modalities) -> the task selection
   -> ``update_models`` = ``_filter_models`` (availability, compatibility, instructions, model
   size, zero-shot setting, model types) -> ``update_tables``::

       models   = _filter_models(...)   # mteb.get_model_metas(...) + _is_zero_shot_cached(...)
       filtered = frame.filter(model in models & task in tasks [& language mask])
       summary  = benchmark._create_summary_table(filtered).df
       per_task = benchmark._create_per_task_table(filtered)
       per_lang = benchmark._create_per_language_table(filtered)  # if language_view

   Those are the raw polars frames the leaderboard styles for display (``leaderboard/table.py``),
   i.e. BEFORE ``round(x * 100, 2)``: scores are on mteb's 0-1 scale, unrounded.
   ``leaderboard/app.py`` and ``leaderboard/table.py`` import gradio, so the little glue they
   contain (menu traversal, ``_cache_update_task_list``, ``_filter_models``, ``update_tables``'
   filter) is re-stated here; the manifest records the calls per state.

Output: ``<out>/<slug>/{summary,per_task,per_language}.csv.gz`` per benchmark and
``<out>/states/<state id>/...`` per non-default state (floats as ``repr()``, i.e. the shortest
string that round-trips; nulls as empty fields; NaN as ``nan``), plus ``per_task_rank.csv.gz`` /
``per_language_rank.csv.gz``: the Borda rank mteb sorted those tables by (captured from its
``_borda_rank_from_long`` call, then dropped from the table), in table order.
``<out>/manifest.json`` holds the mteb version, benchmarks and states with their calls, row
counts, columns and dtypes, the effective summary sort, timings and errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Never let the project's folders (bench/, etc.) shadow a module of mteb's environment.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for scenarios.py only, after mteb's own packages
for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as _dt  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from typing import get_args  # noqa: E402

from scenarios import ALT, MAIN, SCENARIOS, subset  # noqa: E402

DEFAULT_OUT = _HERE.parent / "tests" / "golden"
MIN_MODEL_SIZE, MAX_MODEL_SIZE = 0, 100_000  # leaderboard/app.py, in millions of parameters

MTEB_CALLS = {
    "load": (
        "ResultCache(cache_path=TMP).load_results(models=[m.name for m in mteb.get_model_metas() "
        "if m.name is not None], only_main_score=True, require_model_meta=False, "
        "include_remote=True)"
        "  # TMP/remote/results -> <results>/results; download_from_remote() and to_disk() skipped"
    ),
    "benchmarks": (
        "mteb.get_benchmarks() (the catalog this project serves); on_menu = reached by the menu "
        "traversal of GP_BENCHMARK_ENTRIES + R_BENCHMARK_ENTRIES "
        "(mteb.benchmarks._leaderboard_menu)"
    ),
    "frame": "all_results._to_results_df(benchmark.tasks)",
    "choices": (
        "languages, domains, types, modalities = sorted unions over benchmark.tasks of "
        "task.languages, task.metadata.domains, task.metadata.type, task.metadata.modalities  "
        "# leaderboard.app._cache_on_benchmark_select"
    ),
    "scores": (
        "frame.select('model_name', 'task_name').unique(), or when lang_select is set "
        "frame.filter(pl.col('language').list.eval(pl.element().str.split('-').list.first()"
        ".is_in(lang_select)).list.any()).select('model_name', 'task_name').unique()  "
        "# update_scores_on_lang_change"
    ),
    "tasks": (
        "sorted(task.metadata.name for task in benchmark.tasks) when no type/domain/language/"
        "modality is chosen (on_benchmark_select), else the tasks whose type is in type_select and "
        "whose domains, languages, modalities (when it has any) overlap the selection "
        "(_cache_update_task_list); task_select, when set, is the user's pick among those"
    ),
    "models": (
        "_filter_models(scores model names, tasks, availability, compatibility, instructions, "
        "max_model_size, zero_shot, model_type_select) = {m.name for m in mteb.get_model_metas("
        "model_names=..., open_weights=availability, use_instructions=instructions, "
        "frameworks=compatibility, n_parameters_range=(lower, upper), "
        "model_types=model_type_select)} "
        "where lower = None if min_model_size == 0 else min_model_size * 1e6 (the app fixes "
        "min_model_size to MIN_MODEL_SIZE = 0) and upper = None if max_model_size == 100000 else "
        "max_model_size * 1e6; unless zero_shot == 'allow_all', a model goes when "
        "mteb.benchmarks._create_table._is_zero_shot_cached(name, set(tasks)) is None "
        "(remove_unknown, only_zero_shot) or False (only_zero_shot); then intersected with "
        "models_to_keep when that is set"
    ),
    "filter": (
        "frame.lazy().filter(model_name.is_in(models in scores) & task_name.is_in(tasks in scores)"
        " [& language mask when lang_select does not cover every benchmark language])"
        ".collect(engine='streaming')  # leaderboard.app.update_tables"
    ),
    "summary": "benchmark._create_summary_table(filtered).df",
    "per_task": "benchmark._create_per_task_table(filtered)",
    "per_language": "benchmark._create_per_language_table(filtered)  # only when language_view",
    "rank_files": (
        "the frame returned by mteb.benchmarks._create_table._borda_rank_from_long during the "
        "per-task / per-language call (the key those tables are sorted by), in table order"
    ),
}

STATE_FIELDS = {
    "type_select": "task types chosen; null = all of the benchmark's (the app's default)",
    "domain_select": "domains chosen; null = all",
    "lang_select": "ISO 639-3 languages chosen; null = all",
    "modality_select": "modalities chosen; null = all",
    "task_select": "tasks chosen; null = every task the four selections above leave",
    "availability": "true = only open weights, false = only proprietary, null = both",
    "compatibility": "frameworks a model must support, e.g. ['Sentence Transformers']",
    "instructions": "true = only instruction-tuned, false = only non-instruction, null = both",
    "min_model_size": "lower bound in millions of parameters; 0 = none (the app always has 0)",
    "max_model_size": "upper bound in millions; 100000 = none; any bound drops unknown sizes",
    "zero_shot": "'allow_all', 'remove_unknown' or 'only_zero_shot'",
    "model_type_select": "model types, a model stays when one of its types is chosen",
    "models_to_keep": "an explicit model subset (intersected with the filtered models); null = all",
}

STATE_NOTES = [
    "A lower size bound alone is not a state: mteb.get_model_metas applies the lower bound of "
    "n_parameters_range only when the upper one is set, and the app never sets it; min-only "
    "states therefore filter nothing in mteb (ours filter, see README 'Fidelity').",
    "Any size bound drops models of unknown size (get_model_metas: n_parameters is None -> skip).",
]


def default_state() -> dict:
    from mteb.models.model_meta import MODEL_TYPES

    return {
        "type_select": None,
        "domain_select": None,
        "lang_select": None,
        "modality_select": None,
        "task_select": None,
        "availability": None,
        "compatibility": [],
        "instructions": None,
        "min_model_size": MIN_MODEL_SIZE,
        "max_model_size": MAX_MODEL_SIZE,
        "zero_shot": "allow_all",
        "model_type_select": list(get_args(MODEL_TYPES)),
        "models_to_keep": None,
    }


def states_for(benchmark_name: str, tasks: list[str], models: list[str], languages: list[str]):
    """(state name, overrides of default_state()) per non-default state on this benchmark: the
    scenarios of bench/scenarios.py on MAIN and ALT, each model filter on MAIN."""
    from mteb.models.model_meta import MODEL_TYPES

    out = []
    if benchmark_name not in (MAIN, ALT):
        return out
    for scenario, _b, task_rule, model_rule, lang_rule in SCENARIOS:
        if (task_rule, model_rule, lang_rule) == ("all", "all", "all"):
            continue  # the default state, compared for every benchmark
        overrides = {}
        for field_name, names, rule in (("task_select", tasks, task_rule),
                                        ("models_to_keep", models, model_rule),
                                        ("lang_select", languages, lang_rule)):
            chosen = subset(names, rule)
            if chosen is not None:
                overrides[field_name] = chosen
        out.append((scenario, overrides))
    if benchmark_name == MAIN:
        half = subset(tasks, "half")
        types = list(get_args(MODEL_TYPES))
        out += [
            ("types_retrieval_sts", {"type_select": ["Retrieval", "STS"]}),
            ("max_size_100m", {"max_model_size": 100}),
            ("max_size_1b", {"max_model_size": 1000}),
            ("size_500m_to_5b", {"min_model_size": 500, "max_model_size": 5000}),
            ("open_weights", {"availability": True}),
            ("proprietary", {"availability": False}),
            ("instructions", {"instructions": True}),
            ("no_instructions", {"instructions": False}),
            ("sentence_transformers", {"compatibility": ["Sentence Transformers"]}),
            ("zero_shot_remove_unknown", {"zero_shot": "remove_unknown"}),
            ("zero_shot_only", {"zero_shot": "only_zero_shot"}),
            ("zero_shot_only_tasks_half", {"zero_shot": "only_zero_shot", "task_select": half}),
            ("model_type_dense", {"model_type_select": ["dense"]}),
            ("model_type_not_dense", {"model_type_select": [t for t in types if t != "dense"]}),
            ("combo_open_1b_no_instructions_remove_unknown",
             {"availability": True, "max_model_size": 1000, "instructions": False,
              "zero_shot": "remove_unknown"}),
        ]
    return out


def slugify(name: str) -> str:
    """Lowercase, every non-alphanumeric character replaced by '-', '-' stripped at both ends."""
    return re.sub(r"[^a-z0-9]", "-", name.lower()).strip("-")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def write_csv_gz(df, path: Path) -> int:
    """Write a polars frame as gzip CSV with full-precision floats. Returns the row count."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(df.columns)
    for row in df.iter_rows():
        writer.writerow([_fmt(v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(buf.getvalue().encode("utf-8"))
    return df.height


def _frame_info(df) -> dict:
    return {
        "rows": df.height,
        "columns": list(df.columns),
        "dtypes": [str(t) for t in df.dtypes],
    }


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    for name in ("mteb", "datasets", "huggingface_hub", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:  # datasets' progress bars
        import datasets

        datasets.disable_progress_bars()
    except Exception:  # pragma: no cover
        pass


def sidebar_benchmarks():
    """leaderboard/app.py::get_leaderboard_app step 1."""
    from mteb.benchmarks._leaderboard_menu import GP_BENCHMARK_ENTRIES, R_BENCHMARK_ENTRIES
    from mteb.benchmarks.benchmark import Benchmark

    seen: set[str] = set()
    benchmarks = []
    pending = [*GP_BENCHMARK_ENTRIES, *R_BENCHMARK_ENTRIES]
    while pending:
        entry = pending.pop()
        if isinstance(entry, Benchmark):
            if entry.name not in seen:
                seen.add(entry.name)
                benchmarks.append(entry)
        else:
            pending.extend(entry.benchmarks)
    benchmarks.sort(key=lambda b: b.name)
    return benchmarks


def benchmark_choices(benchmark) -> dict:
    """leaderboard/app.py::_cache_on_benchmark_select: the choices the customisation offers."""
    return {
        "languages": sorted({lang for t in benchmark.tasks if t.languages for lang in t.languages}),
        "domains": sorted({d for t in benchmark.tasks if t.metadata.domains
                           for d in t.metadata.domains}),
        "types": sorted({t.metadata.type for t in benchmark.tasks if t.metadata.type}),
        "modalities": sorted({m for t in benchmark.tasks for m in t.metadata.modalities}),
    }


def update_task_list(benchmark, type_select, domain_select, lang_select,
                     modality_select) -> list[str]:
    """leaderboard/app.py::_cache_update_task_list (its tasks_to_keep)."""
    if not len(lang_select):
        return []
    keep = []
    for task in benchmark.tasks:
        if task.metadata.type not in type_select:
            continue
        if task.metadata.domains and not (set(task.metadata.domains) & set(domain_select)):
            continue
        if task.languages and not (set(task.languages) & set(lang_select)):
            continue
        if task.metadata.modalities and not (set(task.metadata.modalities) & set(modality_select)):
            continue
        keep.append(task.metadata.name)
    return sorted(keep)


def filter_models(model_names, task_select, availability, compatibility, instructions,
                  min_model_size, max_model_size, zero_shot_setting, model_types) -> list[str]:
    """leaderboard/app.py::_filter_models, with the lower size bound as a parameter (the app
    fixes it to MIN_MODEL_SIZE)."""
    import mteb
    from mteb.benchmarks._create_table import _is_zero_shot_cached

    lower = None if min_model_size in (MIN_MODEL_SIZE, None) else min_model_size * 1e6
    upper = None if max_model_size in (MAX_MODEL_SIZE, None) else max_model_size * 1e6
    metas = mteb.get_model_metas(
        model_names=model_names,
        open_weights=availability,
        use_instructions=instructions,
        frameworks=compatibility,
        n_parameters_range=(lower, upper),
        model_types=model_types,
    )
    if zero_shot_setting == "allow_all":
        return list({m.name for m in metas})
    task_name_set = set(task_select) if task_select else set()
    keep = set()
    for meta in metas:
        zero_shot = _is_zero_shot_cached(meta.name, task_name_set)
        if zero_shot is None:
            if zero_shot_setting in ("remove_unknown", "only_zero_shot"):
                continue
        elif not zero_shot and zero_shot_setting == "only_zero_shot":
            continue
        keep.add(meta.name)
    return list(keep)


def _language_mask(languages):
    import polars as pl

    return pl.col("language").list.eval(
        pl.element().str.split("-").list.first().is_in(set(languages))).list.any()


def state_frame(benchmark, bm_pl_df, state: dict):
    """The app's callback chain for one UI state, down to update_tables' filtered frame.
    Returns (filtered frame, resolved {tasks, models})."""
    import polars as pl

    if bm_pl_df.is_empty() or "model_name" not in bm_pl_df.columns:
        return bm_pl_df, {"tasks": [], "models": []}
    choices = benchmark_choices(benchmark)
    if state["lang_select"] is None:
        scores = bm_pl_df.select("model_name", "task_name").unique()
    else:  # update_scores_on_lang_change
        scores = bm_pl_df.filter(_language_mask(state["lang_select"])).select(
            "model_name", "task_name").unique()
    selections = ("type_select", "domain_select", "lang_select", "modality_select")
    if all(state[k] is None for k in selections):
        tasks = sorted(t.metadata.name for t in benchmark.tasks)  # on_benchmark_select
    else:
        tasks = update_task_list(benchmark, *[
            choices[key] if state[sel] is None else state[sel]
            for sel, key in zip(selections, ("types", "domains", "languages", "modalities"))])
    if state["task_select"] is not None:
        missing = set(state["task_select"]) - set(tasks)
        if missing:
            raise ValueError(f"task_select names tasks the app does not offer: {sorted(missing)}")
        tasks = sorted(state["task_select"])
    models = filter_models(
        scores["model_name"].unique().to_list(), tasks, state["availability"],
        state["compatibility"], state["instructions"], state["min_model_size"],
        state["max_model_size"], state["zero_shot"], state["model_type_select"])
    if state["models_to_keep"] is not None:
        models = [m for m in models if m in set(state["models_to_keep"])]
    models = sorted(models)

    # update_tables
    scored = scores.filter(pl.col("task_name").is_in(set(tasks)))
    scored = scored.filter(pl.col("model_name").is_in(set(models)))
    model_names = set(scored["model_name"].unique().to_list())
    task_names = set(scored["task_name"].unique().to_list())
    resolved = {"tasks": tasks, "models": models, "calls": state_calls(benchmark, state)}
    if not task_names:
        return bm_pl_df.clear(), resolved
    mask = pl.col("model_name").is_in(model_names) & pl.col("task_name").is_in(task_names)
    languages = state["lang_select"]
    if languages is not None and not set(languages).issuperset(choices["languages"]):
        mask &= _language_mask(languages)
    return bm_pl_df.lazy().filter(mask).collect(engine="streaming"), resolved


def state_calls(benchmark, state: dict) -> list[str]:
    """The app's calls for this state, in order, with their arguments (lists named by the state
    field holding them)."""
    name = benchmark.name
    selections = ("type_select", "domain_select", "lang_select", "modality_select")
    calls = [f"frame = all_results._to_results_df(mteb.get_benchmark({name!r}).tasks)"]
    if state["lang_select"] is None:
        calls.append("scores = frame.select('model_name', 'task_name').unique()")
    else:
        calls.append(f"scores = update_scores_on_lang_change({name!r}, state['lang_select'])")
    if all(state[k] is None for k in selections):
        calls.append(f"tasks = sorted(t.metadata.name for t in mteb.get_benchmark({name!r}).tasks)")
    else:
        args = ", ".join(f"state[{k!r}]" if state[k] is not None
                         else f"<every {k[:-7]} of the benchmark>"
                         for k in selections)
        calls.append(f"_, tasks = _cache_update_task_list({name!r}, {args})")
    if state["task_select"] is not None:
        calls.append("tasks = state['task_select']  # the user's pick among those tasks")
    calls.append(
        "models = _filter_models(scores['model_name'].unique().to_list(), tasks, "
        f"availability={state['availability']!r}, compatibility={state['compatibility']!r}, "
        f"instructions={state['instructions']!r}, max_model_size={state['max_model_size']!r}, "
        f"zero_shot_setting={state['zero_shot']!r}, model_types={state['model_type_select']!r})"
        + (f"  # with lower = {state['min_model_size']} * 1e6 instead of the app's fixed 0"
           if state["min_model_size"] != MIN_MODEL_SIZE else ""))
    if state["models_to_keep"] is not None:
        calls.append("models = sorted(set(models) & set(state['models_to_keep']))")
    langs = ("state['lang_select']" if state["lang_select"] is not None
             else "<every language of the benchmark>")
    calls.append(f"update_tables(scores, tasks, models, {name!r}, {langs})  # -> "
                 "benchmark._create_summary_table / _create_per_task_table / "
                 "_create_per_language_table on the filtered frame")
    return calls


class _BordaCapture:
    """Records what mteb's _borda_rank_from_long returns during a table call (the key the
    per-task and per-language tables are sorted by, dropped from the table afterwards)."""

    def __enter__(self):
        from mteb.benchmarks import _create_table

        self._module = _create_table
        self._original = _create_table._borda_rank_from_long
        self.frames = []

        def wrapper(*args, **kwargs):
            result = self._original(*args, **kwargs)
            self.frames.append(result)
            return result

        _create_table._borda_rank_from_long = wrapper
        return self

    def __exit__(self, *exc):
        self._module._borda_rank_from_long = self._original
        return False


def _rank_file(table, capture: _BordaCapture, path: Path) -> bool:
    """Write Model, Rank (Borda) in the table's row order; False when no Borda rank sorted it."""
    import polars as pl

    if not capture.frames:
        return False
    ranks = capture.frames[-1].rename({"model_name": "Model"})
    ordered = table.select("Model").with_row_index("_pos").join(ranks, on="Model", how="left")
    write_csv_gz(ordered.sort("_pos").drop("_pos").select("Model", pl.col("Rank (Borda)")), path)
    return True


def summary_sort(benchmark) -> dict:
    """The order _finalize_summary gives the summary (mteb.benchmarks._create_table)."""
    from mteb.benchmarks._create_table import _summary_metadata

    if benchmark.summary_sort_column is not None:
        cols = benchmark.summary_sort_column
        return {"columns": [cols] if isinstance(cols, str) else list(cols), "descending": True,
                "positional_rank_column": benchmark.summary_rank_column or "Rank"}
    default = _summary_metadata(benchmark.aggregations).default_sort
    return {"columns": [default], "descending": default != "Rank (Borda)",
            "positional_rank_column": None}


def build_tables(benchmark, filtered, out_dir: Path, rel: str, entry: dict) -> None:
    """The three tables of one state into out_dir/rel, described in entry."""
    timings = entry["timings_s"]
    slug_dir = out_dir / rel
    if slug_dir.exists():
        shutil.rmtree(slug_dir)
    entry["files"] = {}

    t = time.perf_counter()
    summary = benchmark._create_summary_table(filtered)
    timings["summary"] = round(time.perf_counter() - t, 4)
    entry["summary"] = {
        **_frame_info(summary.df),
        "is_empty": bool(summary.is_empty),
        "rank_col": summary.rank_col,
        "primary_metric_col": summary.primary_metric_col,
        "task_type_mean_col": summary.task_type_mean_col,
        "mean_public_col": summary.mean_public_col,
        "mean_private_col": summary.mean_private_col,
    }
    if not summary.is_empty:
        write_csv_gz(summary.df, slug_dir / "summary.csv.gz")
        entry["files"]["summary"] = f"{rel}/summary.csv.gz"

    t = time.perf_counter()
    with _BordaCapture() as capture:
        per_task = benchmark._create_per_task_table(filtered)
    timings["per_task"] = round(time.perf_counter() - t, 4)
    entry["per_task"] = {**_frame_info(per_task), "is_empty": "No results" in per_task.columns}
    if "No results" not in per_task.columns:
        write_csv_gz(per_task, slug_dir / "per_task.csv.gz")
        entry["files"]["per_task"] = f"{rel}/per_task.csv.gz"
        if _rank_file(per_task, capture, slug_dir / "per_task_rank.csv.gz"):
            entry["files"]["per_task_rank"] = f"{rel}/per_task_rank.csv.gz"

    has_view = benchmark.language_view == "all" or len(benchmark.language_view) > 0
    entry["has_language_view"] = bool(has_view)
    if has_view:
        t = time.perf_counter()
        with _BordaCapture() as capture:
            per_language = benchmark._create_per_language_table(filtered)
        timings["per_language"] = round(time.perf_counter() - t, 4)
        empty = "No results" in per_language.columns
        entry["per_language"] = {**_frame_info(per_language), "is_empty": empty}
        if not empty:
            write_csv_gz(per_language, slug_dir / "per_language.csv.gz")
            entry["files"]["per_language"] = f"{rel}/per_language.csv.gz"
            # one language: sorted by that column, descending, nulls last (no Borda)
            if _rank_file(per_language, capture, slug_dir / "per_language_rank.csv.gz"):
                entry["files"]["per_language_rank"] = f"{rel}/per_language_rank.csv.gz"
    timings["tables"] = round(
        sum(timings.get(k, 0.0) for k in ("filter", "summary", "per_task", "per_language")), 4)


def build_one(benchmark, frame, out_dir: Path, state: dict, rel: str, entry: dict) -> dict:
    timings = entry.setdefault("timings_s", {})
    t_all = time.perf_counter()
    t = time.perf_counter()
    filtered, resolved = state_frame(benchmark, frame, state)
    timings["filter"] = round(time.perf_counter() - t, 4)
    entry["filtered_frame_rows"] = filtered.height
    entry["models_after_filter"] = len(resolved["models"])
    entry["tasks_after_filter"] = len(resolved["tasks"])
    if state != default_state():
        entry["calls"] = resolved["calls"]
    build_tables(benchmark, filtered, out_dir, rel, entry)
    timings["total"] = round(time.perf_counter() - t_all + timings.get("frame", 0.0), 4)
    return entry


def _error_entry(entry: dict, exc: Exception, t0: float) -> dict:
    entry["error"] = f"{type(exc).__name__}: {exc}"
    entry["traceback"] = traceback.format_exc()
    entry.setdefault("timings_s", {})["total"] = round(time.perf_counter() - t0, 4)
    return entry


def run_benchmark(bench, all_results, out_dir: Path, on_menu: bool, with_states: bool):
    """Default-state tables of one benchmark, then its states. Returns (entry, state entries)."""
    t0 = time.perf_counter()
    entry = {
        "name": bench.name,
        "slug": slugify(bench.name),
        "class_name": type(bench).__name__,
        "on_menu": on_menu,
        "aggregations": [str(getattr(a, "value", a)) for a in bench.aggregations],
        "summary_sort_column": bench.summary_sort_column,
        "summary_rank_column": bench.summary_rank_column,
        "summary_sort": summary_sort(bench),
        "language_view": (bench.language_view if bench.language_view == "all"
                          else list(bench.language_view)),
        "timings_s": {},
    }
    states = []
    try:
        t = time.perf_counter()
        frame = all_results._to_results_df(bench.tasks)
        entry["timings_s"]["frame"] = round(time.perf_counter() - t, 4)
        info = {"rows": frame.height, "columns": list(frame.columns)}
        if frame.height and "score" in frame.columns:
            info.update(models=frame["model_name"].n_unique(), tasks=frame["task_name"].n_unique(),
                        null_scores=int(frame["score"].is_null().sum()))
        entry["frame"] = info
        build_one(bench, frame, out_dir, default_state(), entry["slug"], entry)
    except Exception as exc:  # record mteb's own failures and go on
        return _error_entry(entry, exc, t0), states
    if not with_states:
        return entry, states
    tasks = sorted(t.metadata.name for t in bench.tasks)
    models = sorted(frame["model_name"].unique().to_list()) if "model_name" in frame.columns else []
    languages = benchmark_choices(bench)["languages"]
    for name, overrides in states_for(bench.name, tasks, models, languages):
        t0 = time.perf_counter()
        state = {**default_state(), **overrides}
        state_id = f"{entry['slug']}--{name}"
        s_entry = {"id": state_id, "name": name, "benchmark": bench.name,
                   "summary_sort": entry["summary_sort"], "state": state,
                   "changed": sorted(overrides), "timings_s": {}}
        try:
            build_one(bench, frame, out_dir, state, f"states/{state_id}", s_entry)
        except Exception as exc:
            _error_entry(s_entry, exc, t0)
        states.append(s_entry)
        print(f"{s_entry['timings_s'].get('total', 0):8.2f}s    state {name}"
              + (f"  ERROR {s_entry['error']}" if "error" in s_entry else ""),
              file=sys.stderr, flush=True)
    return entry, states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True,
                        help="folder holding results/<org>__<model>/<rev>/*.json")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="output folder (default: tests/golden)")
    parser.add_argument(
        "--benchmarks",
        action="append",
        default=None,
        help="benchmark name (repeatable), merged into the existing manifest; default: every "
        "benchmark of mteb.get_benchmarks(), manifest rewritten",
    )
    parser.add_argument("--no-states", action="store_true", help="default states only")
    args = parser.parse_args(argv)

    results_root = Path(args.results).resolve()
    if not (results_root / "results").is_dir():
        parser.error(f"{results_root} has no results/ folder")
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = None
    if args.benchmarks and (out_dir / "manifest.json").exists():
        previous = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))

    _quiet()
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    import mteb
    import polars as pl
    from mteb.cache import ResultCache

    timings: dict = {"import_mteb": round(time.perf_counter() - t0, 3)}

    t = time.perf_counter()
    menu_names = {b.name for b in sidebar_benchmarks()}
    if args.benchmarks:
        wanted = [mteb.get_benchmark(n) for n in args.benchmarks]
    else:
        wanted = list(mteb.get_benchmarks())
    benchmarks = sorted({b.name: b for b in wanted}.values(), key=lambda b: b.name)
    all_names = sorted({b.name for b in mteb.get_benchmarks()})
    slugs = [slugify(n) for n in all_names]
    if len(set(slugs)) != len(slugs):
        raise SystemExit(f"slug collision among {sorted(slugs)}")
    timings["benchmarks"] = round(time.perf_counter() - t, 3)

    tmp = Path(tempfile.mkdtemp(prefix="mteb-ref-cache-"))
    manifest: dict = {}
    try:
        (tmp / "remote").symlink_to(results_root, target_is_directory=True)
        cache = ResultCache(cache_path=tmp)

        t = time.perf_counter()
        all_model_names = [m.name for m in mteb.get_model_metas() if m.name is not None]
        timings["get_model_metas"] = round(time.perf_counter() - t, 3)

        t = time.perf_counter()
        n_paths = len(
            cache.get_cache_paths(models=all_model_names, require_model_meta=False,
                                  include_remote=True)
        )
        timings["list_paths"] = round(time.perf_counter() - t, 3)

        print(f"loading {n_paths} result files from {results_root} ...", file=sys.stderr,
              flush=True)
        t = time.perf_counter()
        all_results = cache.load_results(
            models=all_model_names,
            only_main_score=True,
            require_model_meta=False,
            include_remote=True,
        )
        timings["load_results"] = round(time.perf_counter() - t, 3)
        n_model_results = len(all_results.model_results)
        n_task_results = sum(len(mr.task_results) for mr in all_results.model_results)
        print(
            f"loaded {n_task_results} task results / {n_model_results} (model, revision) in "
            f"{timings['load_results']:.1f}s (max RSS {_rss_mb()} MB)",
            file=sys.stderr,
            flush=True,
        )

        # The first summary table of a process builds _static_model_meta() and the zero-shot
        # training-set closure of every registered model (lru caches in _create_table.py).
        # Pay that once here so the per-benchmark figures are comparable; the app pays it in
        # its first table build as well.
        from mteb.benchmarks._create_table import _meta_df_no_zs, _training_datasets_cached

        t = time.perf_counter()
        _meta_df_no_zs()
        for name in all_model_names:
            _training_datasets_cached(name)
        timings["warm_model_meta"] = round(time.perf_counter() - t, 3)

        entries, states = [], []
        if previous is not None:  # merge: keep what was not recomputed
            redone = {b.name for b in benchmarks}
            entries = [e for e in previous.get("benchmarks", []) if e["name"] not in redone]
            states = [s for s in previous.get("states", []) if s["benchmark"] not in redone]
            for s in previous.get("states", []):
                if s["benchmark"] in redone:  # recomputed below, or dropped with --no-states
                    shutil.rmtree(out_dir / "states" / s["id"], ignore_errors=True)
        elif (out_dir / "states").exists():
            shutil.rmtree(out_dir / "states")
        for bench in benchmarks:
            entry, bench_states = run_benchmark(bench, all_results, out_dir,
                                                bench.name in menu_names, not args.no_states)
            entries.append(entry)
            states.extend(bench_states)
            print(
                f"{entry['timings_s'].get('total', 0):8.2f}s  {bench.name}"
                + (f"  ERROR {entry['error']}" if "error" in entry else ""),
                file=sys.stderr,
                flush=True,
            )
        entries.sort(key=lambda e: e["name"])
        states.sort(key=lambda s: s["id"])
        errors = [{"benchmark": e["name"], "error": e["error"]} for e in entries if "error" in e]
        errors += [{"state": s["id"], "error": s["error"]} for s in states if "error" in s]
        timings["per_benchmark_total"] = round(
            sum(e["timings_s"].get("total", 0.0) for e in entries), 3)
        timings["tables_total"] = round(sum(e["timings_s"].get("tables", 0.0) for e in entries), 3)
        timings["frames_total"] = round(sum(e["timings_s"].get("frame", 0.0) for e in entries), 3)
        timings["wall_total"] = round(time.perf_counter() - t0, 3)

        golden_files = sorted(p for p in out_dir.rglob("*.csv.gz"))
        sizes = {str(p.relative_to(out_dir)): p.stat().st_size for p in golden_files}
        manifest = {
            "mteb_version": mteb.__version__,
            "polars_version": pl.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "created_at": started.replace(microsecond=0).isoformat(),
            "command": "bench/mteb_reference.py " + " ".join(
                f"--benchmarks {json.dumps(n)}" for n in (args.benchmarks or [])
            ) + (" --no-states" if args.no_states else ""),
            "n_result_paths": n_paths,
            "n_model_results": n_model_results,
            "n_task_results": n_task_results,
            "n_registry_models": len(all_model_names),
            "max_rss_mb": _rss_mb(),
            "benchmarks_selected": [b.name for b in benchmarks],
            "sidebar_benchmarks": sorted(menu_names),
            "slug_rule": "re.sub(r'[^a-z0-9]', '-', name.lower()).strip('-')",
            "csv_format": {
                "compression": "gzip",
                "header": "first row, mteb's column names and order",
                "floats": "repr() (shortest round-trip form)",
                "null": "empty field",
                "nan": "nan",
            },
            "score_scale": "0-1 (main_score as stored in the result files; "
                           "the UI shows round(x*100, 2))",
            "reproducibility": [
                "mteb's own output is not bit-stable between runs: polars group_by/pivot order "
                "is random, so task/type/language column order varies and horizontal means "
                "differ in the last bits (|diff| <= ~5e-16 observed). Compare with a tolerance "
                "(1e-12) and key columns by name.",
                "Rows tied on the sort key (Rank (Borda) ties, per-language Borda ties, "
                "MIEB/ViDoRe positional ranks on equal means) come out in arbitrary order; rank "
                "values are stable.",
                "summary_<...>.is_empty=true means mteb returned its 'No results' sentinel "
                "(no file).",
            ],
            "mteb_calls": MTEB_CALLS,
            "state_fields": STATE_FIELDS,
            "state_notes": STATE_NOTES,
            "default_state": default_state(),
            "timings_s": timings,
            "errors": errors,
            "benchmarks": entries,
            "states": states,
            "file_sizes": sizes,
            "total_bytes": sum(sizes.values()),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {len(manifest['file_sizes'])} files ({manifest['total_bytes']:,d} bytes) "
        "+ manifest.json "
        f"to {out_dir} in {timings['wall_total']:.1f}s; {len(manifest['errors'])} error(s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
