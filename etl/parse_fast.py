"""The compiled fast path of the parser (etl/_fastparse.c), with etl/parse.py as its fallback.

Most result files have one shape: the current layout, entries holding `hf_subset`, `languages`,
maybe `mteb_version`, numbers, and objects and lists of numbers or of objects of numbers
(`scores_per_experiment`, `v_measures`). For those the C extension reads the bytes straight
into the name codes and float64 values of the metric buffers (no Python object per value: the
full repository holds ~35.7 M values), returns the few per-entry fields as Python objects and
the `metric_arrays` rows as lists. Any other file (legacy layout, strings or booleans or nulls
in entries, backslash escapes, duplicate keys, huge numbers, invalid JSON...) makes it return
None and `parse_result` reads it: the rows are the same either way
(tests/test_parse_compiled.py compares the Arrow tables byte for byte).

For such a file the extension also picks the entries `etl.parse.entry_checks` may give a row
(`check_candidates`: a few in a thousand), with the rules' comparisons on the float64 values, so
`entry_checks` runs for those only (tests/test_fastparse_checks.py: exactly the entries with a
row, the same tables as the per-entry loop).

The extension is optional: when it was not built (no compiler at install time) or
MTEB_LB_FAST_PARSE=0, `parse_fast` returns None for every file.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import NamedTuple

from etl.parse import (
    CHECK_FLOOR,
    ENTRY_KEYS_NOT_METRICS,
    MAX_ENTRIES_PER_FILE,
    OUT_OF_RANGE_TOLERANCE,
    PRE_PAIR_FLATTEN,
    CheckShape,
    ParsedResult,
    _number_or_none,
    _str_or_none,
    _timestamp,
    parse_version,
)
from mteb_lb import settings

try:
    from etl import _fastparse
except ImportError:  # not built: the Python parser reads every file
    _fastparse = None


def available() -> bool:
    """Whether the compiled parser is built and enabled (MTEB_LB_FAST_PARSE)."""
    return _fastparse is not None and settings.get("fast_parse") != 0


@dataclass
class FastParsed:
    """A file read by the compiled parser. `parsed.entries` holds the tuple of keys of each
    entry (their number is what readers of a ParsedResult count); the entries' fields are in
    `columns`: lists of split, subset, languages, main_score, entry_mteb_version, keys, start,
    end and spots, where values[start:end] (float64) are the entry's metric values in the order
    `etl.parse.emit_metrics` appends them, with their name codes codes[start:end] (int32, codes
    of the MetricBuffer.names passed in). spots: None when every key but hf_subset, languages
    and mteb_version holds a number (values[start + i] is then the i-th of those keys), else
    the tuple of the position in values[start:end] of each key's number (-1: a key holding no
    number). `arrays`: the file's `metric_arrays` rows as lists of the entry's number in the
    file, the metric name and the values (float or None)."""

    parsed: ParsedResult
    columns: tuple[list, ...]
    codes: bytes
    values: bytes
    arrays: tuple[list, list, list]


def parse_fast(data: bytes, names: dict[str, int], max_depth: int) -> FastParsed | None:
    """`data` read by the compiled parser, or None when it does not take the file (or is not
    available): `etl.parse.parse_result` then reads it. New metric names are added to `names`
    (as the Python path would add them, possibly in another order: the codes only index
    names)."""
    got = _fastparse.parse(data, names, max_depth, MAX_ENTRIES_PER_FILE)
    if got is None:
        return None
    top, columns, codes, values, (arr_entries, arr_names, arr_values, has_dicts) = got
    task_name = top.get("task_name")
    if task_name.__class__ is not str:
        return None  # the Python parser quarantines it, with its reason
    version = top.get("mteb_version")
    if version is not None and not isinstance(version, str):
        version = str(version)
    if has_dicts:  # flattened as parent_child for a pair-classification task (parse_result)
        first = parse_version(version)
        if first is not None and first < PRE_PAIR_FLATTEN:
            return None
    versions = columns[4]
    if ... in versions:  # no mteb_version of its own: the file's
        columns[4][:] = [version if v is ... else v for v in versions]
    parsed = ParsedResult(
        task_name=task_name, file_task_name=task_name, file_format="current",
        mteb_version=version, dataset_revision=_str_or_none(top.get("dataset_revision")),
        evaluation_time=_number_or_none(top.get("evaluation_time")),
        kg_co2_emissions=_number_or_none(top.get("kg_co2_emissions")),
        date=_timestamp(top.get("date")), entries=columns[5],
    )
    return FastParsed(parsed, columns, codes, values, (arr_entries, arr_names, arr_values))


# What `EntryValues` gives for a key holding an object or a list: like the object or list
# itself, `etl.parse.metric_value` reads it as no number (entry_checks then leaves it out)
_NOT_A_NUMBER: list = []


class EntryValues:
    """An entry read by the compiled parser as `entry_checks` reads an entry: its metric values
    by name (`positions`: name -> index in `values`, the entry's metric values; None for a key
    holding an object or a list). One object is reused for the entries of a file, its two
    fields set per entry."""

    __slots__ = ("positions", "values")

    def __init__(self, positions: dict[str, int | None] | None = None, values=None):
        self.positions = positions
        self.values = values

    def __getitem__(self, name: str):
        at = self.positions[name]
        return _NOT_A_NUMBER if at is None else self.values[at]


class Spotted(NamedTuple):
    """The keys and spots of an entry holding objects or lists (FastParsed.columns): what its
    check program depends on."""

    keys: tuple
    spots: tuple


def metric_positions(keys: tuple, spots: tuple | None = None) -> dict[str, int | None]:
    """name -> index among the metric values of an entry with these keys and spots (see
    FastParsed; None: a key holding an object or a list)."""
    if spots is not None:
        return {k: (s if s >= 0 else None) for k, s in zip(keys, spots)
                if k not in ENTRY_KEYS_NOT_METRICS}
    metrics = [k for k in keys if k not in ENTRY_KEYS_NOT_METRICS]
    return {k: i for i, k in enumerate(metrics)}


def check_program(keys: tuple, shape: CheckShape, spots: tuple | None = None) -> bytes:
    """What the compiled `checks` reads of an entry with these keys and spots (etl/_fastparse.c):
    int32 positions among its metric values of its main metric, mrr_at_1, precision_at_1 (-1:
    absent), the number of its recall keys then their positions (in order of k), the number of
    its bounded metrics then their positions. Empty when `entry_checks` has nothing to check;
    [-1] (every entry a candidate) when a checked name is not among the metric values."""
    if shape.empty:
        return b""
    at = metric_positions(keys, spots)
    names = [*shape.at_names, *shape.recall_keys, *shape.bounded]
    if any(name is not None and at.get(name) is None for name in names):
        return array("i", [-1]).tobytes()
    program = [-1 if name is None else at[name] for name in shape.at_names]
    program.append(len(shape.recall_keys))
    program.extend(at[name] for name in shape.recall_keys)
    program.append(len(shape.bounded))
    program.extend(at[name] for name in shape.bounded)
    return array("i", program).tobytes()


def check_candidates(fast: FastParsed, main_metric: str | None, shapes: dict,
                     programs: dict) -> list[int] | None:
    """The entries (indexes in the file) of a file the compiled parser read that
    `etl.parse.entry_checks` may give a row, found in C on their float64 values with the same
    comparisons (the rest has none: nearly every entry); `entry_checks` then makes each row.
    None when the extension has no `checks` (an older build): the caller checks every entry.
    `shapes`: the CheckShape cache of `entry_checks` for `main_metric` (keys -> shape);
    `programs`: keys (or `Spotted` keys and spots) -> `check_program`, for the same main
    metric."""
    checks = getattr(_fastparse, "checks", None)
    if checks is None:
        return None

    def make(key: tuple) -> None:
        keys, spots = key if key.__class__ is Spotted else (key, None)
        shape = shapes.get(keys)
        if shape is None:
            shape = shapes[keys] = CheckShape(keys, main_metric)
        programs[key] = check_program(keys, shape, spots)

    columns = fast.columns
    keys_of, spots_of = columns[5], columns[8]
    if spots_of.count(None) != len(spots_of):
        keys_of = [keys if spots is None else Spotted(keys, spots)
                   for keys, spots in zip(keys_of, spots_of)]
    return checks(fast.values, columns[6], keys_of, columns[3], programs, make,
                  -OUT_OF_RANGE_TOLERANCE, 1 + OUT_OF_RANGE_TOLERANCE, CHECK_FLOOR)
