"""Golden reference tables computed by mteb's own leaderboard code (mteb 2.20.0).

Runs under an interpreter with mteb installed (NOT the project's venv):

    /work/mteb-venv/bin/python bench/mteb_reference.py --results /work/results-data [--out tests/golden]
        [--benchmarks "MTEB(eng, v2)" --benchmarks "BEIR" ...]

``--results`` is a folder holding ``results/<org>__<model>/<revision>/*.json`` (a checkout of
embeddings-benchmark/results). The script reproduces what ``mteb/leaderboard/app.py`` does when
it rebuilds from a full repository, minus the network and the UI:

1. Load (``ResultCache._rebuild_from_full_repository`` without its ``download_from_remote()``
   git step and without writing the quick-cache JSON)::

       cache = ResultCache(cache_path=TMP)          # TMP/remote -> --results (symlink)
       cache.load_results(models=[m.name for m in get_model_metas() if m.name is not None],
                          only_main_score=True, require_model_meta=False, include_remote=True)

   (``load_experiments`` keeps its default MATCH_KWARGS, which with string model names drops
   every experiment result.)

2. Per benchmark of the sidebar menu (GP + R entries, de-duplicated, sorted by name, as
   ``get_leaderboard_app`` step 1 does)::

       frame = all_results._to_results_df(benchmark.tasks)

3. The default state of ``on_benchmark_select`` -> ``update_tables`` (no filters: all task
   types/domains/languages/modalities/tasks selected, availability/instructions "Both",
   compatibility [], max size, zero-shot "allow_all", all model types)::

       models = _filter_models(...)   # = get_model_metas(model_names=..., frameworks=[],
                                      #   model_types=MODEL_TYPE_CHOICES, ...) names
       filtered = frame.filter(model in models & task in tasks)   # language filter skipped
       summary  = benchmark._create_summary_table(filtered).df
       per_task = benchmark._create_per_task_table(filtered)
       per_lang = benchmark._create_per_language_table(filtered)  # if language_view

   Those are the raw polars frames the leaderboard styles for display (``leaderboard/table.py``),
   i.e. BEFORE ``round(x * 100, 2)``: scores are on mteb's 0-1 scale, unrounded.
   ``leaderboard/app.py`` and ``leaderboard/table.py`` import gradio, so the little glue they
   contain (menu traversal, ``_filter_models``, ``update_tables``' filter) is re-stated here.

Output: ``<out>/<slug>/{summary,per_task,per_language}.csv.gz`` (floats as ``repr()``, i.e. the
shortest string that round-trips; nulls as empty fields; NaN as ``nan``) and
``<out>/manifest.json`` (benchmarks, row counts, columns and dtypes, timings, mteb calls, errors).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Never let the project's folders (bench/, etc.) shadow a module of mteb's environment.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
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

DEFAULT_OUT = _HERE.parent / "tests" / "golden"

MTEB_CALLS = {
    "load": (
        "ResultCache(cache_path=TMP).load_results(models=[m.name for m in mteb.get_model_metas() "
        "if m.name is not None], only_main_score=True, require_model_meta=False, include_remote=True)"
        "  # TMP/remote/results -> <results>/results; download_from_remote() and to_disk() skipped"
    ),
    "benchmarks": (
        "menu traversal of GP_BENCHMARK_ENTRIES + R_BENCHMARK_ENTRIES "
        "(mteb.benchmarks._leaderboard_menu), de-duplicated by name, sorted by name"
    ),
    "frame": "all_results._to_results_df(benchmark.tasks)",
    "models": (
        "{m.name for m in mteb.get_model_metas(model_names=<models in frame>, open_weights=None, "
        "use_instructions=None, frameworks=[], n_parameters_range=(None, None), "
        "model_types=list(get_args(MODEL_TYPES)))}  # leaderboard.app._filter_models, allow_all"
    ),
    "filter": (
        "frame.lazy().filter(model_name.is_in(models) & task_name.is_in(tasks))"
        ".collect(engine='streaming')  # leaderboard.app.update_tables; language mask skipped "
        "because every benchmark language is selected"
    ),
    "summary": "benchmark._create_summary_table(filtered).df",
    "per_task": "benchmark._create_per_task_table(filtered)",
    "per_language": "benchmark._create_per_language_table(filtered)  # only when language_view",
}


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


def filter_models_allow_all(model_names: list[str]) -> list[str]:
    """leaderboard/app.py::_filter_models with the default UI state (zero-shot "allow_all")."""
    import mteb
    from mteb.models.model_meta import MODEL_TYPES

    metas = mteb.get_model_metas(
        model_names=model_names,
        open_weights=None,
        use_instructions=None,
        frameworks=[],
        n_parameters_range=(None, None),
        model_types=list(get_args(MODEL_TYPES)),
    )
    return list({m.name for m in metas})


def default_state_frame(benchmark, bm_pl_df):
    """on_benchmark_select -> update_tables(scores, benchmark_tasks, initial_models, name, languages)."""
    import polars as pl

    if bm_pl_df.is_empty() or "model_name" not in bm_pl_df.columns:
        return bm_pl_df, [], []
    scores = bm_pl_df.select("model_name", "task_name").unique()
    benchmark_tasks = sorted(t.metadata.name for t in benchmark.tasks)
    all_models_in_scores = scores["model_name"].unique().to_list()
    initial_models = sorted(filter_models_allow_all(all_models_in_scores))
    languages = sorted({lang for t in benchmark.tasks if t.languages for lang in t.languages})
    full_languages = {lang for t in benchmark.tasks if t.languages for lang in t.languages}

    scored = scores.filter(pl.col("task_name").is_in(set(benchmark_tasks)))
    scored = scored.filter(pl.col("model_name").is_in(set(initial_models)))
    model_names = set(scored["model_name"].unique().to_list())
    task_names = set(scored["task_name"].unique().to_list())
    if not task_names:
        return bm_pl_df.clear(), initial_models, languages
    mask = pl.col("model_name").is_in(model_names) & pl.col("task_name").is_in(task_names)
    if not set(languages).issuperset(full_languages):  # never true in the default state
        mask &= pl.col("language").list.eval(pl.element().str.split("-").list.first().is_in(set(languages))).list.any()
    filtered = bm_pl_df.lazy().filter(mask).collect(engine="streaming")
    return filtered, initial_models, languages


def build_one(benchmark, all_results, out_dir: Path) -> dict:
    entry: dict = {
        "name": benchmark.name,
        "slug": slugify(benchmark.name),
        "class_name": type(benchmark).__name__,
        "aggregations": [str(getattr(a, "value", a)) for a in benchmark.aggregations],
        "summary_sort_column": benchmark.summary_sort_column,
        "summary_rank_column": benchmark.summary_rank_column,
        "language_view": benchmark.language_view
        if benchmark.language_view == "all"
        else list(benchmark.language_view),
        "timings_s": {},
        "files": {},
    }
    timings = entry["timings_s"]
    t_all = time.perf_counter()

    t = time.perf_counter()
    frame = all_results._to_results_df(benchmark.tasks)
    timings["frame"] = round(time.perf_counter() - t, 4)
    info = {"rows": frame.height, "columns": list(frame.columns)}
    if frame.height and "score" in frame.columns:
        info.update(
            models=frame["model_name"].n_unique(),
            tasks=frame["task_name"].n_unique(),
            null_scores=int(frame["score"].is_null().sum()),
        )
    entry["frame"] = info

    t = time.perf_counter()
    filtered, models, _languages = default_state_frame(benchmark, frame)
    timings["filter"] = round(time.perf_counter() - t, 4)
    entry["filtered_frame_rows"] = filtered.height
    entry["models_after_filter"] = len(models)

    slug_dir = out_dir / entry["slug"]
    if slug_dir.exists():
        shutil.rmtree(slug_dir)

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
        entry["files"]["summary"] = f"{entry['slug']}/summary.csv.gz"

    t = time.perf_counter()
    per_task = benchmark._create_per_task_table(filtered)
    timings["per_task"] = round(time.perf_counter() - t, 4)
    entry["per_task"] = {**_frame_info(per_task), "is_empty": "No results" in per_task.columns}
    if "No results" not in per_task.columns:
        write_csv_gz(per_task, slug_dir / "per_task.csv.gz")
        entry["files"]["per_task"] = f"{entry['slug']}/per_task.csv.gz"

    has_view = benchmark.language_view == "all" or len(benchmark.language_view) > 0
    entry["has_language_view"] = bool(has_view)
    if has_view:
        t = time.perf_counter()
        per_language = benchmark._create_per_language_table(filtered)
        timings["per_language"] = round(time.perf_counter() - t, 4)
        entry["per_language"] = {**_frame_info(per_language), "is_empty": "No results" in per_language.columns}
        if "No results" not in per_language.columns:
            write_csv_gz(per_language, slug_dir / "per_language.csv.gz")
            entry["files"]["per_language"] = f"{entry['slug']}/per_language.csv.gz"

    timings["tables"] = round(
        sum(timings.get(k, 0.0) for k in ("filter", "summary", "per_task", "per_language")), 4
    )
    timings["total"] = round(time.perf_counter() - t_all, 4)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True, help="folder holding results/<org>__<model>/<rev>/*.json")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: tests/golden)")
    parser.add_argument(
        "--benchmarks",
        action="append",
        default=None,
        help="benchmark name (repeatable); default: every benchmark on the leaderboard sidebar menu",
    )
    args = parser.parse_args(argv)

    results_root = Path(args.results).resolve()
    if not (results_root / "results").is_dir():
        parser.error(f"{results_root} has no results/ folder")
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    _quiet()
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    import mteb
    import polars as pl
    from mteb.cache import ResultCache

    timings: dict = {"import_mteb": round(time.perf_counter() - t0, 3)}

    t = time.perf_counter()
    menu_benchmarks = sidebar_benchmarks()
    if args.benchmarks:
        wanted = [mteb.get_benchmark(n) for n in args.benchmarks]
        benchmarks = sorted({b.name: b for b in wanted}.values(), key=lambda b: b.name)
    else:
        benchmarks = menu_benchmarks
    slugs = [slugify(b.name) for b in benchmarks]
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
            cache.get_cache_paths(models=all_model_names, require_model_meta=False, include_remote=True)
        )
        timings["list_paths"] = round(time.perf_counter() - t, 3)

        print(f"loading {n_paths} result files from {results_root} ...", file=sys.stderr, flush=True)
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

        entries = []
        errors = []
        for bench in benchmarks:
            t = time.perf_counter()
            try:
                entry = build_one(bench, all_results, out_dir)
            except Exception as exc:  # record mteb's own failures and go on
                entry = {
                    "name": bench.name,
                    "slug": slugify(bench.name),
                    "class_name": type(bench).__name__,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                    "timings_s": {"total": round(time.perf_counter() - t, 4)},
                }
                errors.append({"benchmark": bench.name, "error": entry["error"]})
            entries.append(entry)
            print(
                f"{entry['timings_s'].get('total', 0):8.2f}s  {bench.name}"
                + (f"  ERROR {entry['error']}" if "error" in entry else ""),
                file=sys.stderr,
                flush=True,
            )
        timings["per_benchmark_total"] = round(sum(e["timings_s"].get("total", 0.0) for e in entries), 3)
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
            "results_dir": str(results_root),
            "n_result_paths": n_paths,
            "n_model_results": n_model_results,
            "n_task_results": n_task_results,
            "n_registry_models": len(all_model_names),
            "max_rss_mb": _rss_mb(),
            "benchmarks_selected": [b.name for b in benchmarks],
            "sidebar_benchmarks": [b.name for b in menu_benchmarks],
            "slug_rule": "re.sub(r'[^a-z0-9]', '-', name.lower()).strip('-')",
            "csv_format": {
                "compression": "gzip",
                "header": "first row, mteb's column names and order",
                "floats": "repr() (shortest round-trip form)",
                "null": "empty field",
                "nan": "nan",
            },
            "score_scale": "0-1 (main_score as stored in the result files; the UI shows round(x*100, 2))",
            "reproducibility": [
                "mteb's own output is not bit-stable between runs: polars group_by/pivot order is "
                "random, so task/type/language column order varies and horizontal means differ in "
                "the last bits (|diff| <= ~5e-16 observed). Compare with a tolerance (1e-12) and key "
                "columns by name.",
                "Rows tied on the sort key (Rank (Borda) ties, per-language Borda ties, MIEB/ViDoRe "
                "positional ranks on equal means) come out in arbitrary order; rank values are stable.",
                "summary_<...>.is_empty=true means mteb returned its 'No results' sentinel (no file).",
            ],
            "mteb_calls": MTEB_CALLS,
            "timings_s": timings,
            "errors": errors,
            "benchmarks": entries,
            "file_sizes": sizes,
            "total_bytes": sum(sizes.values()),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {len(manifest['file_sizes'])} files ({manifest['total_bytes']:,d} bytes) + manifest.json "
        f"to {out_dir} in {timings['wall_total']:.1f}s; {len(manifest['errors'])} benchmark error(s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
