"""Turn one result JSON file into warehouse rows, the way mteb reads it.

mteb's loader (`TaskResult.from_disk`) decides the layout per file:
- current layout ("scores" present): entries are taken as written;
- legacy layout (mteb < 1.11, split names at the top level): converted as mteb's
  `_convert_from_before_v1_11_0` does: subset detection, `cos_sim.*` -> `cosine_*` renames,
  main_score taken from the task's main metric when missing, languages from the task metadata,
  task renames, and two historic subset fixes (MLSUM, XPQA);
- files written before mteb 1.12.48: pair-classification dicts flattened as `parent_child`.

The JSON is decoded by msgspec (C, ~3x faster than the json module) when the file holds no NaN or
Infinity token and msgspec accepts it; otherwise (and for any text msgspec refuses) by Python's
json module, which accepts the bare NaN and Infinity tokens the repository contains: the parsed
values are the same either way. NaN stays NaN here (ranking views read it as NULL). Anything
else that does not fit raises `Quarantine` with a reason a person can act on.

Metric values are collected in compact columnar buffers (`MetricBuffer`) rather than row objects:
the full repository holds about 35.6 M scalar values. Files of the common shape (current layout,
entries of numbers) are read before any of this by a compiled parser that fills those buffers
directly (etl/parse_fast.py, etl/_fastparse.c); this module reads every other file, with the same
rows.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import blake2b
from itertools import accumulate
from operator import itemgetter, le

import msgspec
from packaging.version import InvalidVersion, Version

from mteb_lb import settings

PRE_LEGACY = Version("1.11.0")
PRE_PAIR_FLATTEN = Version("1.12.48")
# Nested dicts mteb renames when converting legacy files (old name -> new prefix).
LEGACY_SIMILARITY_RENAMES = (
    ("cos_sim", "cosine"), ("manhattan", "manhattan"), ("euclidean", "euclidean"),
    ("dot", "dot"), ("max", "max"), ("similarity", "similarity"),
)
# Keys that do not make a legacy split per-language (mteb's own exclusion list).
LEGACY_NON_SUBSET_KEYS = {"v_measures", "cos_sim", "euclidean", "manhattan", "dot", "max"}
ENTRY_KEYS_NOT_METRICS = {"hf_subset", "languages", "mteb_version"}
MAX_ENTRIES_PER_FILE = 1 << 20


class Quarantine(Exception):
    """The file cannot be loaded; ``str(exc)`` is the reason recorded in `files`."""


def failure_reason(exc: BaseException) -> str:
    """The `files.reason` of a file whose reading or interpretation raised `exc`: a `Quarantine`
    speaks for itself, any other exception is named with its class."""
    if isinstance(exc, Quarantine):
        return str(exc)
    text = str(exc)
    if len(text) > 200:
        text = text[:200] + "..."
    return f"cannot be interpreted ({type(exc).__name__}{': ' + text if text else ''})"


# The bytes that decide JSON nesting: brackets, and the quotes and backslashes of strings.
_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}\\')
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')


def json_depth(data: bytes, limit: int) -> int:
    """Nesting depth of the JSON text `data`, or a bound of it when that bound is at most
    `limit` (the number of brackets that open). Scanned without recursion, in C-speed passes:
    the structural bytes are kept, strings dropped, then the running depth summed."""
    return _structure(data, limit)[0]


def _structure(data: bytes, limit: int) -> tuple[int, bool]:
    """(`json_depth`, whether the text holds a backslash escape)."""
    reduced = data.translate(None, _NOT_STRUCTURAL)
    escaped = b"\\" in reduced
    opening = reduced.count(b"[") + reduced.count(b"{")
    if opening <= limit:
        return opening, escaped
    if escaped:  # escapes first (an escaped quote does not end a string)
        reduced = _ESCAPE.sub(b"", data).translate(None, _NOT_STRUCTURAL)
    # two adjacent quotes enclose nothing structural: dropping them keeps strings paired
    reduced = reduced.replace(b'""', b"")
    if b'"' in reduced:
        reduced = _STRING.sub(b"", reduced)
    steps = array("b", reduced.translate(_DEPTH_STEP, b'"'))
    return max(accumulate(steps), default=0), escaped


def load_json(data: bytes, max_depth: int, what: str = "") -> object:
    """The JSON value of `data` (NaN and Infinity tokens allowed, as mteb writes them), or
    `Quarantine` with a reason: not UTF-8, nested deeper than `max_depth`, not valid JSON
    (an integer beyond Python's digit limit included), or text with a lone surrogate escape
    (not storable as UTF-8)."""
    depth, escaped = _structure(data, max_depth)
    obj = _fast_decode(data, escaped) if depth <= max_depth else _NOT_DECODED
    if obj is not _NOT_DECODED:
        return obj
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Quarantine(f"{what}not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if depth > max_depth:
        raise Quarantine(f"{what}nested deeper than {max_depth} levels (MTEB_LB_MAX_JSON_DEPTH)")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Quarantine(f"{what}not valid JSON: {exc.msg} at line {exc.lineno} "
                         f"column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise Quarantine(f"{what}not loadable JSON: {exc}") from None
    if escaped and (b"\\ud" in data or b"\\uD" in data):  # a surrogate escape: paired, or not
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Quarantine(f"{what}a string holds a lone surrogate (\\ud800-\\udfff escape), "
                             "not valid Unicode") from None
    return obj


_NOT_DECODED = object()
_DECODER = msgspec.json.Decoder()


def _fast_decode(data: bytes, escaped: bool) -> object:
    """The value msgspec decodes `data` to, when it is the value json.loads gives: not for text
    with a NaN or Infinity token (msgspec refuses them; the bytes also match inside a string,
    which only costs the fast path), a backslash escape of a surrogate (json keeps a lone one)
    or a BOM. `_NOT_DECODED` otherwise, and for any text msgspec refuses (invalid UTF-8 or
    JSON, a float out of range, an integer beyond Python's digit limit, which both apply...):
    the json module then decides, with its own error messages."""
    if b"NaN" in data or b"Infinity" in data or data[:3] == b"\xef\xbb\xbf" \
            or (escaped and (b"\\ud" in data or b"\\uD" in data)):
        return _NOT_DECODED
    try:
        return _DECODER.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return _NOT_DECODED


def file_id_of(path: str, *version: str | None) -> int:
    """43-bit key of a path, or of one version of a file: the path plus what its rows depend on
    (content hash, model name, revision). The same inputs give the same key on every build and
    machine; a file whose content or model identity changes gets a new key, so the rows of its
    old version can be told apart from the new ones (etl/segments.py)."""
    key = "\0".join([path, *("" if v is None else v for v in version)])
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big") >> 21


def content_hash(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def parse_version(text) -> Version | None:
    """The lowest version in an mteb_version string ('2.10.0-2.18.7' -> 2.10.0), as mteb does."""
    if not isinstance(text, str):
        return None
    try:
        return Version(text.split("-")[0] if _is_range(text) else text)
    except InvalidVersion:
        return None


def _is_range(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 2 and all(p[:1].isdigit() for p in parts)


@dataclass
class TaskInfo:
    name: str
    type: str | None
    main_score: str | None
    subset_languages: dict[str, list[str]]
    all_languages: list[str]


@dataclass
class TaskCatalog:
    """What the parser needs to know of the tasks (from the committed catalog snapshot)."""

    tasks: dict[str, TaskInfo]
    renames: dict[str, str]

    @classmethod
    def from_snapshot(cls, tasks: list[dict], renames: dict[str, str]) -> "TaskCatalog":
        infos = {}
        for t in tasks:
            mapping = t.get("hf_subsets_to_langscripts") or {}
            union: list[str] = []
            for langs in mapping.values():
                union.extend(lang for lang in langs if lang not in union)
            infos[t["name"]] = TaskInfo(t["name"], t.get("type"), t.get("main_score"), mapping,
                                         union)
        return cls(infos, dict(renames))

    def resolve_legacy(self, name: str) -> TaskInfo | None:
        """mteb's order: outdated dummy tasks and registry names, renames, case-insensitive
        match."""
        if name in self.tasks:
            return self.tasks[name]
        renamed = self.renames.get(name)
        if renamed in self.tasks:
            return self.tasks[renamed]
        lowered = name.lower()
        for task_name, info in self.tasks.items():
            if task_name.lower() == lowered:
                return info
        return None


@dataclass
class MetricBuffer:
    """Columnar buffers for the `metrics` and `metric_arrays` rows of a batch of entries.

    Entry ids are stored as runs (one per entry: its id and where its metrics end), so the hot
    loop appends only a name code and a value per metric.
    """

    run_ids: array = field(default_factory=lambda: array("q"))
    run_ends: array = field(default_factory=lambda: array("q"))
    codes: array = field(default_factory=lambda: array("i"))
    values: array = field(default_factory=lambda: array("d"))
    null_positions: list[int] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    array_entry_ids: list[int] = field(default_factory=list)
    array_metrics: list[str] = field(default_factory=list)
    array_values: list[list] = field(default_factory=list)
    # tuple of an entry's keys -> (getter of its metric values, their name codes); see
    # emit_metrics
    shapes: dict[tuple, tuple] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    def scalar(self, name: str, value) -> None:
        """Append one non-float scalar (None, bool, str, or a list/dict kept as JSON text)."""
        code = self.names.get(name)
        if code is None:
            code = self.names[name] = len(self.names)
        self.codes.append(code)
        pos = len(self.values)
        if value is None:
            self.values.append(0.0)
            self.null_positions.append(pos)
        elif isinstance(value, bool):
            self.values.append(float(value))
            self.texts[pos] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            self.values.append(float(value))
        else:
            text = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
            number = _as_number(text) if isinstance(value, str) else None
            if number is None:
                self.values.append(0.0)
                self.null_positions.append(pos)
            else:
                self.values.append(number)
            self.texts[pos] = text

    def vector(self, entry_id: int, name: str, values: list) -> None:
        self.array_entry_ids.append(entry_id)
        self.array_metrics.append(name)
        self.array_values.append([None if v is None else float(v) for v in values])


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_number(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


# `_is_number` of every value at once, by exact type: decoded JSON holds only dict, list, str,
# int, float, bool and None, never a subclass of int or float other than bool
_NUMBER_OR_NONE = frozenset((float, int, type(None)))


def _all_numbers(values) -> bool:
    return set(map(type, values)) <= _NUMBER_OR_NONE


_NUMBER_CLASSES = frozenset((float, int))


def emit_metrics(buf: MetricBuffer, entry_id: int, entry: dict) -> tuple:
    """Every metric of one (already renamed) entry into the buffers. This runs for ~36 M values
    on the full repository. Most entries share their keys with many others and hold only
    numbers: for those the values are taken at once (a getter cached per tuple of keys, its name
    codes appended as one block), in the order the loop below would append them. Returns the
    entry's tuple of keys (`entry_checks` takes it)."""
    return emit_metrics_values(buf, entry_id, entry)[0]


def emit_metrics_values(buf: MetricBuffer, entry_id: int, entry: dict) -> tuple:
    """`emit_metrics`, returning (the entry's tuple of keys, its metric values in key order when
    they are all numbers and were appended at once, else None): `entry_checks` takes both, and
    then picks its values from that tuple instead of looking them up and checking them again."""
    keys = tuple(entry)
    shape = buf.shapes.get(keys)
    if shape is None:
        shape = buf.shapes[keys] = _shape(buf, keys)
    getter, block = shape
    if getter is not None:
        values = getter(entry)
        if set(map(type, values)) <= _NUMBER_CLASSES:
            buf.codes.extend(block)
            buf.values.extend(values)
            buf.run_ids.append(entry_id)
            buf.run_ends.append(len(buf.values))
            return keys, values
    _emit_entry(buf, entry_id, entry)
    return keys, None


# The metrics the validity rules compare (queries/quality/quality_entry_metrics.sql reads them
# from the `entry_checks` table `entry_checks` fills; mteb_lb/schema.py ENTRY_CHECKS)
CHECKED_AT_1 = ("mrr_at_1", "precision_at_1")
RECALL_PREFIX = "recall_at_"
BOUNDED_METRIC = re.compile(r"(ndcg|map|recall|precision|mrr|hit_rate)_at_[0-9]+")
OUT_OF_RANGE_TOLERANCE = 1e-6
_INT32_MAX = (1 << 31) - 1


def metric_value(value) -> tuple[bool, float | None]:
    """(whether a top-level entry key with this value gives a `metrics` row, the row's `value`),
    as `emit_metrics` decides: numbers and booleans as floats, a string its number (or NULL),
    None and other scalars NULL; dicts and lists of numbers or of objects give no row of that
    name (they are flattened, or go to `metric_arrays`)."""
    cls = value.__class__
    if cls is float or cls is int:
        return True, float(value)
    if isinstance(value, dict):
        return False, None
    if isinstance(value, list):
        if all(_is_number(v) for v in value):
            return False, None
        if all(isinstance(v, dict) for v in value):
            return _transpose([_flatten(v) for v in value]) is None, None
        return True, None
    if isinstance(value, (bool, int, float)):
        return True, float(value)
    if isinstance(value, str):
        return True, _as_number(value)
    return True, None


class CheckShape:
    """What `entry_checks` looks at in an entry with a given tuple of keys and main metric: the
    main metric, mrr_at_1 and precision_at_1 when present, its recall_at_<k> keys with their k
    (in order of k) and its bounded metrics, with one getter of all their values."""

    __slots__ = ("at", "at_names", "recall_ks", "recall_keys", "bounded", "get", "empty",
                 "main_only", "pick")

    def __init__(self, keys: tuple, main_metric: str | None):
        present = set(keys)
        # position in the getter's tuple of main value, mrr_at_1, precision_at_1 (None: absent)
        self.at, self.at_names, names = [], [], []
        for name in (main_metric, *CHECKED_AT_1):
            here = name is not None and name in present
            self.at.append(len(names) if here else None)
            self.at_names.append(name if here else None)
            if here:
                names.append(name)
        recalls = []
        for key in keys:
            if key.startswith(RECALL_PREFIX):
                suffix = key[len(RECALL_PREFIX):]
                # DuckDB's try_cast(... as integer) of the suffix: plain ASCII digits here
                if suffix.isascii() and suffix.isdigit() and int(suffix) <= _INT32_MAX:
                    recalls.append((int(suffix), key))
        recalls.sort(key=lambda r: r[0])
        self.recall_ks = [k for k, _ in recalls]
        self.recall_keys = [key for _, key in recalls]
        self.bounded = sorted(k for k in keys if BOUNDED_METRIC.fullmatch(k))
        names += self.recall_keys + self.bounded
        self.empty = not names
        # the main metric is all there is to check (most entries): a float equal to the main
        # score gives no row, without the general path
        self.main_only = names[0] if names and names == [main_metric] else None
        self.get = (lambda entry: (entry[names[0]],)) if len(names) == 1 else \
            itemgetter(*names) if names else None
        # the same values picked from the tuple `emit_metrics_values` returns (the entry's
        # metrics in key order); None when a name is not among those metrics
        metrics = [k for k in keys if k not in ENTRY_KEYS_NOT_METRICS]
        at = {k: i for i, k in enumerate(metrics)}
        self.pick = None
        if names and all(name in at for name in names):
            spots = [at[name] for name in names]
            self.pick = (lambda values: (values[spots[0]],)) if len(spots) == 1 else \
                itemgetter(*spots)


# Differences up to this are rounding (5-decimal values), never a flag: `entry_checks` keeps no row
# whose MRR@1 and precision@1, or whose consecutive recalls, differ by no more; every rule's
# tolerance is above it (0.1 and 1e-4, docs/QUALITY.md §Tolerances; tests/test_entry_checks.py)
CHECK_FLOOR = 1e-5
_INF = math.inf


def entry_checks(entry: dict, main_metric: str | None, shapes: dict,
                 keys: tuple | None = None, *, main_score: float | None = None,
                 values: tuple | None = None) -> tuple | None:
    """The `entry_checks` row of one entry (without its id): (main_metric_value, mrr_at_1,
    precision_at_1, recalls, out_of_range), or None when no rule could flag the entry at a
    tolerance above CHECK_FLOOR: it has a row only when its declared main metric differs from
    `main_score` (the entry's, when the caller gives it), its MRR@1 and precision@1 differ by
    more than CHECK_FLOOR, a recall is lower than the one at the next smaller k by more than
    CHECK_FLOOR, or a bounded metric is outside [0, 1] (NaN and infinite differences count as
    more, as DuckDB orders NaN above every number). That is a few thousand of the 1.29 M
    entries of the real data. Recalls are (k, value) and out_of_range (metric, value) pairs.
    `shapes` caches a CheckShape per tuple of keys: one dict per main metric; `keys`:
    tuple(entry) when the caller has it; `values`: the entry's metric values in key order, all
    numbers (`emit_metrics_values`), when the caller has them."""
    if keys is None:
        keys = tuple(entry)
    shape = shapes.get(keys)
    if shape is None:
        shape = shapes[keys] = CheckShape(keys, main_metric)
    if shape.empty:
        return None
    if shape.main_only is not None:
        value = entry[shape.main_only]
        if value.__class__ is float and value == main_score:
            return None
    if values is not None and shape.pick is not None:
        got = shape.pick(values)
        numbers = True  # all of `values` are
    else:
        got = shape.get(entry)
        numbers = set(map(type, got)) <= _NUMBER_CLASSES
    if not numbers:
        return _entry_checks_exact(entry, shape, main_score)
    # all numbers: nearly every entry
    at = shape.at
    n_recalls = len(shape.recall_ks)
    start = len(got) - len(shape.bounded) - n_recalls
    out_of_range = None
    if shape.bounded:
        bounded = got[start + n_recalls:]
        low, high = -OUT_OF_RANGE_TOLERANCE, 1 + OUT_OF_RANGE_TOLERANCE
        # min/max in C: when both are within the bounds every value is (a NaN at the front
        # makes them NaN, which fails the test and takes the exact loop below)
        if not (min(bounded) >= low and max(bounded) <= high):
            out_of_range = [(name, float(v)) for name, v in zip(shape.bounded, bounded)
                            if math.isfinite(v) and (v < low or v > high)] or None
    main, mrr, precision = at
    if main is not None:
        main = float(got[main])
    if mrr is not None:
        mrr = float(got[mrr])
    if precision is not None:
        precision = float(got[precision])
    if out_of_range is None and (main is None or main == main_score) \
            and (mrr is None or precision is None or abs(mrr - precision) <= CHECK_FLOOR):
        if n_recalls < 2:
            return None
        found = got[start:start + n_recalls]
        # non-decreasing and finite at both ends (comparisons in C): no drop, the usual case
        if all(map(le, found, found[1:])) and -_INF < found[0] and found[-1] < _INF:
            return None
        if not _recall_drop([v for v in found if v == v]):
            return None
    recalls = [(k, float(v)) for k, v in zip(shape.recall_ks, got[start:]) if v == v] \
        if n_recalls else None
    return main, mrr, precision, recalls or None, out_of_range


def _recall_drop(values: list) -> bool:
    """Whether a value of `values` (recalls in order of k, without NaN) is lower than the one
    before it by more than CHECK_FLOOR (inf - inf is NaN: a drop, as DuckDB compares it)."""
    return any(not (prev - cur <= CHECK_FLOOR) for prev, cur in zip(values, values[1:]))


def _entry_checks_exact(entry: dict, shape: CheckShape,
                        main_score: float | None = None) -> tuple | None:
    """`entry_checks` of an entry holding values other than numbers (strings, nulls, lists,
    dicts): each value as its `metrics` row holds it (`metric_value`)."""
    values = []
    for name in shape.at_names:
        values.append(None if name is None else metric_value(entry[name])[1])
    recalls = []
    for k, key in zip(shape.recall_ks, shape.recall_keys):
        value = metric_value(entry[key])[1]
        if value is not None and value == value:  # NaN and NULL are left out
            recalls.append((k, value))
    out_of_range = []
    low, high = -OUT_OF_RANGE_TOLERANCE, 1 + OUT_OF_RANGE_TOLERANCE
    for key in shape.bounded:
        value = metric_value(entry[key])[1]
        if value is not None and math.isfinite(value) and (value < low or value > high):
            out_of_range.append((key, value))
    main, mrr, precision = values
    if not out_of_range and (main is None or main == main_score) \
            and (mrr is None or precision is None or abs(mrr - precision) <= CHECK_FLOOR) \
            and not _recall_drop([v for _, v in recalls]):
        return None
    return (*values, recalls or None, out_of_range or None)


def _shape(buf: MetricBuffer, keys: tuple) -> tuple:
    """(getter of the metric values of an entry with these keys as a tuple, their name codes),
    or (None, None) when it has fewer than two metrics (the loop is as fast)."""
    metrics = [k for k in keys if k not in ENTRY_KEYS_NOT_METRICS]
    if len(metrics) < 2:
        return None, None
    names = buf.names
    for key in metrics:
        if key not in names:
            names[key] = len(names)
    return itemgetter(*metrics), array("i", [names[k] for k in metrics])


def _emit_entry(buf: MetricBuffer, entry_id: int, entry: dict) -> None:
    names = buf.names
    codes = buf.codes.append
    values = buf.values.append
    for key, value in entry.items():
        cls = value.__class__
        if cls is float or cls is int:
            code = names.get(key)
            if code is None:
                code = names[key] = len(names)
            codes(code)
            values(value)
        elif key not in ENTRY_KEYS_NOT_METRICS:
            _emit(buf, entry_id, key, value)
    buf.run_ids.append(entry_id)
    buf.run_ends.append(len(buf.values))


def _emit(buf: MetricBuffer, entry_id: int, name: str, value) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _emit(buf, entry_id, f"{name}.{k}", v)
    elif isinstance(value, list):
        if _all_numbers(value):
            buf.vector(entry_id, name, value)
        elif set(map(type, value)) == _DICT:
            columns = _transpose([_flatten(v) for v in value])
            if columns is None:
                buf.scalar(name, value)  # kept whole, as JSON text
            else:
                for sub, vals in columns.items():
                    buf.vector(entry_id, f"{name}.{sub}", vals)
        else:
            buf.scalar(name, value)
    elif value.__class__ is float or value.__class__ is int:
        code = buf.names.get(name)
        if code is None:
            code = buf.names[name] = len(buf.names)
        buf.codes.append(code)
        buf.values.append(value)
    else:
        buf.scalar(name, value)


_DICT = {dict}


def _flatten(d: dict, prefix: str = "") -> dict:
    if not prefix and dict not in set(map(type, d.values())):
        return d  # flat already (read only by _transpose)
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _transpose(rows: list[dict]) -> dict[str, list] | None:
    """List of flat dicts -> {key: [values]}; None when a value is not a number."""
    first = rows[0].keys()
    if all(row.keys() == first for row in rows):  # the same keys: in the first row's order
        keys = list(first)
    else:
        keys = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
    columns = {}
    for k in keys:
        vals = [row.get(k) for row in rows]
        if not _all_numbers(vals):
            return None
        columns[k] = vals
    return columns


@dataclass
class Entry:
    split: str
    subset: str
    languages: list[str]
    main_score: float | None
    entry_mteb_version: str | None
    metrics: dict


@dataclass
class ParsedResult:
    task_name: str
    file_task_name: str
    file_format: str
    mteb_version: str | None
    dataset_revision: str | None
    evaluation_time: float | None
    kg_co2_emissions: float | None
    date: datetime | None
    entries: list[Entry]
    note: str | None = None


def parse_result(data: bytes, catalog: TaskCatalog, max_depth: int | None = None) -> ParsedResult:
    """Parse the bytes of one result file; raise `Quarantine` when it cannot be loaded.
    `max_depth` defaults to the MTEB_LB_MAX_JSON_DEPTH setting."""
    obj = load_json(data, settings.get("max_json_depth") if max_depth is None else max_depth)
    if not isinstance(obj, dict):
        raise Quarantine(f"wrong shape: the top level is a {type(obj).__name__}, not an object")
    version = obj.get("mteb_version")
    if version is not None and not isinstance(version, str):
        version = str(version)
    min_version = parse_version(version)
    if "scores" in obj:
        result = _parse_current(obj, version)
    elif (min_version is not None and min_version < PRE_LEGACY) or "mteb_version" not in obj:
        result = _parse_legacy(obj, version, catalog)
    else:
        raise Quarantine(f"wrong shape: no `scores` and mteb_version {version} is too new for "
                         "the legacy layout")
    if min_version is not None and min_version < PRE_PAIR_FLATTEN:
        info = catalog.tasks.get(result.task_name)
        if info is not None and info.type == "PairClassification":
            for entry in result.entries:
                entry.metrics = _flatten_pair_dicts(entry.metrics)
    if len(result.entries) >= MAX_ENTRIES_PER_FILE:
        raise Quarantine(f"too many entries ({len(result.entries)})")
    return result


def _flatten_pair_dicts(metrics: dict) -> dict:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            for k, v in value.items():
                out[f"{key}_{k}"] = v
        else:
            out[key] = value
    return out


def _number_or_none(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _timestamp(value) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):  # beyond the years 1-9999
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _parse_current(obj: dict, version: str | None) -> ParsedResult:
    task_name = obj.get("task_name")
    if not isinstance(task_name, str):
        raise Quarantine("wrong shape: `task_name` is missing or not a string")
    scores = obj["scores"]
    if not isinstance(scores, dict):
        raise Quarantine("wrong shape: `scores` is not an object of splits")
    entries = []
    for split, split_entries in scores.items():
        if not isinstance(split_entries, list):
            raise Quarantine(f"wrong shape: scores[{split!r}] is not a list of entries")
        for i, entry in enumerate(split_entries):
            if entry.__class__ is not dict:  # decoded JSON: dict exactly, never a subclass
                raise Quarantine(f"wrong shape: scores[{split!r}][{i}] is not an object")
            if "hf_subset" not in entry or "main_score" not in entry \
                    or "languages" not in entry:
                key = next(k for k in ("hf_subset", "main_score", "languages") if k not in entry)
                raise Quarantine(f"wrong shape: scores[{split!r}][{i}] has no `{key}`")
            subset, languages = entry["hf_subset"], entry["languages"]
            if subset.__class__ is not str or languages.__class__ is not list:
                raise Quarantine(f"wrong shape: scores[{split!r}][{i}] has a non-string hf_subset "
                                 "or non-list languages")
            entry_version = entry.get("mteb_version", version)
            score = entry["main_score"]
            entries.append(Entry(split, subset, [str(x) for x in languages],
                                 score if score.__class__ is float else _score(score),
                                 None if entry_version is None else str(entry_version), entry))
    return ParsedResult(
        task_name=task_name, file_task_name=task_name, file_format="current",
        mteb_version=version, dataset_revision=_str_or_none(obj.get("dataset_revision")),
        evaluation_time=_number_or_none(obj.get("evaluation_time")),
        kg_co2_emissions=_number_or_none(obj.get("kg_co2_emissions")),
        date=_timestamp(obj.get("date")), entries=entries,
    )


def _score(value) -> float | None:
    """main_score as a float: NaN kept, the string 'nan' read as NaN, anything else non-numeric
    NULL."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _as_number(value)
    return None


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _parse_legacy(obj: dict, version: str | None, catalog: TaskCatalog) -> ParsedResult:
    scores = dict(obj)
    dataset_revision = scores.pop("dataset_revision", None)
    file_task_name = scores.pop("mteb_dataset_name", None)
    scores.pop("mteb_version", None)
    scores.pop("evaluation_phases", None)
    if not isinstance(file_task_name, str):
        raise Quarantine("wrong shape: legacy layout without `mteb_dataset_name`")
    evaluation_time = 0.0
    for split, split_scores in scores.items():
        if not isinstance(split_scores, dict):
            raise Quarantine(f"wrong shape: legacy split {split!r} is not an object")
    splits = {split: dict(split_scores) for split, split_scores in scores.items()}
    for split_scores in splits.values():
        t = split_scores.pop("evaluation_time", None)
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            evaluation_time += t
    per_subset = any(
        isinstance(v, dict)
        for split_scores in splits.values()
        for k, v in split_scores.items()
        if k not in LEGACY_NON_SUBSET_KEYS
    )
    if not per_subset:
        splits = {split: {"default": split_scores} for split, split_scores in splits.items()}

    info = catalog.resolve_legacy(file_task_name)
    note = None if info is not None else "task unknown to the catalog: no languages, no main score"
    task_name = info.name if info is not None else file_task_name
    if file_task_name in ("MLSUMClusteringP2P", "MLSUMClusteringS2S") and version in (
        "1.1.2.dev0", "1.1.3.dev0"
    ) and "test" in splits and "default" in splits["test"]:
        splits["test"]["fr"] = splits["test"].pop("default")
    if task_name == "XPQARetrieval" and "fr" in splits.get("test", {}):
        splits["test"]["fra-fra"] = splits["test"].pop("fr")

    entries = []
    for split, subsets in splits.items():
        for subset, metrics in subsets.items():
            if not isinstance(metrics, dict):
                raise Quarantine(f"wrong shape: legacy {split!r}/{subset!r} is not an object")
            metrics = dict(metrics)
            for old, new in LEGACY_SIMILARITY_RENAMES:
                nested = metrics.pop(old, None)
                if isinstance(nested, dict):
                    for k, v in nested.items():
                        metrics[f"{new}_{k}"] = v
                elif nested is not None:
                    metrics[old] = nested
            if "main_score" not in metrics:
                main_metric = info.main_score if info is not None else None
                metrics["main_score"] = metrics.get(main_metric) if main_metric else None
            if info is None:
                languages = []
            else:
                languages = info.subset_languages.get(subset, info.all_languages)
            entries.append(Entry(split, subset, list(languages), _score(metrics["main_score"]),
                                 version, metrics))
    return ParsedResult(
        task_name=task_name, file_task_name=file_task_name, file_format="legacy",
        mteb_version=version, dataset_revision=_str_or_none(dataset_revision),
        evaluation_time=float(evaluation_time), kg_co2_emissions=None, date=None,
        entries=entries,
        note=note,
    )
