"""`mteb-lb`: one console script, one subcommand per job.

Each subcommand lives in the module that owns the job and exposes ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# The module that registers each command: running one imports that module alone (`mteb-lb
# refresh` with nothing to do starts in a fraction of a second, `mteb-lb table` loads no SQL
# console nor ETL code); `mteb-lb --help` and an unknown command import them all, in this
# order. None does I/O on import. tests/test_cli_lazy.py checks the map against the modules.
COMMANDS = {
    "etl": "etl.cli", "catalog": "etl.cli",
    "sql": "mteb_lb.sql_cli",
    "table": "mteb_lb.table_cli",
    "compare": "mteb_lb.compare_cli",
    "robustness": "mteb_lb.robustness_cli",
    "serve": "app.cli",
    "settings": "mteb_lb.misc_cli", "builds": "mteb_lb.misc_cli",
    "refresh": "etl.refresh_cli", "status": "etl.refresh_cli",
    "backfill": "etl.backfill_cli",
    "flags": "mteb_lb.flags_cli",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; with `command`, the modules are imported in order only
    until one registers it (`mteb-lb etl` does not import the table and app modules)."""
    parser = argparse.ArgumentParser(
        prog="mteb-lb",
        description="The MTEB leaderboard as a warehouse: ETL, rankings, SQL and a dashboard.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = COMMAND_MODULES
    if command in COMMANDS:
        modules = (COMMANDS[command], *(name for name in modules if name != COMMANDS[command]))
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
