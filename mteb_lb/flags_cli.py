"""`mteb-lb flags`: the validity flags of the current build (docs/QUALITY.md), narrowed to a
rule, a model or a severity, through the one table writer (``mteb_lb.output``)."""

from __future__ import annotations

import sys

from mteb_lb import db, output, rankings, warehouse

SEVERITIES = {"error": 1, "warning": 2, "info": 3}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "flags", help="list the validity flags of the current build (suspicious scores)",
        description="Every validity flag of the current build (docs/QUALITY.md): rule, "
                    "severity, model, revision, task, split, subset, message with the offending "
                    "values and the file it comes from. Without options, all of them.")
    p.add_argument("--rule", help="only this rule (see --rules)")
    p.add_argument("--model", help="only this model (exact name, e.g. intfloat/e5-small)")
    p.add_argument("--severity", choices=tuple(SEVERITIES),
                   help="only flags at least this severe (error < warning < info)")
    p.add_argument("--rules", action="store_true",
                   help="list the rules (code, severity, explanation, evidence) instead")
    p.add_argument("--format", choices=output.FORMATS,
                   help="default: an aligned table on a terminal, CSV when piped or with "
                        "--output")
    p.add_argument("--output", help="write to this file instead of standard output")
    p.set_defaults(func=_flags)


def _close(name: str, known: list[str]) -> str:
    near = rankings.close_names(name, known)
    return f"; did you mean {', '.join(near)}?" if near else ""


def flags_table(cur, rule: str | None, model: str | None, severity: str | None):
    """(the flags as an Arrow table, or None and the problem with the arguments)."""
    rules = [r[0] for r in cur.execute("SELECT rule FROM quality_rules ORDER BY rule").fetchall()]
    if rule is not None and rule not in rules:
        return None, f"unknown rule {rule!r}{_close(rule, rules)} (rules: {', '.join(rules)})"
    if model is not None and not cur.execute(
            "SELECT count(*) FROM scores WHERE model_name = ?", [model]).fetchall()[0][0]:
        models = [r[0] for r in cur.execute(
            "SELECT DISTINCT model_name FROM scores").fetchall()]
        return None, f"no results for model {model!r}{_close(model, models)}"
    table = db.query_arrow(cur, "SELECT * FROM quality_flags($rule, $model, $level)", {
        "rule": rule, "model": model, "level": SEVERITIES.get(severity)})
    return table, None


def _flags(args) -> int:
    try:
        cur = db.CurrentBuild().cursor()
        if args.rules:
            table = cur.sql("SELECT rule, severity, scope, explanation, evidence "
                            "FROM quality_rules ORDER BY level, rule").to_arrow_table()
        else:
            table, problem = flags_table(cur, args.rule, args.model, args.severity)
            if problem:
                print(f"error: {problem}", file=sys.stderr)
                return 1
    except warehouse.DamagedBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return warehouse.EXIT_DAMAGED
    except warehouse.WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output.write_for_cli(table, args.format, args.output)
    return 0
