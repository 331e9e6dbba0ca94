"""`mteb-lb <command>` imports the command modules only up to the one that registers the
command (mteb_lb/cli.py), the ETL commands' own module first: every command is still found,
with the same parser as when every module is loaded."""

from __future__ import annotations

import argparse
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


def test_every_command_of_the_full_parser():
    assert {"etl", "catalog", "refresh", "status", "backfill", "sql", "table", "serve",
            "flags"} <= set(_choices(ALL))


@pytest.mark.parametrize("command", sorted(_choices(ALL)))
def test_each_command_gets_the_parser_it_has_among_all(command):
    parser = cli.build_parser(command)
    assert _choices(parser)[command].format_help() == _choices(ALL)[command].format_help()


@pytest.mark.parametrize("command, module", sorted(cli.COMMAND_HINTS.items()))
def test_the_etl_commands_load_their_module_alone(command, module):
    siblings = {c for c, m in cli.COMMAND_HINTS.items() if m == module}
    assert siblings <= set(_choices(cli.build_parser(command)))
    script = (f"import sys; from mteb_lb import cli; cli.build_parser({command!r}); "
              "print(sorted(m for m in ('mteb_lb.table_cli', 'mteb_lb.sql_cli', 'app.cli', "
              "'duckdb', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"
