"""`mteb-lb table`: print a leaderboard table, computed by the same functions as the dashboard.

Its options are the leaderboard state's fields (``mteb_lb.lbstate``): the dashboard URL's and
``/api/table``'s parameter names with dashes (``task_types`` -> ``--task-types``), decoded by the
same code, so the same state gives the same table, byte for byte, on every surface.
"""

from __future__ import annotations

import sys

from mteb_lb import lbstate, output, rankings, warehouse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "table", help="print a leaderboard table (summary, per-task, per-language, tasks)",
        description="Tables equal to the official MTEB leaderboard's, from the current build. "
                    "Scores are unrounded, on the 0-100 scale. List options repeat or take "
                    "comma-separated values; without --benchmark the dashboard's default "
                    "benchmark is used.")
    p.add_argument("--format", choices=output.FORMATS,
                   help="default: an aligned table, scores rounded to 2 decimals as the "
                        "dashboard shows them, on a terminal; unrounded CSV when piped or with "
                        "--output")
    p.add_argument("--output", help="write to this file instead of standard output")
    lbstate.add_arguments(p)
    p.set_defaults(func=_table)


def state_table(args, compute):
    """The frame of the commands that compute a table of a leaderboard state (table, compare,
    robustness): the state read from the options (``lbstate``), ``compute(board, state)``, and
    every problem as one ``error:`` line on stderr. Returns (table, state, 0), or (None, None,
    exit code): 1 a bad option or state, 2 no usable warehouse, EXIT_DAMAGED a damaged build."""
    try:
        board = rankings.leaderboard()
        state, problems = board.read_state(lbstate.params_from_args(args))
        if problems:
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            return None, None, 1
        return compute(board, state), state, 0
    except (rankings.RankingError, warehouse.WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, None, (1 if isinstance(exc, rankings.RankingError)
                            else warehouse.EXIT_DAMAGED
                            if isinstance(exc, warehouse.DamagedBuildError) else 2)


def _table(args) -> int:
    table, state, code = state_table(args, lambda board, state: board.view(state))
    if table is None:
        return code
    output.write_for_cli(table, args.format, args.output, round_text=True)
    if not table.num_rows:   # say why on stderr (the output stays a valid, empty table)
        lb = rankings.leaderboard()
        why = ("no task is left: --tasks none, or the task filters exclude every task of "
               f"{state.benchmark}" if not lb.ranked_tasks(state.benchmark, state.filters())
               else "no model matches these filters")
        print(f"note: the table is empty: {why}.", file=sys.stderr)
    return 0
