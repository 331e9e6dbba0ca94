"""`mteb-lb compare`: 2-4 models of a benchmark head to head (mteb_lb.stats.pairwise_table):
P(A ranks above B) over the rank intervals' bootstrap resamples, per-task wins / ties / losses
and the exact sign test, one row per pair."""

from __future__ import annotations

from dataclasses import replace

from mteb_lb import lbstate, output
from mteb_lb.table_cli import state_table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="pairwise odds of 2-4 models on a benchmark (bootstrap, sign test)",
        description="One row per pair of models (A listed before B): p_a_above_b and p_b_above_a "
                    "over the bootstrap resamples of the rank intervals, wins_a / ties / wins_b "
                    "over the tasks both have a score on, and the exact two-sided sign test "
                    "(ties dropped). See the README, 'Rank intervals and robustness'.")
    p.add_argument("names", nargs="*", metavar="MODEL",
                   help="the models to compare (2 to 4), here or with --model")
    p.add_argument("--model", action="append", default=[], dest="compared",
                   help="a model (repeat: 2 to 4 in all)")
    p.add_argument("--format", choices=output.FORMATS,
                   help="default: an aligned table on a terminal, CSV when piped")
    lbstate.add_arguments(p)   # the table the models are compared on: --benchmark, filters
    p.set_defaults(func=_compare)


def _compare(args) -> int:
    table, _state, code = state_table(args, lambda board, state: board.compare(
        replace(state, selected=tuple(args.names) + tuple(args.compared))))
    if table is None:
        return code
    output.write_for_cli(table, args.format)
    return 0
