"""The table scenarios run on mteb 2.20.0's own leaderboard code (the peer of bench_tables.py).

Runs under an interpreter with mteb installed; prints one JSON object with timings in ms:

    .mteb-venv/bin/python bench/mteb_tables_peer.py --results DIR --benchmarks "MTEB(eng, v2)" ...

For each benchmark: load the results of its tasks (registry models, main scores) and build the
frame (`_to_results_df`), then per scenario filter the frame as the app's update_tables does and
build the summary, per-task and per-language tables (`Benchmark._create_*`). "cold" is the first
call, "warm" the median of the repeats.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for scenarios.py only, after mteb's own packages
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from scenarios import SCENARIOS, subset  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--benchmarks", action="append", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    t0 = time.perf_counter()
    import mteb
    import polars as pl
    from mteb.cache import ResultCache

    import_ms = (time.perf_counter() - t0) * 1000
    tmp = Path(tempfile.mkdtemp())
    (tmp / "remote").symlink_to(Path(args.results).resolve())
    cache = ResultCache(cache_path=tmp)
    registry = [m.name for m in mteb.get_model_metas() if m.name is not None]
    out = {"mteb_version": mteb.__version__, "import_ms": import_ms, "benchmarks": {}}
    for name in args.benchmarks:
        bench = mteb.get_benchmark(name)
        t = time.perf_counter()
        results = cache.load_results(models=registry, tasks=bench.tasks, only_main_score=True,
                                     require_model_meta=False, include_remote=True)
        load_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        frame = results._to_results_df(bench.tasks)
        frame_ms = (time.perf_counter() - t) * 1000
        tasks = sorted(task.metadata.name for task in bench.tasks)
        models = sorted(frame["model_name"].unique().to_list())
        languages = sorted({lang for task in bench.tasks for lang in (task.languages or [])})
        timings = {"load_ms": load_ms, "frame_ms": frame_ms}
        for scenario, _b, task_rule, model_rule, lang_rule in SCENARIOS:
            sel_tasks = subset(tasks, task_rule) or tasks
            sel_models = subset(models, model_rule) or models
            sel_langs = subset(languages, lang_rule)

            def build():
                mask = pl.col("model_name").is_in(sel_models) & pl.col("task_name").is_in(sel_tasks)
                if sel_langs is not None:
                    mask &= pl.col("language").list.eval(
                        pl.element().str.split("-").list.first().is_in(sel_langs)).list.any()
                filtered = frame.lazy().filter(mask).collect(engine="streaming")
                bench._create_summary_table(filtered)
                bench._create_per_task_table(filtered)
                if bench.language_view:
                    bench._create_per_language_table(filtered)

            runs = []
            for _ in range(args.repeat + 1):
                t = time.perf_counter()
                build()
                runs.append((time.perf_counter() - t) * 1000)
            timings[scenario] = {"cold_ms": runs[0], "warm_ms": statistics.median(runs[1:])}
        out["benchmarks"][name] = timings
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
