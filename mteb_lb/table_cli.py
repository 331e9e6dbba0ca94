"""`mteb-lb table`: print a leaderboard table, computed by the same functions as the dashboard."""

from __future__ import annotations

import csv
import io
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from mteb_lb import csvsafe, rankings, warehouse


def _csv_list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _tristate(text: str | None) -> bool | None:
    return None if text is None else text == "yes"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "table", help="print a leaderboard table (summary, per-task, per-language, tasks)",
        description="Tables equal to the official MTEB leaderboard's, from the current build. "
                    "Scores are unrounded, on the 0-100 scale. Lists are comma-separated.")
    p.add_argument("--benchmark", default="MTEB(Multilingual, v2)", help="benchmark name")
    p.add_argument("--view", default="summary", choices=rankings.VIEWS)
    p.add_argument("--format", default="csv", choices=("csv", "json", "parquet"))
    p.add_argument("--output", help="write to this file instead of standard output")
    g = p.add_argument_group("model filters")
    g.add_argument("--min-params-b", type=float, help="smallest total parameters, in billions")
    g.add_argument("--max-params-b", type=float, help="largest total parameters, in billions")
    g.add_argument("--keep-unknown-size", action="store_true",
                   help="keep models of unknown size when a size bound is set")
    g.add_argument("--open-weights", choices=("yes", "no"), help="only open / only proprietary")
    g.add_argument("--instructions", choices=("yes", "no"), help="instruction-tuned or not")
    g.add_argument("--sentence-transformers", action="store_true",
                   help="only sentence-transformers compatible models")
    g.add_argument("--model-types", help="e.g. dense,late-interaction")
    g.add_argument("--zero-shot", default="allow_all", choices=rankings.ZERO_SHOT_SETTINGS)
    g.add_argument("--all-models", action="store_true",
                   help="include models outside mteb's registry (hidden on the official board)")
    g = p.add_argument_group("benchmark customisation")
    g.add_argument("--task-types", help="e.g. Retrieval,STS")
    g.add_argument("--domains", help="e.g. Legal,Medical")
    g.add_argument("--modalities", help="e.g. text,image")
    g.add_argument("--languages", help="ISO 639-3 codes, e.g. eng,deu")
    g.add_argument("--tasks", help="task names")
    p.set_defaults(func=_table)


def filters_from_args(args) -> rankings.Filters:
    return rankings.Filters(
        min_params_b=args.min_params_b, max_params_b=args.max_params_b,
        keep_unknown_size=args.keep_unknown_size, open_weights=_tristate(args.open_weights),
        instructions=_tristate(args.instructions), sentence_transformers=args.sentence_transformers,
        model_types=_csv_list(args.model_types), zero_shot=args.zero_shot,
        task_types=_csv_list(args.task_types), domains=_csv_list(args.domains),
        modalities=_csv_list(args.modalities), languages=_csv_list(args.languages),
        tasks=_csv_list(args.tasks), all_models=args.all_models,
    )


def write_table(table: pa.Table, fmt: str, out) -> None:
    """CSV with full float precision (text cells a spreadsheet would run as formulas get a
    leading ', see mteb_lb.csvsafe), JSON records, or Parquet (binary `out`)."""
    if fmt == "parquet":
        pq.write_table(table, out)
        return
    if fmt == "json":
        out.write(json.dumps(table.to_pylist(), default=str, allow_nan=False) + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else csvsafe.cell(v)
                         for v in row.values()])


def _table(args) -> int:
    try:
        table = rankings.leaderboard().table(args.benchmark, args.view, filters_from_args(args))
    except rankings.RankingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except warehouse.DamagedBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return warehouse.EXIT_DAMAGED
    except warehouse.WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        mode = "wb" if args.format == "parquet" else "w"
        with open(args.output, mode, **({} if mode == "wb" else {"newline": ""})) as fh:
            write_table(table, args.format, fh)
    elif args.format == "parquet":
        buf = io.BytesIO()
        write_table(table, "parquet", buf)
        sys.stdout.buffer.write(buf.getvalue())
    else:
        write_table(table, args.format, sys.stdout)
    return 0
