"""The one SQL tokenizer of the project: DuckDB's own, with character offsets.

The gate uses it to find statements, the first keyword and what an EXPLAIN wraps; the SQL page
uses it to page a result (``wrap``) and to tell whether a query orders itself.
"""

from __future__ import annotations

import duckdb


def tokens(text: str, *, comments: bool = False) -> list[tuple[int, str, str]]:
    """(character offset, kind, text) of each token of DuckDB's tokenizer, comments left out
    unless asked for; a token's text runs to the next token, stripped. Raises what DuckDB raises
    on text it cannot tokenize."""
    raw = duckdb.tokenize(text)
    encoded = text.encode("utf-8")
    starts = [(len(encoded[:b].decode("utf-8", errors="ignore")), k.name) for b, k in raw]
    out = []
    for i, (start, kind) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if comments or kind != "comment":
            out.append((start, kind, text[start:end].strip()))
    return out


def byte_to_char(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def first_token_offset(text: str) -> int:
    try:
        found = tokens(text)
    except Exception:  # noqa: BLE001 - positions are best effort
        return 0
    return found[0][0] if found else 0


def first_word(text: str) -> str | None:
    """The statement's first keyword, upper case (``FORCE INSTALL`` for two-word ones)."""
    try:
        found = tokens(text)
    except Exception:  # noqa: BLE001
        return None
    if not found:
        return None
    start = found[0][0]
    end = found[1][0] if len(found) > 1 else len(text)
    word = text[start:end].strip().split()[0] if text[start:end].strip() else ""
    if word.upper() == "FORCE" and len(found) > 1:  # FORCE INSTALL, FORCE CHECKPOINT
        return f"FORCE {first_word(text[found[1][0]:])}"
    return word.upper() or None


def explained_offset(text: str) -> int:
    """Character offset of the statement an ``EXPLAIN [ANALYZE] [(options)]`` wraps."""
    found = tokens(text)
    i = 1  # found[0] is EXPLAIN
    words = lambda j: text[found[j][0]:].split(None, 1)[0].lower().rstrip("(")  # noqa: E731
    if i < len(found) and words(i) in ("analyze", "analyse"):
        i += 1
    if i < len(found) and text[found[i][0]] == "(":
        depth = 0
        while i < len(found):
            ch = text[found[i][0]]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            i += 1
    return found[i][0] if i < len(found) else len(text)


def strip_terminator(sql: str) -> str:
    """The statement without its closing ``;`` and the comments after it: a query wrapped as a
    subquery (paging, the row cap) breaks on either."""
    try:
        found = tokens(sql, comments=True)
    except Exception:  # noqa: BLE001 - the gate reports what DuckDB cannot read
        return sql
    end = len(sql)
    for start, kind, text in reversed(found):
        if kind == "comment" or (kind == "operator" and text and set(text) == {";"}):
            end = start
        else:
            break
    return sql[:end].rstrip()


def has_top_level_order(sql: str) -> bool:
    """Whether the statement ends in its own ORDER BY (outside any parentheses)."""
    depth = 0
    try:
        found = tokens(sql)
    except Exception:  # noqa: BLE001
        return False
    for _, kind, text in found:
        if kind == "operator":
            depth += text.count("(") - text.count(")")
        elif kind == "keyword" and depth == 0 and text.lower().startswith("order"):
            return True
    return False


def wrap(sql: str, select: str = "*", suffix: str = "") -> str:
    """``sql`` as a subquery (the SQL page pages and counts a result through it). The newline
    before ``)`` ends a trailing ``--`` comment."""
    return f"SELECT {select} FROM (\n{strip_terminator(sql)}\n) AS q{suffix}"
