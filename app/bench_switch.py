"""Moving the leaderboard page's state to another benchmark: keep what applies, say what not.

``LeaderboardState.for_benchmark`` keeps the model filters, the search and the selection. On
the page a switch keeps more: the size bounds (they are about models), the task types, domains,
modalities and languages the new benchmark also offers, the tasks left out that it also has, and
a sort on a column it also shows (:func:`sort_applies` checks the new grid's columns).
Whatever does not apply is dropped and named in one line.
"""

from __future__ import annotations

from dataclasses import replace

from mteb_lb import lbstate

# (state field, its label in the notice); the tasks are handled apart (what was left out moves)
_LISTS = (("task_types", "task types"), ("domains", "domains"), ("modalities", "modalities"),
          ("languages", "languages"))


def carry_over(state: lbstate.LeaderboardState, name: str, old_valid: dict, new_valid: dict
               ) -> tuple[lbstate.LeaderboardState, list[str]]:
    """``state`` (on its benchmark, whose ``valid_values`` are ``old_valid``) moved to ``name``
    (``new_valid``) -> (the new state, what was dropped, one phrase each)."""
    moved = state.for_benchmark(name)
    changes: dict = {"min_params_b": state.min_params_b, "max_params_b": state.max_params_b}
    dropped: list[str] = []
    for field, label in _LISTS:
        chosen = getattr(state, field)
        if chosen is None:
            continue
        offered = list(new_valid.get(field) or [])
        kept = tuple(v for v in chosen if v in offered)
        gone = [v for v in chosen if v not in offered]
        if gone:
            dropped.append(f"{label} {', '.join(gone)}")
        if field != "languages" and not chosen:      # "none selected" stays as it is
            changes[field] = ()
        elif not kept or set(kept) >= set(offered):
            changes[field] = None
        else:
            changes[field] = kept
    if state.tasks == ():                               # every task unticked stays so
        changes["tasks"] = ()
    elif state.tasks is not None:
        left_out = [t for t in old_valid.get("tasks") or [] if t not in state.tasks]
        offered = list(new_valid.get("tasks") or [])
        moved_out = [t for t in left_out if t in offered]
        remaining = tuple(t for t in offered if t not in moved_out)
        changes["tasks"] = remaining if moved_out and remaining else None
        if moved_out and not remaining:
            dropped.append("the task selection (it leaves out every task of this benchmark)")
    if state.sort is not None:
        column = state.sort[0]
        specific = set(old_valid.get("tasks") or []) | set(old_valid.get("task_types") or [])
        new_cols = set(new_valid.get("tasks") or []) | set(new_valid.get("task_types") or [])
        if column in specific and column not in new_cols:
            dropped.append(f"the sort on {column}")
        else:
            changes["sort"] = state.sort
    if state.view in (new_valid.get("views") or lbstate.VIEWS):
        changes["view"] = state.view
    else:
        changes["view"] = "summary"
        dropped.append(f"the '{lbstate.VIEW_LABELS[state.view]}' view (not offered)")
    return replace(moved, **changes), dropped


def sort_applies(column_defs) -> bool:
    """Whether a grid's column definitions (groups included) carry the state's sort: the grid
    puts it on the sorted column only when that column is shown."""
    return any("sort" in d or sort_applies(d.get("children") or []) for d in column_defs or [])


def notice_text(benchmark_label: str, dropped: list[str]) -> str:
    if not dropped:
        return ""
    return (f"Switched to {benchmark_label}; dropped what it does not have: "
            + "; ".join(dropped) + ". Every other filter was kept.")
