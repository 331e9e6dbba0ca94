"""`mteb-lb sql`: sources of SQL, formats, exit codes."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mteb_lb import settings, sql_cli


class FakeStdin(io.StringIO):
    def __init__(self, text: str = "", tty: bool = False):
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def cli(capsys, monkeypatch, *argv, stdin: str | None = None, tty: bool = True):
    """Run `mteb-lb sql ARGV`; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", FakeStdin(stdin or "", tty=stdin is None and tty))
    parser = argparse.ArgumentParser(prog="mteb-lb")
    sql_cli.register(parser.add_subparsers())
    args = parser.parse_args(["sql", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_table_format(sql_env, capsys, monkeypatch):
    code, out, err = cli(capsys, monkeypatch, "select model_name, main_score, languages "
                         "from scores where task_name = 'GermanQuAD-Retrieval' "
                         "order by main_score desc")
    assert code == 0, err
    assert out == (
        "model_name    | main_score | languages\n"
        "--------------+------------+-------------\n"
        "org/closed-de |        0.8 | [\"deu-Latn\"]\n"
        "org/big-de    |        0.7 | [\"deu-Latn\"]\n"
        "org/small-de  |        0.6 | [\"deu-Latn\"]\n"
        "(3 rows)\n")


def test_table_truncated_footer(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "select * from range(10)", "--max-rows", "2")
    assert code == 0
    assert out.splitlines()[-1] == "(2 rows, truncated)"
    assert out.splitlines()[2:4] == ["    0", "    1"]


def test_table_nulls_and_single_row(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "select null as a, 'x' as b")
    assert out == "a    | b\n-----+--\nNULL | x\n(1 row)\n"


def test_table_explain_prints_the_plan(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "explain select * from scores")
    assert code == 0
    assert "SEQ_SCAN" in out.upper().replace(" ", "_") and out.endswith("(1 row)\n")


def test_csv_to_stdout(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "select name, type from tasks order by name",
                       "--format", "csv")
    assert code == 0
    assert out == ('name,type\nBanking77Classification,Classification\n'
                   'GermanQuAD-Retrieval,Retrieval\nNFCorpus,Retrieval\n'
                   'XMarket,Retrieval\n')


def test_csv_is_not_capped_by_default(sql_env, capsys, monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "10")
    code, out, _ = cli(capsys, monkeypatch, "select * from range(50)", "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 51
    code, out, _ = cli(capsys, monkeypatch, "select * from range(50)", "--format", "csv",
                       "--max-rows", "3")
    assert len(out.splitlines()) == 4


def test_json_format(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "select metric, value from metrics "
                       "where metric in ('f1', 'recall_at_100') order by metric, value",
                       "--format", "json")
    assert code == 0
    assert json.loads(out, parse_constant=lambda c: pytest.fail(c)) == [
        {"metric": "f1", "value": None},
        {"metric": "recall_at_100", "value": 0.25},
        {"metric": "recall_at_100", "value": 0.28},
    ]


def test_parquet_to_file(sql_env, capsys, monkeypatch, tmp_path):
    path = tmp_path / "scores.parquet"
    code, out, err = cli(capsys, monkeypatch, "select * from scores", "--format", "parquet",
                         "--output", str(path))
    assert code == 0, err
    assert out == ""
    assert pq.read_table(path).num_rows == 10


def test_parquet_refuses_a_terminal(sql_env, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, _, err = cli(capsys, monkeypatch, "select 1", "--format", "parquet")
    assert code == 2 and "--output" in err


def test_table_to_output_file(sql_env, capsys, monkeypatch, tmp_path):
    path = tmp_path / "t.txt"
    code, out, _ = cli(capsys, monkeypatch, "select 1 as one", "--output", str(path))
    assert code == 0 and out == ""
    assert path.read_text() == "one\n---\n  1\n(1 row)\n"


def test_sql_from_file(sql_env, capsys, monkeypatch, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("-- count the tasks\nselect count(*) as n from tasks\n")
    code, out, _ = cli(capsys, monkeypatch, "--file", str(query), "--format", "csv")
    assert (code, out) == (0, 'n\n4\n')


def test_sql_from_stdin_dash(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "-", "--format", "csv",
                       stdin="select count(*) as n from files")
    assert (code, out) == (0, 'n\n10\n')


def test_sql_from_piped_stdin_without_argument(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "--format", "csv", stdin="select 7 as n")
    assert (code, out) == (0, 'n\n7\n')


def test_no_sql_on_a_terminal_is_a_usage_error(sql_env, capsys, monkeypatch):
    code, _, err = cli(capsys, monkeypatch, tty=True)
    assert code == 2 and "no query given" in err


def test_argument_and_file_together_is_a_usage_error(sql_env, capsys, monkeypatch, tmp_path):
    (tmp_path / "q.sql").write_text("select 1")
    code, _, err = cli(capsys, monkeypatch, "select 2", "--file", str(tmp_path / "q.sql"))
    assert code == 2 and "not both" in err


def test_rejected_query_exits_1(sql_env, capsys, monkeypatch):
    code, out, err = cli(capsys, monkeypatch, "drop table scores")
    assert code == 1 and out == ""
    assert "rejected error: DROP statements are not allowed" in err


def test_several_statements_exit_1(sql_env, capsys, monkeypatch):
    code, _, err = cli(capsys, monkeypatch, "select 1; select 2")
    assert code == 1
    assert "only one SELECT statement per request; found 2 statements" in err


def test_syntax_error_shows_position(sql_env, capsys, monkeypatch):
    code, _, err = cli(capsys, monkeypatch, "select * fro scores")
    assert code == 1
    assert 'syntax error at or near "scores"' in err
    assert "line 1, column 14" in err
    assert "LINE 1: select * fro scores\n                     ^^^^^^" in err


def test_timeout_exits_1(sql_env, capsys, monkeypatch):
    code, _, err = cli(capsys, monkeypatch, "select sleep_ms(5000)", "--time-limit-ms", "200")
    assert code == 1 and "timeout error: query exceeded the 0.2 s limit" in err


def test_failed_export_exits_1_and_writes_nothing(sql_env, capsys, monkeypatch, tmp_path):
    path = tmp_path / "x.csv"
    code, _, err = cli(capsys, monkeypatch, "select * from nope", "--format", "csv",
                       "--output", str(path))
    assert code == 1 and "nope does not exist" in err
    assert not path.exists()


def test_no_build_exits_2(no_build, capsys, monkeypatch):
    code, out, err = cli(capsys, monkeypatch, "select 1")
    assert code == 2 and out == ""
    assert "No published build" in err and "mteb-lb etl" in err
    code, _, err = cli(capsys, monkeypatch, "select 1", "--format", "csv")
    assert code == 2


def test_bad_limits_are_usage_errors(sql_env, capsys, monkeypatch):
    assert cli(capsys, monkeypatch, "select 1", "--max-rows", "-1")[0] == 2
    assert cli(capsys, monkeypatch, "select 1", "--time-limit-ms", "0")[0] == 2


def test_schema_listing(sql_env, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "--schema")
    assert code == 0
    assert "scores (table)\n  One row per result entry" in out
    assert "metrics (view)" in out
    assert "main_score" in out and "The task's main score, 0-1 scale." in out


def test_examples_listing(capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "--examples")
    assert code == 0
    # each example once, under its title line, examples separated by a blank line
    assert out.count("Which results were run with mteb < 1.12?") == 1
    assert "\n\n-- title: Which results were run with mteb < 1.12?\n" in out
    titles = [line for line in out.splitlines() if line.startswith("-- title:")]
    assert len(titles) == len(set(titles)) == len(list(
        (Path(__file__).parent.parent / "queries" / "examples").glob("*.sql")))


def test_registered_in_the_main_cli():
    from mteb_lb import cli as main_cli

    parser = main_cli.build_parser()
    args = parser.parse_args(["sql", "select 1", "--format", "csv"])
    assert args.func is sql_cli.main and args.format == "csv"


def _console(args, sql_warehouse_root, stdin=None, warehouse=None):
    env = dict(os.environ)
    env["MTEB_LB_WAREHOUSE"] = str(warehouse or sql_warehouse_root / "warehouse")
    return subprocess.run([sys.executable, "-m", "mteb_lb.cli", "sql", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60,
                          cwd=settings.PROJECT_ROOT)


def test_console_script_end_to_end(sql_warehouse, tmp_path):
    done = _console(["--format", "csv"], sql_warehouse, stdin="select count(*) as n from scores")
    assert (done.returncode, done.stdout) == (0, 'n\n10\n'), done.stderr
    done = _console(["copy scores to '/tmp/x.csv'"], sql_warehouse)
    assert done.returncode == 1 and "COPY statements are not allowed" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _console(["select 1"], sql_warehouse, warehouse=empty)
    assert done.returncode == 2 and "mteb-lb etl" in done.stderr
