"""`mteb-lb table`, `mteb-lb settings` and `mteb-lb builds`, against the app fixture warehouse.

Every expected row is derived by hand from `warehouses.py` (MODELS, TASK_OFFSET): a model's
score on a task is its base score + the task's offset (TinyRetrieval +0, TinyRetrieval2 +.02,
TinySTS +.04, TinyClassification +.06, TinyClustering +.08, TinyPairClassification +.10), with
org-a/big-open .10 lower on TinyClustering, org-c/partial missing TinyClustering and
TinyPairClassification, and TinySTS the mean of its en (the value) and de (value - .05) subsets:

    model                 base  Ret   Ret2  STS    Cls   Clu   PC
    org-a/big-open        .80   .80   .82   .815   .86   .78   .90
    org-b/proprietary-api .75   .75   .77   .765   .81   .83   .85
    org-b/cross           .70   .70   .72   .715   .76   .78   .80
    org-c/partial         .65   .65   .67   .665   .71   -     -
    org-a/small-open      .60   .60   .62   .615   .66   .68   .70
    org-c/sparse-one      .55   .55   .57   .565   .61   .63   .65
    org-x/unregistered    .90   .90   .90   .875   .90   .90   .90   (outside the registry)

Borda (as mteb): per task, n - rank points (n = models in the table, ties averaged, a missing
task 0), final rank the "min" rank of the points; ties listed by name.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mteb_lb import cli

PROJECT = Path(__file__).resolve().parent.parent
TINY = "Tiny(v1)"
BIG, PROP, CROSS, PARTIAL, SMALL, SPARSE = (
    "org-a/big-open", "org-b/proprietary-api", "org-b/cross", "org-c/partial",
    "org-a/small-open", "org-c/sparse-one")
UNREG = "org-x/unregistered"
# per-task scores x100 (the table above)
SCORES = {
    BIG: [80.0, 82.0, 81.5, 86.0, 78.0, 90.0],
    PROP: [75.0, 77.0, 76.5, 81.0, 83.0, 85.0],
    CROSS: [70.0, 72.0, 71.5, 76.0, 78.0, 80.0],
    PARTIAL: [65.0, 67.0, 66.5, 71.0, None, None],
    SMALL: [60.0, 62.0, 61.5, 66.0, 68.0, 70.0],
    SPARSE: [55.0, 57.0, 56.5, 61.0, 63.0, 65.0],
}
TASK_COLUMNS = ["TinyRetrieval", "TinyRetrieval2", "TinySTS", "TinyClassification",
                "TinyClustering", "TinyPairClassification"]


def table(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["table", *args])
    out, err = capsys.readouterr()
    return code, out, err


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def ranked(text: str) -> list[tuple[str, int]]:
    return [(r["Model"], int(r["Rank (Borda)"])) for r in csv_rows(text)]


# --------------------------------------------------------------------------------------------
# table: views and formats
# --------------------------------------------------------------------------------------------

def test_summary_csv_default_state(env, capsys):
    code, out, err = table(capsys, "--benchmark", TINY)
    assert (code, err) == (0, "")
    rows = csv_rows(out)
    assert list(rows[0]) == [
        "Rank (Borda)", "Model", "Rank (95% interval)", "Rank low (95%)", "Rank high (95%)",
        "Median rank", "P(rank 1)", "Tied with leader",   # README "Rank intervals and robustness"
        "Zero-shot", "Active Parameters (B)", "Total Parameters (B)",
        "Embedding Dimensions", "Max Tokens", "Mean (Task)", "Mean (TaskType)", "Classification",
        "Clustering", "PairClassification", "Retrieval", "STS", "Release Date"]
    # Borda, n = 6. Ret, Ret2, STS, Cls: big 5, prop 4, cross 3, partial 2, small 1, sparse 0
    # (x4: 20, 16, 12, 8, 4, 0). Clu: prop .83 r1 = 5, big/cross .78 r2.5 = 3.5, small 2,
    # sparse 1, partial 0. PC: big 5, prop 4, cross 3, small 2, sparse 1, partial 0.
    # Totals: big 28.5, prop 25, cross 18.5, partial 8, small 8, sparse 2 -> 1, 2, 3, 4, 4, 6.
    assert ranked(out) == [(BIG, 1), (PROP, 2), (CROSS, 3), (SMALL, 4), (PARTIAL, 4),
                           (SPARSE, 6)]
    by_model = {r["Model"]: r for r in rows}
    big = by_model[BIG]
    # Mean (Task) = (80 + 82 + 81.5 + 86 + 78 + 90) / 6; Retrieval (80 + 82) / 2; Mean
    # (TaskType) = mean of Cls 86, Clu 78, PC 90, Ret 81, STS 81.5 = 83.3
    assert float(big["Mean (Task)"]) == pytest.approx(497.5 / 6, abs=1e-9)
    assert float(big["Mean (TaskType)"]) == pytest.approx(83.3, abs=1e-9)
    assert [float(big[c]) for c in ("Classification", "Clustering", "PairClassification",
                                    "Retrieval", "STS")] == pytest.approx([86, 78, 90, 81, 81.5])
    assert (big["Zero-shot"], big["Total Parameters (B)"], big["Embedding Dimensions"],
            big["Max Tokens"], big["Release Date"]) == ("100", "7.0", "4096", "32768",
                                                       "2025-06-01")
    # partial misses two tasks: no means, no Clustering / PairClassification
    partial = by_model[PARTIAL]
    assert (partial["Mean (Task)"], partial["Mean (TaskType)"], partial["Clustering"],
            partial["PairClassification"]) == ("", "", "", "")
    # training data: unknown for the API model (-1); small-open trained on 1 of 6 tasks: 83 %
    assert (by_model[PROP]["Zero-shot"], by_model[SMALL]["Zero-shot"]) == ("-1", "83")
    assert by_model[PROP]["Total Parameters (B)"] == ""     # unknown size: empty cell


def test_per_task_json(env, capsys):
    code, out, _ = table(capsys, "--benchmark", TINY, "--view", "per-task", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    # ordered as the summary (its Borda ranks)
    assert [r["Model"] for r in rows] == [BIG, PROP, CROSS, SMALL, PARTIAL, SPARSE]
    for r in rows:
        assert list(r) == ["Rank (Borda)", "Model", *TASK_COLUMNS]   # the dashboard's view
        expected = SCORES[r["Model"]]
        assert [r[c] is None for c in TASK_COLUMNS] == [v is None for v in expected]
        assert [r[c] for c in TASK_COLUMNS if r[c] is not None] == pytest.approx(
            [v for v in expected if v is not None], abs=1e-9)


def test_per_language_parquet_to_a_file(env, capsys, tmp_path):
    out_file = tmp_path / "langs.parquet"
    code, out, _ = table(capsys, "--benchmark", TINY, "--view", "per-language",
                         "--format", "parquet", "--output", str(out_file))
    assert (code, out) == (0, "")
    rows = pq.read_table(out_file).to_pylist()
    # deu-Latn: TinySTS de only (value - .05); eng-Latn: the mean of every task's eng subset
    # (TinySTS en = value). Ordered by the Borda rank over the two languages: big, prop, cross,
    # partial (eng .68 = (.65 + .67 + .69 + .71) / 4 > small .65), small, sparse.
    expected = [(BIG, 79.0, 500 / 6), (PROP, 74.0, 80.0), (CROSS, 69.0, 75.0),
                (PARTIAL, 64.0, 68.0), (SMALL, 59.0, 65.0), (SPARSE, 54.0, 60.0)]
    assert [r["Model"] for r in rows] == [m for m, _, _ in expected]
    for r, (_m, deu, eng) in zip(rows, expected):
        assert list(r) == ["Model", "deu-Latn", "eng-Latn"]
        assert (r["deu-Latn"], r["eng-Latn"]) == (pytest.approx(deu), pytest.approx(eng))


def test_parquet_to_stdout_and_csv_to_a_file(env, tmp_path):
    done = subprocess.run([sys.executable, "-m", "mteb_lb.cli", "table", "--benchmark", TINY,
                           "--view", "tasks", "--format", "parquet"],
                          cwd=PROJECT, capture_output=True, timeout=120, check=True)
    assert done.stdout[:4] == b"PAR1"
    tasks = pq.read_table(io.BytesIO(done.stdout)).to_pylist()
    assert [(t["Task Name"], t["Task Type"], t["Languages"], t["Domains"], t["Metric"])
            for t in tasks] == [
        ("TinyRetrieval", "Retrieval", "eng", "Web", "ndcg_at_10"),
        ("TinyRetrieval2", "Retrieval", "eng", "Medical", "ndcg_at_10"),
        ("TinySTS", "STS", "deu, eng", "", "cosine_spearman"),
        ("TinyClassification", "Classification", "eng", "Reviews", "accuracy"),
        ("TinyClustering", "Clustering", "eng", "", "v_measure"),
        ("TinyPairClassification", "PairClassification", "eng", "", "max_ap")]
    path = tmp_path / "summary.csv"
    assert cli.main(["table", "--benchmark", TINY, "--output", str(path)]) == 0
    assert ranked(path.read_text()) == [(BIG, 1), (PROP, 2), (CROSS, 3), (SMALL, 4),
                                        (PARTIAL, 4), (SPARSE, 6)]


# --------------------------------------------------------------------------------------------
# table: every filter flag
# --------------------------------------------------------------------------------------------

FILTER_CASES = {
    # sizes (B): big 7, cross .3, partial .5, small .1, sparse .05, prop unknown.
    # cross and partial; Borda n = 2: cross wins Ret..Cls (4) and alone on Clu, PC (2): 6 vs 0
    "size": (["--min-params-b", "0.2", "--max-params-b", "1.0"], [(CROSS, 1), (PARTIAL, 2)]),
    # + prop (unknown size); n = 3: prop 2 x 6 = 12, cross 1 x 6 = 6, partial 0
    "size+unknown": (["--min-params-b", "0.2", "--max-params-b", "1.0", "--keep-unknown-size"],
                     [(PROP, 1), (CROSS, 2), (PARTIAL, 3)]),
    # all but prop; n = 5. Ret..Cls: big 4, cross 3, partial 2, small 1, sparse 0 (x4);
    # Clu: big/cross 3.5, small 2, sparse 1; PC: big 4, cross 3, small 2, sparse 1.
    # big 23.5, cross 18.5, partial 8, small 8, sparse 2
    "open": (["--open-weights", "yes"],
             [(BIG, 1), (CROSS, 2), (SMALL, 3), (PARTIAL, 3), (SPARSE, 5)]),
    "proprietary": (["--open-weights", "no"], [(PROP, 1)]),
    # big and prop; n = 2: prop wins only Clu: big 5, prop 1
    "instructions": (["--instructions", "yes"], [(BIG, 1), (PROP, 2)]),
    # use_instructions false: cross, partial, small, sparse; n = 4. Ret..Cls: cross 3,
    # partial 2, small 1, sparse 0 (x4); Clu and PC: cross 3, small 2, sparse 1.
    # cross 18, partial 8, small 8, sparse 2
    "no-instructions": (["--instructions", "no"],
                        [(CROSS, 1), (SMALL, 2), (PARTIAL, 2), (SPARSE, 4)]),
    # the Sentence Transformers framework: not prop (API), not cross (PyTorch); n = 4.
    # Ret..Cls: big 3, partial 2, small 1, sparse 0 (x4); Clu, PC: big 3, small 2, sparse 1.
    # big 18, partial 8, small 8, sparse 2
    "st": (["--sentence-transformers"], [(BIG, 1), (SMALL, 2), (PARTIAL, 2), (SPARSE, 4)]),
    "model-types": (["--model-types", "sparse"], [(SPARSE, 1)]),
    # unknown training data (prop) removed: as "open"
    "zs-unknown": (["--zero-shot", "remove_unknown"],
                   [(BIG, 1), (CROSS, 2), (SMALL, 3), (PARTIAL, 3), (SPARSE, 5)]),
    # also small-open (trained on TinyRetrieval); n = 4. Ret..Cls: big 3, cross 2, partial 1,
    # sparse 0 (x4); Clu: big/cross 2.5, sparse 1; PC: big 3, cross 2, sparse 1.
    # big 17.5, cross 12.5, partial 4, sparse 2
    "zs-only": (["--zero-shot", "only_zero_shot"],
                [(BIG, 1), (CROSS, 2), (PARTIAL, 3), (SPARSE, 4)]),
    # + the unregistered model (.90 everywhere, STS .875); n = 7. Ret..Cls: unreg 6, big 5,
    # prop 4, cross 3, partial 2, small 1, sparse 0 (x4); Clu: unreg 6, prop 5, big/cross 3.5,
    # small 2, sparse 1; PC: unreg/big .90 tie 5.5, prop 4, cross 3, small 2, sparse 1.
    # unreg 35.5, big 29, prop 25, cross 18.5, partial 8, small 8, sparse 2
    "all-models": (["--all-models"], [(UNREG, 1), (BIG, 2), (PROP, 3), (CROSS, 4), (SMALL, 5),
                                      (PARTIAL, 5), (SPARSE, 7)]),
    # Ret and Ret2 only, every model has both: the base-score order, 1..6
    "task-types": (["--task-types", "Retrieval"],
                   [(BIG, 1), (PROP, 2), (CROSS, 3), (PARTIAL, 4), (SMALL, 5), (SPARSE, 6)]),
    # Ret2 (Medical) and the tasks without domains (STS, Clu, PC; Ret is Web). Ret2, STS: big 5,
    # prop 4, cross 3, partial 2, small 1, sparse 0 (x2); Clu: prop 5, big/cross 3.5, small 2,
    # sparse 1; PC: big 5, prop 4, cross 3, small 2, sparse 1.
    # big 18.5, prop 17, cross 12.5, small 6, partial 4, sparse 2
    "domains": (["--domains", "Medical"],
                [(BIG, 1), (PROP, 2), (CROSS, 3), (SMALL, 4), (PARTIAL, 5), (SPARSE, 6)]),
    # every task is text: the default table
    "modalities": (["--modalities", "text"],
                   [(BIG, 1), (PROP, 2), (CROSS, 3), (SMALL, 4), (PARTIAL, 4), (SPARSE, 6)]),
    # TinySTS only (its de subset): the base-score order
    "languages": (["--languages", "deu"],
                  [(BIG, 1), (PROP, 2), (CROSS, 3), (PARTIAL, 4), (SMALL, 5), (SPARSE, 6)]),
    # STS: big 5, prop 4, cross 3, partial 2, small 1, sparse 0; Clu: prop 5, big/cross 3.5,
    # small 2, sparse 1, partial 0. prop 9, big 8.5, cross 6.5, small 3, partial 2, sparse 1
    "tasks": (["--tasks", "TinyClustering,TinySTS"],
              [(PROP, 1), (BIG, 2), (CROSS, 3), (SMALL, 4), (PARTIAL, 5), (SPARSE, 6)]),
}


@pytest.mark.parametrize("case", FILTER_CASES)
def test_each_filter_flag(env, capsys, case):
    args, expected = FILTER_CASES[case]
    code, out, err = table(capsys, "--benchmark", TINY, *args)
    assert (code, err) == (0, "")
    assert ranked(out) == expected


def test_filter_flags_change_the_columns(env, capsys):
    _, out, _ = table(capsys, "--benchmark", TINY, "--task-types", "Retrieval")
    big = csv_rows(out)[0]
    assert "Clustering" not in big and float(big["Retrieval"]) == pytest.approx(81.0)
    assert float(big["Mean (Task)"]) == pytest.approx(81.0)
    _, out, _ = table(capsys, "--benchmark", TINY, "--languages", "deu", "--view", "per-task")
    rows = csv_rows(out)
    assert list(rows[0]) == ["Rank (Borda)", "Model", "TinySTS"]
    assert float(rows[0]["TinySTS"]) == pytest.approx(79.0)  # the de subset: .84 - .05


# --------------------------------------------------------------------------------------------
# table: errors
# --------------------------------------------------------------------------------------------

def test_unknown_benchmark_lists_the_valid_ones(env, capsys):
    code, out, err = table(capsys, "--benchmark", "Nope(v9)")
    assert (code, out) == (1, "")
    assert err == "error: unknown benchmark 'Nope(v9)'; valid benchmarks: Other(v1), Tiny(v1)\n"


def test_without_a_benchmark_the_dashboards_default_is_used(env, capsys):
    """The fixture's menu names Tiny(v1) as its default, as the dashboard opens it."""
    code, out, err = table(capsys)
    assert (code, err) == (0, "")
    assert out == table(capsys, "--benchmark", TINY)[1]


@pytest.mark.parametrize("args,message", [
    (["--open-weights", "maybe"],
     "error: 'open_weights=maybe' is not valid; valid values: yes, no."),
    (["--min-params-b", "big"], "error: 'min_params_b=big' is not a number of billions of "
                                "parameters (e.g. 0.5)."),
    (["--view", "pivot"], "error: 'view=pivot' is not valid; valid values: summary, per-task, "
                          "per-language, tasks."),
    (["--zero-shot", "sometimes"], "error: 'zero_shot=sometimes' is not valid; valid values: "
                                   "allow_all, remove_unknown, only_zero_shot."),
])
def test_bad_values_get_the_apis_message(env, capsys, args, message):
    """The same decoder and the same words as /api/table's 400 (tests/test_one_state.py)."""
    code, out, err = table(capsys, "--benchmark", TINY, *args)
    assert (code, out, err) == (1, "", message + "\n")


def test_an_unknown_format_is_a_usage_error(env, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["table", "--benchmark", TINY, "--format", "xlsx"])
    assert info.value.code == 2
    assert "argument --format: invalid choice: 'xlsx'" in capsys.readouterr().err


def test_unknown_task_is_an_error(env, capsys):
    code, out, err = table(capsys, "--benchmark", TINY, "--tasks", "NoSuchTask")
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and "NoSuchTask" in err


def test_no_build_is_exit_2(no_build, capsys):
    code, out, err = table(capsys, "--benchmark", TINY)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and "mteb-lb etl" in err


# --------------------------------------------------------------------------------------------
# settings and builds
# --------------------------------------------------------------------------------------------

def _readme_settings() -> list[str]:
    """The variables of the README's settings table, in order."""
    text = (PROJECT / "README.md").read_text()
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(MTEB_LB_[A-Z_]+)` \|", section, flags=re.M)


def test_settings_prints_every_setting_with_its_value(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "123")
    monkeypatch.setenv("MTEB_LB_PORT", "9123")
    assert cli.main(["settings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    variables = [line.split()[1] for line in lines]
    assert variables == _readme_settings()
    value = {line.split()[1]: line.split()[2] for line in lines}
    assert (value["MTEB_LB_SQL_MAX_ROWS"], value["MTEB_LB_PORT"]) == ("123", "9123")
    assert value["MTEB_LB_WAREHOUSE"] == str(tmp_path / "warehouse")  # conftest's isolation
    assert value["MTEB_LB_SQL_TIME_LIMIT_MS"] == "5000"                # the README's default


def test_builds_lists_every_build_and_marks_the_current_one(capsys, tmp_path, monkeypatch):
    import fixtures as fx
    import refresh_fixtures as rf

    monkeypatch.setenv("MTEB_LB_MAX_FILE_BYTES", str(fx.MAX_FILE_BYTES))
    repo, wh, cat, first = rf.variant_build(tmp_path)
    fx.write_result(repo, "org/current-model", fx.SHA_A, "DBPedia",
                    fx.simple_result("DBPedia", 0.42))
    second = rf.run_build(repo, wh, cat)
    assert second.published
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(wh))
    assert cli.main(["builds"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # an aligned table: a header, a rule as wide as the header, one row per build
    assert [c.strip() for c in lines[0].split("|")] == [
        "current", "build", "built at (UTC)", "source commit", "files", "results"]
    assert set(lines[1]) <= {"-", "+"} and len(lines[1]) == len(lines[0])
    rows = [[c.strip() for c in line.split("|")] for line in lines[2:]]
    assert [(r[0], r[1]) for r in rows] == [("", first.build.name), ("*", second.build.name)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[2]) for r in rows)
    # the second build adds one file holding one result (a DBPedia entry) to the first's
    assert int(rows[1][4]) == int(rows[0][4]) + 1 and int(rows[1][5]) == int(rows[0][5]) + 1
    # the | separators line up on every row
    assert len({tuple(m.start() for m in re.finditer(r"\|", line)) for line in
                [lines[0], *lines[2:]]}) == 1


def test_builds_without_a_build(no_build, capsys):
    assert cli.main(["builds"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == no_build_message(no_build)


def no_build_message(warehouse_dir: Path) -> str:
    return (f"error: No published build in {warehouse_dir.resolve()} (the MTEB_LB_WAREHOUSE "
            "setting). Run `mteb-lb etl` to build one.\n")


@pytest.mark.parametrize("args", [
    ["table"], ["table", "--benchmark", TINY, "--format", "json"], ["sql", "select 1"],
    ["sql", "--schema"], ["sql", "select 1", "--format", "csv"],
    ["compare", "--benchmark", TINY, "--model", BIG, "--model", SMALL], ["builds"]])
def test_a_missing_warehouse_gets_one_message_from_every_command(no_build, capsys, args):
    """The path looked in and the one command to run, word for word the same."""
    assert cli.main(args) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", no_build_message(no_build))


def test_status_without_a_build_says_the_same(no_build, capsys):
    assert cli.main(["status"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "serving:  nothing. " + no_build_message(no_build)[len("error: "):-1]


def test_on_a_terminal_the_table_is_aligned_and_rounded(env, capsys, monkeypatch):
    """No --format on a terminal: the dashboard's 2 decimals, columns aligned; piped (the other
    tests) or with --format csv: unrounded CSV."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = table(capsys, "--benchmark", TINY, "--task-types", "Retrieval")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Rank (Borda) | Model")
    assert set(lines[1]) <= {"-", "+"}
    assert len({len(line) for line in lines[:2]}) == 1          # header and rule aligned
    big = next(line for line in lines if BIG in line)
    # Retrieval only: Mean (Task) = (80 + 82) / 2 = 81, shown as the dashboard does
    assert " 81.00 " in big and "81.0," not in out
    code, out, _ = table(capsys, "--benchmark", TINY, "--task-types", "Retrieval",
                         "--format", "csv")
    assert out.startswith("Rank (Borda),Model,")


# --------------------------------------------------------------------------------------------
# set-up: the source, no network, the progress display
# --------------------------------------------------------------------------------------------

def test_the_inner_results_folder_is_accepted_as_the_source(tmp_path):
    from etl import sources

    (tmp_path / "repo" / "results" / "org__model").mkdir(parents=True)
    inner = sources.resolve(str(tmp_path / "repo" / "results"))
    assert (inner.root, inner.source) == ((tmp_path / "repo").resolve(),
                                          str((tmp_path / "repo").resolve()))
    with pytest.raises(sources.SourceError) as info:
        sources.resolve(str(tmp_path / "repo" / "results" / "org__model"))
    assert "--source takes the folder holding results/" in str(info.value)


def test_bin_up_without_network_fails_fast_with_the_next_step(tmp_path):
    """No network (an unresolvable host stands for it): bin/up stops at the source, exit 3, in
    seconds, naming the local-folder and Hugging Face alternatives; nothing is served."""
    import time

    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("MTEB_LB_")}
    env.update(MTEB_LB_WAREHOUSE=str(tmp_path / "wh"), MTEB_LB_CACHE=str(tmp_path / "cache"))
    started = time.monotonic()
    proc = subprocess.run([str(PROJECT / "bin" / "up"), "--source",
                           "https://nonexistent.invalid/results.git"],
                          capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 60
    err = proc.stderr
    assert err.startswith("error: cannot reach nonexistent.invalid")
    assert "`--source <folder holding results/>` (or set MTEB_LB_SOURCE to it)" in err
    assert "`--source hf:mteb/results`" in err
    assert not (tmp_path / "wh" / "current").exists()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_progress_display_counts_and_eta_on_a_terminal():
    from etl import progress

    term, clock = _Terminal(), _Clock()
    display = progress.Display(term, clock=clock, tick_s=None)
    display.count("parsing", 0, 200, "jobs")
    clock.t += 10                       # 50 jobs in 10 s: 150 left at 5 jobs/s = 30 s
    display.count("parsing", 50, 200, "jobs")
    assert display.line() == (
        "parsing  [######..................] 50/200 jobs  0:10 elapsed, ETA 0:30")
    # jobs of unequal size (model folders, biggest first): the ETA follows the share of bytes
    display.count("parsing", 50, 200, "jobs", fraction=0.8)   # 80 % in 10 s: 2.5 s left
    assert display.line().endswith("50/200 jobs  0:10 elapsed, ETA 0:02")
    display.step("computing tables", estimate_s=20)
    clock.t += 5
    assert display.line() == "computing tables  0:05 elapsed, about 0:15 left"
    display.git_line("Receiving objects:  45% (4500/10000), 12.00 MiB | 3.00 MiB/s")
    assert display.line().startswith("cloning: objects  [##########..............] 4,500/10,000")
    display.close()
    text = term.getvalue()
    assert text.startswith("\rparsing  [") and text.endswith("\r")   # drawn in place, cleared
    assert "\n" not in text


def test_progress_display_is_silent_when_piped(tmp_path):
    """Piped stderr: no redrawn line, no ETA; the build's output is what it was."""
    import fixtures as fx

    from etl import cli as etl_cli
    from etl import progress

    piped = io.StringIO()
    display = progress.Display(piped, tick_s=None)
    display.step("listing files")
    display.count("parsing", 1, 2, "jobs")
    display.close()
    assert piped.getvalue() == "" and etl_cli.progress_for(display) is etl_cli._progress

    repo = tmp_path / "repo"
    fx.write_variant_repo(repo, include_unreadable=False)
    cat = fx.variant_catalog(tmp_path / "cat")
    exe = Path(sys.executable).with_name("mteb-lb")
    proc = subprocess.run([str(exe), "etl", "--source", str(repo), "--catalog", str(cat),
                           "--workers", "1"], capture_output=True, timeout=120)
    err = proc.stderr.decode()   # bytes: a text pipe would turn "\r" into "\n"
    assert proc.returncode == 0, err
    lines = err.split("\n")[:-1]
    assert lines[0] == f"source: {repo.resolve()}"
    assert all(re.fullmatch(r"\rparsing \[[#.]{30}\] \d+/\d+ jobs", line)
               for line in lines[1:]), err
    assert "ETA" not in err and "elapsed" not in err
