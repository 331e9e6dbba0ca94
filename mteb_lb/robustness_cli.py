"""`mteb-lb robustness`: how much a leaderboard table's ranking depends on its rules
(``Leaderboard.robustness_table``, what ``/api/robustness`` gives and the dashboard's robustness
panel shows): ranks under Borda, Mean (Task) and Mean (TaskType) with the leave-one-task-out
range, Kendall's tau-b between them, the Friedman test and the Nemenyi post-hoc p-values."""

from __future__ import annotations

from mteb_lb import lbstate, output, rankings
from mteb_lb.table_cli import state_table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "robustness", help="ranks under Borda / Mean (Task) / Mean (TaskType), leave one task "
                           "out, Kendall tau-b, Friedman + Nemenyi of a leaderboard table",
        description="The robustness view of the table the state options give (README, 'Rank "
                    "intervals and robustness'). --part ranks (default): per model its rank "
                    "under each rule, its best and worst Borda rank with one task left out, and "
                    "whether it has every task; kendall: tau-b between each two rankings over "
                    "the models with every task; friedman: the Friedman test over the first 20 "
                    "such models and the critical difference; nemenyi: their mean ranks and "
                    "Nemenyi p-values.")
    p.add_argument("--part", default="ranks", choices=rankings.ROBUSTNESS_PARTS)
    p.add_argument("--format", choices=output.FORMATS,
                   help="default: an aligned table on a terminal; CSV when piped or with --output")
    p.add_argument("--output", help="write to this file instead of standard output")
    lbstate.add_arguments(p)
    p.set_defaults(func=_robustness)


def _robustness(args) -> int:
    table, _state, code = state_table(
        args, lambda board, state: board.robustness_table(state, args.part))
    if table is None:
        return code
    output.write_for_cli(table, args.format, args.output)
    return 0
