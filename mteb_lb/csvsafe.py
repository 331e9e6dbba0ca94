"""CSV cells a spreadsheet would not run as formulas (CSV injection, OWASP's advice).

Every CSV the project writes goes through the one writer (``mteb_lb.output``), which passes its
text cells and column names through here: a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which spreadsheets show as
text. Numbers are never changed: numeric columns are not text, and a text cell that is a plain
number (``-1.5``, ``+3e-2``) is left as it is (a spreadsheet reads it as that number, not a
formula).
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value
