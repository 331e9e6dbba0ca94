"""The parser's fast paths give what the json module and the per-value loop give (etl/parse.py):
msgspec decodes most files, and entries sharing their keys are appended as one block. The
reference here is Python's json module (json.loads) and a plain walk of the entry, written out
below, not the parser's own output."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.parse import MetricBuffer, Quarantine, emit_metrics, load_json


def same(a, b) -> bool:
    """Equal values, types and key order; NaN equals NaN, -0.0 differs from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a)
                                                      == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("text", [
    b'{"a": 1, "b": 2.5, "c": -0.0, "d": 1e308, "e": 5e-324, "f": 1E+2, "g": -0}',
    b'{"a": 1, "b": 2, "a": 3}',                                  # duplicate key: last wins
    b'{"big": ' + b"9" * 4300 + b"}",                             # Python's digit limit
    b'{"neg": -' + b"9" * 4300 + b"}",
    b'{"s": "caf\\u00e9 \\ud83d\\ude00 \\n \\"q\\" \\/"}',           # escapes, a surrogate pair
    b'{"v": NaN, "w": -Infinity, "x": Infinity}',                 # bare tokens
    b'{"s": "NaN", "t": "Infinity", "n": 1}',                     # the tokens inside strings
    b'{"x": 1e400, "y": -1e400, "z": 1e-400}',                    # out of float range
    b'[[[[[[[[[[1]]]]]]]]]]',
    b'  {"a" : [ 1 , 2 ]\t}\r\n',
    "{\"é\": \"ü\"}".encode(),
])
def test_decoded_as_the_json_module_decodes(text):
    assert same(load_json(text, 64), json.loads(text.decode("utf-8")))


@pytest.mark.parametrize("text, reason", [
    (b'{"a": ' + b"9" * 4301 + b"}", "not loadable JSON: Exceeds the limit (4300 digits)"),
    (b'{"a": 1,}', "not valid JSON: Expecting property name enclosed in double quotes"),
    (b'\xef\xbb\xbf{"a": 1}', "not valid JSON: Unexpected UTF-8 BOM"),
    (b'{"a": "\xff"}', "not UTF-8 text (invalid start byte at byte 7)"),
    (b'{"a": "\\ud800"}', "a string holds a lone surrogate"),
    (b'{"a": 1} x', "not valid JSON: Extra data"),
    (b'{"a": "\x01"}', "not valid JSON: Invalid control character"),
])
def test_refused_with_the_json_module_reason(text, reason):
    with pytest.raises(Quarantine) as exc:
        load_json(text, 64)
    assert str(exc.value).startswith(reason)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(json_values, st.booleans())
def test_any_value_decodes_as_with_the_json_module(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        with pytest.raises(Quarantine):
            load_json(text, 64)
        return
    if isinstance(expected, str) or not _has_lone_surrogate(expected):
        try:
            got = load_json(text, 64)
        except Quarantine:
            assert _has_lone_surrogate(expected)
            return
        assert same(got, expected)


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def rows(buf: MetricBuffer) -> list[tuple]:
    names = {code: name for name, code in buf.names.items()}
    out, start = [], 0
    for entry_id, end in zip(buf.run_ids, buf.run_ends):
        for pos in range(start, end):
            null = pos in buf.null_positions
            out.append((entry_id, names[buf.codes[pos]], None if null else buf.values[pos],
                        buf.texts.get(pos)))
        start = end
    return out


def test_entries_sharing_keys_give_the_rows_of_a_walk_in_key_order():
    entries = [
        {"hf_subset": "default", "main_score": 0.5, "ndcg_at_10": 0.5, "map": 1,
         "languages": ["eng-Latn"]},
        {"hf_subset": "fr", "main_score": 0.25, "ndcg_at_10": 0.75, "map": 2,
         "languages": ["fra-Latn"]},
        # same keys, but a value that is not a number: the walk for this one
        {"hf_subset": "de", "main_score": None, "ndcg_at_10": True, "map": "0.5",
         "languages": ["deu-Latn"]},
        {"hf_subset": "x", "main_score": 0.1, "ndcg_at_10": {"a": 0.2}, "map": [0.3, 0.4],
         "languages": []},
    ]
    buf = MetricBuffer()
    for i, entry in enumerate(entries):
        emit_metrics(buf, 100 + i, entry)
    assert rows(buf) == [
        (100, "main_score", 0.5, None), (100, "ndcg_at_10", 0.5, None), (100, "map", 1.0, None),
        (101, "main_score", 0.25, None), (101, "ndcg_at_10", 0.75, None),
        (101, "map", 2.0, None),
        (102, "main_score", None, None), (102, "ndcg_at_10", 1.0, "true"),
        (102, "map", 0.5, "0.5"),
        (103, "main_score", 0.1, None), (103, "ndcg_at_10.a", 0.2, None),
    ]
    assert (buf.array_entry_ids, buf.array_metrics, buf.array_values) == \
        ([103], ["map"], [[0.3, 0.4]])
