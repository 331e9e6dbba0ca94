"""`mteb-lb <command>` imports the command modules only up to the one that registers the
command (mteb_lb/cli.py), the ETL commands' own module first: every command is still found,
with the same parser as when every module is loaded."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mteb_lb import cli

ROOT = Path(__file__).resolve().parent.parent
ALL = cli.build_parser()


def _choices(parser: argparse.ArgumentParser) -> dict:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_every_command_of_the_full_parser_has_its_module():
    assert set(_choices(ALL)) == set(cli.COMMANDS)
    assert {"etl", "catalog", "refresh", "status", "backfill", "sql", "table", "serve",
            "flags"} <= set(cli.COMMANDS)


@pytest.mark.parametrize("command", sorted(_choices(ALL)))
def test_each_command_gets_the_parser_it_has_among_all(command):
    parser = cli.build_parser(command)
    assert _choices(parser)[command].format_help() == _choices(ALL)[command].format_help()


# the ETL's commands run before any table is read: they load neither DuckDB's nor Arrow's
# Python modules when there is nothing to build
LIGHT = {"etl", "catalog", "refresh", "status", "backfill"}


@pytest.mark.parametrize("command, module", sorted(cli.COMMANDS.items()))
def test_a_command_loads_its_module_alone(command, module):
    """The parser of one command imports no command module that its own module does not
    import (compare and robustness use the table's: mteb_lb.table_cli)."""
    siblings = {c for c, m in cli.COMMANDS.items() if m == module}
    assert siblings <= set(_choices(cli.build_parser(command)))
    watched = [*cli.COMMAND_MODULES, "duckdb", "pyarrow"]
    script = (f"import importlib, json, sys; from mteb_lb import cli; watched = {watched!r}; "
              f"importlib.import_module({module!r}); "
              "own = [m for m in watched if m in sys.modules]; "
              f"cli.build_parser({command!r}); "
              "print(json.dumps([own, [m for m in watched if m in sys.modules and m not in own]]))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    own, added = json.loads(out)
    assert added == [], added
    assert module in own
    if command in LIGHT:
        assert not {"duckdb", "pyarrow"} & set(own), own
