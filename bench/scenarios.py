"""The table scenarios of mteb's scripts/bench_leaderboard.py, shared by our benchmark and the
mteb peer (stdlib only: the peer imports it under mteb's interpreter).

Subsets are chosen deterministically from sorted names so both sides select the same tasks,
models and languages.
"""

from __future__ import annotations

MAIN = "MTEB(eng, v2)"
ALT = "MTEB(Multilingual, v2)"

# (scenario name, benchmark, tasks, models, languages); tasks/models/languages name a subset rule
SCENARIOS = [
    ("table_build", "{b}", "all", "all", "all"),
    ("filter_tasks_half", "{b}", "half", "all", "all"),
    ("filter_tasks_10", "{b}", "ten", "all", "all"),
    ("filter_models_half", "{b}", "all", "half", "all"),
    ("filter_models_20", "{b}", "all", "twenty", "all"),
    ("filter_language_quarter", "{b}", "all", "all", "quarter"),
    ("filter_language_eng", "{b}", "all", "all", "eng"),
    ("filter_combo_eng_20_models", "{b}", "all", "twenty", "eng"),
]


def subset(names: list[str], rule: str) -> list[str] | None:
    """None means "no filter"."""
    names = sorted(names)
    if rule == "all":
        return None
    if rule == "half":
        return names[: max(1, len(names) // 2)]
    if rule == "ten":
        return names[:10]
    if rule == "twenty":
        return names[:20]
    if rule == "quarter":
        return names[: max(1, len(names) // 4)]
    if rule == "eng":
        return ["eng"]
    raise ValueError(rule)
