"""CSV cells a spreadsheet would not run as formulas (CSV injection, OWASP's advice).

Every CSV the project writes (``mteb-lb table``, ``mteb-lb sql``, ``/api/sql?format=csv``, the
dashboard's downloads) passes its text cells through here: a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which spreadsheets show as
text. Numbers are never changed: numeric columns are not text, and a text cell that is a plain
number (``-1.5``, ``+3e-2``) is left as it is (a spreadsheet reads it as that number, not a
formula).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_RE = r"^[=+\-@\t\r]"
_NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_NUMBER = re.compile(_NUMBER_RE)


def cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


def column(arr: pa.Array | pa.ChunkedArray):
    """:func:`cell` for every value of an Arrow column; columns that are not text unchanged."""
    t = arr.type
    if pa.types.is_string_view(t):
        arr, t = arr.cast(pa.string()), pa.string()
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return arr
    risky = pc.and_(pc.match_substring_regex(arr, _TRIGGER_RE),
                    pc.invert(pc.match_substring_regex(arr, _NUMBER_RE)))
    if not pc.any(risky).as_py():
        return arr
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'", t), arr,
                                                         pa.scalar("", t)), arr)


def batch(b: pa.RecordBatch) -> pa.RecordBatch:
    """:func:`column` applied to every column of a record batch."""
    return pa.RecordBatch.from_arrays([column(c) for c in b.columns], schema=None,
                                      names=b.schema.names)
