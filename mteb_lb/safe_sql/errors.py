"""What the safe-SQL layers report: the kinds of failure, an error's position in the query, and
DuckDB's messages without advice a user cannot follow."""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("rejected", "syntax", "timeout", "permission", "runtime")


@dataclass(frozen=True)
class Position:
    """Where in the submitted SQL a problem is: 0-based character offset, 1-based line/column."""

    offset: int | None
    line: int | None
    column: int | None
    excerpt: str | None = None

    def to_dict(self) -> dict:
        return {"offset": self.offset, "line": self.line, "column": self.column,
                "excerpt": self.excerpt}


class SqlError(Exception):
    """A query that was refused or failed; ``kind`` is one of :data:`KINDS`."""

    def __init__(self, message: str, kind: str, position: Position | None = None):
        assert kind in KINDS, kind
        message = without_setting_advice(message)
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.position = position

    def to_dict(self) -> dict:
        return {"error": self.message, "kind": self.kind,
                "position": self.position.to_dict() if self.position else None}

    def describe(self) -> str:
        """The message plus, when known, where and the caret excerpt (for terminals)."""
        text = f"{self.kind} error: {self.message}"
        if self.position and self.position.line is not None:
            where = f"line {self.position.line}"
            if self.position.column is not None:
                where += f", column {self.position.column}"
            text += f" ({where})"
        if self.position and self.position.excerpt:
            text += "\n\n" + self.position.excerpt
        return text

_SETTING_ADVICE = re.compile(r"\b(SET|PRAGMA|RESET)\s+\w+\s*(=|\bTO\b)", re.I)

_ADVICE_IN_PARENS = re.compile(r"\s*\([^()]*\b(SET|PRAGMA|RESET)\s+\w+\s*(=|\bTO\b)[^()]*\)",
                               re.I)


def without_setting_advice(message: str) -> str:
    """A DuckDB message without its advice to change a setting ("SET memory_limit=…", "PRAGMA
    max_temp_directory_size=…", "Use SET max_expression_depth TO x"): users here cannot run SET.
    Out-of-memory messages keep their first line (what failed, and how much was in use)."""
    if not _SETTING_ADVICE.search(message):
        return message
    if message.startswith(("Out of Memory", "failed to allocate", "failed to offload")):
        message = message.split("\n", 1)[0].strip()
    message = _ADVICE_IN_PARENS.sub("", message)
    kept = []
    for line in message.split("\n"):
        if _SETTING_ADVICE.search(line):
            line = " ".join(x for x in re.split(r"(?<=[.!?])\s+", line)
                            if not _SETTING_ADVICE.search(x))
            if not line.strip():
                continue
        kept.append(line)
    text = "\n".join(kept).strip()
    text = re.sub(r"\n*Possible solutions:\s*$", "", text).strip()
    return text or "the query failed"
