"""`mteb-lb`: one console script, one subcommand per job.

Each subcommand lives in the module that owns the job and exposes ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (module, what it adds); modules are imported when the parser is built, and none does I/O on
# import.
COMMAND_MODULES = (
    "etl.cli",            # etl, catalog
    "mteb_lb.sql_cli",    # sql
    "mteb_lb.table_cli",  # table
    "mteb_lb.compare_cli",  # compare
    "mteb_lb.robustness_cli",  # robustness
    "app.cli",            # serve
    "mteb_lb.misc_cli",   # settings, builds
    "etl.refresh_cli",    # refresh, status
    "etl.backfill_cli",   # backfill
    "mteb_lb.flags_cli",  # flags
)

# Commands whose module is known, so that running one imports that module alone (`mteb-lb
# refresh` with nothing to do then starts in a fraction of a second); any other command is
# looked for in COMMAND_MODULES' order. tests/test_cli_lazy.py checks these.
COMMAND_HINTS = {"etl": "etl.cli", "catalog": "etl.cli", "refresh": "etl.refresh_cli",
                 "status": "etl.refresh_cli", "backfill": "etl.backfill_cli"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; with `command`, the modules are imported in order only
    until one registers it (`mteb-lb etl` does not import the table and app modules)."""
    parser = argparse.ArgumentParser(
        prog="mteb-lb",
        description="The MTEB leaderboard as a warehouse: ETL, rankings, SQL and a dashboard.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = COMMAND_MODULES
    if command in COMMAND_HINTS:
        modules = (COMMAND_HINTS[command],
                   *(name for name in COMMAND_MODULES if name != COMMAND_HINTS[command]))
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command not built yet
                continue
            raise
        module.register(subparsers)
        if command is not None and command in subparsers.choices:
            break
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mteb-lb table | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
