"""`mteb-lb compare`: 2-4 models of a benchmark head to head (mteb_lb.stats.pairwise_table):
P(A ranks above B) over the rank intervals' bootstrap resamples, per-task wins / ties / losses
and the exact sign test, one row per pair."""

from __future__ import annotations

import sys
from dataclasses import replace

from mteb_lb import lbstate, output, rankings, warehouse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="pairwise odds of 2-4 models on a benchmark (bootstrap, sign test)",
        description="One row per pair of models (A listed before B): p_a_above_b and p_b_above_a "
                    "over the bootstrap resamples of the rank intervals, wins_a / ties / wins_b "
                    "over the tasks both have a score on, and the exact two-sided sign test "
                    "(ties dropped). See the README, 'Rank intervals and robustness'.")
    p.add_argument("--model", action="append", required=True, dest="compared",
                   help="a model (give 2 to 4)")
    p.add_argument("--format", default="csv", choices=output.FORMATS)
    lbstate.add_arguments(p)   # the table the models are compared on: --benchmark, filters
    p.set_defaults(func=_compare)


def _compare(args) -> int:
    try:
        board = rankings.leaderboard()
        state, problems = board.read_state(lbstate.params_from_args(args))
        if problems:
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            return 1
        table = board.compare(replace(state, selected=tuple(args.compared)))
    except rankings.RankingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except warehouse.WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output.write(table, args.format, sys.stdout.buffer)
    sys.stdout.flush()
    return 0
