"""The compiled parser (etl/_fastparse.c via etl/parse_fast.py) gives the rows the Python parser
gives, byte for byte, and never crashes: the reference is the Python parser (etl/parse.py
parse_result, itself checked against the json module and mteb elsewhere), run on the same bytes.

Each comparison builds the four segment tables (scores, metrics, metric_arrays, entry_checks) of
a list of files once through the Python parser only and once with the compiled parser first,
and compares them as Arrow IPC bytes, with the `files` outcome (entries or quarantine reason)
of every file."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sysconfig
from pathlib import Path

import fixtures as fx
import pyarrow as pa
import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl import parse_fast
from etl.parse import MAX_ENTRIES_PER_FILE, failure_reason, parse_result
from etl.segments import RowsBuilder

CATALOG = fx.variant_task_catalog()
MAIN_METRICS = {name: info.main_score for name, info in CATALOG.tasks.items() if info.main_score}

built = pytest.mark.skipif(parse_fast._fastparse is None,
                           reason="the compiled parser is not built (no C compiler)")


def tables_of(files: list[bytes], fast: bool, catalog=CATALOG, main_metrics=None):
    """(Arrow IPC bytes of each segment table, outcome per file, files read by the C parser),
    as etl/segments.py _parse_segment adds them."""
    builder = RowsBuilder(MAIN_METRICS if main_metrics is None else main_metrics)
    outcomes, n_fast = [], 0
    for i, data in enumerate(files):
        mark = builder.mark()
        try:
            read = parse_fast.parse_fast(data, builder.buf.names, 64) if fast else None
            if read is not None and builder.takes_fast(read):
                n_fast += 1
                builder.add_fast(f"results/m/r/{i}.json", "h", read, i + 1, ("m", "r"))
                outcomes.append(len(read.parsed.entries))
            else:
                parsed = parse_result(data, catalog, 64)
                builder.add(f"results/m/r/{i}.json", "h", parsed, i + 1, ("m", "r"))
                outcomes.append(len(parsed.entries))
        except Exception as exc:  # noqa: BLE001 - as the segment parser does
            builder.rollback(mark)
            outcomes.append(failure_reason(exc))
    tables = {name: _ipc(table) for name, table in builder.flush().items()}
    return tables, outcomes, n_fast


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def assert_same_rows(files: list[bytes], **kw) -> int:
    """The compiled path's rows equal the Python path's; returns how many files it read."""
    slow, slow_outcomes, _ = tables_of(files, False, **kw)
    fast, fast_outcomes, n_fast = tables_of(files, True, **kw)
    assert fast_outcomes == slow_outcomes
    assert fast.keys() == slow.keys()
    for name in slow:
        assert fast[name] == slow[name], name
    return n_fast


def current(scores: dict, **top) -> dict:
    return {"dataset_revision": "abc", "task_name": "NFCorpus", "mteb_version": "1.14.0",
            "scores": scores, "evaluation_time": 12.5, "kg_co2_emissions": None, **top}


def dumps(obj) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()


def test_extension_is_built_where_a_compiler_exists():
    """`pip install -e .` (bin/test) compiles the parser when a C compiler and the Python
    headers are there (as on the development and CI machines); it is optional elsewhere."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    headers = Path(sysconfig.get_paths()["include"], "Python.h").exists()
    if not (compiler and headers):
        pytest.skip("no C compiler or Python headers: the compiled parser is optional")
    assert parse_fast._fastparse is not None


@built
def test_every_fixture_file_gives_the_same_rows():
    """Every file of the variant repository (current and legacy layouts, NaN tokens, lists and
    dicts in entries, broken files...) gives the same rows; the compiled parser reads the plain
    current-layout ones itself."""
    specs = [s for s in fx.variant_files() if s.kind == "result"]
    n_fast = assert_same_rows([s.data for s in specs])
    assert n_fast >= 5


@built
def test_plain_file_is_read_by_the_compiled_parser():
    """A current-layout file of numbers (NaN and infinities included) is read by the C parser:
    the values written, with -0 as an integer read as 0.0 (Python's int), and a missing
    per-entry mteb_version taken from the file."""
    data = (b'{"task_name": "NFCorpus", "mteb_version": "2.1.0", "scores": {"test": [{'
            b'"hf_subset": "default", "languages": ["eng-Latn"], "main_score": 1, '
            b'"ndcg_at_10": 0.25, "recall_at_5": NaN, "x": -Infinity, "z": -0, "w": -0.0}]}}')
    names: dict[str, int] = {}
    read = parse_fast.parse_fast(data, names, 64)
    assert read is not None
    assert read.columns == (["test"], ["default"], [["eng-Latn"]], [1.0], ["2.1.0"], [(
        "hf_subset", "languages", "main_score", "ndcg_at_10", "recall_at_5", "x", "z", "w")],
        [0], [6], [None])
    assert read.parsed.task_name == "NFCorpus" and read.parsed.mteb_version == "2.1.0"
    values = list(memoryview(read.values).cast("d"))
    assert values[:2] == [1.0, 0.25] and math.isnan(values[2]) and values[3] == -math.inf
    assert math.copysign(1, values[4]) == 1 and math.copysign(1, values[5]) == -1
    assert list(memoryview(read.codes).cast("i")) == [0, 1, 2, 3, 4, 5]
    assert names == {"main_score": 0, "ndcg_at_10": 1, "recall_at_5": 2, "x": 3, "z": 4, "w": 5}
    assert assert_same_rows([data]) == 1


def entry(fields: bytes, close: bytes = b"}]}}") -> bytes:
    """A file of task T whose one `test` entry holds hf_subset "a", no languages, then
    `fields`; `close` ends the entry and the file."""
    return (b'{"task_name": "T", "scores": {"test": [{"hf_subset": "a", "languages": [], '
            + fields + close)


def metric(value: bytes) -> bytes:
    """`entry` with a main score of 0.5 and `value` as the metric v."""
    return entry(b'"main_score": 0.5, "v": ' + value)


LEFT_TO_PYTHON = {
    "a string score": entry(b'"main_score": "0.5"'),
    "not JSON: a list": metric(b"[0.1, 0.2,]"),
    "an unclosed list": metric(b"[0.1, 0.2"),
    "a boolean in a list": metric(b"[0.1, true]"),
    "a list in a list": metric(b"[0.1, [0.2]]"),
    "numbers and objects": metric(b'[0.1, {"a": 1}]'),
    "objects and numbers": metric(b'[{"a": 1}, 0.1]'),
    "a string in a row": metric(b'[{"a": 1}, {"a": "x"}]'),
    "a duplicate in a row": metric(b'[{"a": 1, "a": 2}]'),
    "a duplicate, 2 kinds": metric(b'[{"a": 1, "a": {"b": 2}}]'),
    "flattened names meet": metric(b'[{"a.b": 1, "a": {"b": 2}}]'),
    "a list in a row": metric(b'[{"a": [1]}]'),
    "out of range in a list": metric(b"[1e400]"),
    "beyond 18 digits in a list": metric(b"[12345678901234567890]"),
    "a duplicate in a dict": metric(b'{"a": 1, "a": 2}'),
    "a null in a dict": metric(b'{"a": null}'),
    "an object as score": entry(b'"main_score": {"a": 0.5}'),
    "flattened": b'{"task_name": "PpcPC", "mteb_version": "1.12.0", "scores": {"test": [{'
                 b'"hf_subset": "default", "languages": [], "main_score": 0.5, '
                 b'"cos_sim": {"ap": 0.5}}]}}',
    "a duplicate key": entry(b'"main_score": 0.5, "main_score": 0.7'),
    "a duplicate split": entry(b'"main_score": 0.5', b'}], "test": []}}'),
    "beyond 18 digits": entry(b'"main_score": 12345678901234567890'),
    "out of range": entry(b'"main_score": 1e400'),
    "a boolean": entry(b'"main_score": true'),
    "an escape": b'{"task_name": "T\\u00e9", "scores": {}}',
    "trailing text": entry(b'"main_score": 0.5', b"}]}} x"),
    "not UTF-8": b'{"task_name": "T", "scores": {"test": [{"hf_subset": "\xff", "languages": '
                 b'[], "main_score": 0.5}]}}',
    "legacy layout": b'{"mteb_dataset_name": "T", "test": {"accuracy": 0.5}}',
    "a BOM": b'\xef\xbb\xbf{"task_name": "T", "scores": {}}',
    "a list as task name": b'{"task_name": ["T"], "scores": {}}',
    "not JSON: -NaN": entry(b'"main_score": 0.5, "r": -NaN'),
    "not JSON: 01": entry(b'"main_score": 01'),
}


@built
@pytest.mark.parametrize("text", LEFT_TO_PYTHON.values(), ids=LEFT_TO_PYTHON.keys())
def test_other_files_go_to_the_python_parser(text):
    assert parse_fast.parse_fast(text, {}, 64) is None
    assert assert_same_rows([text]) == 0


@built
def test_objects_and_lists_in_entries_are_read_by_the_compiled_parser():
    """`v_measures` (an object of lists), `scores_per_experiment` (a list of objects, with a
    null, a key missing from a row, an integer, a nested object) and a list of numbers: their
    `metric_arrays` rows in the order of the file, a key's values by row (None where a row has
    none), nested names joined by dots; the numbers of an object are metrics."""
    data = (b'{"task_name": "Banking77Classification", "mteb_version": "2.1.0", "scores": '
            b'{"test": [{"hf_subset": "default", "languages": ["eng-Latn"], "v_measures": '
            b'{"Level 0": [0.1, 0.2], "Level 1": []}, "main_score": 0.5, '
            b'"scores_per_experiment": [{"accuracy": 0.5, "ap": null}, '
            b'{"ap": 0.25, "accuracy": 1, "f1": {"macro": 0.75}}], "curve": [1, null, NaN], '
            b'"cos_sim": {"ap": 0.125, "f": {"x": 2}}, "accuracy": 0.5}]}}')
    read = parse_fast.parse_fast(data, {}, 64)
    assert read is not None
    entries, names, values = read.arrays
    assert entries == [0] * 6
    assert names == ["v_measures.Level 0", "v_measures.Level 1", "scores_per_experiment.accuracy",
                     "scores_per_experiment.ap", "scores_per_experiment.f1.macro", "curve"]
    assert values[:5] == [[0.1, 0.2], [], [0.5, 1.0], [None, 0.25], [None, 0.75]]
    assert values[5][:2] == [1.0, None] and math.isnan(values[5][2])
    # main_score, cos_sim.ap, cos_sim.f.x, accuracy: the metrics rows, in the file's order
    assert list(memoryview(read.values).cast("d")) == [0.5, 0.125, 2.0, 0.5]
    assert read.columns[8] == [(-1, -1, -1, 0, -1, -1, -1, 3)]
    assert assert_same_rows([data]) == 1


@built
def test_nesting_beyond_the_limit_is_left_to_the_python_parser():
    """A value nested deeper than MTEB_LB_MAX_JSON_DEPTH (the Python parser quarantines the
    file) or far deeper (no recursion beyond the limit) is not read by the C parser."""
    for depth in (63, 64, 65, 100_000):
        data = (b'{"task_name": "NFCorpus", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1)
                + b', "scores": {"test": [{"hf_subset": "a", "languages": [], '
                b'"main_score": 0.5}]}}')
        read = parse_fast.parse_fast(data, {}, 64)
        assert (read is not None) == (depth <= 64), depth
        assert assert_same_rows([data]) == (1 if depth <= 64 else 0)
    shallow = dumps(current({"test": [fx.entry("a", [], 0.5, ndcg_at_10=0.5)]}))
    assert parse_fast.parse_fast(shallow, {}, 4) is None  # languages are at depth 5
    assert parse_fast.parse_fast(shallow, {}, 5) is not None
    # objects and lists in an entry: the entry is at depth 4, so its value here at depth
    # 4 + (depth - 4), with a list of objects of numbers at the bottom
    for depth in (63, 64, 65, 100_000):
        inner = b'[{"a": {"b": 1}}]'  # 3 levels
        value = b'{"v": ' * (depth - 7) + inner + b"}" * (depth - 7)
        data = (b'{"task_name": "NFCorpus", "scores": {"test": [{"hf_subset": "a", '
                b'"languages": [], "main_score": 0.5, "x": ' + value + b"}]}}")
        read = parse_fast.parse_fast(data, {}, 64)
        assert (read is not None) == (depth <= 64), depth
        assert assert_same_rows([data]) == (1 if depth <= 64 else 0)


@built
def test_too_many_entries_are_left_to_the_python_parser(monkeypatch):
    assert MAX_ENTRIES_PER_FILE == 1 << 20
    data = dumps(current({"test": [fx.entry("a", [], 0.5)] * 3}))
    monkeypatch.setattr(parse_fast, "MAX_ENTRIES_PER_FILE", 3)
    assert parse_fast.parse_fast(data, {}, 64) is None
    monkeypatch.setattr(parse_fast, "MAX_ENTRIES_PER_FILE", 4)
    assert len(parse_fast.parse_fast(data, {}, 64).parsed.entries) == 3


@built
def test_setting_forces_the_python_parser(monkeypatch):
    assert parse_fast.available()
    monkeypatch.setenv("MTEB_LB_FAST_PARSE", "0")
    assert not parse_fast.available()


@built
def test_main_metric_named_like_an_entry_field_goes_to_the_python_parser():
    """A task whose declared main metric is `languages` (not a metric): entry_checks then reads
    the entry itself, so the file takes the Python path, with the same rows."""
    data = dumps(current({"test": [fx.entry("a", ["eng-Latn"], 0.5, recall_at_1=0.4)]}))
    assert assert_same_rows([data], main_metrics={"NFCorpus": "languages"}) == 0
    assert assert_same_rows([data], main_metrics={"NFCorpus": "recall_at_1"}) == 1


@built
def test_truncated_and_mutated_files_never_crash():
    """Every prefix of a file, and random byte changes of it, are either left to the Python
    parser or give its rows."""
    data = dumps(current({"test": [
        fx.entry("default", ["eng-Latn", "fra-Latn"], 0.5, ndcg_at_10=0.5, recall_at_1=1.5,
                 mrr_at_1=float("nan"), precision_at_1=-0.0),
        {**fx.entry("x", [], 0.25, ndcg_at_1=2), "mteb_version": None}]}, date=1.5e9))
    prefixes = [data[:n] for n in range(len(data))]
    for prefix in prefixes:
        assert parse_fast.parse_fast(prefix, {}, 64) is None
    rng = random.Random(7)
    mutated = []
    for _ in range(3000):
        b = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.choice(b'{}[]",:0123456789.eE-+ \\nNaIfy\xff\x00')
        mutated.append(bytes(b))
    assert_same_rows(mutated)


@built
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text("0123456789", min_size=1, max_size=25),
                          st.text("0123456789", max_size=25),
                          st.integers(min_value=-340, max_value=330)), min_size=1, max_size=50))
def test_float_tokens_are_read_as_python_reads_them(parts):
    """Decimal tokens of up to 50 digits, any exponent: the value float() gives (correctly
    rounded), bit for bit; out of range (float() gives an infinity) left to the Python parser."""
    tokens = [f"{a.lstrip('0') or '0'}.{b or '0'}e{e}" for a, b, e in parts]
    data = ('{"task_name": "T", "scores": {"test": [{"hf_subset": "a", "languages": [], '
            '"main_score": 0.5, ' + ", ".join(f'"m{i}": {t}' for i, t in enumerate(tokens))
            + "}]}}").encode()
    read = parse_fast.parse_fast(data, {}, 64)
    expected = [float(t) for t in tokens]
    if any(len(t) > 64 or math.isinf(x) for t, x in zip(tokens, expected)):
        assert read is None
    else:
        got = memoryview(read.values).cast("d").tolist()[1:]
        assert [x.hex() for x in got] == [x.hex() for x in expected]


@built
def test_hard_float_tokens_are_read_as_python_reads_them():
    """Ties between two doubles (round half to even), powers of two (where the spacing of the
    doubles changes), 17 to 19 significant digits, the ends of the range: float()'s value."""
    tokens = ["9007199254740993.0", "9007199254740995.0", "0.1", "0.30000000000000004",
              "0.49999999999999994", "0.50000000000000006", "0.5", "5e-1", "0.25",
              "0.12499999999999999", "1.0000000000000002", "0.99999999999999989",
              "1.00000000000000011102230246251565404236316680908203125",
              "123456789012345678.9", "1234567890123456789e-19", "9999999999999999999e-19",
              "2.2250738585072014e-308", "4.9406564584124654e-324", "1.7976931348623157e308",
              "0.0000000000000000001", "1e22", "1e23", "-0.0", "0e5", "-1.5E+3", "7e-22",
              "0.84729384729384729", "0.10000000000000000555", "3.0517578125e-05"]
    data = ('{"task_name": "T", "scores": {"test": [{"hf_subset": "a", "languages": [], '
            '"main_score": 0.5, ' + ", ".join(f'"m{i}": {t}' for i, t in enumerate(tokens))
            + "}]}}").encode()
    got = memoryview(parse_fast.parse_fast(data, {}, 64).values).cast("d").tolist()[1:]
    assert [x.hex() for x in got] == [float(t).hex() for t in tokens]


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20),
    st.sampled_from([0.0, -0.0, 1e-320, 5e-324, 1.7976931348623157e308, 1e22, 1e23]),
)
KEYS = st.sampled_from(["main_score", "ndcg_at_10", "recall_at_1", "recall_at_10",
                        "mrr_at_1", "precision_at_1", "map_at_5", "accuracy", "f1",
                        "hf_subset", "languages", "mteb_version", "é", "v_measures"])
VALUES = st.one_of(NUMBERS, NUMBERS, NUMBERS, st.none(), st.booleans(),
                   st.text(max_size=3), st.lists(NUMBERS, max_size=3),
                   st.dictionaries(st.sampled_from(["a", "b"]), NUMBERS, max_size=2))


@st.composite
def entries(draw):
    entry = {"hf_subset": draw(st.sampled_from(["default", "en", "fr-de"])),
             "languages": draw(st.lists(st.sampled_from(["eng-Latn", "deu-Latn"]), max_size=2)),
             "main_score": draw(NUMBERS)}
    for key, value in draw(st.lists(st.tuples(KEYS, VALUES), max_size=8)):
        if key not in ("hf_subset", "languages"):
            entry[key] = value
    return entry


@st.composite
def result_files(draw):
    scores = draw(st.dictionaries(st.sampled_from(["test", "dev", "validation"]),
                                  st.lists(entries(), max_size=4), max_size=3))
    top = {"task_name": draw(st.sampled_from(["NFCorpus", "EmotionClassification", "Other"])),
           "mteb_version": draw(st.one_of(st.none(), st.sampled_from(["1.12.0", "2.0.0"]),
                                          st.floats(allow_nan=False))),
           "dataset_revision": draw(st.one_of(st.none(), st.text(max_size=3), NUMBERS)),
           "evaluation_time": draw(st.one_of(st.none(), NUMBERS, st.text(max_size=2))),
           "date": draw(st.one_of(st.none(), NUMBERS, st.just("2026-07-15T01:23:56Z"))),
           "extra": draw(st.one_of(st.none(), st.lists(st.integers(), max_size=2),
                                   st.dictionaries(st.text(max_size=2), st.integers())))}
    order = draw(st.permutations([*top, "scores"]))
    obj = {k: scores if k == "scores" else top[k] for k in order}
    indent = draw(st.sampled_from([None, 2]))
    return json.dumps(obj, allow_nan=True, indent=indent,
                      ensure_ascii=draw(st.booleans())).encode()


@built
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(result_files(), min_size=1, max_size=4))
def test_generated_files_give_the_same_rows(files):
    assert_same_rows(files)


FLOATS = st.floats(allow_nan=True, allow_infinity=True)
ROW_KEYS = st.sampled_from(["accuracy", "f1", "ap", "é", "main_score", "recall_at_1",
                            "accuracy", "f1", "a.b"])
ROW_VALUES = st.one_of(FLOATS, FLOATS, FLOATS, FLOATS, NUMBERS, st.none(),
                       st.dictionaries(st.sampled_from(["x", "y"]),
                                       st.one_of(FLOATS, st.none()), max_size=2),
                       st.sampled_from(["s", True, [1.0], {}]))
ROWS = st.lists(st.dictionaries(ROW_KEYS, ROW_VALUES, max_size=4), min_size=1, max_size=4)
NUMBER_LISTS = st.lists(st.one_of(FLOATS, FLOATS, NUMBERS, st.none()), max_size=4)
CONTAINERS = st.recursive(
    st.one_of(NUMBERS, NUMBER_LISTS, ROWS),
    lambda inner: st.dictionaries(st.sampled_from(["Level 0", "a", "b", "é"]), inner,
                                  max_size=3),
    max_leaves=6)
CHECKED_KEYS = st.sampled_from(["main_score", "ndcg_at_10", "max_ap", "accuracy", "recall_at_1",
                                "recall_at_10", "mrr_at_1", "precision_at_1", "map_at_5",
                                "v_measures", "scores_per_experiment", "cos_sim"])


@st.composite
def container_files(draw):
    """Result files whose entries hold objects and lists (of numbers, of objects), some of them
    under the names the validity checks read, now and then with what the compiled parser
    leaves to Python (a string, a boolean, a duplicate, a dotted key in a row...)."""
    split_entries = []
    for _ in range(draw(st.integers(1, 4))):
        entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": draw(FLOATS)}
        for key, value in draw(st.lists(st.tuples(CHECKED_KEYS, st.one_of(FLOATS, CONTAINERS)),
                                        max_size=6)):
            entry[key] = value
        split_entries.append(entry)
    obj = {"task_name": draw(st.sampled_from(["NFCorpus", "Banking77Classification", "PpcPC",
                                              "Other"])),
           "mteb_version": draw(st.sampled_from(["1.12.0", "1.12.48", "2.0.0"])),
           "scores": {"test": split_entries}}
    return json.dumps(obj, allow_nan=True, indent=draw(st.sampled_from([None, 2])),
                      ensure_ascii=False).encode()


@built
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(container_files(), min_size=1, max_size=3))
def test_generated_objects_and_lists_give_the_same_rows(files):
    """Entries holding objects and lists: the same rows (`metric_arrays` and `entry_checks`
    included) through the compiled parser as through the Python parser."""
    assert_same_rows(files)


@built
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data):
    assert_same_rows([b'{"task_name": "NFCorpus", "scores": {"test": [' + data, data])


@pytest.mark.realdata
@built
def test_real_files_give_the_same_rows():
    """A random 3 % of the real model folders (seeded): the same rows, byte for byte, most
    files read by the compiled parser."""
    results = os.environ.get("MTEB_LB_REAL_RESULTS")
    if not results or not (Path(results) / "results").is_dir():
        require("MTEB_LB_REAL_RESULTS is not set: no real results to test against")
    from etl import catalog as catalog_mod
    from etl.parse import TaskCatalog
    from etl.segments import main_metrics

    snapshot = catalog_mod.load_snapshot()
    catalog = TaskCatalog.from_snapshot(snapshot["tasks"], snapshot["task_renames"])
    folders = sorted(p for p in (Path(results) / "results").iterdir() if p.is_dir())
    random.Random(16).shuffle(folders)
    files = [p.read_bytes() for folder in folders[:max(1, len(folders) * 3 // 100)]
             for p in sorted(folder.rglob("*.json"))
             if p.name != "model_meta.json" and p.is_file() and not p.is_symlink()]
    n_fast = assert_same_rows(files, catalog=catalog, main_metrics=main_metrics(catalog))
    assert n_fast > len(files) // 2
