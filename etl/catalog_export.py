"""Export the static catalog (tasks, benchmarks, menu, models) from an installed mteb.

This is a standalone script. It runs under *mteb's* interpreter (stdlib + mteb only) and is
never imported by the project at runtime; ``etl/catalog.py`` calls it via subprocess
(``mteb-lb catalog --python PATH``) and reads the files it writes:

    meta.json              mteb version, export time, python version, provenance notes
    tasks.json             one object per registered task (+ mteb's dummy "outdated" tasks)
    task_renames.json      {"old name": "new name"} applied when loading legacy result files
    similar_tasks.json     mteb's "similar tasks" graph {task: [similar tasks]} (zero-shot)
    benchmarks.json        one object per benchmark of mteb.get_benchmarks()
    benchmark_tasks.json   {benchmark: [[task, split, subset, [lang-script, ...]], ...]}
                           (written as benchmark_tasks.json.gz when larger than 5 MB)
    menu.json              the leaderboard menus (sidebar = GP + R entries; home entries)
    models.json            one object per mteb.get_model_metas() entry

Usage:
    /path/to/mteb-venv/bin/python etl/catalog_export.py [--out etl/catalog]

How mteb resolves a task name while loading a result file (the ETL reproduces this order;
mteb/results/task_result.py::TaskResult._convert_from_before_v1_11_0):

  1. ``outdated_tasks`` (task_result.py): removed tasks (ScalaDa/Nb/Nn/SvClassification) are
     loaded through dummy task classes. They are in tasks.json with ``is_outdated: true``.
  2. ``renamed_tasks`` (task_result.py): legacy name -> current name (task_renames.json).
  3. ``_TASKS_REGISTRY[name]`` (exact match).
  4. case-insensitive match: ``{k.lower(): v for k in _TASKS_REGISTRY}[name.lower()]``
     (e.g. DiaBLaBitextMining -> DiaBlaBitextMining). mteb evaluates this lookup eagerly
     (it is the default argument of ``dict.get``), so a name that matches nothing raises
     KeyError and the file fails to load.

  This resolution only runs for legacy files (no "scores" key, mteb_version < 1.11.0 or
  absent). Current-format files keep their ``task_name`` verbatim; a name that is not in
  the registry (e.g. SynPerChatbotToneClassification) simply never matches a benchmark task.
  ``mteb.get_tasks._TASK_RENAMES`` is only consulted by ``mteb.get_task()``; in mteb 2.20.0
  that function warns about the rename but then looks up the *old* name and raises
  KeyError, i.e. the rename is never actually applied. It is exported for completeness and
  flagged in meta.json (``task_renames_sources``).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

# Running ``python etl/catalog_export.py`` puts etl/ first on sys.path; drop it so project
# modules can never shadow stdlib or mteb dependencies.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
# mteb builds some metadata from sets (e.g. an aggregate task's languages and domains), so
# their order depends on string hashing. Re-exec with a fixed hash seed: the snapshot is then
# byte-identical between runs of the same mteb version.
if os.environ.get("PYTHONHASHSEED") != "0" and __name__ == "__main__":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import enum  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Mapping  # noqa: E402

GZIP_THRESHOLD_BYTES = 5 * 1024 * 1024

# Benchmark class name -> "kind". Every Benchmark subclass defined in mteb 2.20.0
# (mteb/benchmarks/benchmark.py). An unknown subclass is exported under its lowercased
# class name and reported on stderr, so a new kind never goes unnoticed.
BENCHMARK_KINDS = {
    "Benchmark": "default",
    "RtebBenchmark": "rteb",
    "MIEBBenchmark": "mieb",
    "HUMEBenchmark": "hume",
    "VidoreBenchmark": "vidore",
}

# mteb.benchmarks._create_table._static_model_meta() column -> models.json field. These are the
# exact values the summary table shows (params in B rounded to 3 decimals, max embed_dim of a
# Matryoshka list, int(max_tokens) with inf -> null, str(release_date)).
_LB_META_KEYS = {
    "Total Parameters (B)": "lb_total_params_b",
    "Active Parameters (B)": "lb_active_params_b",
    "Embedding Dimensions": "lb_embed_dim",
    "Max Tokens": "lb_max_tokens",
    "Release Date": "lb_release_date",
}


# --------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------


def plain(value):
    """Convert a value to plain JSON types: sets -> sorted lists, enums -> values,
    NaN/inf -> None, tuples -> lists, dates -> ISO strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return plain(value.item())
    return str(value)


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def render_list(rows: list) -> str:
    """A JSON list with one element per line."""
    if not rows:
        return "[]\n"
    return "[\n" + ",\n".join(_dumps(r) for r in rows) + "\n]\n"


def render_map(mapping: Mapping) -> str:
    """A JSON object with one (sorted) key per line."""
    if not mapping:
        return "{}\n"
    lines = [f"{_dumps(str(k))}: {_dumps(mapping[k])}" for k in sorted(mapping)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def render_map_of_lists(mapping: Mapping) -> str:
    """{key: [row, ...]} with one row per line (keys sorted, row order kept)."""
    if not mapping:
        return "{}\n"
    parts = []
    for k in sorted(mapping):
        rows = mapping[k]
        if rows:
            body = "[\n" + ",\n".join(_dumps(r) for r in rows) + "\n]"
        else:
            body = "[]"
        parts.append(f"{_dumps(str(k))}: {body}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def render_pretty(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def write_text(out: Path, name: str, text: str, *, gzip_over: int | None = None) -> Path:
    data = text.encode("utf-8")
    json.loads(text)  # fail loudly on invalid JSON
    target = out / name
    gz_target = out / (name + ".gz")
    if gzip_over is not None and len(data) > gzip_over:
        if target.exists():
            target.unlink()
        # mtime=0 keeps the gzip bytes reproducible between runs.
        with gzip.GzipFile(gz_target, "wb", compresslevel=9, mtime=0) as fh:
            fh.write(data)
        return gz_target
    if gz_target.exists():
        gz_target.unlink()
    target.write_bytes(data)
    return target


# --------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------


def _task_row(cls, *, is_outdated: bool) -> dict:
    # deferred: mteb is installed only where the catalog is exported
    from mteb.abstasks.aggregated_task import AbsTaskAggregate

    m = cls.metadata
    is_aggregate = isinstance(cls, type) and issubclass(cls, AbsTaskAggregate)
    aggregated = None
    if is_aggregate:
        aggregated = [t.metadata.name for t in getattr(m, "tasks", [])]
    return plain(
        {
            "name": m.name,
            "type": m.type,
            "category": m.category,
            "modalities": list(m.modalities or []),
            "eval_splits": list(m.eval_splits or []),
            "main_score": m.main_score,
            "hf_subsets": list(m.hf_subsets),
            "hf_subsets_to_langscripts": {
                k: list(v) for k, v in m.hf_subsets_to_langscripts.items()
            },
            "languages": list(m.languages),
            "domains": list(m.domains) if m.domains is not None else None,
            "task_subtypes": list(m.task_subtypes) if m.task_subtypes is not None else None,
            "license": m.license,
            "reference": m.reference,
            "description": m.description,
            "is_public": bool(m.is_public),
            "is_beta": bool(m.is_beta),
            "superseded_by": m.superseded_by,
            "adapted_from": list(m.adapted_from or []),
            "dataset_revision": m.revision,
            "is_aggregate": bool(is_aggregate),
            "aggregated_tasks": aggregated,
            "is_outdated": is_outdated,
        }
    )


def export_tasks() -> list[dict]:
    # deferred: mteb is installed only where the catalog is exported
    from mteb.get_tasks import __dict__ as get_tasks_ns
    from mteb.results.task_result import outdated_tasks

    registry = get_tasks_ns["_TASKS_REGISTRY"]
    rows = [_task_row(cls, is_outdated=False) for cls in registry.values()]
    for name, cls in outdated_tasks.items():
        if name in registry:  # never happens in 2.20.0; the registry wins if it does
            continue
        rows.append(_task_row(cls, is_outdated=True))
    rows.sort(key=lambda r: r["name"])
    return rows


def export_task_renames() -> tuple[dict[str, str], dict[str, list[str]]]:
    # deferred: mteb is installed only where the catalog is exported
    from mteb.get_tasks import __dict__ as get_tasks_ns
    from mteb.results.task_result import renamed_tasks

    renames: dict[str, str] = {}
    sources: dict[str, list[str]] = {}
    tables = [
        ("mteb.results.task_result.renamed_tasks", dict(renamed_tasks)),
        ("mteb.get_tasks._TASK_RENAMES", dict(get_tasks_ns.get("_TASK_RENAMES", {}))),
    ]
    for source, table in tables:
        for old, new in table.items():
            if old in renames and renames[old] != new:
                print(f"warning: conflicting rename for {old!r}: {renames[old]!r} vs {new!r}",
                      file=sys.stderr)
                continue
            renames.setdefault(old, new)
            sources.setdefault(source, []).append(old)
    return renames, {k: sorted(v) for k, v in sources.items()}


def export_similar_tasks() -> dict[str, list[str]]:
    # mteb.get_tasks._SIMILAR_TASKS: {parent: [children]} built by _create_similar_tasks from
    # every task's metadata.adapted_from (parent = the source dataset) and superseded_by
    # (parent = the newer task). mteb.models.model_meta._collect_similar_tasks walks it in
    # BOTH directions (children of a key, and keys whose children contain the name)
    # transitively, so ModelMeta.get_training_datasets() = declared training_datasets
    # (+ adapted_from model's) plus their whole connected components in this graph.
    from mteb.get_tasks import __dict__ as get_tasks_ns

    similar = get_tasks_ns["_SIMILAR_TASKS"]
    return {k: list(v) for k, v in similar.items()}


def _benchmark_kind(bench) -> str:
    cls_name = type(bench).__name__
    kind = BENCHMARK_KINDS.get(cls_name)
    if kind is None:
        kind = cls_name.lower()
        print(f"warning: unknown benchmark class {cls_name} for {bench.name!r}", file=sys.stderr)
    return kind


def export_benchmarks(sidebar_names: list[str]) -> tuple[list[dict], dict[str, list]]:

    # deferred: mteb is installed only where the catalog is exported
    import mteb
    from mteb.benchmarks._create_table import _summary_metadata

    rows = []
    triples: dict[str, list] = {}
    sidebar = set(sidebar_names)
    for bench in mteb.get_benchmarks():
        aggregations = [plain(a) for a in bench.aggregations]
        meta = _summary_metadata(bench.aggregations)
        fields = {
            f.name: getattr(bench, f.name) for f in dataclasses.fields(bench) if f.name != "tasks"
        }
        language_view = bench.language_view
        row = {
            **fields,
            "name": bench.name,
            "display_name": bench.display_name,
            "label": bench.display_name if bench.display_name is not None else bench.name,
            "kind": _benchmark_kind(bench),
            "class_name": type(bench).__name__,
            "aggregations": aggregations,
            "summary_sort_column": bench.summary_sort_column,
            "summary_rank_column": bench.summary_rank_column,
            # What _finalize_summary derives from the aggregations (column pointers):
            "summary_mean_columns": list(meta.mean_cols),
            "summary_primary_metric_column": meta.primary_metric_col,
            "summary_default_sort": meta.default_sort,
            "summary_rank_column_effective": (
                (bench.summary_rank_column or "Rank")
                if bench.summary_sort_column is not None
                else "Rank (Borda)"
            ),
            "show_zero_shot": bool(bench.show_zero_shot),
            # The app shows the zero-shot filter for every class except RtebBenchmark
            # (leaderboard/app.py::_should_show_zero_shot_filter).
            "show_zero_shot_filter": type(bench).__name__ != "RtebBenchmark",
            # RtebBenchmark._create_summary_table drops is_public=False rows first.
            "summary_public_only": type(bench).__name__ == "RtebBenchmark",
            "language_view": language_view if language_view == "all" else list(language_view or []),
            "has_language_view": language_view == "all" or len(language_view) > 0,
            # display_on_leaderboard is membership in HOME_BENCHMARK_ENTRIES (the new home page),
            # NOT in the Gradio sidebar (GP + R entries): see on_sidebar.
            "display_on_leaderboard": bool(bench.display_on_leaderboard),
            "on_sidebar": bench.name in sidebar,
            "task_names": [t.metadata.name for t in bench.tasks],
            "n_tasks": len(bench.tasks),
        }
        rows.append(plain(row))
        bench_rows = []
        for task in bench.tasks:
            langmap = task.metadata.hf_subsets_to_langscripts
            # Same cross as mteb.results.benchmark_results._build_valid_triples: the task
            # *instance* eval_splits x hf_subsets (benchmarks narrow both).
            for split in list(task.eval_splits or []):
                for subset in list(task.hf_subsets or []):
                    bench_rows.append(
                        [task.metadata.name, split, subset, list(langmap.get(subset, []))]
                    )
        triples[bench.name] = plain(bench_rows)
    rows.sort(key=lambda r: r["name"])
    return rows, triples


def _menu_node(entry, level: int):
    # deferred: mteb is installed only where the catalog is exported
    from mteb.benchmarks.benchmark import Benchmark

    if isinstance(entry, Benchmark):
        return {
            "type": "benchmark",
            "name": entry.name,
            "label": entry.display_name if entry.display_name is not None else entry.name,
            "icon": entry.icon,
            "level": level,
            # benchmark_selector.py::_render_benchmark_item: "md" directly under a top-level
            # entry, "sm" inside nested accordions.
            "button_size": "md" if level == 1 else "sm",
        }
    return {
        "type": "menu",
        "name": entry.name,
        "description": entry.description,
        "open": bool(entry.open),
        "size": entry.size,
        "level": level,
        "items": [_menu_node(child, level + 1) for child in entry.benchmarks],
    }


def _menu_benchmark_names(nodes) -> list[str]:
    names: list[str] = []
    for node in nodes:
        if node["type"] == "benchmark":
            names.append(node["name"])
        else:
            names.extend(_menu_benchmark_names(node["items"]))
    return names


def build_menu() -> dict:
    """Sidebar = GP_BENCHMARK_ENTRIES + R_BENCHMARK_ENTRIES, rendered in this order by
    mteb/leaderboard/benchmark_selector.py::_make_selector (top level: a markdown header +
    description; nested levels: accordions with their ``open`` flag; buttons labelled with
    display_name or name; size "md" for benchmarks directly under a top-level entry, "sm"
    deeper). ``home`` = HOME_BENCHMARK_ENTRIES (drives Benchmark.display_on_leaderboard)."""
    # deferred: mteb is installed only where the catalog is exported
    from mteb.benchmarks import _leaderboard_menu as menu_mod
    from mteb.benchmarks.benchmarks import MTEB_multilingual_v2

    sidebar = [
        _menu_node(e, 0) for e in [*menu_mod.GP_BENCHMARK_ENTRIES, *menu_mod.R_BENCHMARK_ENTRIES]
    ]
    home = [_menu_node(e, 0) for e in menu_mod.HOME_BENCHMARK_ENTRIES]
    sidebar_names = _menu_benchmark_names(sidebar)
    return {
        # leaderboard/benchmark_selector.py: DEFAULT_BENCHMARK_NAME = MTEB_multilingual_v2.name
        "default_benchmark": MTEB_multilingual_v2.name,
        "sidebar": sidebar,
        "sidebar_benchmarks": sorted(set(sidebar_names)),
        "home": home,
        "home_benchmarks": sorted(set(_menu_benchmark_names(home))),
    }


def export_models() -> list[dict]:
    # deferred: mteb is installed only where the catalog is exported
    import mteb
    from mteb.benchmarks._create_table import _static_model_meta

    lb_meta = _static_model_meta()  # exactly what the summary table joins on
    rows = []
    for m in mteb.get_model_metas():
        if m.name is None:
            continue
        lb = lb_meta.get(m.name, {})
        try:
            closure = m.get_training_datasets()
        except Exception as exc:  # pragma: no cover - defensive
            print(f"warning: get_training_datasets failed for {m.name}: {exc}", file=sys.stderr)
            closure = None
        max_tokens = m.max_tokens
        if isinstance(max_tokens, float) and not math.isfinite(max_tokens):
            max_tokens = None
        embed_dim = m.embed_dim
        if isinstance(embed_dim, (list, tuple)):
            embed_dim = list(embed_dim)
        row = {
            "name": m.name,
            "revision": m.revision,
            "folder": m.model_name_as_path(),
            "release_date": m.release_date,
            "n_parameters": m.n_parameters,
            "n_active_parameters": m.n_active_parameters,
            "n_active_parameters_override": m.n_active_parameters_override,
            "n_embedding_parameters": m.n_embedding_parameters,
            "memory_usage_mb": m.memory_usage_mb,
            "embed_dim": embed_dim,
            "max_tokens": max_tokens,
            "license": m.license,
            "open_weights": m.open_weights,
            "framework": list(m.framework or []),
            "modalities": list(m.modalities or []),
            "model_type": list(m.model_type or []),
            "use_instructions": m.use_instructions,
            "reference": m.reference,
            "similarity_fn_name": m.similarity_fn_name,
            "is_cross_encoder": bool(m.is_cross_encoder),
            "adapted_from": m.adapted_from,
            "superseded_by": m.superseded_by,
            "public_training_code": m.public_training_code,
            "public_training_data": m.public_training_data,
            "languages": list(m.languages) if m.languages is not None else None,
            "training_datasets": (
                sorted(m.training_datasets) if m.training_datasets is not None else None
            ),
            "training_datasets_closure": sorted(closure) if closure is not None else None,
            "in_lb_registry": m.name in lb_meta,
        }
        for src, dst in _LB_META_KEYS.items():
            row[dst] = lb.get(src)
        rows.append(plain(row))
    rows.sort(key=lambda r: r["name"])
    return rows


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)
    for name in ("mteb", "datasets", "huggingface_hub", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(_HERE / "catalog"),
                        help="output folder (default: etl/catalog)")
    args = parser.parse_args(argv)

    _quiet()
    t0 = time.perf_counter()
    try:
        # deferred: mteb is installed only where the catalog is exported
        import mteb
    except ImportError as exc:  # the caller (etl/catalog.py) turns this into a clear message
        print(f"error: mteb is not importable with {sys.executable}: {exc}", file=sys.stderr)
        return 3
    # deferred: mteb is installed only where the catalog is exported
    from mteb.get_tasks import __dict__ as get_tasks_ns
    from mteb.models.get_model_meta import __dict__ as get_model_meta_ns

    t_import = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    timings = {"import_mteb_s": round(t_import, 3)}
    written: list[Path] = []

    t = time.perf_counter()
    tasks = export_tasks()
    written.append(write_text(out, "tasks.json", render_list(tasks)))
    timings["tasks_s"] = round(time.perf_counter() - t, 3)

    renames, rename_sources = export_task_renames()
    written.append(write_text(out, "task_renames.json", render_map(renames)))
    written.append(write_text(out, "similar_tasks.json", render_map(export_similar_tasks())))

    t = time.perf_counter()
    menu = build_menu()
    written.append(write_text(out, "menu.json", render_pretty(menu)))
    benchmarks, triples = export_benchmarks(menu["sidebar_benchmarks"])
    written.append(write_text(out, "benchmarks.json", render_list(benchmarks)))
    written.append(
        write_text(out, "benchmark_tasks.json", render_map_of_lists(triples),
                   gzip_over=GZIP_THRESHOLD_BYTES)
    )
    timings["benchmarks_s"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    models = export_models()
    written.append(write_text(out, "models.json", render_list(models)))
    timings["models_s"] = round(time.perf_counter() - t, 3)

    meta = {
        "mteb_version": mteb.__version__,
        "exported_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "counts": {
            "tasks": len(tasks),
            "tasks_registry": len(get_tasks_ns["_TASKS_REGISTRY"]),
            "tasks_outdated": sum(1 for r in tasks if r["is_outdated"]),
            "benchmarks": len(benchmarks),
            "benchmark_triples": sum(len(v) for v in triples.values()),
            "models": len(models),
        },
        "benchmark_kinds": BENCHMARK_KINDS,
        "task_renames_sources": rename_sources,
        "task_renames_note": (
            "mteb.get_tasks._TASK_RENAMES is never applied in mteb 2.20.0 (get_task warns, then "
            "looks up the old name and raises KeyError); renamed_tasks is applied to legacy files."
        ),
        "task_name_resolution": [
            "outdated_tasks", "renamed_tasks", "registry", "registry_case_insensitive"
        ],
        # get_model_meta() maps these names before the registry lookup (used when resolving
        # ModelMeta.adapted_from inside get_training_datasets and by
        # get_model_metas(model_names=...)).
        "model_renames": dict(get_model_meta_ns.get("_MODEL_RENAMES", {})),
        "timings": timings,
    }
    written.insert(0, write_text(out, "meta.json", render_pretty(plain(meta))))

    total = 0
    for path in written:
        size = path.stat().st_size
        total += size
        print(f"{size:>12,d}  {path}")
    print(f"{total:>12,d}  total ({time.perf_counter() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
